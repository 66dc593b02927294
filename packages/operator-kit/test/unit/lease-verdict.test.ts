import { leaseVerdict } from '../../src/lease-verdict';

const now = new Date('2026-01-01T00:00:30Z');

describe('leaseVerdict', () => {
  it('creates a Lease that does not exist', () => {
    expect(leaseVerdict(undefined, 'a', now)).toBe('create');
  });

  it('renews its own Lease, even an expired one', () => {
    expect(leaseVerdict({ holderIdentity: 'a', renewTime: new Date('2026-01-01T00:00:00Z'), leaseDurationSeconds: 15 }, 'a', now)).toBe('renew');
  });

  it('waits while another holder renewed within the duration', () => {
    expect(leaseVerdict({ holderIdentity: 'b', renewTime: new Date('2026-01-01T00:00:20Z'), leaseDurationSeconds: 15 }, 'a', now)).toBe('wait');
  });

  it('reads renewTime as the API returns it, a string', () => {
    expect(leaseVerdict({ holderIdentity: 'b', renewTime: '2026-01-01T00:00:20.000000Z', leaseDurationSeconds: 15 }, 'a', now)).toBe('wait');
    expect(leaseVerdict({ holderIdentity: 'b', renewTime: '2026-01-01T00:00:10.000000Z', leaseDurationSeconds: 15 }, 'a', now)).toBe('takeover');
  });

  it('takes over a Lease not renewed within its duration, or released', () => {
    expect(leaseVerdict({ holderIdentity: 'b', renewTime: new Date('2026-01-01T00:00:10Z'), leaseDurationSeconds: 15 }, 'a', now)).toBe('takeover');
    expect(leaseVerdict({ holderIdentity: '', leaseDurationSeconds: 15 }, 'a', now)).toBe('takeover');
  });
});
