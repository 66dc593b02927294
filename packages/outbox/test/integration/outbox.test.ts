import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { createLogger } from '@eventline/observability';
import { createProducer, ensureTopics, newEnvelope, parseHeaders } from '@eventline/kafka';
import { createDatabase, eventually, localKafka, startTsProcess, uniqueName, urls } from '@eventline/testkit';
import { withTransaction } from '@eventline/postgres';
import { createOutboxSchema, enqueue, OutboxRelay, type OutboxEvent } from '../../src';
import { counted, counterCodec } from '../fixtures/counter-catalog';

const logger = createLogger('outbox-test', 'silent');

describe('transactional outbox', () => {
  let kafka: Kafka;
  let pool: Pool;
  let databaseUrl: string;

  beforeAll(async () => {
    kafka = localKafka('outbox-test');
  });

  beforeEach(async () => {
    databaseUrl = await createDatabase('outbox');
    pool = new Pool({ connectionString: databaseUrl });
    await createOutboxSchema(pool);
    await pool.query('CREATE TABLE counter (key text PRIMARY KEY, seq int NOT NULL)');
  });
  afterEach(() => pool.end());

  async function newTopic(): Promise<string> {
    const topic = uniqueName('outbox');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, partitions: 3, compacted: false }]);
    await admin.disconnect();
    return topic;
  }

  /** The application's write: bump a counter row and record the event, in one transaction. */
  async function bump(topic: string, key: string, validate?: ReturnType<typeof counterCodec>['validate'], payloadOverride?: Record<string, unknown>): Promise<number> {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      const { rows } = await tx.query<{ seq: number }>('INSERT INTO counter VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET seq = counter.seq + 1 RETURNING seq', [key]);
      const seq = rows[0]!.seq;
      const event: OutboxEvent = { topic, key, recordName: counted, payload: payloadOverride ?? { key, seq }, envelope: newEnvelope('Counted', 'outbox-test') };
      await enqueue(tx, [event], validate);
      await tx.query('COMMIT');
      return seq;
    } catch (error) {
      await tx.query('ROLLBACK');
      throw error;
    } finally {
      tx.release();
    }
  }

  async function readTopic(topic: string, atLeast: number): Promise<KafkaMessage[]> {
    const reader = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 250 });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const seen: KafkaMessage[] = [];
    await reader.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await eventually(
      async () => seen.length,
      (n) => n >= atLeast,
      { what: `${atLeast} records on ${topic}`, timeoutMs: 60_000 },
    );
    await reader.disconnect();
    return seen;
  }

  /** Sequence numbers per key, in the order Kafka delivered them, with redeliveries (same event id) dropped. */
  async function sequencesByKey(messages: KafkaMessage[], topic: string): Promise<Map<string, number[]>> {
    const { codec } = counterCodec(topic, urls.registry);
    const seen = new Set<string>();
    const byKey = new Map<string, number[]>();
    for (const message of messages) {
      const { eventId } = parseHeaders(message.headers);
      if (seen.has(eventId)) continue;
      seen.add(eventId);
      const { value } = await codec.decode(message.value as Buffer);
      const { key, seq } = value as { key: string; seq: number };
      byKey.set(key, [...(byKey.get(key) ?? []), seq]);
    }
    return byKey;
  }

  const inOrder = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

  it('refuses an event that does not match its schema, naming the field, and writes nothing', async () => {
    const topic = await newTopic();
    const { validate } = counterCodec(topic, urls.registry);
    await expect(bump(topic, 'k', validate, { key: 'k', seq: 'one' })).rejects.toThrow(/seq/);
    expect((await pool.query('SELECT count(*)::int AS n FROM counter')).rows[0].n).toBe(0);
    expect((await pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n).toBe(0);
  });

  it('publishes committed events with their envelope, in order per key, and marks them sent', async () => {
    const topic = await newTopic();
    const { codec, validate } = counterCodec(topic, urls.registry);
    for (let i = 0; i < 30; i++) await bump(topic, `key-${i % 3}`, validate);
    const producer = createProducer(kafka);
    await producer.connect();
    const relay = new OutboxRelay({ pool, producer, encoder: codec, logger });
    await relay.start();
    const messages = await readTopic(topic, 30);
    await relay.stop();
    await producer.disconnect();

    expect(messages).toHaveLength(30);
    const envelope = parseHeaders(messages[0]!.headers);
    expect(envelope).toMatchObject({ eventType: 'Counted', source: 'outbox-test', schemaId: await codec.schemaId(topic, counted) });
    const byKey = await sequencesByKey(messages, topic);
    for (const key of ['key-0', 'key-1', 'key-2']) expect(byKey.get(key)).toEqual(inOrder(10));
    await eventually(
      async () => (await pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0].n,
      (n) => n === 0,
    );
  });

  it('a commit that queued rows wakes the relay of its own process; a rolled-back one publishes nothing', async () => {
    const topic = await newTopic();
    const { codec, validate } = counterCodec(topic, urls.registry);
    const producer = createProducer(kafka);
    await producer.connect();
    // It polls once an hour: within this test only a commit's wake-up makes it publish.
    const relay = new OutboxRelay({ pool, producer, encoder: codec, logger, pollIntervalMs: 3_600_000 });
    await relay.start();
    const countedEvent = (seq: number): OutboxEvent => ({
      topic,
      key: 'woken',
      recordName: counted,
      payload: { key: 'woken', seq },
      envelope: newEnvelope('Counted', 'outbox-test'),
    });
    try {
      await withTransaction(pool, (tx) => enqueue(tx, [countedEvent(1)], validate));
      // Published by the first round or by the wake-up; the relay is past its first round after it.
      expect((await sequencesByKey(await readTopic(topic, 1), topic)).get('woken')).toEqual([1]);
      await expect(
        withTransaction(pool, async (tx) => {
          await enqueue(tx, [countedEvent(2)], validate);
          throw new Error('the write fails after the enqueue');
        }),
      ).rejects.toThrow('the write fails after the enqueue');
      await withTransaction(pool, (tx) => enqueue(tx, [countedEvent(3)], validate));
      expect((await sequencesByKey(await readTopic(topic, 2), topic)).get('woken')).toEqual([1, 3]);
    } finally {
      await relay.stop();
      await producer.disconnect();
    }
  });

  it('publishes a tombstone as a null value', async () => {
    const topic = await newTopic();
    const { codec } = counterCodec(topic, urls.registry);
    const tx = await pool.connect();
    await tx.query('BEGIN');
    await enqueue(tx, [{ topic, key: 'gone', recordName: null, payload: null, envelope: newEnvelope('CounterDeleted', 'outbox-test') }]);
    await tx.query('COMMIT');
    tx.release();
    const producer = createProducer(kafka);
    await producer.connect();
    const relay = new OutboxRelay({ pool, producer, encoder: codec, logger });
    await relay.start();
    const [tombstone] = await readTopic(topic, 1);
    await relay.stop();
    await producer.disconnect();
    expect(tombstone!.key?.toString()).toBe('gone');
    expect(tombstone!.value).toBeNull();
    expect(parseHeaders(tombstone!.headers)).toMatchObject({ eventType: 'CounterDeleted', schemaId: undefined });
  });

  it('two relays at once, each with two rounds in flight, publish every event exactly once, in order per key', async () => {
    const topic = await newTopic();
    const { codec, validate } = counterCodec(topic, urls.registry);
    const env = { DATABASE_URL: databaseUrl, KAFKA_BROKERS: urls.kafka, TOPIC: topic, SCHEMA_REGISTRY_URL: urls.registry, BATCH_SIZE: '20', CONCURRENCY: '2' };
    const fixture = join(__dirname, '..', 'fixtures', 'relay-process.ts');
    const relays = [startTsProcess(fixture, env), startTsProcess(fixture, env)];
    await Promise.all(relays.map((r) => r.waitForLine(/relaying/)));
    await codec.schemaId(topic, counted);
    // Writes keep coming while both relays run.
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await Promise.all(
      keys.map(async (key) => {
        for (let i = 0; i < 25; i++) await bump(topic, key, validate);
      }),
    );
    const messages = await readTopic(topic, 500);
    expect(await Promise.all(relays.map((r) => r.kill('SIGTERM')))).toEqual([0, 0]);

    expect(messages).toHaveLength(500);
    expect(new Set(messages.map((m) => parseHeaders(m.headers).eventId)).size).toBe(500);
    const byKey = await sequencesByKey(messages, topic);
    for (const key of keys) expect(byKey.get(key)).toEqual(inOrder(25));
  });

  it('loses nothing when the relay is killed between publish and mark: the batch is published again', async () => {
    const topic = await newTopic();
    const { validate } = counterCodec(topic, urls.registry);
    for (let i = 0; i < 100; i++) await bump(topic, `key-${i % 4}`, validate);
    const env = { DATABASE_URL: databaseUrl, KAFKA_BROKERS: urls.kafka, TOPIC: topic, SCHEMA_REGISTRY_URL: urls.registry, BATCH_SIZE: '40' };
    const fixture = join(__dirname, '..', 'fixtures', 'relay-process.ts');

    const crashing = startTsProcess(fixture, { ...env, EVENTLINE_FAILPOINTS: 'outbox.after-publish' });
    expect(await crashing.exited).toBe('SIGKILL');
    // Published to Kafka, yet still unsent in PostgreSQL: the window the outbox must survive.
    expect((await pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0].n).toBe(100);

    const restarted = startTsProcess(fixture, env);
    await restarted.waitForLine(/relaying/);
    for (let i = 0; i < 20; i++) await bump(topic, `key-${i % 4}`, validate);
    const messages = await readTopic(topic, 160);
    await eventually(
      async () => (await pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0].n,
      (n) => n === 0,
    );
    expect(await restarted.kill('SIGTERM')).toBe(0);

    const ids = messages.map((m) => parseHeaders(m.headers).eventId);
    expect(new Set(ids).size).toBe(120);
    expect(ids.length).toBe(160);
    const byKey = await sequencesByKey(messages, topic);
    for (let k = 0; k < 4; k++) expect(byKey.get(`key-${k}`)).toEqual(inOrder(30));
  });
});
