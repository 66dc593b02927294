import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, PartitionOffset, Producer } from 'kafkajs';
import { deadLetterTopic, PartitionTracker, ReadProgress, retryKafka, withAdmin } from '@eventline/kafka';
import { failpoint, redriven, type Logger } from '@eventline/observability';
import { deadLetterFacts, matchesFilter } from './filter';
import { ledgerKey, ledgerRecord, movedRecords, REDRIVE_LEDGER_TOPIC } from './ledger';
import { addCounts, committedPositions, encodeCounts, noCounts, type RedriveCounts } from './progress';
import { redrivenHeaders } from './provenance';
import type { Redrive } from './types';

export interface RedriveRunOptions {
  kafka: Kafka;
  logger: Logger;
  redrive: Redrive;
  /** KAFKA_NAME_PREFIX: prepended to the topics and the group. */
  prefix: string;
  groupId: string;
  /** The .dlq's end offsets when the Redrive began: records at or after them are not its to move. */
  endOffsets: Map<number, bigint>;
  sessionTimeoutMs?: number;
  /**
   * Fetches have come back with nothing for this long: what is left below the end offsets never
   * becomes readable (a transaction left open by a producer that died). Counted from the first
   * empty fetch after the last progress, so that a slow first fetch on a busy node ends nothing early.
   */
  idleMs?: number;
  maxRecordsPerTransaction?: number;
  /** How long reads of offsets and the start retry a broker that does not answer (default 60 s). */
  retryDeadlineMs?: number;
}

/**
 * One Redrive's move of its .dlq's records back to the source topic, exactly once: the matching
 * records, the group's .dlq offsets and the running counts (as offset metadata) are committed in
 * one Kafka transaction. A run started again after a crash, or for the same Redrive twice, resumes
 * from the committed offsets and counts. A record another Redrive already moved (the redrive ledger,
 * written in the same transactions) is left alone. A dry run commits nothing and only counts.
 */
export class RedriveRun {
  readonly done: Promise<RedriveCounts>;
  private readonly log: Logger;
  private readonly dlq: string;
  private readonly source: string;
  private readonly counts = new Map<number, RedriveCounts>();
  /** How far each .dlq partition is read, against the end offsets the Redrive began with. */
  private readonly read: ReadProgress;
  /** Records of this .dlq that earlier Redrives moved (the ledger as this run began). */
  private moved = new Set<string>();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** Checks each of the producer's sends for records kafkajs did not write. */
  private readonly tracker = new PartitionTracker();
  private finish: (counts: RedriveCounts) => void = () => undefined;
  private fail: (error: unknown) => void = () => undefined;
  private joined = false;
  private finished = false;
  private lastProgress = Date.now();
  /** Fetches completed since the last progress: the first may have been under way when it was made. */
  private fetchesSinceProgress = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedriveRunOptions) {
    const { redrive, prefix } = options;
    this.source = prefix + redrive.spec.topic;
    this.dlq = deadLetterTopic(this.source);
    this.read = new ReadProgress(new Map([...options.endOffsets].map(([partition, end]) => [`${this.dlq}/${partition}`, end])));
    this.log = options.logger.child({ component: 'redrive', redrive: `${redrive.metadata.namespace}/${redrive.metadata.name}`, group: options.groupId });
    this.done = new Promise<RedriveCounts>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.done.catch(() => undefined);
  }

  /** The counts so far: committed ones, plus those of this run. */
  progress(): RedriveCounts {
    return [...this.counts.values()].reduce(addCounts, noCounts());
  }

  private get dryRun(): boolean {
    return this.options.redrive.spec.dryRun === true;
  }

  private get limit(): number {
    return this.options.redrive.spec.limit ?? Number.MAX_SAFE_INTEGER;
  }

  async start(): Promise<void> {
    try {
      await this.begin();
    } catch (error) {
      await this.close();
      this.fail(error);
    }
  }

  private async begin(): Promise<void> {
    const { kafka, groupId, logger } = this.options;
    const retry = { logger, deadlineMs: this.options.retryDeadlineMs ?? 60_000 };
    if (!this.dryRun) {
      for (const [partition, { next, counts }] of await committedPositions(kafka, groupId, this.dlq, retry)) {
        if (next > 0n) this.read.advance(this.dlq, partition, String(next - 1n));
        this.counts.set(partition, counts);
      }
    }
    if (this.complete()) return this.end();
    this.moved = await movedRecords(kafka, this.options.prefix, this.dlq, groupId, retry);
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    // A dry run reads under a group of its own that commits nothing.
    const consumer = kafka.consumer({
      groupId: this.dryRun ? `${groupId}.dry-run` : groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
      sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.madeProgress();
    });
    consumer.on(consumer.events.FETCH, () => {
      this.fetchesSinceProgress++;
    });
    // A batch of transaction markers only (eachBatch never sees it) still moves the position on.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || this.finished) return;
      this.readThrough(payload.partition, payload.lastOffset);
      if (this.complete()) void this.end();
    });
    if (!this.dryRun) this.producer = this.transactionalProducer();
    await retryKafka(
      `starting redrive ${groupId}`,
      async () => {
        await this.producer?.connect();
        await consumer.connect();
        await consumer.subscribe({ topic: this.dlq, fromBeginning: true });
      },
      retry,
    );
    const idleMs = this.options.idleMs ?? 3_000;
    this.idleTimer = setInterval(() => {
      if (!this.joined || this.fetchesSinceProgress < 2 || Date.now() - this.lastProgress <= idleMs) return;
      this.log.warn({ partitions: [...this.read.remaining().keys()] }, `fetches found nothing more to read for ${idleMs} ms; ending with what was readable`);
      void this.end();
    }, 250);
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(payload) });
  }

  private madeProgress(): void {
    this.lastProgress = Date.now();
    this.fetchesSinceProgress = 0;
  }

  /** The partition is read through `offset` (a batch's last, markers included). */
  private readThrough(partition: number, offset: string): void {
    this.read.advance(this.dlq, partition, offset);
    this.madeProgress();
  }

  /** Every partition read to its end offset, or the limit reached. */
  private complete(): boolean {
    if (this.progress().moved >= this.limit || (this.dryRun && this.progress().matched >= this.limit)) return true;
    return this.read.caughtUp();
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const end = this.options.endOffsets.get(batch.partition) ?? 0n;
    const chunkSize = this.options.maxRecordsPerTransaction ?? 100;
    const mine = batch.messages.filter((m) => BigInt(m.offset) < end);
    for (let from = 0; from < mine.length && !this.finished; from += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = mine.slice(from, from + chunkSize);
      const last = await this.moveChunk(batch.partition, chunk, isStale);
      if (last !== undefined) resolveOffset(last);
      this.madeProgress();
      await heartbeat();
      if (this.complete()) break;
    }
    // Through the whole batch: markers after its last record count as read too.
    if (!this.finished && !this.complete()) this.readThrough(batch.partition, batch.lastOffset());
    this.madeProgress();
    if (this.complete()) await this.end();
  }

  /** Moves (or counts) one chunk in one transaction; returns the last offset it consumed. */
  private async moveChunk(partition: number, messages: KafkaMessage[], isStale: () => boolean): Promise<string | undefined> {
    const { redrive } = this.options;
    const before = this.counts.get(partition) ?? noCounts();
    const after = { ...before };
    const totalBefore = this.progress();
    const outputs: Message[] = [];
    const ledger: Message[] = [];
    let consumed: KafkaMessage | undefined;
    const now = new Date();
    for (const message of messages) {
      const taken = this.dryRun ? totalBefore.matched + (after.matched - before.matched) : totalBefore.moved + (after.moved - before.moved);
      if (taken >= this.limit) break;
      consumed = message;
      const key = ledgerKey(this.dlq, partition, message.offset);
      if (this.moved.has(key)) {
        after.alreadyMoved++;
        continue;
      }
      if (!matchesFilter(redrive.spec.filter, deadLetterFacts(message.headers), now)) {
        after.skipped++;
        continue;
      }
      after.matched++;
      if (this.dryRun) continue;
      after.moved++;
      const origin = `${redrive.metadata.namespace}/${redrive.metadata.name}`;
      ledger.push(ledgerRecord(key, { redrive: origin, uid: redrive.metadata.uid ?? '', at: now.toISOString() }));
      outputs.push({
        key: message.key,
        value: message.value,
        headers: redrivenHeaders(message.headers, { redrive: origin, uid: redrive.metadata.uid, dlqTopic: this.dlq, partition, offset: message.offset, at: now }),
      });
    }
    if (!consumed) return undefined;
    const nextOffset = BigInt(consumed.offset) + 1n;
    if (!this.dryRun) await this.commit(partition, outputs, ledger, nextOffset, after, isStale);
    this.counts.set(partition, after);
    this.read.advance(this.dlq, partition, consumed.offset);
    redriven.inc({ topic: redrive.spec.topic, outcome: 'skipped' }, after.skipped - before.skipped);
    redriven.inc({ topic: redrive.spec.topic, outcome: 'already-moved' }, after.alreadyMoved - before.alreadyMoved);
    redriven.inc({ topic: redrive.spec.topic, outcome: this.dryRun ? 'matched' : 'moved' }, after.matched - before.matched);
    return consumed.offset;
  }

  /** The transactional id is the Redrive's: a successor (after a crash, on another replica) fences this one. */
  private transactionalProducer(): Producer {
    return this.options.kafka.producer({
      transactionalId: this.options.groupId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 15_000,
      allowAutoTopicCreation: false,
      createPartitioner: this.tracker.createPartitioner,
    });
  }

  private async commit(partition: number, outputs: Message[], ledger: Message[], nextOffset: bigint, counts: RedriveCounts, isStale: () => boolean): Promise<void> {
    const transaction = await this.producer!.transaction();
    try {
      if (outputs.length > 0) {
        // Checked: kafkajs can resolve a send without writing some partitions' records (PartitionTracker).
        await this.tracker.checked(() =>
          transaction.sendBatch({
            topicMessages: [
              { topic: this.source, messages: outputs },
              { topic: this.options.prefix + REDRIVE_LEDGER_TOPIC, messages: ledger },
            ],
          }),
        );
      }
      const committed: PartitionOffset & { metadata: string } = { partition, offset: nextOffset.toString(), metadata: encodeCounts(counts) };
      await transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic: this.dlq, partitions: [committed] }] });
      failpoint('redrive.before-commit');
      if (isStale()) throw new Error('partition reassigned during the transaction');
      await transaction.commit();
      failpoint('redrive.after-commit');
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => this.log.warn({ err: abortError }, 'abort failed'));
      // The chunk is tried again under a new producer (its id initialised again: a new epoch): kafkajs
      // may have taken back sequence numbers of records the broker wrote, and the retry's batches of
      // the same ranges would be answered as duplicates, unwritten (packages/kafka/README.md).
      const failed = this.producer!;
      this.producer = this.transactionalProducer();
      void failed.disconnect().catch((disconnectError: unknown) => this.log.warn({ err: disconnectError }, 'producer disconnect failed'));
      await retryKafka('connecting a new redrive producer', () => this.producer!.connect(), { logger: this.options.logger, deadlineMs: this.options.retryDeadlineMs ?? 60_000 });
      throw error;
    }
  }

  private async end(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const counts = this.progress();
    this.log.info(counts, this.dryRun ? 'dry run counted' : 'redrive finished');
    // Stopping the consumer from inside its own batch would wait for that batch: do it afterwards.
    setImmediate(() => {
      void this.close().then(() => this.finish(counts));
    });
  }

  async stop(): Promise<void> {
    this.finished = true;
    await this.close();
    this.fail(new Error('redrive run stopped'));
  }

  private async close(): Promise<void> {
    clearInterval(this.idleTimer);
    await this.consumer?.disconnect().catch((error: unknown) => this.log.warn({ err: error }, 'consumer disconnect failed'));
    await this.producer?.disconnect().catch((error: unknown) => this.log.warn({ err: error }, 'producer disconnect failed'));
    if (this.dryRun) {
      const group = `${this.options.groupId}.dry-run`;
      await withAdmin(this.options.kafka, `deleting ${group}`, (admin) => admin.deleteGroups([group]), { logger: this.options.logger, deadlineMs: 10_000 }).catch(() => undefined);
    }
  }
}
