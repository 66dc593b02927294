import { join } from 'node:path';
import { KafkaJSNonRetriableError, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { createLogger } from '@eventline/observability';
import { createDatabase, eventually, localKafka, startTsProcess, uniqueName, urls } from '@eventline/testkit';
import { buildHeaders, createProducer, ensureTopics, EventConsumer, newEnvelope, TransientError, type ConsumedEvent, type EventHandler } from '../../src';
import { decodeJson } from '../fixtures/json-decoder';

const logger = createLogger('consumer-test', 'silent');

describe('EventConsumer', () => {
  let kafka: Kafka;
  let producer: Producer;
  const running: EventConsumer[] = [];

  beforeAll(async () => {
    kafka = localKafka('consumer-test');
    producer = createProducer(kafka);
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });
  afterAll(() => producer.disconnect());

  async function newTopic(): Promise<string> {
    const topic = uniqueName('consumer');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, partitions: 1, compacted: false }]);
    await admin.disconnect();
    return topic;
  }

  const event = (key: string, value: unknown) => ({
    key,
    value: typeof value === 'string' ? value : JSON.stringify(value),
    headers: buildHeaders(newEnvelope('Test', 'consumer-test')),
  });

  function consume(topic: string, handler: EventHandler, retry = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 }): EventConsumer {
    const consumer = new EventConsumer({ kafka, groupId: uniqueName('group'), topics: [topic], decode: decodeJson, handler, producer, logger, retry });
    running.push(consumer);
    void consumer.start();
    return consumer;
  }

  async function readDeadLetters(topic: string, count: number): Promise<KafkaMessage[]> {
    const reader = kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 250 });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    const seen: KafkaMessage[] = [];
    await reader.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await eventually(
      async () => seen.length,
      (n) => n >= count,
      { what: `${count} dead letters` },
    );
    await reader.disconnect();
    return seen;
  }

  const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

  it('with a batch handler: takes runs of records in one call, and a run holding a poison record record by record', async () => {
    const topic = await newTopic();
    const batches: string[][] = [];
    const oneByOne: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: uniqueName('group'),
      topics: [topic],
      decode: decodeJson,
      producer,
      logger,
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      maxBatchSize: 50,
      handler: async (e) => void oneByOne.push(e.key),
      batchHandler: async (events) => void batches.push(events.map((e) => e.key)),
    });
    running.push(consumer);
    await producer.send({ topic, messages: Array.from({ length: 120 }, (_, i) => event(`k${i}`, { i })) });
    void consumer.start();
    await eventually(
      async () => batches.flat().length,
      (n) => n === 120,
      { what: '120 records in batches' },
    );
    expect(batches.flat()).toEqual(Array.from({ length: 120 }, (_, i) => `k${i}`));
    expect(batches.every((b) => b.length <= 50)).toBe(true);
    expect(batches.length).toBeLessThan(10);

    await producer.send({ topic, messages: [event('p1', { ok: true }), event('poison', '\u0000not json'), event('p2', { ok: true })] });
    await eventually(
      async () => oneByOne,
      (keys) => keys.includes('p2'),
      { what: 'the run with a poison record handled one by one' },
    );
    expect(oneByOne).toEqual(['p1', 'p2']);
    expect((await readDeadLetters(topic, 1))[0]!.key?.toString()).toBe('poison');
  });

  it('dead-letters an undecodable record with the error and its origin, and moves on', async () => {
    const topic = await newTopic();
    const handled: ConsumedEvent[] = [];
    const consumer = consume(topic, async (e) => void handled.push(e));
    await producer.send({ topic, messages: [event('a', '\u0000not json'), event('b', { amount: 1 })] });
    await eventually(
      async () => handled.length,
      (n) => n === 1,
      { what: 'the good record handled' },
    );
    expect(handled[0]).toMatchObject({ key: 'b', value: { amount: 1 } });
    expect(consumer.isReady()).toBe(true);

    const [dead] = await readDeadLetters(topic, 1);
    expect(dead!.key?.toString()).toBe('a');
    expect(dead!.value?.toString()).toBe('\u0000not json');
    expect(header(dead!, 'dlq-error-type')).toBe('PoisonRecordError');
    expect(header(dead!, 'dlq-error')).toMatch(/^value is not JSON/);
    expect(header(dead!, 'dlq-source-topic')).toBe(topic);
    expect(header(dead!, 'dlq-source-partition')).toBe('0');
    expect(header(dead!, 'dlq-source-offset')).toBe('0');
    expect(header(dead!, 'event-type')).toBe('Test');
  });

  it('dead-letters a record without the envelope headers', async () => {
    const topic = await newTopic();
    const handled: ConsumedEvent[] = [];
    consume(topic, async (e) => void handled.push(e));
    await producer.send({ topic, messages: [{ key: 'x', value: '{}' }, event('y', { amount: 2 })] });
    await eventually(
      async () => handled.length,
      (n) => n === 1,
      { what: 'the good record handled' },
    );
    const [dead] = await readDeadLetters(topic, 1);
    expect(header(dead!, 'dlq-error')).toMatch(/^record headers lack event-id/);
  });

  it('retries a failing record, then dead-letters it after the last attempt', async () => {
    const topic = await newTopic();
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    consume(topic, async (e) => {
      attempts.set(e.key, (attempts.get(e.key) ?? 0) + 1);
      if (e.key === 'bad') throw new Error('business rule broken');
      handled.push(e.key);
    });
    await producer.send({ topic, messages: [event('bad', { amount: 1 }), event('good', { amount: 1 })] });
    await eventually(
      async () => handled,
      (h) => h.includes('good'),
      { what: 'the record after the bad one handled' },
    );
    expect(attempts.get('bad')).toBe(3);
    const [dead] = await readDeadLetters(topic, 1);
    expect(header(dead!, 'dlq-attempts')).toBe('3');
    expect(header(dead!, 'dlq-error')).toBe('business rule broken');
  });

  it('keeps retrying a transient fault past the attempt limit instead of dead-lettering', async () => {
    const topic = await newTopic();
    let calls = 0;
    const handled: string[] = [];
    consume(topic, async (e) => {
      calls++;
      if (calls <= 6) throw new TransientError('database restarting');
      handled.push(e.key);
    });
    await producer.send({ topic, messages: [event('k', { amount: 1 })] });
    await eventually(
      async () => handled,
      (h) => h.length === 1,
      { what: 'handled once the fault clears' },
    );
    expect(calls).toBe(7);
  });

  it('starts itself again after a crash kafkajs does not restart from (a dead letter refused), and loses no record', async () => {
    const topic = await newTopic();
    let refusals = 0;
    // The broker refusing the dead letter once with an error kafkajs does not retry (as it reports an
    // ACL the broker has not applied yet): kafkajs stops the consumer for good.
    const refusingOnce = new Proxy(producer, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (record: Parameters<Producer['send']>[0]) => {
          if (refusals++ === 0) throw new KafkaJSNonRetriableError('dead letter refused');
          return target.send(record);
        };
      },
    });
    const handled: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: uniqueName('group'),
      topics: [topic],
      decode: decodeJson,
      producer: refusingOnce,
      logger,
      retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
      handler: async (e) => {
        if (e.key === 'bad') throw new Error('business rule broken');
        handled.push(e.key);
      },
    });
    running.push(consumer);
    await producer.send({ topic, messages: [event('bad', { amount: 1 }), event('good', { amount: 1 })] });
    void consumer.start();
    await eventually(
      async () => handled,
      (h) => h.includes('good'),
      { what: 'the record after the refused dead letter handled', timeoutMs: 60_000 },
    );
    expect(refusals).toBe(2);
    expect(handled).toEqual(['good']);
    expect(consumer.isAlive()).toBe(true);
    expect((await readDeadLetters(topic, 1)).map((m) => m.key?.toString())).toEqual(['bad']);
  });

  const projector = join(__dirname, '..', 'fixtures', 'projector-process.ts');
  const count = async (pool: Pool, table: 'deliveries' | 'inbox'): Promise<number> => (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

  /** 50 events over 5 accounts, a projector SIGKILLed at its first commit, then the pool on its database. */
  async function crashAtFirstCommit(name: string, extraEnv: Record<string, string>): Promise<{ pool: Pool; env: Record<string, string> }> {
    const topic = await newTopic();
    const databaseUrl = await createDatabase(name);
    const env = { DATABASE_URL: databaseUrl, KAFKA_BROKERS: urls.kafka, TOPIC: topic, GROUP_ID: uniqueName('projector'), ...extraEnv };
    await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => event(`acct-${i % 5}`, { amount: i })) });
    const crashing = startTsProcess(projector, { ...env, EVENTLINE_FAILPOINTS: 'consumer.before-commit' });
    expect(await crashing.exited).toBe('SIGKILL');
    return { pool: new Pool({ connectionString: databaseUrl }), env };
  }

  /** Restarts the projector and waits for the exact totals of all 50 events, then stops it cleanly. */
  async function restartUntilAllApplied(pool: Pool, env: Record<string, string>): Promise<void> {
    const restarted = startTsProcess(projector, env);
    await restarted.waitForLine(/consuming/);
    const totals = async () => (await pool.query('SELECT key, amount FROM totals ORDER BY key')).rows;
    const expected = Array.from({ length: 5 }, (_, k) => ({
      key: `acct-${k}`,
      amount: Array.from({ length: 50 }, (_, i) => i)
        .filter((i) => i % 5 === k)
        .reduce((a, b) => a + b, 0),
    }));
    await eventually(totals, (rows) => JSON.stringify(rows) === JSON.stringify(expected), { what: 'totals of all 50 events', timeoutMs: 60_000 });
    expect(await restarted.kill('SIGTERM')).toBe(0);
  }

  it('redelivers after a crash before the offset commit, and the inbox applies each effect once', async () => {
    const { pool, env } = await crashAtFirstCommit('consumer_crash', {});
    try {
      // The crash came after the first effect was committed and before its offset was.
      expect(await count(pool, 'deliveries')).toBe(1);
      await restartUntilAllApplied(pool, env);
      expect(await count(pool, 'deliveries')).toBe(51);
      expect(await count(pool, 'inbox')).toBe(50);
    } finally {
      await pool.end();
    }
  });

  it('with a batch handler and handleBatchOnce: a crash before the batch commit redelivers the batch, and no effect is doubled', async () => {
    const { pool, env } = await crashAtFirstCommit('consumer_batch_crash', { BATCH: '1', MAX_BATCH: '20' });
    try {
      // The first batch's effects committed with its inbox rows; its offsets did not.
      const firstBatch = await count(pool, 'deliveries');
      expect(firstBatch).toBeGreaterThan(0);
      expect(firstBatch).toBeLessThanOrEqual(20);
      expect(await count(pool, 'inbox')).toBe(firstBatch);
      await restartUntilAllApplied(pool, env);
      // The batch was delivered twice, applied once; everything after it once.
      expect(await count(pool, 'deliveries')).toBe(firstBatch + 50);
      expect(await count(pool, 'inbox')).toBe(50);
    } finally {
      await pool.end();
    }
  });
});
