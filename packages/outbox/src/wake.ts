/**
 * Wake-ups within the process: a commit that queued outbox rows (or a MongoDB write that carried
 * pending events) wakes this process's relays at once, where a pg_notify per commit would cost every
 * writer a global lock at commit (a third of the command path's throughput, measured). Relays
 * elsewhere find the rows at their next poll.
 */
const relays = new Set<() => void>();

export function onOutboxCommit(wake: () => void): () => void {
  relays.add(wake);
  return () => relays.delete(wake);
}

export function outboxCommitted(): void {
  for (const wake of relays) wake();
}

/**
 * What a relay's loops wait on between rounds: a commit's wake-up, their poll interval, or stop.
 * A wake-up that comes while fewer loops wait than run (a round was busy, and may have read before
 * the commit) makes the next wait return at once, so none is lost.
 */
export class WorkSignal {
  private woken = false;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(private readonly loops = 1) {
    this.unsubscribe = onOutboxCommit(() => this.wake());
  }

  wake(): void {
    if (this.waiters.size < this.loops) this.woken = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  wait(ms: number): Promise<void> {
    if (this.stopped || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Ends every wait now and every later one at once; no more wake-ups from commits. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.wake();
  }
}
