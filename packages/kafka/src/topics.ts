import type { Admin, ITopicConfig } from 'kafkajs';

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

/** Creates whichever of the topics (and their .dlq twins) do not exist yet. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], replicationFactor = 1): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.flatMap((s) => topicConfigs(s, replicationFactor)).filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
}
