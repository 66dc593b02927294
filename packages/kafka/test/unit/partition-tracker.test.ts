import { Partitioners, type PartitionMetadata, type RecordMetadata } from 'kafkajs';
import { PartitionTracker, UnwrittenRecordsError } from '../../src/partition-tracker';
import { isRetriableKafkaError } from '../../src/retry';

const partitionMetadata: PartitionMetadata[] = Array.from({ length: 12 }, (_, partitionId) => ({
  partitionId,
  leader: partitionId % 3,
  replicas: [0, 1, 2],
  isr: [0, 1, 2],
  partitionErrorCode: 0,
}));

const answer = (topicName: string, partition: number): RecordMetadata => ({ topicName, partition, errorCode: 0, baseOffset: '0' });

/** What kafkajs does with a send: the partitioner places each record (here once, as in a send without retries). */
function place(tracker: PartitionTracker, topic: string, keys: string[]): number[] {
  const partitioner = tracker.createPartitioner();
  return keys.map((key) => partitioner({ topic, partitionMetadata, message: { key, value: null } }));
}

describe('PartitionTracker', () => {
  it("places records where kafkajs' default partitioner (murmur2) would", () => {
    const keys = ['customer-1', 'customer-2', 'a', 'b', 'c', 'order-77'];
    const reference = Partitioners.DefaultPartitioner();
    const expected = keys.map((key) => reference({ topic: 'cart-events', partitionMetadata, message: { key, value: null } }));
    expect(place(new PartitionTracker(), 'cart-events', keys)).toEqual(expected);
  });

  it('accepts a send the brokers answered for every partition given records', async () => {
    const tracker = new PartitionTracker();
    const results = await tracker.checked(async () => {
      const partitions = place(tracker, 'cart-events', ['k1', 'k2', 'k3', 'k4']);
      return [...new Set(partitions)].map((p) => answer('cart-events', p));
    });
    expect(results.length).toBeGreaterThan(0);
  });

  it('refuses, retriably, a send resolved without an answer for a partition given records (kafkajs #1303), naming it', async () => {
    const tracker = new PartitionTracker();
    const send = tracker.checked(async () => {
      const partitions = [...new Set(place(tracker, 'cart-events', ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']))];
      expect(partitions.length).toBeGreaterThan(1);
      // The broker that answered first took over the last partition's leadership; kafkajs never sent it there.
      return partitions.slice(0, -1).map((p) => answer('cart-events', p));
    });
    const error = await send.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnwrittenRecordsError);
    expect((error as UnwrittenRecordsError).partitions).toHaveLength(1);
    expect((error as Error).message).toMatch(/^kafkajs resolved a send without writing to cart-events\/\d+/);
    expect(isRetriableKafkaError(error)).toBe(true);
  });

  it("checks each send against its own records only, and a topic's partition only under that topic", async () => {
    const tracker = new PartitionTracker();
    const [first] = place(tracker, 'cart-events', ['k1']);
    // A second send: the first's partition is forgotten at its start.
    await tracker.checked(async () => {
      const [partition] = place(tracker, 'cart-details', ['k1']);
      return [answer('cart-details', partition!)];
    });
    expect(first).toBeDefined();
    // The same partition number answered under another topic is no answer for this one.
    await expect(
      tracker.checked(async () => {
        const [partition] = place(tracker, 'cart-events', ['k1']);
        return [answer('cart-details', partition!)];
      }),
    ).rejects.toBeInstanceOf(UnwrittenRecordsError);
  });

  it('has nothing to check with acks 0 (no answers)', async () => {
    const tracker = new PartitionTracker();
    await expect(
      tracker.checked(async () => {
        place(tracker, 'cart-events', ['k1']);
        return [];
      }, 0),
    ).resolves.toEqual([]);
  });
});
