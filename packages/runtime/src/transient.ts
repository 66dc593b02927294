import { isTransientKafkaError } from '@eventline/kafka';
import { isTransientMongoError } from '@eventline/mongo';
import { isTransientPostgresError } from '@eventline/postgres';

/**
 * A transient fault of anything a service talks to (the network, Kafka, PostgreSQL, MongoDB): its
 * start-up waits these out before the migrations run, and its consumers retry a record that failed
 * with one for as long as it lasts instead of dead-lettering it.
 */
export function isTransient(error: unknown): boolean {
  return isTransientKafkaError(error) || isTransientPostgresError(error) || isTransientMongoError(error);
}
