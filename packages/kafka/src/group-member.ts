import type { Consumer, Kafka } from 'kafkajs';
import { Backoff, type BackoffPolicy, type Logger } from '@eventline/observability';
import { retryKafka } from './retry';

export interface GroupMemberOptions {
  kafka: Kafka;
  groupId: string;
  logger: Logger;
  /** How long the group waits for a silent member (a killed process) before giving its partitions away. Default 30 s. */
  sessionTimeoutMs?: number;
  maxWaitTimeInMs: number;
  /** True once the owner is stopping: a crash then restarts nothing. */
  isStopping(): boolean;
  /** Runs the consumer (`consumer.run(...)`): the owner's start, and again after a crash. */
  run(): Promise<void>;
  /** Restarts in a row without joining the group in between before it counts as dead. Default 5. */
  maxRestarts?: number;
  restartBackoff?: BackoffPolicy;
}

/**
 * A kafkajs consumer in a group, as the event consumer and the transactional processor both hold it:
 * whether it has joined, and its recovery from crashes. kafkajs restarts a consumer itself only after
 * a retriable error; after any other (an ACL the broker has not applied yet, a dead letter the broker
 * refused) it leaves it stopped for good. This starts it again with backoff; once it has failed
 * `maxRestarts` times without joining its group in between, `isAlive()` turns false and the owner's
 * /healthz has the process replaced.
 */
export class GroupMember {
  readonly consumer: Consumer;
  private readonly backoff: Backoff;
  private readonly maxRestarts: number;
  private joined = false;
  private restartsWithoutJoin = 0;
  private dead = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GroupMemberOptions) {
    const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // Committed records only: an aborted transaction's records are never handed out.
      readUncommitted: false,
      maxWaitTimeInMs: options.maxWaitTimeInMs,
      sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    });
    this.backoff = new Backoff(options.restartBackoff ?? { initialMs: 1000, maxMs: 30_000, jitter: true });
    this.maxRestarts = options.maxRestarts ?? 5;
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      this.restartsWithoutJoin = 0;
      this.backoff.reset();
      options.logger.info({ assignment: event.payload.memberAssignment }, 'joined group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      const restartHere = !payload.restart && !options.isStopping() && this.restartsWithoutJoin < this.maxRestarts;
      if (!payload.restart && !restartHere) this.dead = true;
      options.logger.error({ err: payload.error, restartedByKafkajs: payload.restart, restartHere, restartsWithoutJoin: this.restartsWithoutJoin }, 'consumer crashed');
      if (restartHere) this.scheduleRestart();
    });
  }

  /** False once it crashed and will not be started again. */
  isAlive(): boolean {
    return !this.dead;
  }

  /** Joined its group and not crashed since. */
  isJoined(): boolean {
    return this.joined;
  }

  /** Joined, alive and its owner not stopping: what the owner's /readyz reports. */
  isReady(): boolean {
    return this.joined && !this.dead && !this.options.isStopping();
  }

  /**
   * Connects (after `before`: the owner's producer, say) and subscribes to `topics` (as named on the
   * broker), retried as one step until `deadlineMs`, then runs the consumer.
   */
  async start(what: string, topics: readonly string[], options: { fromBeginning: boolean; deadlineMs?: number; before?: () => Promise<void> }): Promise<void> {
    await retryKafka(
      what,
      async () => {
        await options.before?.();
        await this.consumer.connect();
        for (const topic of topics) await this.consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
      },
      { logger: this.options.logger, deadlineMs: options.deadlineMs },
    );
    await this.options.run();
  }

  /** The owner stopped the consumer to run it again (a new concurrency): not joined until it has. */
  left(): void {
    this.joined = false;
  }

  /** Drops a restart that is waiting (the owner is stopping). */
  cancelRestart(): void {
    clearTimeout(this.timer);
  }

  private scheduleRestart(): void {
    this.restartsWithoutJoin++;
    const delayMs = this.backoff.next();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.options.isStopping()) return;
      this.options.logger.warn({ attempt: this.restartsWithoutJoin, delayMs }, 'restarting the consumer after a crash');
      // kafkajs disconnected it when it crashed.
      this.consumer
        .connect()
        .then(() => this.options.run())
        .catch((error: unknown) => {
          this.options.logger.error({ err: error }, 'restarting the consumer failed');
          if (this.options.isStopping()) return;
          if (this.restartsWithoutJoin < this.maxRestarts) this.scheduleRestart();
          else this.dead = true;
        });
    }, delayMs);
  }
}
