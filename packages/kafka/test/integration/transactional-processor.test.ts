import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { eventually, localKafka, uniqueName } from '@eventline/testkit';
import {
  buildHeaders,
  createProducer,
  newEnvelope,
  deadLetterTopic,
  ensureTopics,
  readTopicToEnd,
  TransactionalProcessor,
  TransientError,
  withAdmin,
  type ConsumedEvent,
  type ProcessedChunk,
} from '../../src';
import { decodeJson } from '../fixtures/json-decoder';

const logger = createLogger('transactional-processor-test', 'silent');

interface Numbered {
  n: number;
  poison?: boolean;
}

describe('TransactionalProcessor', () => {
  let kafka: Kafka;
  let producer: Producer;
  const running: TransactionalProcessor[] = [];

  beforeAll(async () => {
    kafka = localKafka('transactional-processor-test');
    producer = createProducer(kafka);
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });
  afterAll(() => producer.disconnect());

  /** An input topic (with its .dlq) and an output topic, one partition each, and `values` on the input. */
  async function topicsWith(values: Numbered[]): Promise<{ input: string; output: string }> {
    const input = uniqueName('processor-in');
    const output = uniqueName('processor-out');
    await withAdmin(
      kafka,
      'creating topics',
      (admin) =>
        ensureTopics(admin, [
          { name: input, partitions: 1, compacted: false },
          { name: output, partitions: 1, compacted: false },
        ]),
      { logger },
    );
    await producer.send({
      topic: input,
      acks: -1,
      messages: values.map((v) => ({ key: `k${v.n}`, value: JSON.stringify(v), headers: buildHeaders(newEnvelope('Numbered', 'processor-test')) })),
    });
    return { input, output };
  }

  /** Echoes each event to `output`; `fails` decides whether a chunk fails, and how. */
  function echo(input: string, output: string, fails: (events: ConsumedEvent[]) => Error | undefined): { groupId: string } {
    const groupId = uniqueName('processor');
    const processor = new TransactionalProcessor({
      kafka,
      groupId,
      topics: [input],
      decode: decodeJson,
      logger,
      maxAttempts: 2,
      maxRecordsPerTransaction: 100,
      restore: async () => undefined,
      process: async (events): Promise<ProcessedChunk> => {
        const failure = fails(events);
        if (failure) throw failure;
        return { outputs: [{ topic: output, messages: events.map((e) => ({ key: e.key, value: JSON.stringify(e.value) })) }], commit: () => undefined };
      },
    });
    running.push(processor);
    void processor.start();
    return { groupId };
  }

  async function committedOffset(groupId: string, topic: string): Promise<number> {
    const [partitions] = await withAdmin(kafka, 'reading offsets', (admin) => admin.fetchOffsets({ groupId, topics: [topic] }), { logger });
    return Number(partitions?.partitions[0]?.offset ?? -1);
  }

  async function readAll(topic: string): Promise<KafkaMessage[]> {
    const seen: KafkaMessage[] = [];
    await readTopicToEnd(kafka, topic, (message) => void seen.push(message), { groupId: uniqueName('reader'), logger, idleMs: 3_000 });
    return seen;
  }

  const numbers = (messages: KafkaMessage[]) => messages.map((m) => (JSON.parse(m.value!.toString()) as Numbered).n);

  it('dead-letters the one record that fails for good and writes every other one exactly once, in order', async () => {
    const values = Array.from({ length: 12 }, (_, n) => (n === 5 ? { n, poison: true } : { n }));
    const { input, output } = await topicsWith(values);
    const { groupId } = echo(input, output, (events) => (events.some((e) => (e.value as Numbered).poison) ? new Error('cannot fold a poisoned number') : undefined));

    await eventually(
      () => committedOffset(groupId, input),
      (offset) => offset === 12,
      { what: 'the group committed past all 12 records', timeoutMs: 60_000 },
    );
    expect(numbers(await readAll(output))).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    const dead = await readAll(deadLetterTopic(input));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers?.['dlq-source-offset']?.toString()).toBe('5');
    expect(dead[0]!.headers?.['dlq-error']?.toString()).toBe('cannot fold a poisoned number');
    expect(dead[0]!.headers?.['dlq-attempts']?.toString()).toBe('2');
  });

  it('retries a transient failure for as long as it lasts, past maxAttempts, and dead-letters nothing', async () => {
    const values = Array.from({ length: 6 }, (_, n) => ({ n }));
    const { input, output } = await topicsWith(values);
    let failures = 0;
    const { groupId } = echo(input, output, () => (failures++ < 5 ? new TransientError('the store is restarting') : undefined));

    await eventually(
      () => committedOffset(groupId, input),
      (offset) => offset === 6,
      { what: 'the group committed past all 6 records', timeoutMs: 60_000 },
    );
    expect(failures).toBeGreaterThan(5);
    expect(numbers(await readAll(output))).toEqual([0, 1, 2, 3, 4, 5]);
    const [dlqEnd] = await withAdmin(kafka, 'reading the .dlq end', (admin) => admin.fetchTopicOffsets(deadLetterTopic(input)), { logger });
    expect(dlqEnd!.high).toBe('0');
  });

  it('restores its state after a transaction whose commit went through while its answer was lost, folding nothing twice or never', async () => {
    const values = Array.from({ length: 30 }, (_, n) => ({ n: n + 1 }));
    const { input, output } = await topicsWith(values);
    // A running sum whose changelog is the output topic: each transaction writes the sum after its chunk.
    let sum = 0;
    const processor = new TransactionalProcessor({
      kafka,
      groupId: uniqueName('processor'),
      topics: [input],
      decode: decodeJson,
      logger,
      maxRecordsPerTransaction: 5,
      restore: async () => {
        const written = await readAll(output);
        sum = written.length === 0 ? 0 : (JSON.parse(written[written.length - 1]!.value!.toString()) as { sum: number }).sum;
      },
      process: async (events): Promise<ProcessedChunk> => {
        const staged = sum + events.reduce((total, e) => total + (e.value as Numbered).n, 0);
        return { outputs: [{ topic: output, messages: [{ key: 'sum', value: JSON.stringify({ sum: staged }) }] }], commit: () => void (sum = staged) };
      },
    });
    // The second transaction commits, then the processor is told it failed.
    process.env.EVENTLINE_ERRORPOINTS = 'processor.after-commit@2';
    try {
      running.push(processor);
      void processor.start();
      const expected = values.reduce((total, v) => total + v.n, 0);
      const sums = await eventually(
        async () => (await readAll(output)).map((m) => (JSON.parse(m.value!.toString()) as { sum: number }).sum),
        (written) => written.length > 0 && written[written.length - 1]! >= expected,
        { what: 'the sum of all 30 records written', timeoutMs: 60_000 },
      );
      expect(sums[sums.length - 1]).toBe(expected);
      // Every sum written is one a prefix of the records gives: none folded on a state missing a chunk.
      const prefixSums = new Set(values.map((_, i) => values.slice(0, i + 1).reduce((total, v) => total + v.n, 0)));
      expect(sums.filter((written) => !prefixSums.has(written))).toEqual([]);
    } finally {
      delete process.env.EVENTLINE_ERRORPOINTS;
    }
  });
});
