import { leaseVerdict, observeLease, type LeaseState } from '../../src/lease-verdict';

/** A candidate's monotonic clock, in ms: it reads the Lease at these times. */
const held = (renewTime: string): LeaseState => ({ holderIdentity: 'b', renewTime, leaseDurationSeconds: 15 });

/** Reads `records` one after another at `times` (the candidate's clock) and returns the last verdict. */
function verdictAfter(records: (LeaseState | undefined)[], times: number[], identity = 'a') {
  let observation = observeLease(undefined, records[0], times[0]!);
  for (let i = 1; i < records.length; i++) observation = observeLease(observation, records[i], times[i]!);
  return leaseVerdict(records.at(-1), identity, observation, times.at(-1)!);
}

describe('leaseVerdict by observed time', () => {
  it('creates a Lease that does not exist', () => {
    expect(verdictAfter([undefined], [0])).toBe('create');
  });

  it('renews its own Lease, however long unchanged', () => {
    const own = { ...held('2026-01-01T00:00:00Z'), holderIdentity: 'a' };
    expect(verdictAfter([own, own], [0, 60_000])).toBe('renew');
  });

  it('takes over a released Lease at once', () => {
    expect(verdictAfter([{ holderIdentity: '', leaseDurationSeconds: 15 }], [0])).toBe('takeover');
  });

  it('waits a whole duration after first seeing a holder, even when its renewTime is long past (holder clock behind)', () => {
    const stale = held('2020-01-01T00:00:00.000000Z');
    expect(verdictAfter([stale], [1_000])).toBe('wait');
    expect(verdictAfter([stale, stale], [1_000, 15_000])).toBe('wait');
    expect(verdictAfter([stale, stale], [1_000, 16_001])).toBe('takeover');
  });

  it('takes over a Lease whose renewTime is in the future once it stopped changing for its duration (holder clock ahead)', () => {
    const ahead = held('2099-01-01T00:00:00.000000Z');
    expect(verdictAfter([ahead, ahead], [0, 14_000])).toBe('wait');
    expect(verdictAfter([ahead, ahead], [0, 15_001])).toBe('takeover');
  });

  it('restarts the count each time the holder renews, whatever its clock says', () => {
    const renewals = [held('2099-01-01T00:00:00Z'), held('2020-01-01T00:00:00Z'), held('1999-01-01T00:00:00Z')];
    expect(verdictAfter(renewals, [0, 10_000, 20_000])).toBe('wait');
    expect(verdictAfter([...renewals, renewals[2]], [0, 10_000, 20_000, 34_000])).toBe('wait');
    expect(verdictAfter([...renewals, renewals[2]], [0, 10_000, 20_000, 35_001])).toBe('takeover');
  });

  it('reads renewTime as the API returns it (a string) and as built here (a Date) alike', () => {
    const first = observeLease(undefined, held('2026-01-01T00:00:20.000000Z'), 0);
    const again = observeLease(first, { ...held('x'), renewTime: new Date('2026-01-01T00:00:20Z') }, 5_000);
    expect(again).toBe(first);
  });

  it('counts a new holder as a change', () => {
    const first = observeLease(undefined, held('2026-01-01T00:00:20Z'), 0);
    expect(observeLease(first, { ...held('2026-01-01T00:00:20Z'), holderIdentity: 'c' }, 5_000).observedAtMs).toBe(5_000);
  });
});
