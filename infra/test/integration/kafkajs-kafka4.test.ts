import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { createTopic, eventually, localKafka, uniqueName } from '@eventline/testkit';

/**
 * kafkajs (last released 2023) against a Kafka 4 broker, which removed old protocol versions
 * (KIP-896): every call the platform relies on, exercised for real.
 */
describe('kafkajs against Kafka 4', () => {
  let kafka: Kafka;
  const consumers: Consumer[] = [];

  beforeAll(() => {
    kafka = localKafka('kafkajs-compat');
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  });

  function collect(consumer: Consumer, into: EachMessagePayload[]): Promise<void> {
    return consumer.run({ eachMessage: async (payload) => void into.push(payload) });
  }

  it('produces idempotently with acks=all and keeps per-key order', async () => {
    const topic = uniqueName('idem');
    await createTopic(kafka, { topic, numPartitions: 3 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const keys = ['k1', 'k2', 'k3', 'k4'];
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: String(batch) })) });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ maxWaitTimeInMs: 250, groupId: uniqueName('idem') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: EachMessagePayload[] = [];
    await collect(consumer, seen);
    await eventually(
      async () => seen.length,
      (n) => n === 20,
      { what: '20 records' },
    );
    for (const key of keys) {
      const values = seen.filter((p) => p.message.key?.toString() === key).map((p) => p.message.value?.toString());
      expect(values).toEqual(['0', '1', '2', '3', '4']);
    }
  });

  it('splits partitions between group members on rebalance and loses nothing', async () => {
    const topic = uniqueName('rebalance');
    await createTopic(kafka, { topic, numPartitions: 4 });
    const groupId = uniqueName('rebalance');
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, to: number) =>
      producer.send({ topic, messages: Array.from({ length: to - from }, (_, i) => ({ key: `key-${from + i}`, value: String(from + i) })) });

    const first = kafka.consumer({ maxWaitTimeInMs: 250, groupId, heartbeatInterval: 500, sessionTimeout: 10_000 });
    const second = kafka.consumer({ maxWaitTimeInMs: 250, groupId, heartbeatInterval: 500, sessionTimeout: 10_000 });
    consumers.push(first, second);
    const seenByFirst: EachMessagePayload[] = [];
    const seenBySecond: EachMessagePayload[] = [];
    const assignments = new Map<Consumer, number[]>();
    for (const consumer of [first, second]) {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(consumer, event.payload.memberAssignment[topic] ?? []);
      });
    }

    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await collect(first, seenByFirst);
    await send(0, 100);
    await eventually(
      async () => seenByFirst.length,
      (n) => n === 100,
      { what: 'first member alone reads 100' },
    );

    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await collect(second, seenBySecond);
    await eventually(
      async () => [assignments.get(first)?.length ?? 0, assignments.get(second)?.length ?? 0],
      ([a, b]) => a === 2 && b === 2,
      { what: 'partitions split 2 + 2 after the rebalance' },
    );
    await send(100, 200);

    const values = () => [...seenByFirst, ...seenBySecond].map((p) => Number(p.message.value?.toString()));
    await eventually(
      async () => new Set(values()).size,
      (n) => n === 200,
      { what: 'all 200 values consumed' },
    );
    expect(seenBySecond.length).toBeGreaterThan(0);
    await producer.disconnect();
  });

  it('commits transactions with sendOffsets; read_committed consumers never see aborted records', async () => {
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    await createTopic(kafka, { topic: input, numPartitions: 1 });
    await createTopic(kafka, { topic: output, numPartitions: 1 });
    const groupId = uniqueName('tx-group');
    const producer = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ key: 'a', value: 'committed' }] });
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }] });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ key: 'b', value: 'aborted' }] });
    await aborted.abort();

    const last = await producer.transaction();
    await last.send({ topic: output, messages: [{ key: 'c', value: 'committed-2' }] });
    await last.commit();
    await producer.disconnect();

    const reader = kafka.consumer({ maxWaitTimeInMs: 250, groupId: uniqueName('tx-reader'), readUncommitted: false });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    const seen: EachMessagePayload[] = [];
    await collect(reader, seen);
    await eventually(
      async () => seen.length,
      (n) => n >= 2,
      { what: 'two committed records' },
    );
    expect(seen.map((p) => p.message.value?.toString())).toEqual(['committed', 'committed-2']);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: '7', metadata: null }]);
  });

  it('administers topics and groups: compacted topics, describeGroups, fetch/reset/set offsets', async () => {
    const topic = uniqueName('admin');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
        waitForLeaders: true,
      });
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false });
      expect(configs.resources[0]?.configEntries[0]).toMatchObject({ configName: 'cleanup.policy', configValue: 'compact' });

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i), partition: i % 2 })) });
      await producer.disconnect();

      const groupId = uniqueName('admin-group');
      const readAll = async (expected: number) => {
        const consumer = kafka.consumer({ maxWaitTimeInMs: 250, groupId });
        consumers.push(consumer);
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const seen: EachMessagePayload[] = [];
        await collect(consumer, seen);
        await eventually(
          async () => seen.length,
          (n) => n === expected,
          { what: `${expected} records` },
        );
        return consumer;
      };

      const consumer = await readAll(10);
      const described = await admin.describeGroups([groupId]);
      expect(described.groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' });
      expect(described.groups[0]?.members).toHaveLength(1);
      await eventually(
        async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0),
        (total) => total === 10,
        { what: 'committed offsets total 10' },
      );
      consumers.splice(consumers.indexOf(consumer), 1);
      await consumer.disconnect();

      // kafkajs stores the "earliest" sentinel (-2) as the committed offset; its consumers resolve it.
      await admin.resetOffsets({ groupId, topic, earliest: true });
      const afterReset = await readAll(10);
      consumers.splice(consumers.indexOf(afterReset), 1);
      await afterReset.disconnect();

      await admin.setOffsets({
        groupId,
        topic,
        partitions: [
          { partition: 0, offset: '1' },
          { partition: 1, offset: '2' },
        ],
      });
      const set = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect([...(set[0]?.partitions ?? [])].sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['1', '2']);
      await readAll(7);

      await admin.deleteTopics({ topics: [topic] });
      // The controller answers the deletion before every broker's metadata has caught up with it.
      await eventually(
        () => admin.listTopics(),
        (topics) => !topics.includes(topic),
        { what: `${topic} gone from the broker's topic list` },
      );
    } finally {
      await admin.disconnect();
    }
  });
});
