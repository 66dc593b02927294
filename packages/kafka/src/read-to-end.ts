import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { retryKafka, withAdmin, type KafkaRetryOptions } from './retry';

/** End offsets (or read positions) of partitions, keyed `topic/partition`. */
export type PartitionOffsets = ReadonlyMap<string, bigint>;

const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/**
 * The end offset (high watermark) of each partition of `topics` that holds records, keyed
 * `topic/partition` with the topic as given. A partition whose high watermark equals its low one holds
 * nothing, and a read from its start has nothing to wait for there: never written to, or all its
 * records deleted or compacted away (its low watermark is then above 0, so 0 is no test of emptiness).
 * `topicPrefix` is prepended to each topic on the broker.
 */
export function endOffsets(kafka: Kafka, topics: readonly string[], options: KafkaRetryOptions & { topicPrefix?: string }): Promise<Map<string, bigint>> {
  const { topicPrefix = '', ...retry } = options;
  return withAdmin(
    kafka,
    `reading the end offsets of ${topics.join(', ')}`,
    async (admin) => {
      const ends = new Map<string, bigint>();
      for (const topic of topics) {
        for (const { partition, low, high } of await admin.fetchTopicOffsets(topicPrefix + topic)) {
          if (BigInt(high) > BigInt(low)) ends.set(partitionKey(topic, partition), BigInt(high));
        }
      }
      return ends;
    },
    retry,
  );
}

/** Empty fetches after which a reader that reports them is at its end rather than stalled. */
const EMPTY_FETCHES_FOR_IDLE = 2;

export interface ReadProgressWaitOptions {
  logger: Logger;
  /**
   * Give up once nothing was read for this long (counted from the start of the wait): what is left
   * never became readable (say, a transaction left open by a producer that died). Warns naming the
   * partitions. Once the reader reports its fetches (fetched()), the limit also needs two fetches
   * since the last progress: a reader that fetches nothing (rejoining its group, its broker gone, its
   * node starved) is stalled, not at the end. Unset: no limit.
   */
  idleMs?: number;
  /** Give up this long after the start of the wait, quietly: the caller says what it means. Unset: no limit. */
  deadlineMs?: number;
  /** Called about once a second while waiting (a consumer group member's heartbeat, say). */
  heartbeat?: () => Promise<void>;
}

/**
 * "Read up to the end offsets seen at start": a reader's position in each partition against the end
 * offsets it reads to (see endOffsets). The reader reports each offset it is through with advance(); a
 * partition is read to its end once the offset after the last one reported reaches its end offset.
 * Transaction markers take offsets but are never delivered as records, so the reader also reports the
 * last offset of each batch it finished (kafkajs' batch.lastOffset(), markers included); EventConsumer
 * does so through its `onProgress` option.
 */
export class ReadProgress {
  private readonly next = new Map<string, bigint>();
  private ends: PartitionOffsets;
  private lastProgress = Date.now();
  /** Whether the reader reports its fetches (fetched()); only then do empty fetches count for idle. */
  private reportsFetches = false;
  private fetchesSinceProgress = 0;
  private readonly waiters = new Set<() => void>();
  private failure: { error: unknown } | undefined;

  constructor(ends: PartitionOffsets) {
    this.ends = ends;
  }

  /** Reads on to these end offsets instead (taken later: what was written meanwhile is read too). */
  readTo(ends: PartitionOffsets): void {
    this.ends = ends;
    this.wakeWaiters();
  }

  /** Whether the partition is one of those read to an end (it held records when the end offsets were taken). */
  includes(topic: string, partition: number): boolean {
    return this.ends.has(partitionKey(topic, partition));
  }

  /** The reader is through `offset` of the partition: a record it handled, or the last offset of a batch. */
  advance(topic: string, partition: number, offset: string): void {
    const key = partitionKey(topic, partition);
    const next = BigInt(offset) + 1n;
    this.lastProgress = Date.now();
    this.fetchesSinceProgress = 0;
    if (next <= (this.next.get(key) ?? 0n)) return;
    this.next.set(key, next);
    const end = this.ends.get(key);
    if (end !== undefined && next >= end && this.caughtUp()) this.wakeWaiters();
  }

  /** The reader's fetch came back (with records or without): see ReadProgressWaitOptions.idleMs. */
  fetched(): void {
    this.reportsFetches = true;
    this.fetchesSinceProgress += 1;
  }

  /** How far the reader is through the partition (the offset after the last one it reported), if anywhere. */
  position(topic: string, partition: number): bigint | undefined {
    return this.next.get(partitionKey(topic, partition));
  }

  /** The partitions not read to their end yet, with their end offsets. */
  remaining(): Map<string, bigint> {
    return new Map([...this.ends].filter(([key, end]) => (this.next.get(key) ?? 0n) < end));
  }

  caughtUp(): boolean {
    return this.remaining().size === 0;
  }

  /** The reader broke down: a pending or later wait() rejects with `error`. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wakeWaiters();
  }

  /** Resolves true once every partition is read to its end, false when the idle limit or the deadline ends the wait first. */
  async wait({ logger, idleMs, deadlineMs, heartbeat }: ReadProgressWaitOptions): Promise<boolean> {
    const started = Date.now();
    this.lastProgress = started;
    this.fetchesSinceProgress = 0;
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.caughtUp()) return true;
      if (idleMs !== undefined && Date.now() - this.lastProgress > idleMs && this.fetchedNothingMore()) {
        logger.warn({ partitions: [...this.remaining().keys()], fetches: this.fetchesSinceProgress }, `partitions delivered nothing more for ${idleMs} ms; read what they had`);
        return false;
      }
      if (deadlineMs !== undefined && Date.now() - started > deadlineMs) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 1000);
        this.waiters.add(wake);
      });
      await heartbeat?.();
    }
  }

  /** A reader that reports its fetches had EMPTY_FETCHES_FOR_IDLE of them answered without progress. */
  private fetchedNothingMore(): boolean {
    return !this.reportsFetches || this.fetchesSinceProgress >= EMPTY_FETCHES_FOR_IDLE;
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

export interface ReadToEndOptions {
  /** A group of the reader's own, deleted when it is done (it commits nothing). */
  groupId: string;
  logger: Logger;
  retry?: KafkaRetryOptions;
  /** Called about once a second while reading (a consumer group member's heartbeat, say). */
  heartbeat?: () => Promise<void>;
  /** Nothing delivered for this long: the rest of a partition is transaction markers; stop there. */
  idleMs?: number;
  /**
   * Only these partitions, each from its offset (0n: its start): a reader that keeps state per
   * partition reads what it newly holds and catches up on what it kept. Unset: every partition from
   * its start. A partition the topic does not have fails the read.
   */
  from?: ReadonlyMap<number, bigint>;
}

/**
 * Reads a topic from its start (or, with `from`, some partitions from given offsets) to the end
 * offsets it has when the read begins, read_committed, in offset order per partition: what every
 * transaction committed by then wrote (a changelog, a ledger). Records written after the start of the
 * read may be delivered too. Returns each partition's position after the read (the offset after the
 * last one read through, markers included): where a later read of it goes on from.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void,
  options: ReadToEndOptions,
): Promise<Map<number, bigint>> {
  const { groupId, logger, heartbeat, idleMs = 10_000, from } = options;
  const retry: KafkaRetryOptions = { logger, ...options.retry };
  const watermarks = await withAdmin(kafka, `reading the offsets of ${topic}`, (admin) => admin.fetchTopicOffsets(topic), retry);
  const wanted = from ?? new Map(watermarks.map(({ partition }) => [partition, 0n]));
  const missing = [...wanted.keys()].filter((partition) => !watermarks.some((w) => w.partition === partition));
  if (missing.length > 0) throw new Error(`${topic} has no partition ${missing.join(', ')} (it has ${watermarks.length})`);
  // A partition is read where it holds something past the offset it is read from.
  const ends = new Map(
    watermarks
      .filter(({ partition, low, high }) => wanted.has(partition) && BigInt(high) > BigInt(low) && BigInt(high) > wanted.get(partition)!)
      .map(({ partition, high }) => [partitionKey(topic, partition), BigInt(high)]),
  );
  const progress = new ReadProgress(ends);
  for (const [partition, offset] of wanted) if (offset > 0n) progress.advance(topic, partition, String(offset - 1n));
  const positions = () => new Map([...wanted].map(([partition, offset]) => [partition, progress.position(topic, partition) ?? offset]));
  if (progress.caughtUp()) return positions();
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  try {
    if (from) {
      // The reader's group is new: its committed offsets are where it starts. Partitions not wanted
      // start at their end, so nothing of theirs is fetched.
      const partitions = watermarks.map(({ partition, high }) => ({ partition, offset: String(from.get(partition) ?? BigInt(high)) }));
      await withAdmin(kafka, `positioning ${groupId} on ${topic}`, (admin) => admin.setOffsets({ groupId, topic, partitions }), retry);
    }
    await retryKafka(
      `subscribing to ${topic}`,
      async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
      },
      retry,
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => progress.fail(payload.error));
    consumer.on(consumer.events.FETCH, () => progress.fetched());
    // After each batch, also one whose records were all markers or aborted (never given to eachBatch);
    // only of the partitions read, whose records were handed on.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (progress.includes(topic, payload.partition)) progress.advance(topic, payload.partition, payload.lastOffset);
    });
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (!progress.includes(topic, batch.partition)) return;
          for (const message of batch.messages) await onMessage(message, batch.partition);
        },
      })
      .catch((error: unknown) => progress.fail(error));
    await progress.wait({ logger, idleMs, heartbeat });
    return positions();
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(kafka, `deleting group ${groupId}`, (admin) => admin.deleteGroups([groupId]), { ...retry, deadlineMs: 10_000 }).catch(() => undefined);
  }
}
