import { TokenBucket } from '../../src/token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through at once, then one every 1/rate seconds', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 1_000;
    // 10 tokens earned in a second pay the two owed; the bucket holds at most its burst.
    expect(bucket.reserve()).toBe(0);
    now = 60_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0, 100]);
  });
});
