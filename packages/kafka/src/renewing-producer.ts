import type { ICustomPartitioner, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { Logger } from '@eventline/observability';
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
  /** How long the replaced producer is given to disconnect before it is abandoned. */
  abandonAfterMs?: number;
  /**
   * How long a send (with the connect before it) may take before it counts as hung: it is then
   * refused with ProducerHungError and the producer replaced at once. Default 60 s, above kafkajs'
   * own request timeout (30 s) and its retries of a failed request.
   */
  hungAfterMs?: number;
}

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
 * A producer that replaces its kafkajs producer after every send that failed, so that the next send
 * goes out under a new producer id. Each send either goes through or throws, as kafkajs' does —
 * within `hungAfterMs`: a send still pending then is refused and its producer replaced; callers keep
 * their own retry (the outbox rows stay until a send succeeds), so a replacement loses nothing.
 *
 * Why every failure: kafkajs 2.2.4 numbers an idempotent producer's records per partition and, when
 * a produce request fails, takes the numbers of *all* its partitions back — also of a partition the
 * broker wrote before another partition of the same request failed (a leader moving in a broker's
 * roll answers NOT_LEADER for one partition and writes the other), or of a partition written by a
 * send kafkajs resolved without an answer for it (PartitionTracker). Its counter is then behind the
 * broker's. The broker takes a later batch with exactly that range of numbers for a retry of the
 * written one and answers success without writing it: a different batch of the same size, sent
 * through the same producer, would be lost (seen as a cart event missing from `cart-events` in the
 * brokers' roll under load). A new producer id starts a fresh count the broker holds nothing
 * against. It also ends kafkajs' other wedged states: a broker connection whose lock is lost for
 * good once the broker comes back at a new address (every later send a `KafkaJSLockTimeout`).
 */
export class RenewingProducer implements RecordSender {
  private producer: Producer;
  /** The current producer's: its sends run one at a time (attempt), as a tracker needs. */
  private tracker = new PartitionTracker();
  private connected = false;
  private connecting: Promise<void> | undefined;
  private stopped = false;
  private renewalCount = 0;
  private readonly abandonAfterMs: number;
  private readonly hungAfterMs: number;
  /** The send in flight (settled or not): the next one starts after it. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RenewingProducerOptions) {
    this.abandonAfterMs = options.abandonAfterMs ?? 5_000;
    this.hungAfterMs = options.hungAfterMs ?? DEFAULT_HUNG_AFTER_MS;
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
      if (error instanceof ProducerHungError && producer === this.producer) this.renew(error);
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
      return await this.withinHungLimit(
        (async () => {
          if (!this.connected && !this.stopped) await this.connectCurrent();
          return operation(producer, tracker);
        })(),
      );
    } catch (error) {
      if (producer === this.producer) this.renew(error);
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

  private renew(cause: unknown): void {
    if (this.stopped) return;
    const replaced = this.producer;
    this.renewalCount += 1;
    this.options.logger.warn({ err: cause, renewals: this.renewalCount }, 'a send failed: the next one goes through a new Kafka producer (a new producer id)');
    this.producer = this.make();
    this.connected = false;
    this.connecting = undefined;
    void letGo(replaced, this.abandonAfterMs, this.options.logger);
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
