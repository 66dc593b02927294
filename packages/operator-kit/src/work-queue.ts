/**
 * client-go's work queue, reduced: a key is queued at most once, is never handled by two workers at
 * once (added while in flight, it runs again afterwards), and can be added after a delay.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private closed = false;

  add(key: string): void {
    if (this.closed) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after `delayMs`, unless it is added sooner (an earlier delay wins). */
  addAfter(key: string, delayMs: number): void {
    if (this.closed || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The next key to handle; undefined once the queue is shut down. Call done(key) when finished. */
  async take(): Promise<string | undefined> {
    while (!this.closed) {
      const [next] = this.queued;
      if (next !== undefined) {
        this.queued.delete(next);
        this.inFlight.add(next);
        return next;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  done(key: string): void {
    this.inFlight.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.queued.size;
  }

  shutDown(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}
