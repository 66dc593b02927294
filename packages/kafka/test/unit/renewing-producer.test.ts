import { EventEmitter } from 'node:events';
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { ProducerHungError, RenewingProducer } from '../../src/renewing-producer';
import { isRetriableKafkaError } from '../../src/retry';

/** A stand-in for a kafkajs producer whose sends answer as the test says. */
class ScriptedProducer {
  readonly events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };
  readonly sent: ProducerRecord[] = [];
  disconnectCalls = 0;
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly answer: () => Error | 'hang' | undefined,
    private readonly disconnectNever = false,
    private readonly connectNever = false,
  ) {}

  on(event: string, listener: () => void): void {
    this.emitter.on(event, listener);
  }

  connect(): Promise<void> {
    if (this.connectNever) return new Promise(() => {});
    this.emitter.emit(this.events.CONNECT);
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.disconnectCalls += 1;
    if (this.disconnectNever) return new Promise(() => {});
    this.emitter.emit(this.events.DISCONNECT);
    return Promise.resolve();
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const error = this.answer();
    if (error === 'hang') return new Promise(() => {});
    if (error) throw error;
    this.sent.push(record);
    return [];
  }

  async sendBatch(): Promise<RecordMetadata[]> {
    return this.send({ topic: 'batch', messages: [] });
  }
}

function connectionError(): Error {
  const error = new Error('Connection error: connect EHOSTUNREACH 10.244.0.17:9092');
  error.name = 'KafkaJSConnectionError';
  return error;
}

const logger = createLogger('renewing-producer-test', 'silent');
const record = (n: number): ProducerRecord => ({ topic: 'users', messages: [{ value: String(n) }] });

function harness(options: { firstFails: () => Error | 'hang' | undefined; disconnectNever?: boolean; connectNever?: boolean; hungAfterMs?: number }) {
  const made: ScriptedProducer[] = [];
  const producer = new RenewingProducer({
    hungAfterMs: options.hungAfterMs,
    create: () => {
      const first = made.length === 0;
      const next = new ScriptedProducer(first ? options.firstFails : () => undefined, first && options.disconnectNever, first && options.connectNever);
      made.push(next);
      return next as unknown as Producer;
    },
    logger,
    abandonAfterMs: 10,
  });
  return { producer, made };
}

describe('RenewingProducer', () => {
  it('sends one at a time: a send starts only once the one before it has settled, failed or not', async () => {
    /** Each send waits until the test settles it. */
    class HeldProducer extends ScriptedProducer {
      readonly started: string[] = [];
      readonly settle: ((error?: Error) => void)[] = [];
      override send(sent: ProducerRecord): Promise<RecordMetadata[]> {
        this.started.push(String(sent.messages[0]?.value));
        return new Promise((resolve, reject) => this.settle.push((error) => (error ? reject(error) : resolve([]))));
      }
    }
    const held = new HeldProducer(() => undefined);
    const producer = new RenewingProducer({ create: () => held as unknown as Producer, logger });
    await producer.connect();
    const first = producer.send(record(1));
    const second = producer.send(record(2));
    const third = producer.send(record(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.started).toEqual(['1']);
    held.settle[0]!(connectionError());
    await expect(first).rejects.toThrow(/EHOSTUNREACH/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.started).toEqual(['1', '2']);
    held.settle[1]!();
    await second;
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.started).toEqual(['1', '2', '3']);
    held.settle[2]!();
    await third;
  });

  it('replaces the producer after a failed send, whatever failed it: the next send goes through a new one (a new producer id)', async () => {
    const { producer, made } = harness({ firstFails: connectionError, disconnectNever: true });
    await producer.connect();
    await expect(producer.send(record(1))).rejects.toThrow(/EHOSTUNREACH/);
    expect(producer.renewals).toBe(1);

    await producer.send(record(2));
    expect(made).toHaveLength(2);
    expect(made[0]!.sent).toEqual([]);
    expect(made[1]!.sent).toEqual([record(2)]);
    // The failed one was asked to disconnect; that it never answers holds nothing up.
    expect(made[0]!.disconnectCalls).toBe(1);
    expect(producer.isConnected()).toBe(true);
  });

  it('keeps its producer while sends go through', async () => {
    const { producer, made } = harness({ firstFails: () => undefined });
    await producer.connect();
    for (let n = 1; n <= 3; n += 1) await producer.sendBatch({ topicMessages: [] });
    expect(producer.renewals).toBe(0);
    expect(made).toHaveLength(1);
    expect(made[0]!.sent).toHaveLength(3);
  });

  it('refuses a send still pending after hungAfterMs and replaces its producer at once; the retry goes through the new one', async () => {
    const { producer, made } = harness({ firstFails: () => 'hang', disconnectNever: true, hungAfterMs: 50 });
    await producer.connect();
    await expect(producer.send(record(1))).rejects.toThrow(ProducerHungError);
    expect(producer.renewals).toBe(1);
    await producer.send(record(2));
    expect(made[1]!.sent).toEqual([record(2)]);
  });

  it('refuses a send whose connect never ends, as hung, and connects a new producer for the retry', async () => {
    const { producer, made } = harness({ firstFails: () => undefined, connectNever: true, hungAfterMs: 50 });
    await expect(producer.sendBatch({ topicMessages: [] })).rejects.toThrow(ProducerHungError);
    expect(producer.renewals).toBe(1);
    await producer.sendBatch({ topicMessages: [] });
    expect(made).toHaveLength(2);
    expect(made[1]!.sent).toHaveLength(1);
  });

  it("refuses a connect that never ends, as hung, and the next connect is a new producer's", async () => {
    const { producer, made } = harness({ firstFails: () => undefined, connectNever: true, hungAfterMs: 50 });
    const hung = await producer.connect().catch((error: unknown) => error);
    expect(hung).toBeInstanceOf(ProducerHungError);
    // Retried as a broker's transient answer is (start-up's retryKafka, consumers' backoff).
    expect(isRetriableKafkaError(hung)).toBe(true);
    expect(producer.renewals).toBe(1);
    await producer.connect();
    expect(producer.isConnected()).toBe(true);
    expect(made).toHaveLength(2);
  });
});
