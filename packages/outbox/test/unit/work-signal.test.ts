import { outboxCommitted, WorkSignal } from '../../src/wake';

const settled = async (promise: Promise<void>, withinMs: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), withinMs))]);

describe('WorkSignal', () => {
  it('ends a wait at a commit in this process, well before the poll interval', async () => {
    const signal = new WorkSignal();
    const waiting = signal.wait(60_000);
    outboxCommitted();
    expect(await settled(waiting, 1_000)).toBe(true);
    signal.stop();
  });

  it('keeps a wake-up that came while its loop was busy: the next wait returns at once', async () => {
    const signal = new WorkSignal();
    outboxCommitted();
    expect(await settled(signal.wait(60_000), 1_000)).toBe(true);
    // Consumed: the wait after it lasts until the interval.
    expect(await settled(signal.wait(300), 100)).toBe(false);
    signal.stop();
  });

  it('waits out the interval with no commit, and returns at once after stop', async () => {
    const signal = new WorkSignal(2);
    expect(await settled(signal.wait(200), 1_000)).toBe(true);
    const waiting = signal.wait(60_000);
    signal.stop();
    expect(await settled(waiting, 1_000)).toBe(true);
    expect(await settled(signal.wait(60_000), 1_000)).toBe(true);
  });
});
