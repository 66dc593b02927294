import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { createKafka } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

export interface KafkaConnectionSettings {
  KAFKA_BROKERS: string[];
  KAFKA_SASL_USERNAME: string;
  KAFKA_SASL_PASSWORD: string;
  KAFKA_TLS_CA_FILE: string;
}

/**
 * The Kafka client of the base settings: SCRAM-SHA-512 when a user name is set (Strimzi KafkaUser
 * secrets), TLS trusting KAFKA_TLS_CA_FILE when set. Services and their replay commands alike.
 */
export function kafkaFromSettings(settings: KafkaConnectionSettings, clientId: string, logger: Logger): Kafka {
  const sasl = settings.KAFKA_SASL_USERNAME ? { mechanism: 'scram-sha-512' as const, username: settings.KAFKA_SASL_USERNAME, password: settings.KAFKA_SASL_PASSWORD } : undefined;
  const ssl = settings.KAFKA_TLS_CA_FILE ? { ca: [readFileSync(settings.KAFKA_TLS_CA_FILE, 'utf8')] } : undefined;
  return createKafka({ brokers: settings.KAFKA_BROKERS, clientId, logger, sasl, ssl });
}
