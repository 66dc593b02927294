/**
 * Tells a consumer that has gone silent from one that is merely idle. An idle kafkajs consumer still
 * fetches every `maxWaitTimeInMs` and heartbeats; one whose fetch loop waits on a connection a
 * restarted broker dropped (kafkajs 2.2.4, seen on the cluster after the broker pod was deleted) makes
 * no request at all, and its owner's handlers are not at work either. After `stallMs` of that it is
 * stalled: the owner's liveness fails and the process is replaced, resuming from committed offsets.
 *
 * Pure: the caller passes the clock, so the rules are tested without timers.
 */
export class SilenceWatch {
  private lastActivityMs: number;
  private lastTickMs: number;
  private handlers = 0;
  private armed = false;
  private stalled = false;

  constructor(
    private readonly stallMs: number,
    private readonly tickMs: number,
    nowMs: number,
  ) {
    this.lastActivityMs = nowMs;
    this.lastTickMs = nowMs;
  }

  /** The consumer runs from now on: silence counts. */
  arm(nowMs: number): void {
    this.armed = true;
    this.touch(nowMs);
  }

  /** The owner is stopping: silence is expected. */
  disarm(): void {
    this.armed = false;
    this.stalled = false;
  }

  /** The consumer did something (a request, a fetch, a join, a crash it recovers from). */
  touch(nowMs: number): void {
    this.lastActivityMs = nowMs;
    this.stalled = false;
  }

  /** A handler started: a long one (a database down, retried patiently) is work, not silence. */
  handlerStarted(nowMs: number): void {
    this.handlers++;
    this.touch(nowMs);
  }

  handlerEnded(nowMs: number): void {
    this.handlers = Math.max(0, this.handlers - 1);
    this.touch(nowMs);
  }

  /**
   * Called every `tickMs`. A tick far later than due means the whole process was paused (SIGSTOP, a
   * frozen container, a long GC): the consumer had no chance to act, so its silence starts over.
   * True when the consumer has just turned stalled.
   */
  tick(nowMs: number): boolean {
    if (nowMs - this.lastTickMs > 3 * this.tickMs) this.lastActivityMs = nowMs;
    this.lastTickMs = nowMs;
    const stalled = this.armed && this.handlers === 0 && nowMs - this.lastActivityMs > this.stallMs;
    const turned = stalled && !this.stalled;
    this.stalled = stalled;
    return turned;
  }

  isStalled(): boolean {
    return this.stalled;
  }

  silentForMs(nowMs: number): number {
    return nowMs - this.lastActivityMs;
  }
}
