import type { KafkaMessage, Message } from 'kafkajs';
import { deadLetterTopic } from './topics';

/** The dead-letter copy of a record: its key, value and headers, plus why and where it failed. */
export function deadLetterRecord(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number, groupId: string): { topic: string; message: Message } {
  const reason = error instanceof Error ? error : new Error(String(error));
  return {
    topic: deadLetterTopic(topic),
    message: {
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        'dlq-error': reason.message.slice(0, 2000),
        'dlq-error-type': reason.name,
        'dlq-source-topic': topic,
        'dlq-source-partition': String(partition),
        'dlq-source-offset': message.offset,
        'dlq-consumer-group': groupId,
        'dlq-attempts': String(attempts),
        'dlq-failed-at': new Date().toISOString(),
      },
    },
  };
}
