/** Exponential backoff for a failing reconcile: 200 ms doubling per attempt, capped at 30 s. */
export function nextBackoffMs(attempt: number, baseMs = 200, maxMs = 30_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}
