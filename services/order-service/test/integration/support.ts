import { Kafka, type KafkaMessage } from 'kafkajs';
import { createDatabase, eventually, isolatedKafkaEnvironment, localKafka, uniqueName, urls } from '@eventline/testkit';

/** Stores, Kafka names and schemas of one isolated ECST environment (its own databases and topic prefix). */
export interface EcstEnvironment {
  prefix: string;
  users: NodeJS.ProcessEnv;
  products: NodeJS.ProcessEnv;
  orders: NodeJS.ProcessEnv;
}

export async function ecstEnvironment(): Promise<EcstEnvironment> {
  const { prefix, common } = await isolatedKafkaEnvironment();
  return {
    prefix,
    users: { ...common, DATABASE_URL: await createDatabase('users') },
    products: { ...common, DATABASE_URL: await createDatabase('product') },
    orders: { ...common, MONGO_URL: urls.mongo, MONGO_DB: uniqueName('orders') },
  };
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
  await eventually(async () => seen.length, (n) => n >= total, { what: `${total} records of ${topic}` });
  await reader.disconnect();
  return seen;
}
