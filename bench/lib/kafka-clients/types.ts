/** What the Kafka client bake-off asks of each client, so every client runs the same workload. */

/** One record of the workload: keyed, with a 200-byte value. */
export interface BenchRecord {
  key: string;
  value: Buffer;
}

/** Where and how a client connects: plain, SCRAM-SHA-512, or SCRAM-SHA-512 over TLS (trusting `tlsCa`). */
export interface ConnectionSettings {
  brokers: string[];
  clientId: string;
  sasl?: { username: string; password: string };
  tlsCa?: string;
}

/**
 * performance.now() values of one run: when it started (a producer: connected, before its first send;
 * a consumer: before joining its group), when the first records were in hand and how many came with
 * them (a consumer), and when the last record was acknowledged or in hand.
 */
export interface Timing {
  startMs: number;
  firstMs: number;
  firstCount: number;
  lastMs: number;
}

/** A partitioner choice: each client's default, or the Java-compatible one where the client has a separate one. */
export type PartitionerChoice = 'default' | 'java';

export interface AdminSession {
  createTopic(topic: string, partitions: number): Promise<void>;
  listTopics(): Promise<string[]>;
  /** High watermark of each of the topic's `partitions`, by partition index. */
  endOffsets(topic: string, partitions: number): Promise<number[]>;
  /** The group's committed offset of each partition of `topic` (-1 where none), by partition index. */
  groupOffsets(groupId: string, topic: string, partitions: number): Promise<number[]>;
  deleteGroup(groupId: string): Promise<void>;
  /** Undefined where the client has no such call. */
  setGroupOffsets?: (groupId: string, topic: string, offsets: number[]) => Promise<void>;
  close(): Promise<void>;
}

export interface ClientSession {
  /** Produces every record in sends of `batch` records, one send in flight at a time, acks=all, idempotent. */
  produce(topic: string, records: BenchRecord[], batch: number, partitioner?: PartitionerChoice): Promise<Timing>;
  /** Reads `count` records of `topic` with a new consumer group from the earliest offset. */
  consume(topic: string, count: number): Promise<Timing>;
  /**
   * Reads `count` records of `input` (read_committed) with group `groupId` and writes each to `output`
   * inside transactions of at most `txBatch` records, each transaction committing its input offsets
   * (sendOffsets) with its output.
   */
  transact(input: string, output: string, groupId: string, count: number, txBatch: number): Promise<Timing>;
  /**
   * As `transact`, with a transactional producer per input partition whose id the partition's next
   * owner initialises (Kafka Streams' first exactly-once model, the kit's): for a client whose
   * sendOffsets does not carry the group generation (KIP-447), the way to fence a paused instance.
   */
  transactPerPartition?: (input: string, output: string, groupId: string, count: number, txBatch: number) => Promise<Timing>;
  admin(): Promise<AdminSession>;
  close(): Promise<void>;
}

export interface ClientUnderTest {
  /** Package name and version, as printed. */
  name: string;
  /** Partitioner choices that differ for this client (the throughput runs use 'java'). */
  partitioners: PartitionerChoice[];
  open(settings: ConnectionSettings): ClientSession;
}

export function now(): number {
  return performance.now();
}

/** A promise and its resolve function, for the consumers' "all records seen" moments. */
export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects after `ms`, naming what did not finish, so a stuck client fails the bench instead of hanging it. */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
