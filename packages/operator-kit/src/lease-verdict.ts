/** What the elector knows of a Lease: who holds it and until when it is theirs. */
export interface LeaseState {
  holderIdentity?: string;
  /** client-node hands MicroTime back as the API's string; a Date when built here. */
  renewTime?: Date | string;
  leaseDurationSeconds?: number;
}

/**
 * What a candidate does with the Lease it just read: create it (none yet), renew it (its own), take it
 * over (released, or not renewed within its duration), or wait (another holder's, still valid).
 */
export type LeaseVerdict = 'create' | 'renew' | 'takeover' | 'wait';

export function leaseVerdict(lease: LeaseState | undefined, identity: string, now: Date): LeaseVerdict {
  if (!lease) return 'create';
  if (lease.holderIdentity === identity) return 'renew';
  if (!lease.holderIdentity || !lease.renewTime) return 'takeover';
  const expiresAt = new Date(lease.renewTime).getTime() + (lease.leaseDurationSeconds ?? 0) * 1000;
  return now.getTime() > expiresAt ? 'takeover' : 'wait';
}
