import type { Kafka } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { PartitionProducers } from '../../src/partition-producers';

/**
 * A stand-in for kafkajs whose producers initialise their transactional id (the first transaction())
 * only when the test releases that id: the broker answering CONCURRENT_TRANSACTIONS until the id's
 * last transaction has its markers written.
 */
function kafkaWithHeldInitialisation() {
  const release = new Map<string, () => void>();
  const initialised: string[] = [];
  const kafka = {
    producer: ({ transactionalId }: { transactionalId: string }) => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      transaction: () =>
        new Promise((resolve) => {
          release.set(transactionalId, () => {
            initialised.push(transactionalId);
            resolve({ abort: async () => undefined });
          });
        }),
    }),
  } as unknown as Kafka;
  return { kafka, release: (id: string) => release.get(id)!(), waiting: () => [...release.keys()], initialised };
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('PartitionProducers.ready', () => {
  const logger = createLogger('test', 'silent');

  it('resolves only once every partition of the assignment has its transactional id initialised', async () => {
    const { kafka, release, waiting } = kafkaWithHeldInitialisation();
    const producers = new PartitionProducers({ kafka, idPrefix: 'agg', topicPrefix: '', logger });
    producers.assign({ 'cart-events': [0, 3] });
    const ready = producers.ready();
    await settled(Promise.resolve());
    expect(waiting().sort()).toEqual(['agg.cart-events.0', 'agg.cart-events.3']);

    release('agg.cart-events.0');
    expect(await settled(ready)).toBe(false);
    release('agg.cart-events.3');
    expect(await settled(ready)).toBe(true);
  });

  it('does not wait on a partition dropped since the assignment (fenced, or its producer stuck)', async () => {
    const { kafka, release, initialised } = kafkaWithHeldInitialisation();
    const producers = new PartitionProducers({ kafka, idPrefix: 'agg', topicPrefix: 'env1.', logger });
    producers.assign({ 'env1.cart-events': [1, 2] });
    producers.drop('env1.cart-events', 2);
    const ready = producers.ready();
    await settled(Promise.resolve());
    release('agg.cart-events.1');
    expect(await settled(ready)).toBe(true);
    expect(initialised).toEqual(['agg.cart-events.1']);
  });

  it("renews a held partition's producer after a failed transaction: a new producer initialises the id again (a new epoch); a partition not held is left alone", async () => {
    const { kafka, release, initialised } = kafkaWithHeldInitialisation();
    const producers = new PartitionProducers({ kafka, idPrefix: 'agg', topicPrefix: '', logger });
    producers.assign({ 'cart-events': [0] });
    const first = producers.get('cart-events', 0);
    await settled(Promise.resolve());
    release('agg.cart-events.0');
    const { producer: before } = await first;

    producers.renew('cart-events', 0);
    const second = producers.get('cart-events', 0);
    await settled(Promise.resolve());
    release('agg.cart-events.0');
    const { producer: after } = await second;
    expect(after).not.toBe(before);
    expect(initialised).toEqual(['agg.cart-events.0', 'agg.cart-events.0']);

    producers.renew('cart-events', 5);
    await expect(producers.get('cart-events', 5)).rejects.toThrow(/not held by this instance/);
  });
});
