import { SilenceWatch } from '../../src/silence-watch';

const STALL = 90_000;
const TICK = 5_000;

/** Ticks every TICK ms from `fromMs` up to `toMs`; true when one of them turned the watch stalled. */
function tickThrough(watch: SilenceWatch, fromMs: number, toMs: number): boolean {
  let turned = false;
  for (let t = fromMs + TICK; t <= toMs; t += TICK) turned = watch.tick(t) || turned;
  return turned;
}

describe('SilenceWatch', () => {
  it('turns stalled once an armed consumer has done nothing for longer than stallMs, and back when it acts', () => {
    const watch = new SilenceWatch(STALL, TICK, 0);
    watch.arm(0);
    expect(tickThrough(watch, 0, STALL)).toBe(false);
    expect(watch.isStalled()).toBe(false);
    expect(watch.tick(STALL + TICK)).toBe(true);
    expect(watch.isStalled()).toBe(true);
    expect(watch.silentForMs(STALL + TICK)).toBe(STALL + TICK);
    // Reported once, not at every tick.
    expect(watch.tick(STALL + 2 * TICK)).toBe(false);
    expect(watch.isStalled()).toBe(true);
    watch.touch(STALL + 2 * TICK);
    expect(watch.isStalled()).toBe(false);
  });

  it('keeps a consumer that fetches regularly alive indefinitely', () => {
    const watch = new SilenceWatch(STALL, TICK, 0);
    watch.arm(0);
    for (let t = TICK; t <= 10 * STALL; t += TICK) {
      if (t % 20_000 === 0) watch.touch(t);
      expect(watch.tick(t)).toBe(false);
    }
    expect(watch.isStalled()).toBe(false);
  });

  it('does not count silence before it is armed or after it is disarmed', () => {
    const watch = new SilenceWatch(STALL, TICK, 0);
    expect(tickThrough(watch, 0, 3 * STALL)).toBe(false);
    watch.arm(3 * STALL);
    expect(tickThrough(watch, 3 * STALL, 5 * STALL)).toBe(true);
    watch.disarm();
    expect(watch.isStalled()).toBe(false);
    expect(tickThrough(watch, 5 * STALL, 7 * STALL)).toBe(false);
  });

  it('does not count the time a handler is at work, however long', () => {
    const watch = new SilenceWatch(STALL, TICK, 0);
    watch.arm(0);
    watch.handlerStarted(TICK);
    expect(tickThrough(watch, 0, 5 * STALL)).toBe(false);
    watch.handlerEnded(5 * STALL);
    expect(tickThrough(watch, 5 * STALL, 6 * STALL)).toBe(false);
    expect(tickThrough(watch, 6 * STALL, 6 * STALL + 2 * TICK)).toBe(true);
  });

  it('starts the silence over when the process itself was paused (a tick far overdue)', () => {
    const watch = new SilenceWatch(STALL, TICK, 0);
    watch.arm(0);
    expect(tickThrough(watch, 0, 30_000)).toBe(false);
    // Frozen for two minutes: the next tick comes 120 s late.
    expect(watch.tick(150_000)).toBe(false);
    expect(watch.silentForMs(150_000)).toBe(0);
    expect(tickThrough(watch, 150_000, 150_000 + STALL)).toBe(false);
    expect(watch.tick(150_000 + STALL + TICK)).toBe(true);
  });
});
