import type { Admin, ITopicConfig } from 'kafkajs';
import { errorChain } from './error-chain';

export interface TopicSpec {
  name: string;
  partitions: number;
  compacted: boolean;
}

export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** The topic and its dead-letter twin, as Kafka topic configs. */
export function topicConfigs(spec: TopicSpec, replicationFactor = 1): ITopicConfig[] {
  return [
    {
      topic: spec.name,
      numPartitions: spec.partitions,
      replicationFactor,
      configEntries: [{ name: 'cleanup.policy', value: spec.compacted ? 'compact' : 'delete' }],
    },
    {
      topic: deadLetterTopic(spec.name),
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
    },
  ];
}

/** Creates whichever of the topics (and their .dlq twins) do not exist yet, and waits for their leaders. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], replicationFactor = 1): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.flatMap((s) => topicConfigs(s, replicationFactor)).filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  await createTopicsWithLeaders(admin, missing);
  return missing.map((t) => t.topic);
}

/** Creates the topics and waits until each of their partitions has a leader. */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // A KRaft broker may answer the metadata of a topic it has just created with
    // UNKNOWN_TOPIC_OR_PARTITION for a moment; kafkajs's wait for leaders retries only
    // LEADER_NOT_AVAILABLE, and gives up (seen in the suite). The topics exist: wait on.
    if (!isUnknownTopic(error)) throw error;
    await waitForLeaders(
      admin,
      topics.map((t) => t.topic),
    );
  }
}

/** The broker does not (yet) know the topic: kafkajs's error, bare or inside its retry wrapper. */
export const isUnknownTopic = (error: unknown): boolean => [...errorChain(error)].some((e) => (e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION');

/** Until every partition of the topics has a leader (or `deadlineMs` runs out). */
async function waitForLeaders(admin: Admin, topics: string[], deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (!isUnknownTopic(error) || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
