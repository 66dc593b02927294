import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  compatibilityPartitioner,
  stringSerializer,
  type Message,
} from '@platformatic/kafka';
import { uniqueName } from '@eventline/testkit';
import { deferred, now, type AdminSession, type ClientSession, type ClientUnderTest, type ConnectionSettings, type Timing } from './types';

/**
 * @platformatic/kafka (pure JavaScript, ESM only: loaded here through Node's require(esm)). Its 2.x
 * line declares Node >= 22.22 and calls Promise.withResolvers (Node 22); `ensurePromiseWithResolvers`
 * adds that one function where it is missing, and the bench says so when it did.
 */
const packageJson = join(dirname(require.resolve('@platformatic/kafka')), '..', 'package.json');
const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string; engines?: { node?: string } };
export const platformaticEngines = pkg.engines?.node ?? 'any';

interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
}

/** True when this Node lacked Promise.withResolvers and it was added. */
export function ensurePromiseWithResolvers(): boolean {
  const promise = Promise as unknown as WithResolvers;
  if (typeof promise.withResolvers === 'function') return false;
  promise.withResolvers = <T>() => {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const created = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: created, resolve, reject };
  };
  return true;
}

function base(settings: ConnectionSettings) {
  return {
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    ...(settings.sasl ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: settings.sasl.username, password: settings.sasl.password } } : {}),
    ...(settings.tlsCa ? { tls: { ca: settings.tlsCa } } : {}),
  };
}

function partitionIndexes(partitions: number): number[] {
  return Array.from({ length: partitions }, (_, i) => i);
}

function open(settings: ConnectionSettings): ClientSession {
  const common = base(settings);
  return {
    async produce(topic, records, batch, partitioner = 'java') {
      const producer = new Producer<string, Buffer, Buffer, Buffer>({
        ...common,
        idempotent: true,
        acks: -1,
        serializers: { key: stringSerializer },
        ...(partitioner === 'java' ? { partitioner: compatibilityPartitioner } : {}),
      });
      try {
        // It connects lazily: fetch the topic's metadata first, as the others connect before sending.
        await producer.metadata({ topics: [topic] });
        const startMs = now();
        for (let from = 0; from < records.length; from += batch) {
          await producer.send({ messages: records.slice(from, from + batch).map((r) => ({ topic, key: r.key, value: r.value })) });
        }
        return { startMs, firstMs: startMs, firstCount: 0, lastMs: now() };
      } finally {
        await producer.close();
      }
    },

    async consume(topic, count) {
      const consumer = new Consumer({ ...common, groupId: uniqueName('bench-consume') });
      const done = deferred();
      const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
      let seen = 0;
      try {
        const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: true });
        stream.on('error', done.reject);
        stream.on('data', () => {
          if (seen === 0) {
            timing.firstMs = now();
            timing.firstCount = 1;
          }
          seen++;
          if (seen === count) {
            timing.lastMs = now();
            done.resolve();
          }
        });
        await done.promise;
        await stream.close();
      } finally {
        await consumer.close(true);
      }
      return timing;
    },

    async transact(input, output, groupId, count, txBatch) {
      const consumer = new Consumer({ ...common, groupId });
      const producer = new Producer({ ...common, idempotent: true, acks: -1, transactionalId: uniqueName('bench-tx'), partitioner: compatibilityPartitioner });
      const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
      let copied = 0;
      const commitChunk = async (chunk: Message[]): Promise<void> => {
        const transaction = await producer.beginTransaction();
        try {
          await transaction.send({ messages: chunk.map((m) => ({ topic: output, key: m.key, value: m.value })) });
          await transaction.addConsumer(consumer);
          // The equivalent of sendOffsets: one offset commit, inside the transaction, per partition read.
          const lastOfPartition = new Map<string, Message>();
          for (const m of chunk) lastOfPartition.set(`${m.topic}:${m.partition}`, m);
          for (const m of lastOfPartition.values()) await transaction.addOffset(m);
          await transaction.commit();
        } catch (error) {
          await transaction.abort().catch(() => undefined);
          throw error;
        }
      };
      try {
        const stream = await consumer.consume({
          topics: [input],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
          autocommit: false,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        });
        let chunk: Message[] = [];
        for await (const message of stream as AsyncIterable<Message>) {
          if (timing.firstMs === 0) timing.firstMs = now();
          chunk.push(message);
          if (chunk.length >= txBatch || copied + chunk.length >= count) {
            await commitChunk(chunk);
            copied += chunk.length;
            chunk = [];
            if (copied >= count) break;
          }
        }
        timing.lastMs = now();
        await stream.close().catch(() => undefined);
      } finally {
        await consumer.close(true);
        await producer.close();
      }
      if (copied < count) throw new Error(`@platformatic/kafka: the stream ended after ${copied} of ${count} records`);
      return timing;
    },

    async admin(): Promise<AdminSession> {
      const admin = new Admin(common);
      return {
        async createTopic(topic, partitions) {
          await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
        },
        listTopics: () => admin.listTopics(),
        async endOffsets(topic, partitions) {
          const [listed] = await admin.listOffsets({
            topics: [{ name: topic, partitions: partitionIndexes(partitions).map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
          });
          const result = Array.from({ length: partitions }, () => -1);
          for (const p of listed?.partitions ?? []) result[p.partitionIndex] = Number(p.offset);
          return result;
        },
        async groupOffsets(groupId, topic, partitions) {
          const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitionIndexes(partitions) }] }] });
          const result = Array.from({ length: partitions }, () => -1);
          for (const t of group?.topics ?? []) for (const p of t.partitions) result[p.partitionIndex] = Number(p.committedOffset);
          return result;
        },
        async deleteGroup(groupId) {
          await admin.deleteGroups({ groups: [groupId] });
        },
        async setGroupOffsets(groupId, topic, offsets) {
          await admin.alterConsumerGroupOffsets({
            groupId,
            topics: [{ name: topic, partitionOffsets: offsets.map((offset, partition) => ({ partition, offset: BigInt(offset) })) }],
          });
        },
        close: () => admin.close(),
      };
    },

    async close() {
      // Each call above closes its own clients.
    },
  };
}

export const platformaticClient: ClientUnderTest = { name: `@platformatic/kafka ${pkg.version}`, partitioners: ['default', 'java'], open };
