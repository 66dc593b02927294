/** What the elector knows of a Lease: who holds it and until when it is theirs. */
export interface LeaseState {
  holderIdentity?: string;
  /** client-node hands MicroTime back as the API's string; a Date when built here. */
  renewTime?: Date | string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
}

/**
 * The Lease record as this candidate last saw it change, and when, by its own monotonic clock. As
 * client-go does, a holder's lease runs out `leaseDurationSeconds` after the record was last seen to
 * change, never by comparing the holder's `renewTime` with the local clock: the two clocks may differ.
 */
export interface LeaseObservation {
  record: string;
  observedAtMs: number;
}

export function observeLease(previous: LeaseObservation | undefined, lease: LeaseState | undefined, nowMs: number): LeaseObservation {
  const renewTime = lease?.renewTime === undefined ? null : new Date(lease.renewTime).getTime();
  const record = JSON.stringify([lease?.holderIdentity ?? null, renewTime, lease?.leaseDurationSeconds ?? null, lease?.leaseTransitions ?? null]);
  return previous?.record === record ? previous : { record, observedAtMs: nowMs };
}

/**
 * What a candidate does with the Lease it just read: create it (none yet), renew it (its own), take it
 * over (released, or unchanged for its whole duration since this candidate saw it change), or wait.
 */
export type LeaseVerdict = 'create' | 'renew' | 'takeover' | 'wait';

export function leaseVerdict(lease: LeaseState | undefined, identity: string, observation: LeaseObservation, nowMs: number): LeaseVerdict {
  if (!lease) return 'create';
  if (lease.holderIdentity === identity) return 'renew';
  if (!lease.holderIdentity) return 'takeover';
  return nowMs > observation.observedAtMs + (lease.leaseDurationSeconds ?? 0) * 1000 ? 'takeover' : 'wait';
}
