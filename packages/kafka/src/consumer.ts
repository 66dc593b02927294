import { context } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { RecordSender } from './renewing-producer';
import { backoffDelayMs, consumerLag, deadLettered, eventsConsumed, failpoint, type Logger } from '@eventline/observability';
import type { EventEnvelope } from './envelope';
import { toConsumedEvent, type ErrorClass } from './to-event';
import { endProcessSpans, startProcessSpan } from './trace-spans';
import { deadLetterRecord } from './dead-letter';
import { isTransientKafkaError, PoisonRecordError } from './errors';
import { GroupMember } from './group-member';

export interface ConsumedEvent<T = unknown> {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** null for a tombstone. */
  value: T | null;
  /** Record type (Avro full name); undefined for a tombstone. */
  recordName: string | undefined;
  envelope: EventEnvelope;
}

export type EventHandler = (event: ConsumedEvent) => Promise<void>;

/**
 * Applies a run of one partition's events at once (in offset order), with the same at-least-once
 * contract as an EventHandler: it may see an event again after a crash, so its effects must be idempotent.
 */
export type BatchEventHandler = (events: ConsumedEvent[]) => Promise<void>;

export interface DecodedValue {
  value: unknown;
  recordName: string;
}

/** Turns a record value into an event; throws PoisonRecordError (or the codec's own error) for bad bytes. */
export type ValueDecoder = (value: Buffer, topic: string) => Promise<DecodedValue>;

export interface RetryPolicy {
  /** Attempts for a failure that is not a transient infrastructure fault, before dead-lettering. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface EventConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  decode: ValueDecoder;
  handler: EventHandler;
  /**
   * Optional faster path: up to `maxBatchSize` records of a partition handled in one call, their
   * offsets committed after it. A chunk it cannot take (a record that does not decode, an error) is
   * handled again record by record through `handler`, with its retries and dead-lettering.
   */
  batchHandler?: BatchEventHandler;
  maxBatchSize?: number;
  /** Publishes dead letters; shared with the service's other producers. */
  producer: RecordSender;
  logger: Logger;
  /** Errors of these classes are poison at once (for example the codec's undecodable-record error). */
  poisonErrors?: ErrorClass[];
  /**
   * Which failures are transient faults of the infrastructure, retried for as long as they last
   * rather than counted towards `retry.maxAttempts`. Default isTransientKafkaError (the network,
   * kafkajs, TransientError); a handler that writes to a database adds its driver's classification.
   */
  isTransient?: (error: unknown) => boolean;
  retry?: Partial<RetryPolicy>;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member (a killed process) before giving its partitions away. */
  sessionTimeoutMs?: number;
  /**
   * Prepended to every topic name on the broker (environments sharing a cluster, isolated tests);
   * handlers see the catalog's names without it.
   */
  topicPrefix?: string;
  /** How long start() retries retriable broker errors (leader elections, a restarting broker). */
  retryDeadlineMs?: number;
  /**
   * Told each offset of a partition it is through (topic without the prefix): every record handled or
   * dead-lettered, and the last offset of every batch whose records all were, transaction markers
   * and aborted records included (they are never handled). What a ReadProgress is advanced with.
   */
  onProgress?: (topic: string, partition: number, offset: string) => void;
  /** Told each time a fetch comes back, with records or without (ReadProgress.fetched). */
  onFetch?: () => void;
}

/** The record path commits after this many handled records, or this long after its last commit, and at the end of each fetched batch. */
const RECORDS_PER_COMMIT = 500;
const COMMIT_INTERVAL_MS = 1000;

const defaultRetry: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000 };

class ConsumerStopping extends Error {}

/**
 * At-least-once consumption: an offset is committed only after its record was handled or
 * dead-lettered, so a crash redelivers whatever was in flight and handlers must be idempotent
 * (see @eventline/inbox). Records of one partition are handled strictly in order.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly member: GroupMember;
  private stopping = false;
  /** Set while the consumer rejoins with a new concurrency: batches break off as on stop. */
  private restarting = false;
  private concurrency: number;
  private reconfiguring: Promise<void> = Promise.resolve();
  private readonly prefix: string;

  constructor(private readonly options: EventConsumerOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.retry = { ...defaultRetry, ...options.retry };
    this.concurrency = options.partitionsConsumedConcurrently ?? 1;
    this.log = options.logger.child({ component: 'consumer', group: options.groupId });
    this.member = new GroupMember({
      kafka: options.kafka,
      groupId: options.groupId,
      logger: this.log,
      sessionTimeoutMs: options.sessionTimeoutMs,
      maxWaitTimeInMs: 1000,
      isStopping: () => this.stopping,
      run: () => this.run(),
    });
    this.consumer = this.member.consumer;
    const { onProgress, onFetch } = options;
    if (onFetch) this.consumer.on(this.consumer.events.FETCH, () => onFetch());
    if (onProgress) {
      // A batch with nothing to handle (markers, aborted records) never reaches eachBatch; kafkajs moves past it.
      this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) onProgress(payload.topic.slice(this.prefix.length), payload.partition, payload.lastOffset);
      });
    }
  }

  /** False once it crashed and was not started again (see GroupMember): only a new process resumes it. */
  isAlive(): boolean {
    return this.member.isAlive();
  }

  /** Ready once it has joined its group and has not crashed for good. */
  isReady(): boolean {
    return this.member.isReady();
  }

  start(): Promise<void> {
    const topics = this.options.topics.map((topic) => this.prefix + topic);
    return this.member.start(`joining consumer group ${this.options.groupId}`, topics, {
      fromBeginning: this.options.fromBeginning ?? true,
      deadlineMs: this.options.retryDeadlineMs,
    });
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: (payload) => this.member.handling(() => this.handleBatch(payload)),
    });
  }

  /** How many partitions are handled at once. */
  partitionsConsumedConcurrently(): number {
    return this.concurrency;
  }

  /**
   * A new number of partitions handled at once, without a restart of the process: the records in
   * hand finish and are committed, the consumer leaves its group and joins again with the new value.
   */
  setConcurrency(concurrency: number): Promise<void> {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    this.reconfiguring = this.reconfiguring.then(async () => {
      if (concurrency === this.concurrency || this.stopping) return;
      this.restarting = true;
      try {
        await this.consumer.stop();
      } finally {
        this.restarting = false;
      }
      this.member.left();
      this.concurrency = concurrency;
      if (this.stopping) return;
      await this.run();
      this.log.info({ concurrency }, 'consumer concurrency changed');
    });
    return this.reconfiguring;
  }

  /** Stops fetching, lets the record in hand finish, commits what was handled, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.member.close();
    await this.reconfiguring.catch(() => undefined);
    await this.consumer.disconnect();
  }

  private interrupted(): boolean {
    return this.stopping || this.restarting;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (await this.handleMessages(payload)) this.progress(batch.topic, batch.partition, batch.lastOffset());
  }

  private progress(topic: string, partition: number, offset: string): void {
    this.options.onProgress?.(topic.slice(this.prefix.length), partition, offset);
  }

  /** True when every record of the batch was handled (or dead-lettered), false when it broke off. */
  private async handleMessages(payload: EachBatchPayload): Promise<boolean> {
    const { batchHandler } = this.options;
    if (!batchHandler) return this.handleRecords(payload, payload.batch.messages);
    const size = this.options.maxBatchSize ?? 1000;
    for (let from = 0; from < payload.batch.messages.length; from += size) {
      const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
      if (!isRunning() || isStale() || this.interrupted()) return false;
      const chunk = batch.messages.slice(from, from + size);
      try {
        const topic = batch.topic.slice(this.prefix.length);
        const events = await Promise.all(chunk.map((m) => toConsumedEvent(topic, batch.partition, m, this.options.decode, this.options.poisonErrors)));
        // A span per record, each continuing its producer's trace and lasting the batch: a batch span
        // with links would cut every trace here (and Zipkin shows no links).
        const spans = events.map((event) => startProcessSpan(topic, this.options.groupId, event.envelope));
        await batchHandler(events).then(
          () => endProcessSpans(spans),
          (error: unknown) => {
            endProcessSpans(spans, error);
            throw error;
          },
        );
      } catch (error) {
        this.log.warn({ err: error, topic: batch.topic, partition: batch.partition, records: chunk.length }, 'batch failed; handling its records one by one');
        if (!(await this.handleRecords(payload, chunk))) return false;
        continue;
      }
      const last = chunk[chunk.length - 1]!;
      failpoint('consumer.before-commit');
      resolveOffset(last.offset);
      this.progress(batch.topic, batch.partition, last.offset);
      eventsConsumed.inc({ topic: batch.topic, outcome: 'handled' }, chunk.length);
      consumerLag.set({ group: this.options.groupId, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1));
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    return true;
  }

  /**
   * Record by record, each offset resolved after its effect; the commit (a round trip to the group
   * coordinator) goes per run of records rather than per record. A crash redelivers at most that
   * run, whose effects the handler already makes idempotent.
   */
  private async handleRecords({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload, messages: KafkaMessage[]): Promise<boolean> {
    let handled = 0;
    let uncommitted = 0;
    let lastCommit = Date.now();
    const commit = async () => {
      await commitOffsetsIfNecessary();
      uncommitted = 0;
      lastCommit = Date.now();
    };
    for (const message of messages) {
      if (!isRunning() || isStale() || this.interrupted()) break;
      try {
        await this.handleRecord(batch.topic, batch.partition, message, heartbeat);
      } catch (error) {
        if (error instanceof ConsumerStopping) break;
        throw error;
      }
      failpoint('consumer.before-commit');
      resolveOffset(message.offset);
      this.progress(batch.topic, batch.partition, message.offset);
      handled++;
      consumerLag.set(
        { group: this.options.groupId, topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, Number(batch.highWatermark) - Number(message.offset) - 1),
      );
      uncommitted++;
      if (uncommitted >= RECORDS_PER_COMMIT || Date.now() - lastCommit >= COMMIT_INTERVAL_MS) await commit();
      await heartbeat();
    }
    if (uncommitted > 0 && !isStale()) await commit();
    return handled === messages.length;
  }

  private async handleRecord(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const event = await toConsumedEvent(topic.slice(this.prefix.length), partition, message, this.options.decode, this.options.poisonErrors);
        const span = startProcessSpan(event.topic, this.options.groupId, event.envelope);
        await context
          .with(span.context, () => this.options.handler(event))
          .then(
            () => span.end(),
            (error: unknown) => {
              span.end(error);
              throw error;
            },
          );
        eventsConsumed.inc({ topic, outcome: 'handled' });
        return;
      } catch (error) {
        const transient = (this.options.isTransient ?? isTransientKafkaError)(error);
        if (!transient && (error instanceof PoisonRecordError || attempt >= this.retry.maxAttempts)) {
          await this.deadLetter(topic, partition, message, error, attempt);
          return;
        }
        const delay = backoffDelayMs(attempt, { initialMs: this.retry.initialDelayMs, maxMs: this.retry.maxDelayMs });
        this.log.warn({ err: error, topic, partition, offset: message.offset, attempt, transient, delayMs: delay }, 'record failed; retrying');
        await this.pause(delay, heartbeat);
      }
    }
  }

  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.interrupted()) throw new ConsumerStopping();
      await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
      await heartbeat().catch(() => undefined);
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number): Promise<void> {
    this.log.error({ err: error, topic, partition, offset: message.offset, attempts }, 'dead-lettering record');
    const dead = deadLetterRecord(topic, partition, message, error, attempts, this.options.groupId);
    await this.options.producer.send({ topic: dead.topic, acks: -1, messages: [dead.message] });
    deadLettered.inc({ topic });
    eventsConsumed.inc({ topic, outcome: 'dead_lettered' });
  }
}
