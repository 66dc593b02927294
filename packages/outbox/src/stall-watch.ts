/**
 * Whether a relay still gets its rounds through. A kafkajs producer can wedge for good after the
 * broker it knew moved to a new address (every send then fails with KafkaJSLockTimeout on "connect to
 * broker"); the relay retries its rounds for ever and the rows wait. Once every round has failed for
 * `stalledAfterMs`, the relay reports itself not alive, so that /healthz fails and the process is
 * replaced: the rows are still in the outbox and the new process publishes them with a new producer.
 */
export class StallWatch {
  private failingSince: number | undefined;

  constructor(private readonly stalledAfterMs: number) {}

  succeeded(): void {
    this.failingSince = undefined;
  }

  failed(now = Date.now()): void {
    this.failingSince ??= now;
  }

  isStalled(now = Date.now()): boolean {
    return this.failingSince !== undefined && now - this.failingSince > this.stalledAfterMs;
  }
}

/** Rounds failing for this long make a relay not alive (a broker restart takes well under a minute). */
export const RELAY_STALLED_AFTER_MS = 180_000;
