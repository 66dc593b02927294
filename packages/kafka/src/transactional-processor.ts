import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages, Transaction } from 'kafkajs';
import { backoffDelayMs, consumerLag, deadLettered, eventsConsumed, eventsPublished, failpoint, type BackoffPolicy, type Logger } from '@eventline/observability';
import { isTransientKafkaError, PoisonRecordError } from './errors';
import { deadLetterRecord } from './dead-letter';
import { GroupMember } from './group-member';
import { letGo } from './let-go';
import { retryKafka } from './retry';
import { toConsumedEvent, type ErrorClass } from './to-event';
import type { ConsumedEvent, ValueDecoder } from './consumer';

/** What one transaction's worth of input produced, and how to make the processor's state match once it commits. */
export interface ProcessedChunk {
  outputs: TopicMessages[];
  /** Called only after the transaction committed: apply the staged state. */
  commit(): void;
}

export interface TransactionalProcessorOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** Unique per running instance; Kafka fences an older producer with the same id. */
  transactionalId: string;
  decode: ValueDecoder;
  logger: Logger;
  /**
   * Turns input events into outputs against staged state. Throwing aborts the transaction; the
   * chunk is consumed again from the last committed offset.
   */
  process(events: ConsumedEvent[]): Promise<ProcessedChunk>;
  /** Rebuilds the processor's state before it handles the partitions of a new assignment. */
  restore(heartbeat: () => Promise<void>): Promise<void>;
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

const NOTHING: ProcessedChunk = { outputs: [], commit: () => undefined };

/**
 * Consume → process → produce exactly once: the outputs and the input offsets are committed in one
 * Kafka transaction; input is read with read_committed. After every rebalance the state is restored
 * (from a changelog the outputs include) before any record of the new assignment is processed.
 */
export class TransactionalProcessor {
  private readonly consumer: Consumer;
  private producer: Producer;
  private readonly log: Logger;
  private readonly prefix: string;
  private generation = 0;
  private restoredGeneration = -1;
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
    this.producer = this.newProducer();
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.generation++;
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
      before: () => this.producer.connect(),
    });
  }

  private newProducer(): Producer {
    return this.options.kafka.producer({
      transactionalId: this.options.transactionalId,
      // An instance killed mid-transaction blocks read_committed readers until this runs out or a
      // successor with the same transactional id fences it.
      transactionTimeout: 15_000,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.member.cancelRestart();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    if (this.restoredGeneration !== this.generation) {
      const generation = this.generation;
      await this.options.restore(heartbeat);
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
    const attempted = await this.processPatiently(events, messages.length, isStale, heartbeat);
    let chunk = NOTHING;
    if ('chunk' in attempted) chunk = attempted.chunk;
    else {
      const message = messages[0]!;
      this.log.error({ err: attempted.poison, topic, partition, offset: message.offset, attempts: attempted.attempts }, 'dead-lettering a record that cannot be processed');
      const dead = deadLetterRecord(topic, partition, message, attempted.poison, attempted.attempts, this.options.groupId);
      deadLetters.push({ topic: dead.topic, messages: [dead.message] });
    }
    const transaction = await this.beginTransaction();
    try {
      const outputs = [...chunk.outputs.map((o) => ({ ...o, topic: this.prefix + o.topic })), ...deadLetters];
      if (outputs.length > 0) await transaction.sendBatch({ topicMessages: outputs });
      const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
      await transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [{ partition, offset: next }] }] });
      failpoint('processor.before-commit');
      // A member that lost the partition in a rebalance must not commit work its successor redoes.
      if (isStale()) throw new Error('partition reassigned during the transaction');
      await transaction.commit();
    } catch (error) {
      const aborted = await transaction.abort().then(
        () => true,
        (abortError: unknown) => {
          this.log.warn({ err: abortError }, 'abort failed');
          return false;
        },
      );
      if (!aborted) await this.resetProducer();
      // Retriable for kafkajs: the consumer restarts from the committed offsets instead of stopping
      // for good, which it does on a non-retriable error (a broker lost mid-commit gives those).
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
    }
    chunk.commit();
    for (const dead of deadLetters) deadLettered.inc({ topic: dead.messages[0]?.headers?.['dlq-source-topic']?.toString() ?? topic });
    eventsConsumed.inc({ topic: topic.slice(this.prefix.length), outcome: 'handled' }, messages.length);
    for (const o of chunk.outputs) eventsPublished.inc({ topic: o.topic }, o.messages.length);
  }

  /** A producer that cannot begin a transaction (see resetProducer) is replaced, and the chunk read again. */
  private async beginTransaction(): Promise<Transaction> {
    try {
      return await this.producer.transaction();
    } catch (error) {
      this.log.warn({ err: error }, 'cannot begin a transaction');
      await this.resetProducer();
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { retriable: true });
    }
  }

  /**
   * A transaction that could neither commit nor abort (its broker went away) leaves a kafkajs producer
   * in COMMITTING or ABORTING for good: its transaction state lives as long as the producer object,
   * and neither connect() nor a new transaction leaves that state. A new producer with the same
   * transactional id initialises it anew at its first transaction: a new epoch, which aborts whatever
   * the old one left open.
   */
  private async resetProducer(): Promise<void> {
    this.log.warn('replacing the transactional producer');
    const stuck = this.producer;
    this.producer = this.newProducer();
    await letGo(stuck, 5_000, this.log);
    await retryKafka('connecting the new transactional producer', () => this.producer.connect(), { logger: this.log, deadlineMs: this.options.retryDeadlineMs });
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
