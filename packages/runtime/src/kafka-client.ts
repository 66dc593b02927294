import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { createKafka } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

export interface KafkaConnectionSettings {
  KAFKA_BROKERS: string[];
  KAFKA_SASL_USERNAME: string;
  KAFKA_SASL_PASSWORD: string;
  KAFKA_SASL_PASSWORD_FILE?: string;
  KAFKA_TLS_CA_FILE: string;
}

/**
 * SCRAM-SHA-512 credentials for kafkajs, which reads `password` from this object each time a
 * connection authenticates: from the file when one is given, so that a rotated password takes effect
 * on the next connection (Strimzi's User Operator can replace a KafkaUser's password, e.g. when it
 * reconciles before its Secret cache has synced; a password read once at start then fails forever).
 */
export function scramCredentials(username: string, password: string, passwordFile = '') {
  return {
    mechanism: 'scram-sha-512' as const,
    username,
    get password(): string {
      return passwordFile ? readFileSync(passwordFile, 'utf8') : password;
    },
  };
}

/**
 * The Kafka client of the base settings: SCRAM-SHA-512 when a user name is set (Strimzi KafkaUser
 * secrets), TLS trusting KAFKA_TLS_CA_FILE when set. Services and their replay commands alike.
 */
export function kafkaFromSettings(settings: KafkaConnectionSettings, clientId: string, logger: Logger): Kafka {
  const sasl = settings.KAFKA_SASL_USERNAME ? scramCredentials(settings.KAFKA_SASL_USERNAME, settings.KAFKA_SASL_PASSWORD, settings.KAFKA_SASL_PASSWORD_FILE) : undefined;
  const ssl = settings.KAFKA_TLS_CA_FILE ? { ca: [readFileSync(settings.KAFKA_TLS_CA_FILE, 'utf8')] } : undefined;
  return createKafka({ brokers: settings.KAFKA_BROKERS, clientId, logger, sasl, ssl });
}
