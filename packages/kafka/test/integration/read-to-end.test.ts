import type { KafkaMessage } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { createTopic, localKafka, uniqueName } from '@eventline/testkit';
import { buildHeaders, createProducer, endOffsets, EventConsumer, newEnvelope, ReadProgress, readTopicToEnd } from '../../src';
import { decodeJson } from '../fixtures/json-decoder';

const logger = createLogger('read-to-end-test', 'silent');
const kafka = localKafka('read-to-end-test');

/** A topic of one partition: a committed transaction of records a, b, c, then an aborted one of x, y. */
async function transactionalTopic(): Promise<string> {
  const topic = uniqueName('read-to-end');
  await createTopic(kafka, { topic, numPartitions: 1 });
  const record = (key: string) => ({ key, value: JSON.stringify({ key }), headers: buildHeaders(newEnvelope('Test', 'read-to-end-test')) });
  const transactional = kafka.producer({ transactionalId: uniqueName('read-to-end-tx'), idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  const committed = await transactional.transaction();
  await committed.send({ topic, messages: ['a', 'b', 'c'].map(record) });
  await committed.commit();
  const aborted = await transactional.transaction();
  await aborted.send({ topic, messages: ['x', 'y'].map(record) });
  await aborted.abort();
  await transactional.disconnect();
  return topic;
}

/**
 * "Read up to the end offsets seen at start" on a topic written in transactions: the commit and abort
 * markers take offsets and are never delivered, and an aborted tail is never delivered at all.
 */
describe('reading to the end offsets seen at start', () => {
  /** Dead letters, which none of these records become. */
  const producer = createProducer(kafka);
  let topic = '';

  beforeAll(async () => {
    [topic] = await Promise.all([transactionalTopic(), producer.connect()]);
  });
  afterAll(() => producer.disconnect());

  it('takes the end offsets of the partitions with records, markers counted', async () => {
    // Three records, a commit marker, two aborted records, an abort marker.
    expect(await endOffsets(kafka, [topic], { logger })).toEqual(new Map([[`${topic}/0`, 7n]]));
  });

  it('an EventConsumer reports its way past markers and an aborted tail, so its reader catches up without an idle limit', async () => {
    const progress = new ReadProgress(await endOffsets(kafka, [topic], { logger }));
    const keys: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      producer,
      logger,
      groupId: uniqueName('read-to-end-group'),
      topics: [topic],
      decode: decodeJson,
      handler: async (event) => void keys.push(event.key),
      onProgress: (t, partition, offset) => progress.advance(t, partition, offset),
    });
    try {
      await consumer.start();
      await expect(progress.wait({ logger, deadlineMs: 60_000 })).resolves.toBe(true);
    } finally {
      await consumer.stop();
    }
    expect(keys).toEqual(['a', 'b', 'c']);
  });

  it('readTopicToEnd returns what the committed transactions wrote, without waiting out its idle limit', async () => {
    const read: KafkaMessage[] = [];
    await readTopicToEnd(kafka, topic, (message) => void read.push(message), { groupId: uniqueName('read-to-end-reader'), logger, idleMs: 300_000 });
    expect(read.map((m) => m.key?.toString())).toEqual(['a', 'b', 'c']);
  });

  it('readTopicToEnd with `from` reads only the partitions given, each from its offset, and says where each got to', async () => {
    const spread = uniqueName('read-from');
    await createTopic(kafka, { topic: spread, numPartitions: 3 });
    const plain = createProducer(kafka);
    await plain.connect();
    // Partition p holds p0, p1, p2, p3 (offsets 0 to 3).
    for (const partition of [0, 1, 2]) {
      await plain.send({ topic: spread, messages: [0, 1, 2, 3].map((n) => ({ key: `p${partition}-${n}`, value: '{}', partition })) });
    }
    await plain.disconnect();
    const read: string[] = [];
    const positions = await readTopicToEnd(kafka, spread, (message, partition) => void read.push(`${partition}:${message.key}`), {
      groupId: uniqueName('read-from-reader'),
      logger,
      idleMs: 300_000,
      // Partition 0 from its start, partition 2 from offset 2, partition 1 not at all; partition 2 again from its end reads nothing.
      from: new Map([
        [0, 0n],
        [2, 2n],
      ]),
    });
    expect(read.sort()).toEqual(['0:p0-0', '0:p0-1', '0:p0-2', '0:p0-3', '2:p2-2', '2:p2-3']);
    expect(positions).toEqual(
      new Map([
        [0, 4n],
        [2, 4n],
      ]),
    );
    const again: string[] = [];
    const unchanged = await readTopicToEnd(kafka, spread, (message) => void again.push(String(message.key)), {
      groupId: uniqueName('read-from-reader'),
      logger,
      from: new Map([[2, 4n]]),
    });
    expect({ again, unchanged }).toEqual({ again: [], unchanged: new Map([[2, 4n]]) });
    await expect(readTopicToEnd(kafka, spread, () => undefined, { groupId: uniqueName('read-from-reader'), logger, from: new Map([[5, 0n]]) })).rejects.toThrow(
      /has no partition 5/,
    );
  });
});
