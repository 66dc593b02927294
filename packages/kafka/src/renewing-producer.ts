import type { ICustomPartitioner, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { errorChain } from './error-chain';
import { letGo } from './let-go';
import { PartitionTracker } from './partition-tracker';

/** What publishers need of a producer: the two ways kafkajs sends records. */
export interface RecordSender {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

export interface RenewingProducerOptions {
  /**
   * Makes a fresh kafkajs producer (with its own connections and broker pool) whose partitioner is
   * `createPartitioner`: it notes where each record goes, for the check that every send wrote all of
   * them (PartitionTracker).
   */
  create: (createPartitioner: ICustomPartitioner) => Producer;
  logger: Logger;
  /** A producer whose every send has failed for this long is replaced. */
  renewAfterMs?: number;
  /** Consecutive lock timeouts on a broker connection after which the producer is replaced at once. */
  renewAfterLockTimeouts?: number;
  /** How long the replaced producer is given to disconnect before it is abandoned. */
  abandonAfterMs?: number;
  /**
   * How long a send (with the connect before it) may take before it counts as hung: it is then
   * refused with ProducerHungError and the producer replaced at once. Default 60 s, above kafkajs'
   * own request timeout (30 s) and its retries of a failed request.
   */
  hungAfterMs?: number;
  now?: () => number;
}

export const DEFAULT_RENEW_AFTER_MS = 30_000;
export const DEFAULT_HUNG_AFTER_MS = 60_000;

/**
 * A send that neither succeeded nor failed in time. kafkajs 2.2.4 has been seen (after SCRAM
 * authentication failures while a broker came back) to leave a producer's connect pending for good,
 * logging nothing: a caller holding locks for the send (the outbox relay's claimed partitions) would
 * hold them for ever.
 */
export class ProducerHungError extends Error {
  override name = 'ProducerHungError';
  /** Transient: the producer is replaced, and a retry goes through the new one. */
  readonly retriable = true;
}

/**
 * A producer that replaces its kafkajs producer when that one has wedged. kafkajs 2.2.4 can lose a
 * broker connection's lock for good when the broker comes back at a new address (a deleted pod
 * rescheduled): every later send then fails with `KafkaJSLockTimeout … "connect to broker …"`, for the
 * life of the producer, while a new producer connects at once. Each send either goes through or
 * throws, as kafkajs' does — within `hungAfterMs`: a send still pending then is refused and its
 * producer replaced; callers keep their own retry (the outbox rows stay until a send succeeds), so a
 * replacement loses nothing.
 */
export class RenewingProducer implements RecordSender {
  private producer: Producer;
  /** The current producer's: its sends run one at a time (attempt), as a tracker needs. */
  private tracker = new PartitionTracker();
  private connected = false;
  private connecting: Promise<void> | undefined;
  private failingSince: number | undefined;
  private lockTimeouts = 0;
  private stopped = false;
  private renewalCount = 0;
  private readonly renewAfterMs: number;
  private readonly renewAfterLockTimeouts: number;
  private readonly abandonAfterMs: number;
  private readonly hungAfterMs: number;
  private readonly now: () => number;
  /** The send in flight (settled or not): the next one starts after it. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RenewingProducerOptions) {
    this.renewAfterMs = options.renewAfterMs ?? DEFAULT_RENEW_AFTER_MS;
    this.renewAfterLockTimeouts = options.renewAfterLockTimeouts ?? 2;
    this.abandonAfterMs = options.abandonAfterMs ?? 5_000;
    this.hungAfterMs = options.hungAfterMs ?? DEFAULT_HUNG_AFTER_MS;
    this.now = options.now ?? Date.now;
    this.producer = this.make();
  }

  /** How many times the producer was replaced. */
  get renewals(): number {
    return this.renewalCount;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Connects the current producer; one still connecting after `hungAfterMs` is replaced and the call refused (retry it). */
  async connect(): Promise<void> {
    const producer = this.producer;
    try {
      await this.withinHungLimit(this.connectCurrent());
    } catch (error) {
      if (error instanceof ProducerHungError && producer === this.producer) this.renew(error, 0);
      throw error;
    }
  }

  private connectCurrent(): Promise<void> {
    this.connecting ??= this.producer.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    await this.producer.disconnect();
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.attempt((producer, tracker) => tracker.checked(() => producer.send(record), record.acks));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.attempt((producer, tracker) => tracker.checked(() => producer.sendBatch(batch), batch.acks));
  }

  /**
   * One send at a time. kafkajs 2.2.4 numbers an idempotent producer's records per partition under a
   * lock per broker, and a failed request gives its numbers back. With two sends in flight while a
   * partition's leader moves, the second can take numbers on the new leader that the first then
   * reuses on its retry: the broker takes that retry for a duplicate of the second's batch, answers
   * success and drops its records (seen as lost outbox events while a broker pod was deleted).
   */
  private attempt<T>(operation: (producer: Producer, tracker: PartitionTracker) => Promise<T>): Promise<T> {
    const turn = this.inFlight.then(() => this.attemptNow(operation));
    this.inFlight = turn.catch(() => undefined);
    return turn;
  }

  private async attemptNow<T>(operation: (producer: Producer, tracker: PartitionTracker) => Promise<T>): Promise<T> {
    const producer = this.producer;
    const tracker = this.tracker;
    try {
      const result = await this.withinHungLimit(
        (async () => {
          if (!this.connected && !this.stopped) await this.connectCurrent();
          return operation(producer, tracker);
        })(),
      );
      if (producer === this.producer) this.noteSuccess();
      return result;
    } catch (error) {
      if (producer === this.producer) this.noteFailure(error);
      throw error;
    }
  }

  /** `work`, or ProducerHungError once it has been pending for `hungAfterMs`. */
  private async withinHungLimit<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProducerHungError(`still pending after ${this.hungAfterMs} ms`)), this.hungAfterMs);
    });
    try {
      return await Promise.race([work, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  private noteSuccess(): void {
    this.failingSince = undefined;
    this.lockTimeouts = 0;
  }

  private noteFailure(error: unknown): void {
    const now = this.now();
    this.failingSince ??= now;
    this.lockTimeouts = isBrokerLockTimeout(error) ? this.lockTimeouts + 1 : 0;
    const failingMs = now - this.failingSince;
    if (error instanceof ProducerHungError || this.lockTimeouts >= this.renewAfterLockTimeouts || failingMs >= this.renewAfterMs) this.renew(error, failingMs);
  }

  private renew(cause: unknown, failingMs: number): void {
    if (this.stopped) return;
    const wedged = this.producer;
    this.renewalCount += 1;
    this.options.logger.warn(
      { err: cause, failingMs, lockTimeouts: this.lockTimeouts, renewals: this.renewalCount },
      'the Kafka producer has stopped getting records through: replacing it with a new one',
    );
    this.producer = this.make();
    this.connected = false;
    this.connecting = undefined;
    this.noteSuccess();
    void letGo(wedged, this.abandonAfterMs, this.options.logger);
  }

  private make(): Producer {
    this.tracker = new PartitionTracker();
    const producer = this.options.create(this.tracker.createPartitioner);
    producer.on(producer.events.CONNECT, () => {
      if (producer === this.producer) this.connected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    return producer;
  }
}

/** A `KafkaJSLockTimeout` on a broker connection, bare or as the cause of a retry error. */
export function isBrokerLockTimeout(error: unknown): boolean {
  return [...errorChain(error)].some((current) => current.name === 'KafkaJSLockTimeout' && /connect to broker/.test(current.message));
}
