import { join } from 'node:path';
import { uniqueName } from '@eventline/testkit';
import { ensureConfluentClient } from './confluent-install';
import { deferred, now, type AdminSession, type ClientSession, type ClientUnderTest, type ConnectionSettings, type Timing } from './types';

/**
 * @confluentinc/kafka-javascript through its KafkaJS-compatible API (`.KafkaJS`), on librdkafka. It is
 * not a dependency of the repository (its install compiles librdkafka, see README): the bench uses it
 * when it is installed and says why when it is not. The types below are the part of its API used here.
 */
interface CkMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}
interface CkBatch {
  topic: string;
  partition: number;
  messages: CkMessage[];
}
interface CkEachBatchPayload {
  batch: CkBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
}
interface CkTopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}
interface CkProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: { key: string | Buffer | null; value: Buffer | null }[] }): Promise<unknown>;
  transaction(): Promise<CkProducer>;
  sendOffsets(args: { consumer: CkConsumer; topics: CkTopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CkConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { eachBatchAutoResolve?: boolean; eachBatch: (payload: CkEachBatchPayload) => Promise<void> }): Promise<void>;
}
interface CkAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: { topics: { topic: string; numPartitions: number; replicationFactor: number }[] }): Promise<boolean>;
  listTopics(): Promise<string[]>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; offset: string; high: string; low: string }[]>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<CkTopicOffsets[]>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
  setOffsets?: unknown;
}
interface CkKafka {
  producer(config: Record<string, unknown>): CkProducer;
  consumer(config: Record<string, unknown>): CkConsumer;
  admin(config?: Record<string, unknown>): CkAdmin;
}
interface ConfluentModule {
  KafkaJS: {
    Kafka: new (config: Record<string, unknown>) => CkKafka;
    logLevel: { NOTHING: number };
  };
}

export const confluentPackage = '@confluentinc/kafka-javascript';

function open(module: ConfluentModule, settings: ConnectionSettings): ClientSession {
  const { Kafka, logLevel } = module.KafkaJS;
  const kafka = new Kafka({
    kafkaJS: {
      brokers: settings.brokers,
      clientId: settings.clientId,
      logLevel: logLevel.NOTHING,
      ...(settings.tlsCa ? { ssl: true } : {}),
      ...(settings.sasl ? { sasl: { mechanism: 'scram-sha-512', username: settings.sasl.username, password: settings.sasl.password } } : {}),
    },
    ...(settings.tlsCa ? { 'ssl.ca.pem': settings.tlsCa } : {}),
  });
  // Batches of up to 500 records (its default is 32), so that a transaction can hold as many as the others'.
  const maxBatch = { 'js.consumer.max.batch.size': 500 };
  return {
    async produce(topic, records, batch) {
      // The KafkaJS layer fixes librdkafka's partitioner to murmur2_random (Java-compatible).
      const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
      await producer.connect();
      try {
        const startMs = now();
        for (let from = 0; from < records.length; from += batch) {
          await producer.send({ topic, messages: records.slice(from, from + batch) });
        }
        return { startMs, firstMs: startMs, firstCount: 0, lastMs: now() };
      } finally {
        await producer.disconnect();
      }
    },

    async consume(topic, count) {
      const consumer = kafka.consumer({ kafkaJS: { groupId: uniqueName('bench-consume'), fromBeginning: true, autoCommit: true }, ...maxBatch });
      const done = deferred();
      const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
      let seen = 0;
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic] });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            if (seen === 0) {
              timing.firstMs = now();
              timing.firstCount = batch.messages.length;
            }
            seen += batch.messages.length;
            if (seen >= count && timing.lastMs === 0) {
              timing.lastMs = now();
              done.resolve();
            }
          },
        });
        await done.promise;
      } finally {
        await consumer.disconnect();
      }
      return timing;
    },

    async transact(input, output, groupId, count, txBatch) {
      const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false }, 'isolation.level': 'read_committed', ...maxBatch });
      const producer = kafka.producer({ kafkaJS: { transactionalId: uniqueName('bench-tx'), idempotent: true, acks: -1, transactionTimeout: 15_000 } });
      const done = deferred();
      const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
      let copied = 0;
      await producer.connect();
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [input] });
        await consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            if (timing.firstMs === 0) timing.firstMs = now();
            for (let from = 0; from < batch.messages.length; from += txBatch) {
              const chunk = batch.messages.slice(from, from + txBatch);
              const last = chunk[chunk.length - 1]!;
              const transaction = await producer.transaction();
              try {
                await transaction.send({ topic: output, messages: chunk.map((m) => ({ key: m.key, value: m.value })) });
                await transaction.sendOffsets({
                  consumer,
                  topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
                });
                await transaction.commit();
              } catch (error) {
                await transaction.abort().catch(() => undefined);
                done.reject(error);
                throw error;
              }
              resolveOffset(last.offset);
              await heartbeat();
              copied += chunk.length;
              if (copied >= count && timing.lastMs === 0) {
                timing.lastMs = now();
                done.resolve();
              }
            }
          },
        });
        await done.promise;
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
      }
      return timing;
    },

    async admin(): Promise<AdminSession> {
      const admin = kafka.admin();
      await admin.connect();
      const session: AdminSession = {
        async createTopic(topic, partitions) {
          await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
        },
        listTopics: () => admin.listTopics(),
        async endOffsets(topic) {
          const offsets = await admin.fetchTopicOffsets(topic);
          return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
        },
        async groupOffsets(groupId, topic, partitions) {
          const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const result = Array.from({ length: partitions }, () => -1);
          for (const p of entry?.partitions ?? []) result[p.partition] = Number(p.offset);
          return result;
        },
        async deleteGroup(groupId) {
          await admin.deleteGroups([groupId]);
        },
        close: () => admin.disconnect(),
      };
      // Its KafkaJS admin has no setOffsets (nor alterConsumerGroupOffsets) in the version measured.
      if (typeof admin.setOffsets === 'function')
        session.setGroupOffsets = async () => {
          throw new Error('setOffsets exists in this version: the bench does not drive it yet');
        };
      return session;
    },

    async close() {
      // Each call above disconnects its own clients.
    },
  };
}

/** The client, built into the cache on first use (see confluent-install.ts), else why it does not load. */
export async function loadConfluent(): Promise<{ client?: ClientUnderTest; reason?: string }> {
  let module: ConfluentModule;
  let version: string;
  try {
    const dir = await ensureConfluentClient();
    module = require(dir) as ConfluentModule;
    version = (require(join(dir, 'package.json')) as { version: string }).version;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { reason: message };
  }
  return { client: { name: `${confluentPackage} ${version}`, partitioners: ['default'], open: (settings) => open(module, settings) } };
}
