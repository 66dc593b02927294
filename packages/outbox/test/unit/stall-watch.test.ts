import { StallWatch } from '../../src/stall-watch';

describe('StallWatch', () => {
  it('is stalled only once rounds have failed without a success for longer than its bound', () => {
    const watch = new StallWatch(1000);
    expect(watch.isStalled(0)).toBe(false);
    watch.failed(0);
    watch.failed(900);
    expect(watch.isStalled(1000)).toBe(false);
    expect(watch.isStalled(1001)).toBe(true);
    // One round through resets it: the next failures count from their own start.
    watch.succeeded();
    expect(watch.isStalled(5000)).toBe(false);
    watch.failed(5000);
    expect(watch.isStalled(5500)).toBe(false);
    expect(watch.isStalled(6001)).toBe(true);
  });

  it('is stalled while one round has been in flight longer than its bound, and not once it ended', () => {
    const watch = new StallWatch(1000);
    const ended = watch.roundStarted(0);
    const quick = watch.roundStarted(500);
    quick();
    expect(watch.isStalled(1000)).toBe(false);
    expect(watch.isStalled(1001)).toBe(true);
    ended();
    expect(watch.isStalled(5000)).toBe(false);
  });
});
