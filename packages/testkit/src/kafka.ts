import { Kafka, logLevel, type ITopicConfig, type KafkaMessage } from 'kafkajs';
import { urls } from '@eventline/infra';
import { createTopicsWithLeaders } from '@eventline/kafka';
import { eventually } from './eventually';
import { uniqueName } from './names';

export function localKafka(clientId = 'eventline-test'): Kafka {
  return new Kafka({ brokers: [urls.kafka], clientId, logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: ITopicConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ numPartitions: 3, ...topic }]);
  } finally {
    await admin.disconnect();
  }
}

/** Every record on a topic so far (reads to its end offsets). */
export async function readWholeTopic(topic: string): Promise<KafkaMessage[]> {
  const kafka: Kafka = localKafka('topic-reader');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const reader = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 250 });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  await reader.run({ eachMessage: async ({ message }) => void seen.push(message) });
  await eventually(
    async () => seen.length,
    (n) => n >= total,
    { what: `${total} records of ${topic}` },
  );
  await reader.disconnect();
  return seen;
}
