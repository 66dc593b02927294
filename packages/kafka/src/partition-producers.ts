import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { errorChain } from './error-chain';
import { letGo } from './let-go';
import { PartitionTracker } from './partition-tracker';
import { retryKafka } from './retry';

export interface PartitionProducersOptions {
  kafka: Kafka;
  /** Each producer's transactional id is `<idPrefix>.<topic>.<partition>`: the same in every instance. */
  idPrefix: string;
  /** Stripped from broker topic names in the ids. */
  topicPrefix: string;
  logger: Logger;
  retryDeadlineMs?: number;
  /**
   * How long the broker lets a transaction stay open before aborting it (default 15 s). A transaction
   * left open by an instance that died blocks read_committed readers until this runs out or the
   * partition's next owner initialises the id.
   */
  transactionTimeoutMs?: number;
}

interface Entry {
  producer: Producer;
  /** Its sends' check: the producer's transactions, and so its sends, run one at a time. */
  tracker: PartitionTracker;
  ready: Promise<void>;
}

/**
 * One transactional producer per input partition, its transactional id named after the partition
 * (Kafka Streams' first exactly-once model). Whoever is given a partition initialises that id, which
 * bumps its epoch: the previous owner's open transaction is aborted and its late commit refused
 * (fenced), however long it was paused. kafkajs 2.2.4 commits offsets without the group generation
 * KIP-447 fences with, so the id is what fences here.
 */
export class PartitionProducers {
  private readonly entries = new Map<string, Entry>();
  /** The partitions of the latest assignment, less those dropped since, by key. */
  private held = new Map<string, { topic: string; partition: number }>();

  constructor(private readonly options: PartitionProducersOptions) {}

  transactionalId(topic: string, partition: number): string {
    return `${this.options.idPrefix}.${topic.slice(this.options.topicPrefix.length)}.${partition}`;
  }

  /**
   * Producers for exactly these partitions (a new assignment, topics as on the broker). New ones are
   * initialised at once, so that a paused previous owner is fenced before it can commit; those of
   * partitions no longer held are let go.
   */
  assign(assignment: Record<string, number[]>): void {
    this.held = new Map(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => [key(topic, partition), { topic, partition }] as const)));
    for (const [k, entry] of this.entries) {
      if (this.held.has(k)) continue;
      this.entries.delete(k);
      void letGo(entry.producer, 5_000, this.options.logger);
    }
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) if (!this.entries.has(key(topic, partition))) this.open(topic, partition);
    }
  }

  /**
   * The partition's producer, initialised. Refused (retriably) for a partition the latest assignment
   * did not give or that was dropped since: initialising its id again would fence the instance that
   * holds it now, and this one's state for it may be stale. The next assignment decides.
   */
  /** The partition's producer with the tracker of its sends (see PartitionTracker). */
  async get(topic: string, partition: number): Promise<{ producer: Producer; tracker: PartitionTracker }> {
    if (!this.held.has(key(topic, partition))) {
      throw Object.assign(new Error(`partition ${topic}/${partition} is not held by this instance since it was fenced or reassigned: waiting for the next assignment`), {
        retriable: true,
      });
    }
    const entry = this.entries.get(key(topic, partition)) ?? this.open(topic, partition);
    try {
      await entry.ready;
    } catch (error) {
      if (this.entries.get(key(topic, partition)) === entry) this.entries.delete(key(topic, partition));
      throw error;
    }
    return { producer: entry.producer, tracker: entry.tracker };
  }

  /**
   * Resolves once the producer of every partition held is initialised. Initialising a transactional id
   * waits until the id's last transaction is complete, its markers written to every partition it
   * touched: a read_committed read started afterwards sees all that transaction committed. (A commit
   * is acknowledged once the coordinator logged it, before its markers are written; behind a broker
   * failing over, one partition's marker can lag another's by seconds.)
   */
  async ready(): Promise<void> {
    await Promise.all([...this.held.values()].map(({ topic, partition }) => this.get(topic, partition)));
  }

  /**
   * Lets the partition's producer go (fenced, or stuck in a transaction it could neither commit nor
   * abort) and the partition with it until the next assignment: only an instance the group gives
   * the partition to initialises its id again, so a fenced zombie never fences the new owner back.
   */
  drop(topic: string, partition: number): void {
    this.held.delete(key(topic, partition));
    const entry = this.entries.get(key(topic, partition));
    if (!entry) return;
    this.entries.delete(key(topic, partition));
    void letGo(entry.producer, 5_000, this.options.logger);
  }

  /**
   * Replaces a held partition's producer after a transaction that failed (and was aborted): the new
   * one initialises the id again, so a new epoch, whose sequence numbers start afresh. kafkajs takes a
   * failed request's sequence numbers back also for a partition the broker wrote, and the broker
   * answers a later batch with that range as a duplicate without writing it (RenewingProducer): the
   * chunk read again would commit without those outputs. A partition no longer held is left as it is.
   */
  renew(topic: string, partition: number): void {
    if (!this.held.has(key(topic, partition))) return;
    const entry = this.entries.get(key(topic, partition));
    if (entry) void letGo(entry.producer, 5_000, this.options.logger);
    this.open(topic, partition);
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => letGo(e.producer, 5_000, this.options.logger)));
  }

  private open(topic: string, partition: number): Entry {
    const transactionalId = this.transactionalId(topic, partition);
    const tracker = new PartitionTracker();
    const producer = this.options.kafka.producer({
      createPartitioner: tracker.createPartitioner,
      transactionalId,
      transactionTimeout: this.options.transactionTimeoutMs ?? 15_000,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    const retry = { logger: this.options.logger, deadlineMs: this.options.retryDeadlineMs };
    const ready = (async () => {
      await retryKafka(`connecting the producer of ${transactionalId}`, () => producer.connect(), retry);
      // kafkajs initialises a transactional id (InitProducerId: the epoch bump that fences the previous
      // holder) at the producer's first transaction(), not at connect(). An empty transaction, aborted
      // without a request, does it now, while this instance is known to hold the partition.
      await retryKafka(`initialising transactional id ${transactionalId}`, async () => (await producer.transaction()).abort(), retry);
    })();
    // get() reports a failed start; an eager one (assign) nobody awaited only logs it.
    ready.catch((error: unknown) => this.options.logger.warn({ err: error, transactionalId }, 'could not initialise a transactional producer'));
    const entry = { producer, tracker, ready };
    this.entries.set(key(topic, partition), entry);
    return entry;
  }
}

const key = (topic: string, partition: number) => `${topic}/${partition}`;

const fencedTypes = new Set<unknown>(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTION_COORDINATOR_FENCED']);

/** The broker refused a transactional producer's request because a newer one holds its id. */
export function isFencedError(error: unknown): boolean {
  return [...errorChain(error)].some((current) => fencedTypes.has((current as { type?: unknown }).type));
}
