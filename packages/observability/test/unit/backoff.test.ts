import { EventEmitter } from 'node:events';
import { Backoff, backoffDelayMs, Restarter, type Restartable } from '@eventline/observability';

describe('backoffDelayMs', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, policy))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('takes an attempt below 1 as the first, and stays at the cap however long the failures last', () => {
    expect(backoffDelayMs(0, { initialMs: 200, maxMs: 30_000 })).toBe(200);
    expect(backoffDelayMs(5_000, { initialMs: 200, maxMs: 30_000 })).toBe(30_000);
    expect(backoffDelayMs(5_000, { initialMs: 0, maxMs: 30_000 })).toBe(0);
  });

  it('with jitter, draws from half the delay to all of it, in whole milliseconds', () => {
    const policy = { initialMs: 200, maxMs: 5_000, jitter: true };
    expect(backoffDelayMs(3, policy, () => 0)).toBe(400);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(600);
    expect(backoffDelayMs(3, policy, () => 0.999)).toBe(800);
    expect(backoffDelayMs(10, policy, () => 0.3333)).toBe(3_333);
  });
});

describe('Backoff', () => {
  it('grows with each failure and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1_000, 2_000]);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });
});

/** An informer's shape: emits 'error' when it stops; start() may fail. */
class FakeInformer extends EventEmitter implements Restartable {
  starts = 0;
  failStarts = 0;
  async start(): Promise<void> {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error('list refused');
    }
  }
}

describe('Restarter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = (running = () => true) => {
    const informer = new FakeInformer();
    const warnings: unknown[] = [];
    const failures: unknown[] = [];
    const restarter = new Restarter(informer, {
      backoff: { initialMs: 500, maxMs: 2_000 },
      logger: { warn: (object) => warnings.push((object as { retryInMs: number }).retryInMs) },
      message: 'watch failed',
      isRunning: running,
      onFailure: (error) => failures.push(error),
    });
    return { informer, restarter, warnings, failures };
  };

  it('starts the target again after each error, with growing delays, also when a restart fails', async () => {
    const { informer, warnings, failures } = setup();
    informer.failStarts = 2;
    informer.emit('error', new Error('watch broke'));
    await jest.advanceTimersByTimeAsync(499);
    expect(informer.starts).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(informer.starts).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(informer.starts).toBe(2);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(informer.starts).toBe(3);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(informer.starts).toBe(3);
    expect(warnings).toEqual([500, 1_000, 2_000]);
    expect(failures.map((e) => (e as Error).message)).toEqual(['watch broke', 'list refused', 'list refused']);
  });

  it('waits the shortest delay again after reset', async () => {
    const { informer, restarter, warnings } = setup();
    informer.emit('error', new Error('one'));
    await jest.advanceTimersByTimeAsync(500);
    informer.emit('error', new Error('two'));
    restarter.reset();
    informer.emit('error', new Error('three'));
    expect(warnings).toEqual([500, 1_000, 500]);
  });

  it('restarts nothing once its owner stopped, or after cancel, yet reports the failure', async () => {
    let running = true;
    const { informer, restarter, failures } = setup(() => running);
    informer.emit('error', new Error('before stop'));
    restarter.cancel();
    running = false;
    informer.emit('error', new Error('after stop'));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(informer.starts).toBe(0);
    expect(failures).toHaveLength(2);
  });
});
