import { WorkSignal } from '../../src/wake';

describe('WorkSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const settled = async (wait: Promise<unknown>) => {
    let done = false;
    void wait.then(() => {
      done = true;
    });
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('ends a wait at its timeout when nothing wakes it', async () => {
    const signal = new WorkSignal(1);
    const wait = signal.wait(200);
    expect(await settled(wait)).toBe(false);
    jest.advanceTimersByTime(199);
    expect(await settled(wait)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settled(wait)).toBe(true);
  });

  it('ends every wait in progress at a wake-up', async () => {
    const signal = new WorkSignal(2);
    const waits = [signal.wait(10_000), signal.wait(10_000)];
    signal.wake();
    expect(await settled(Promise.all(waits))).toBe(true);
    // Both loops were waiting: nothing is latched for later.
    expect(await settled(signal.wait(10_000))).toBe(false);
  });

  it("keeps a wake-up that came while a loop was busy for that loop's next wait, once", async () => {
    const signal = new WorkSignal(1);
    signal.wake();
    expect(await settled(signal.wait(10_000))).toBe(true);
    expect(await settled(signal.wait(10_000))).toBe(false);
  });

  it('ends the waits in progress and every later one at once when closed', async () => {
    const signal = new WorkSignal(1);
    const waiting = signal.wait(10_000);
    signal.close();
    expect(await settled(waiting)).toBe(true);
    expect(await settled(signal.wait(10_000))).toBe(true);
    expect(await settled(signal.wait(10_000))).toBe(true);
  });
});
