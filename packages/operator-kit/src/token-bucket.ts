/**
 * The overall limit on how often a controller starts a reconcile, as client-go's default controller
 * rate limiter: `perSecond` tokens a second, `burst` at most saved. `reserve()` takes a token and
 * returns how long to wait for it (a debt is paid by waiting, as Go's rate.Limiter Reserve).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAtMs = clock();
  }

  reserve(): number {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAtMs) / 1000) * this.perSecond);
    this.updatedAtMs = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }
}
