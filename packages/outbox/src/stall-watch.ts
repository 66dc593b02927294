/**
 * Whether a relay still gets its rounds through. A kafkajs producer can wedge for good after the
 * broker it knew moved to a new address (every send then fails with KafkaJSLockTimeout on "connect to
 * broker"); the relay retries its rounds for ever and the rows wait. Once every round has failed for
 * `stalledAfterMs`, or one round has been in flight that long (a send that never ends, holding the
 * partitions it claimed), the relay reports itself not alive, so that /healthz fails and the process
 * is replaced: the rows are still in the outbox and the new process publishes them with a new producer.
 */
export class StallWatch {
  private failingSince: number | undefined;
  private readonly inFlight = new Set<{ since: number }>();

  constructor(private readonly stalledAfterMs: number) {}

  /** A round begins; call the returned function when it ends, however it ends. */
  roundStarted(now = Date.now()): () => void {
    const round = { since: now };
    this.inFlight.add(round);
    return () => this.inFlight.delete(round);
  }

  succeeded(): void {
    this.failingSince = undefined;
  }

  failed(now = Date.now()): void {
    this.failingSince ??= now;
  }

  isStalled(now = Date.now()): boolean {
    const failing = this.failingSince !== undefined && now - this.failingSince > this.stalledAfterMs;
    return failing || [...this.inFlight].some((round) => now - round.since > this.stalledAfterMs);
  }
}

/** Rounds failing for this long make a relay not alive (a broker restart takes well under a minute). */
export const RELAY_STALLED_AFTER_MS = 180_000;
