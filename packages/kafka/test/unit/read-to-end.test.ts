import type { Kafka } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { endOffsets, ReadProgress } from '@eventline/kafka';

const logger = createLogger('read-to-end-test', 'silent');

/** An admin client that answers fetchTopicOffsets from `offsets` (topic → [low, high] per partition). */
function fakeKafka(offsets: Record<string, [low: number, high: number][]>): { kafka: Kafka; asked: string[] } {
  const asked: string[] = [];
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsets: async (topic: string) => {
      asked.push(topic);
      return offsets[topic]!.map(([low, high], partition) => ({ partition, low: String(low), high: String(high), offset: String(high) }));
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, asked };
}

describe('endOffsets', () => {
  it('takes a partition as empty when its high watermark equals its low one, also above 0 (compacted or deleted away)', async () => {
    const { kafka, asked } = fakeKafka({
      'p.users': [
        [0, 0],
        [7, 7],
        [3, 9],
      ],
      'p.products': [[0, 4]],
    });
    const ends = await endOffsets(kafka, ['users', 'products'], { logger, topicPrefix: 'p.' });
    expect(asked).toEqual(['p.users', 'p.products']);
    expect(ends).toEqual(
      new Map([
        ['users/2', 9n],
        ['products/0', 4n],
      ]),
    );
  });
});

describe('ReadProgress', () => {
  it('counts a partition whose end offset is 0 as read, and a resumed position (the offset before the committed one) as progress', () => {
    const progress = new ReadProgress(
      new Map([
        ['dlq/0', 0n],
        ['dlq/1', 5n],
      ]),
    );
    expect([...progress.remaining().keys()]).toEqual(['dlq/1']);
    progress.advance('dlq', 1, '4');
    expect(progress.caughtUp()).toBe(true);
  });

  it('is caught up once every partition is read to its end offset, and at once when there is nothing to read', async () => {
    expect(new ReadProgress(new Map()).caughtUp()).toBe(true);
    const progress = new ReadProgress(
      new Map([
        ['users/0', 3n],
        ['users/1', 2n],
      ]),
    );
    progress.advance('users', 0, '2');
    expect(progress.remaining()).toEqual(new Map([['users/1', 2n]]));
    // Records of partitions it does not read to an end (empty at the start) count for nothing.
    progress.advance('users', 2, '40');
    const waited = progress.wait({ logger });
    progress.advance('users', 1, '1');
    await expect(waited).resolves.toBe(true);
  });

  it('counts the last offset of a batch, a transaction marker that is never delivered as a record included', () => {
    const progress = new ReadProgress(new Map([['cart-details/0', 6n]]));
    progress.advance('cart-details', 0, '4'); // the last record
    expect(progress.caughtUp()).toBe(false);
    progress.advance('cart-details', 0, '5'); // the batch's last offset: the commit marker
    expect(progress.caughtUp()).toBe(true);
  });

  it('never moves back, and reads on to end offsets taken later', () => {
    const progress = new ReadProgress(new Map([['t/0', 5n]]));
    progress.advance('t', 0, '4');
    progress.advance('t', 0, '1');
    expect(progress.caughtUp()).toBe(true);
    progress.readTo(new Map([['t/0', 8n]]));
    expect(progress.caughtUp()).toBe(false);
    expect(progress.includes('t', 0)).toBe(true);
    expect(progress.includes('t', 1)).toBe(false);
  });

  it('gives up once nothing arrived for the idle limit, or at the deadline, saying so with false', async () => {
    const progress = new ReadProgress(new Map([['t/0', 5n]]));
    await expect(progress.wait({ logger, idleMs: 10 })).resolves.toBe(false);
    await expect(progress.wait({ logger, deadlineMs: 10 })).resolves.toBe(false);
  });

  it('takes a reader that reports its fetches for idle only after two fetches came back with nothing', async () => {
    const progress = new ReadProgress(new Map([['t/0', 5n]]));
    progress.fetched();
    let settled = false;
    const waited = progress.wait({ logger, idleMs: 10 }).finally(() => {
      settled = true;
    });
    // Past the idle limit and one re-check of the wait (about a second): no fetch came back, so stalled.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(settled).toBe(false);
    progress.fetched();
    progress.advance('t', 0, '1');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(settled).toBe(false);
    progress.fetched();
    progress.fetched();
    await expect(waited).resolves.toBe(false);
  });

  it("rejects the wait with the reader's failure", async () => {
    const progress = new ReadProgress(new Map([['t/0', 5n]]));
    const waited = progress.wait({ logger });
    progress.fail(new Error('consumer crashed'));
    await expect(waited).rejects.toThrow('consumer crashed');
  });
});
