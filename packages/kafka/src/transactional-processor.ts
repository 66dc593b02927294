import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, RecordMetadata, TopicMessages, Transaction } from 'kafkajs';
import { isFencedError, PartitionProducers } from './partition-producers';
import type { PartitionTracker } from './partition-tracker';
import {
  backoffDelayMs,
  consumerLag,
  deadLettered,
  delaypoint,
  errorpoint,
  eventsConsumed,
  eventsPublished,
  failpoint,
  type BackoffPolicy,
  type Logger,
} from '@eventline/observability';
import { isTransientKafkaError, PoisonRecordError } from './errors';
import { deadLetterRecord } from './dead-letter';
import { GroupMember } from './group-member';
import { toConsumedEvent, type ErrorClass } from './to-event';
import { endProcessSpans, startProcessSpan } from './trace-spans';
import type { ConsumedEvent, ValueDecoder } from './consumer';

/** What one transaction's worth of input produced, and how to make the processor's state match once it commits. */
export interface ProcessedChunk {
  outputs: TopicMessages[];
  /**
   * Called only after the transaction committed: apply the staged state. `sent` is where the
   * transaction's records went (topic names without the prefix, partitions, base offsets).
   */
  commit(sent: readonly RecordMetadata[]): void;
}

/** The input partitions this instance holds, by topic (without the prefix). */
export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface TransactionalProcessorOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /**
   * Start of the per-partition transactional ids (`<prefix>.<topic>.<partition>`, see
   * PartitionProducers); the same in every instance. Default the group id.
   */
  transactionalIdPrefix?: string;
  decode: ValueDecoder;
  logger: Logger;
  /**
   * Turns input events into outputs against staged state. Throwing aborts the transaction; the
   * chunk is consumed again from the last committed offset.
   */
  process(events: ConsumedEvent[]): Promise<ProcessedChunk>;
  /**
   * Brings the processor's state in line with a new assignment before any of its records is
   * processed: state kept per input partition restores what it newly holds and lets go of the rest.
   * Also called again with the same assignment after a failed transaction: it must bring what it
   * holds up to what was committed (e.g. read its changelog on from where its state is).
   */
  restore(assigned: Assignment, heartbeat: () => Promise<void>): Promise<void>;
  /**
   * Told of each new assignment as the group hands it out, before `restore` (which waits for the
   * first records of the assignment): what an instance reports it holds follows the group at once.
   */
  assigned?(assigned: Assignment): void;
  /** Errors of these classes from `decode` make the record poison: dead-lettered in the same transaction. */
  poisonErrors?: ErrorClass[];
  /**
   * Failures of `process` that retrying fixes (a broker or database away, data not there yet): retried
   * with backoff for as long as they last. Any other failure is tried `maxAttempts` times, then the
   * record that causes it is dead-lettered. Default isTransientKafkaError.
   */
  isTransient?: (error: unknown) => boolean;
  /** Tries of a failure that is not transient before the record is dead-lettered (default 5). */
  maxAttempts?: number;
  maxRecordsPerTransaction?: number;
  topicPrefix?: string;
  sessionTimeoutMs?: number;
  /** See PartitionProducersOptions. */
  transactionTimeoutMs?: number;
  /** How long start() retries retriable broker errors (leader elections, a restarting broker). */
  retryDeadlineMs?: number;
}

/** A chunk that waits for data is tried again after 100 ms, doubling up to 5 s. */
const PATIENT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5_000 };

/** A chunk of several records failed for good: it is tried again in halves, to find the record that fails it. */
class ChunkFailed extends Error {
  override name = 'ChunkFailed';
}

/** What trying a chunk came to: its outputs, or (a chunk of one record) the failure that makes the record poison. */
type Attempted = { chunk: ProcessedChunk } | { poison: unknown; attempts: number };

/** Awaits `work`, heartbeating the group about once a second meanwhile (initialising a transactional id can wait out a broker failing over). */
async function heartbeating(work: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
  let settled = false;
  const done = work.then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      throw error;
    },
  );
  done.catch(() => undefined);
  while (!settled) {
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
    if (!settled) await heartbeat();
  }
  await done;
}

const NOTHING: ProcessedChunk = { outputs: [], commit: () => undefined };

/**
 * Consume → process → produce exactly once: the outputs and the input offsets are committed in one
 * Kafka transaction, by a transactional producer of the input partition's own (PartitionProducers), so
 * that an instance that lost the partition while paused cannot commit after its successor; input is
 * read with read_committed. After every rebalance the state is restored (from a changelog the outputs
 * include) before any record of the new assignment is processed, and after every transaction that
 * failed: its outcome is then unknown to this instance (a commit the broker completed while its answer
 * was lost to a broker failing over), so the state staged for it is neither applied nor trusted to be
 * absent; the changelog says which.
 */
export class TransactionalProcessor {
  private readonly consumer: Consumer;
  private readonly producers: PartitionProducers;
  private readonly log: Logger;
  private readonly prefix: string;
  private generation = 0;
  private restoredGeneration = -1;
  private assignment: Assignment = new Map();
  private stopping = false;
  private readonly member: GroupMember;

  constructor(private readonly options: TransactionalProcessorOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.log = options.logger.child({ component: 'transactional-processor', group: options.groupId });
    this.member = new GroupMember({
      kafka: options.kafka,
      groupId: options.groupId,
      logger: this.log,
      sessionTimeoutMs: options.sessionTimeoutMs,
      maxWaitTimeInMs: 500,
      isStopping: () => this.stopping,
      run: () => this.run(),
    });
    this.consumer = this.member.consumer;
    this.producers = new PartitionProducers({
      kafka: options.kafka,
      idPrefix: options.transactionalIdPrefix ?? options.groupId,
      topicPrefix: this.prefix,
      logger: this.log,
      retryDeadlineMs: options.retryDeadlineMs,
      transactionTimeoutMs: options.transactionTimeoutMs,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.generation++;
      this.producers.assign(payload.memberAssignment);
      this.assignment = new Map(Object.entries(payload.memberAssignment).map(([topic, partitions]) => [topic.slice(this.prefix.length), [...partitions].sort((a, b) => a - b)]));
      this.options.assigned?.(this.assignment);
    });
  }

  /** False once its consumer crashed for good (see GroupMember): the committed offsets and transactions let a new process resume exactly once. */
  isAlive(): boolean {
    return this.member.isAlive();
  }

  isReady(): boolean {
    return this.member.isReady();
  }

  start(): Promise<void> {
    const topics = this.options.topics.map((topic) => this.prefix + topic);
    return this.member.start(`starting transactional processor ${this.options.groupId}`, topics, {
      fromBeginning: true,
      deadlineMs: this.options.retryDeadlineMs,
    });
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.member.handling(() => this.handleBatch(payload)),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.member.close();
    await this.consumer.disconnect();
    await this.producers.closeAll();
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    if (this.restoredGeneration !== this.generation) {
      const generation = this.generation;
      // Not before the assignment's transactional ids are initialised: a transaction committed by the
      // partition's previous owner (or by this instance, its answer lost) may still be writing its
      // markers, the input offsets' before the changelog's. Read then, the changelog would lack a
      // chunk whose offsets are committed: its events never folded into the state.
      await heartbeating(this.producers.ready(), heartbeat).catch((error: unknown) => {
        // As in beginTransaction: the consumer restarts and rejoins rather than stopping for good.
        throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
      });
      await this.options.restore(this.assignment, heartbeat);
      this.restoredGeneration = generation;
    }
    const chunkSize = this.options.maxRecordsPerTransaction ?? 500;
    const done = async (last: KafkaMessage) => {
      resolveOffset(last.offset);
      consumerLag.set({ group: this.options.groupId, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1));
      await heartbeat();
    };
    const carryOn = () => isRunning() && !isStale() && !this.stopping;
    // A chunk that failed for good is halved until the record that fails it stands alone (and is dead-lettered).
    const transactHalving = async (messages: KafkaMessage[]): Promise<void> => {
      try {
        await this.transact(batch.topic, batch.partition, messages, isStale, heartbeat);
        await done(messages[messages.length - 1]!);
      } catch (error) {
        if (!(error instanceof ChunkFailed)) throw error;
        const half = Math.ceil(messages.length / 2);
        for (const part of [messages.slice(0, half), messages.slice(half)]) {
          if (!carryOn()) return;
          await transactHalving(part);
        }
      }
    };
    for (let from = 0; from < batch.messages.length; from += chunkSize) {
      if (!carryOn()) return;
      await transactHalving(batch.messages.slice(from, from + chunkSize));
    }
  }

  private async transact(topic: string, partition: number, messages: KafkaMessage[], isStale: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const events: ConsumedEvent[] = [];
    const deadLetters: TopicMessages[] = [];
    await this.readChunk(topic, partition, messages, events, deadLetters);
    // A span per record, each continuing its producer's trace and lasting until the transaction ends.
    const spans = events.map((event) => startProcessSpan(event.topic, this.options.groupId, event.envelope));
    try {
      await this.processAndCommit(topic, partition, messages, events, deadLetters, isStale, heartbeat);
      endProcessSpans(spans);
    } catch (error) {
      endProcessSpans(spans, error);
      throw error;
    }
  }

  private async readChunk(topic: string, partition: number, messages: KafkaMessage[], events: ConsumedEvent[], deadLetters: TopicMessages[]): Promise<void> {
    for (const message of messages) {
      try {
        events.push(await toConsumedEvent(topic.slice(this.prefix.length), partition, message, this.options.decode, this.options.poisonErrors));
      } catch (error) {
        // Only a record that can never be read is dead-lettered; anything else (the registry down)
        // aborts, and the chunk is read again.
        if (!(error instanceof PoisonRecordError)) throw error;
        this.log.error({ err: error, topic, partition, offset: message.offset }, 'dead-lettering record');
        const dead = deadLetterRecord(topic, partition, message, error, 1, this.options.groupId);
        deadLetters.push({ topic: dead.topic, messages: [dead.message] });
      }
    }
  }

  private async processAndCommit(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    events: ConsumedEvent[],
    deadLetters: TopicMessages[],
    isStale: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const attempted = await this.processPatiently(events, messages.length, isStale, heartbeat);
    let chunk = NOTHING;
    if ('chunk' in attempted) chunk = attempted.chunk;
    else {
      const message = messages[0]!;
      this.log.error({ err: attempted.poison, topic, partition, offset: message.offset, attempts: attempted.attempts }, 'dead-lettering a record that cannot be processed');
      const dead = deadLetterRecord(topic, partition, message, attempted.poison, attempted.attempts, this.options.groupId);
      deadLetters.push({ topic: dead.topic, messages: [dead.message] });
    }
    const { transaction, tracker } = await this.beginTransaction(topic, partition);
    let sent: RecordMetadata[] = [];
    try {
      const outputs = [...chunk.outputs.map((o) => ({ ...o, topic: this.prefix + o.topic })), ...deadLetters];
      // Checked: kafkajs can resolve a send without writing some partitions' records (PartitionTracker);
      // the transaction then aborts and the chunk is read again.
      if (outputs.length > 0) sent = await tracker.checked(() => transaction.sendBatch({ topicMessages: outputs }));
      const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
      await transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [{ partition, offset: next }] }] });
      failpoint('processor.before-commit');
      await delaypoint('processor.before-commit');
      // A member that lost the partition in a rebalance must not commit work its successor redoes.
      if (isStale()) throw new Error('partition reassigned during the transaction');
      await transaction.commit();
      errorpoint('processor.after-commit');
    } catch (error) {
      // Committed or not, the broker knows and this instance does not: restore before the next records,
      // or a chunk committed behind a lost answer is missing from the state the next chunk folds onto.
      this.restoredGeneration = -1;
      if (isFencedError(error)) {
        this.log.warn({ err: error, topic, partition }, 'commit refused: another instance holds the partition now (fenced)');
        this.producers.drop(topic, partition);
        throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
      }
      const aborted = await transaction.abort().then(
        () => true,
        (abortError: unknown) => {
          this.log.warn({ err: abortError }, 'abort failed');
          return false;
        },
      );
      // Aborted, its producer is still replaced: its sequence numbers may be behind the broker's (see
      // PartitionProducers.renew), and the chunk read again would send batches of the same ranges.
      // Only a partition the latest assignment still gives this instance is renewed.
      if (aborted) this.producers.renew(topic, partition);
      else this.dropStuck(topic, partition);
      // Retriable for kafkajs: the consumer restarts from the committed offsets instead of stopping
      // for good, which it does on a non-retriable error (a broker lost mid-commit gives those).
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
    }
    chunk.commit(sent.map((record) => ({ ...record, topicName: record.topicName.startsWith(this.prefix) ? record.topicName.slice(this.prefix.length) : record.topicName })));
    for (const dead of deadLetters) deadLettered.inc({ topic: dead.messages[0]?.headers?.['dlq-source-topic']?.toString() ?? topic });
    eventsConsumed.inc({ topic: topic.slice(this.prefix.length), outcome: 'handled' }, messages.length);
    for (const o of chunk.outputs) eventsPublished.inc({ topic: o.topic }, o.messages.length);
  }

  /** A producer that cannot begin a transaction (see dropStuck) is replaced, and the chunk read again. */
  private async beginTransaction(topic: string, partition: number): Promise<{ transaction: Transaction; tracker: PartitionTracker }> {
    const { producer, tracker } = await this.producers.get(topic, partition);
    try {
      return { transaction: await producer.transaction(), tracker };
    } catch (error) {
      this.log.warn({ err: error }, 'cannot begin a transaction');
      this.dropStuck(topic, partition);
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
    }
  }

  /**
   * A transaction that could neither commit nor abort (its broker went away) leaves a kafkajs producer
   * in COMMITTING or ABORTING for good: its transaction state lives as long as the producer object,
   * and neither connect() nor a new transaction leaves that state. A new producer with the same
   * transactional id, initialised at the next assignment (the consumer rejoins its group first: it
   * may have lost the partition meanwhile), starts a new epoch, which aborts whatever the old one left open.
   */
  private dropStuck(topic: string, partition: number): void {
    this.log.warn({ topic, partition }, 'replacing the transactional producer');
    this.producers.drop(topic, partition);
  }

  /**
   * A chunk that cannot be processed yet (it waits for data, a store is away) is retried with backoff,
   * heartbeating, until it can. One that keeps failing otherwise ends in ChunkFailed (several records:
   * they are tried in halves) or, for a single record, in that record's poison verdict.
   */
  private async processPatiently(events: ConsumedEvent[], records: number, isStale: () => boolean, heartbeat: () => Promise<void>): Promise<Attempted> {
    const isTransient = this.options.isTransient ?? isTransientKafkaError;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return { chunk: await this.options.process(events) };
      } catch (error) {
        if (isStale() || this.stopping) throw error;
        const transient = isTransient(error);
        if (!transient && (error instanceof PoisonRecordError || attempt >= maxAttempts)) {
          if (records > 1) throw new ChunkFailed(`a chunk of ${records} records failed ${attempt} times: trying them one by one`, { cause: error });
          return { poison: error, attempts: attempt };
        }
        const delay = backoffDelayMs(attempt, PATIENT_BACKOFF);
        this.log.warn({ err: error, attempt, transient, delayMs: delay }, 'chunk cannot be processed yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat();
      }
    }
  }
}
