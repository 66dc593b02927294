/**
 * Wake-ups within the process: a commit that queued outbox events wakes this process's relays at
 * once, where a pg_notify per commit would cost every writer a global lock at commit (a third of
 * the command path's throughput, measured). Relays elsewhere find the events at their next poll.
 */
const relays = new Set<() => void>();

export function onOutboxCommit(wake: () => void): () => void {
  relays.add(wake);
  return () => relays.delete(wake);
}

/** Call after a write that queued outbox events has committed (a PostgreSQL commit, a MongoDB document write). */
export function outboxCommitted(): void {
  for (const wake of relays) wake();
}

/**
 * The idle wait of a relay's `loops` round loops: a wake-up ends every wait in progress, and one that
 * comes while a loop is busy in a round (which may have read before the commit) ends that loop's
 * next wait at once.
 */
export class WorkSignal {
  private woken = false;
  private closed = false;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly loops: number) {}

  wake(): void {
    if (this.waiting.size < this.loops) this.woken = true;
    for (const done of [...this.waiting]) done();
  }

  /** The relay is stopping: every wait, now and from here on, ends at once. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  wait(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }
}
