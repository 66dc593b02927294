import { Partitioners, type ICustomPartitioner, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { RenewingProducer } from './renewing-producer';

/**
 * The idempotent producer every service publishes with: acks from all in-sync replicas, one request in
 * flight so that records of one partition can never be reordered by a retry. The partitioner is the
 * Java client's (murmur2), so a key lands on the same partition whichever client wrote it.
 */
export function createProducer(kafka: Kafka, createPartitioner: ICustomPartitioner = Partitioners.DefaultPartitioner): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner });
}

/**
 * The service's producer, replaced by a new one when kafkajs' has wedged, each send checked for
 * records kafkajs did not write (see RenewingProducer).
 */
export function createRenewingProducer(kafka: Kafka, logger: Logger): RenewingProducer {
  return new RenewingProducer({ create: (createPartitioner) => createProducer(kafka, createPartitioner), logger: logger.child({ component: 'producer' }) });
}
