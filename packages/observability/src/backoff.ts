/**
 * Capped exponential backoff, the one copy every retry loop uses: the first retry waits `initialMs`,
 * each one after waits twice the one before, none waits more than `maxMs`.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /**
   * Each delay drawn from [half of it, all of it) and rounded to whole milliseconds, so that many
   * processes that failed together do not all retry together. Default false.
   */
  jitter?: boolean;
}

/** The delay before retry number `attempt` (1 for the first retry; 0 and below count as 1). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const grown = policy.initialMs * 2 ** Math.max(0, attempt - 1);
  // 0 × Infinity, once 2 ** (attempt - 1) overflows with a zero initial delay.
  const delay = Math.min(policy.maxMs, Number.isNaN(grown) ? 0 : grown);
  return policy.jitter ? Math.round(delay * (0.5 + random() / 2)) : delay;
}

/** Backoff over a run of failures: `next()` after each failure, `reset()` once it works again. */
export class Backoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /** The delay before the next try; each call counts one more failure. */
  next(): number {
    this.failures++;
    return backoffDelayMs(this.failures, this.policy);
  }

  /** The next failure waits `initialMs` again. */
  reset(): void {
    this.failures = 0;
  }
}

/** What stops on an error and can be started again, e.g. client-node's informer. */
export interface Restartable {
  start(): Promise<void>;
  on(event: 'error', listener: (error: unknown) => void): void;
}

export interface RestartOptions {
  backoff: BackoffPolicy;
  logger: { warn(object: object, message: string): void };
  /** Logged (with the error and `retryInMs`) at each failure that schedules a restart. */
  message: string;
  /** False once the owner has stopped: a failure then schedules nothing. */
  isRunning(): boolean;
  /** Called first at each failure, running or not: an error the target reported or a restart that failed. */
  onFailure?(error: unknown): void;
}

/**
 * Starts `target` again, with backoff, each time it reports an error or a restart fails: client-node's
 * informer stops for good on any error (the API server down, a refused list or watch). The owner
 * calls `reset()` when the target works again and `cancel()` when it stops.
 */
export class Restarter {
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: Restartable,
    private readonly options: RestartOptions,
  ) {
    this.backoff = new Backoff(options.backoff);
    target.on('error', (error) => this.failed(error));
  }

  reset(): void {
    this.backoff.reset();
  }

  /** Drops the restart that is waiting, if any. */
  cancel(): void {
    clearTimeout(this.timer);
  }

  private failed(error: unknown): void {
    this.options.onFailure?.(error);
    if (!this.options.isRunning()) return;
    const delay = this.backoff.next();
    this.options.logger.warn({ err: error, retryInMs: delay }, this.options.message);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.target.start().catch((startError: unknown) => this.failed(startError));
    }, delay);
  }
}
