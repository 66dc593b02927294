import { WorkQueue } from '../../src/work-queue';
import { backoffDelayMs } from '@eventline/observability';
import { RECONCILE_BACKOFF } from '../../src/controller';

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.length).toBe(2);
    expect(await queue.take()).toBe('ns/a');
    expect(await queue.take()).toBe('ns/b');
    expect(queue.length).toBe(0);
  });

  it('does not hand out a key in flight; one added meanwhile comes back after done()', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.take();
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    queue.done(key!);
    expect(queue.length).toBe(1);
    expect(await queue.take()).toBe('ns/a');
  });

  it('adds a key after a delay; an immediate add supersedes it', async () => {
    jest.useFakeTimers();
    try {
      const queue = new WorkQueue();
      queue.addAfter('ns/a', 1000);
      expect(queue.length).toBe(0);
      jest.advanceTimersByTime(1000);
      expect(queue.length).toBe(1);
      await queue.take();
      queue.done('ns/a');
      queue.addAfter('ns/a', 1000);
      queue.add('ns/a');
      await queue.take();
      queue.done('ns/a');
      jest.advanceTimersByTime(1000);
      expect(queue.length).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('wakes a waiting take() on add, and ends it on shutDown()', async () => {
    const queue = new WorkQueue();
    const waiting = queue.take();
    queue.add('ns/x');
    expect(await waiting).toBe('ns/x');
    const ended = queue.take();
    queue.shutDown();
    expect(await ended).toBeUndefined();
  });
});

describe("a failed reconcile's backoff", () => {
  it('doubles from 200 ms and stops at 30 s', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, RECONCILE_BACKOFF))).toEqual([200, 400, 800, 1600]);
    expect(backoffDelayMs(50, RECONCILE_BACKOFF)).toBe(30_000);
  });
});
