import type { Consumer } from 'kafkajs';
import { Backoff, type BackoffPolicy, type Logger } from '@eventline/observability';

export interface CrashRecoveryOptions {
  logger: Logger;
  /** True once the owner is stopping: a crash then restarts nothing. */
  isStopping(): boolean;
  /** Starts the consumer again (kafkajs disconnected it when it crashed): connect, then run. */
  restart(): Promise<void>;
  /** Restarts in a row without joining the group in between before it counts as dead. Default 5. */
  maxRestarts?: number;
  backoff?: BackoffPolicy;
}

/**
 * kafkajs restarts a consumer itself only after a retriable error. After any other crash (an ACL the
 * broker has not applied yet, a dead letter the broker refused) it leaves it stopped for good. This
 * starts it again with backoff; once it has failed `maxRestarts` times without joining its group in
 * between, `isAlive()` turns false and the owner's /healthz has the process replaced.
 */
export class CrashRecovery {
  private readonly backoff: Backoff;
  private readonly maxRestarts: number;
  private restartsWithoutJoin = 0;
  private dead = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(consumer: Consumer, private readonly options: CrashRecoveryOptions) {
    this.backoff = new Backoff(options.backoff ?? { initialMs: 1000, maxMs: 30_000, jitter: true });
    this.maxRestarts = options.maxRestarts ?? 5;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.restartsWithoutJoin = 0;
      this.backoff.reset();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const restartHere = !payload.restart && !options.isStopping() && this.restartsWithoutJoin < this.maxRestarts;
      if (!payload.restart && !restartHere) this.dead = true;
      options.logger.error(
        { err: payload.error, restartedByKafkajs: payload.restart, restartHere, restartsWithoutJoin: this.restartsWithoutJoin },
        'consumer crashed',
      );
      if (restartHere) this.schedule();
    });
  }

  /** False once it crashed and will not be started again. */
  isAlive(): boolean {
    return !this.dead;
  }

  /** Drops a restart that is waiting (the owner is stopping). */
  cancel(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.restartsWithoutJoin++;
    const delayMs = this.backoff.next();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.options.isStopping()) return;
      this.options.logger.warn({ attempt: this.restartsWithoutJoin, delayMs }, 'restarting the consumer after a crash');
      this.options.restart().catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'restarting the consumer failed');
        if (this.options.isStopping()) return;
        if (this.restartsWithoutJoin < this.maxRestarts) this.schedule();
        else this.dead = true;
      });
    }, delayMs);
  }
}
