import { backoffDelayMs } from './backoff';
import type { Logger } from './logger';

export interface RetryOptions {
  logger: Logger;
  /** Give up this long after the first attempt; the error then says what was tried and for how long. */
  deadlineMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class RetryDeadlineError extends Error {
  override readonly name: string = 'RetryDeadlineError';
  constructor(
    what: string,
    attempts: number,
    elapsedMs: number,
    override readonly cause: unknown,
  ) {
    super(`${what} still failed after ${attempts} attempts over ${Math.round(elapsedMs / 1000)} s: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Runs `operation` until it succeeds, retrying the errors `isRetriable` accepts with capped
 * exponential backoff (and jitter) until the deadline: for servers that are still starting when a
 * process starts (a pod beside its database, a broker electing leaders). Any other error is thrown
 * at once: a wrong password or a missing ACL does not get better by waiting.
 */
export async function retryWithDeadline<T>(
  what: string,
  operation: () => Promise<T>,
  isRetriable: (error: unknown) => boolean,
  options: RetryOptions & { deadlineError?: (attempts: number, elapsedMs: number, cause: unknown) => Error },
): Promise<T> {
  const { logger, deadlineMs, initialDelayMs = 200, maxDelayMs = 5_000 } = options;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const elapsed = Date.now() - started;
      if (!isRetriable(error)) throw error;
      if (elapsed >= deadlineMs) throw options.deadlineError?.(attempt, elapsed, error) ?? new RetryDeadlineError(what, attempt, elapsed, error);
      const backoff = backoffDelayMs(attempt, { initialMs: initialDelayMs, maxMs: maxDelayMs, jitter: true });
      const delay = Math.min(backoff, Math.max(0, deadlineMs - elapsed));
      logger.warn({ err: error, attempt, delayMs: delay }, `${what} failed with a retriable error; retrying`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
