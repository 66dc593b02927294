import type { Consumer, Kafka } from 'kafkajs';
import { Backoff, type BackoffPolicy, type Logger } from '@eventline/observability';
import { retryKafka } from './retry';
import { SilenceWatch } from './silence-watch';

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
  /**
   * How long a running consumer may go without a request, a fetch or a handler at work before it
   * counts as stalled and `isAlive()` turns false (see SilenceWatch). Default 90 s: above the longest
   * legitimate silence, a JoinGroup waiting out the rebalance timeout (60 s).
   */
  stallMs?: number;
}

const STALL_TICK_MS = 5_000;

/**
 * A kafkajs consumer in a group, as the event consumer and the transactional processor both hold it:
 * whether it has joined, and its recovery from crashes. kafkajs restarts a consumer itself only after
 * a retriable error; after any other (an ACL the broker has not applied yet, a dead letter the broker
 * refused) it leaves it stopped for good. This starts it again with backoff; once it has failed
 * `maxRestarts` times without joining its group in between, `isAlive()` turns false and the owner's
 * /healthz has the process replaced. So it does when the consumer stalls (see SilenceWatch).
 */
export class GroupMember {
  readonly consumer: Consumer;
  private readonly backoff: Backoff;
  private readonly maxRestarts: number;
  private joined = false;
  private joinedOnce = false;
  private restartsWithoutJoin = 0;
  private dead = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly watch: SilenceWatch;
  private readonly watchTimer: NodeJS.Timeout;

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
    this.watch = new SilenceWatch(options.stallMs ?? 90_000, STALL_TICK_MS, Date.now());
    const { events } = this.consumer;
    for (const event of [events.REQUEST, events.REQUEST_TIMEOUT, events.FETCH_START, events.FETCH, events.HEARTBEAT, events.CONNECT, events.REBALANCING]) {
      this.consumer.on(event, () => this.watch.touch(Date.now()));
    }
    this.watchTimer = setInterval(() => {
      if (options.isStopping()) this.watch.disarm();
      const now = Date.now();
      if (this.watch.tick(now)) {
        options.logger.error(
          { silentForMs: this.watch.silentForMs(now) },
          'consumer stalled: no request, fetch or handler at work; liveness fails so that the process is replaced',
        );
      }
    }, STALL_TICK_MS);
    this.watchTimer.unref();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      this.joinedOnce = true;
      this.watch.touch(Date.now());
      this.restartsWithoutJoin = 0;
      this.backoff.reset();
      options.logger.info({ assignment: event.payload.memberAssignment }, 'joined group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      this.watch.touch(Date.now());
      const restartHere = !payload.restart && !options.isStopping() && this.restartsWithoutJoin < this.maxRestarts;
      if (!payload.restart && !restartHere) this.dead = true;
      options.logger.error({ err: payload.error, restartedByKafkajs: payload.restart, restartHere, restartsWithoutJoin: this.restartsWithoutJoin }, 'consumer crashed');
      if (restartHere) this.scheduleRestart();
    });
  }

  /** False once it crashed and will not be started again, or while it is stalled. */
  isAlive(): boolean {
    return !this.dead && !this.watch.isStalled();
  }

  /** Runs one of the owner's handlers (eachBatch): the time it takes is work, not silence. */
  async handling<T>(work: () => Promise<T>): Promise<T> {
    this.watch.handlerStarted(Date.now());
    try {
      return await work();
    } finally {
      this.watch.handlerEnded(Date.now());
    }
  }

  /** Joined its group and not crashed since. */
  isJoined(): boolean {
    return this.joined;
  }

  /**
   * Joined its group once, alive and its owner not stopping: what the owner's /readyz reports. A crash
   * it recovers from leaves it ready: a broker restart that moves the group's coordinator crashes every
   * replica's consumer at once, and taking every pod out of its Service for it would refuse the HTTP
   * requests that never needed the consumer. One that does not recover fails liveness instead.
   */
  isReady(): boolean {
    return this.joinedOnce && !this.dead && !this.options.isStopping();
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
    this.watch.arm(Date.now());
    await this.options.run();
  }

  /** The owner stopped the consumer to run it again (a new concurrency): not joined until it has. */
  left(): void {
    this.joined = false;
    this.watch.touch(Date.now());
  }

  /** The owner is stopping: drops a restart that is waiting and the stall watch. */
  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.watchTimer);
    this.watch.disarm();
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
