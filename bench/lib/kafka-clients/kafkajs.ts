import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import { createKafka, createProducer, PartitionProducers } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { uniqueName } from '@eventline/testkit';
import { deferred, now, type AdminSession, type ClientSession, type ClientUnderTest, type ConnectionSettings, type Timing } from './types';

/**
 * kafkajs as the kit uses it: the kit's own `createKafka` and `createProducer` (idempotent, acks=all,
 * one request in flight, Java-compatible partitioner) and the settings of its TransactionalProcessor.
 */
const version: string = (require('kafkajs/package.json') as { version: string }).version;
const logger = createLogger('bench-kafkajs', 'error');

function kafkaFor(settings: ConnectionSettings): Kafka {
  return createKafka({
    brokers: settings.brokers,
    clientId: settings.clientId,
    logger,
    sasl: settings.sasl ? { mechanism: 'scram-sha-512', username: settings.sasl.username, password: settings.sasl.password } : undefined,
    ssl: settings.tlsCa ? { ca: [settings.tlsCa] } : undefined,
  });
}

function open(settings: ConnectionSettings): ClientSession {
  const kafka = kafkaFor(settings);
  return {
    async produce(topic, records, batch) {
      const producer = createProducer(kafka);
      await producer.connect();
      try {
        const startMs = now();
        for (let from = 0; from < records.length; from += batch) {
          await producer.send({ topic, acks: -1, messages: records.slice(from, from + batch) });
        }
        return { startMs, firstMs: startMs, firstCount: 0, lastMs: now() };
      } finally {
        await producer.disconnect();
      }
    },

    async consume(topic, count) {
      const consumer = kafka.consumer({ groupId: uniqueName('bench-consume') });
      const done = deferred();
      const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
      let seen = 0;
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
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

    transact: (input, output, groupId, count, txBatch) => copyInTransactions(kafka, { input, output, groupId, count, txBatch, perPartition: false }),

    transactPerPartition: (input, output, groupId, count, txBatch) => copyInTransactions(kafka, { input, output, groupId, count, txBatch, perPartition: true }),

    async admin(): Promise<AdminSession> {
      const admin = kafka.admin();
      await admin.connect();
      return {
        async createTopic(topic, partitions) {
          await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
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
        async setGroupOffsets(groupId, topic, offsets) {
          await admin.setOffsets({ groupId, topic, partitions: offsets.map((offset, partition) => ({ partition, offset: String(offset) })) });
        },
        close: () => admin.disconnect(),
      };
    },

    async close() {
      // Each call above connects and disconnects its own clients.
    },
  };
}

interface CopyOptions {
  input: string;
  output: string;
  groupId: string;
  count: number;
  txBatch: number;
  /**
   * false: one transactional producer for every input partition (unfenced with kafkajs, whose
   * sendOffsets carries no group generation); true: the kit's PartitionProducers, a producer per input
   * partition whose transactional id the partition's next owner initialises (fenced).
   */
  perPartition: boolean;
}

/** As TransactionalProcessor: read_committed, manual offsets, one transaction per chunk of a batch. */
async function copyInTransactions(kafka: Kafka, { input, output, groupId, count, txBatch, perPartition }: CopyOptions): Promise<Timing> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 500 });
  const single = perPartition
    ? undefined
    : kafka.producer({
        transactionalId: uniqueName('bench-tx'),
        transactionTimeout: 15_000,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
  const perPartitionProducers = perPartition ? new PartitionProducers({ kafka, idPrefix: uniqueName('bench-tx'), topicPrefix: '', logger }) : undefined;
  const done = deferred();
  const timing: Timing = { startMs: now(), firstMs: 0, firstCount: 0, lastMs: 0 };
  let copied = 0;
  await single?.connect();
  await consumer.connect();
  consumer.on(consumer.events.CRASH, (event) => done.reject(event.payload.error));
  if (perPartitionProducers) consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => perPartitionProducers.assign(payload.memberAssignment));
  try {
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (timing.firstMs === 0) timing.firstMs = now();
        const producer = single ?? (await perPartitionProducers!.get(batch.topic, batch.partition)).producer;
        for (let from = 0; from < batch.messages.length; from += txBatch) {
          const chunk: KafkaMessage[] = batch.messages.slice(from, from + txBatch);
          const last = chunk[chunk.length - 1]!;
          const transaction = await producer.transaction();
          try {
            await transaction.send({ topic: output, messages: chunk.map((m) => ({ key: m.key, value: m.value })) });
            await transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
            });
            await transaction.commit();
          } catch (error) {
            await transaction.abort().catch(() => undefined);
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
    await single?.disconnect();
    await perPartitionProducers?.closeAll();
  }
  return timing;
}

export const kafkajsClient: ClientUnderTest = { name: `kafkajs ${version}`, partitioners: ['default'], open };
