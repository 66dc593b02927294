import type { Kafka, Producer } from 'kafkajs';

/**
 * The idempotent producer every service publishes with: acks from all in-sync replicas, one request in
 * flight so that records of one partition can never be reordered by a retry.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}
