import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { urls } from '@eventline/infra';

export function localKafka(clientId = 'eventline-test'): Kafka {
  return new Kafka({ brokers: [urls.kafka], clientId, logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: ITopicConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ numPartitions: 3, ...topic }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
