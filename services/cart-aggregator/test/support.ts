import type { Kafka, KafkaMessage } from 'kafkajs';
import { AvroCodec, type CartDetails } from '@eventline/avro';
import { buildHeaders, newEnvelope } from '@eventline/kafka';
import { createDatabase, eventually, isolatedKafkaEnvironment, localKafka, uniqueName, urls } from '@eventline/testkit';

/** One isolated cart environment: its own databases and Kafka name prefix. */
export async function cartEnvironment() {
  const { prefix, common } = await isolatedKafkaEnvironment();
  return {
    prefix,
    common,
    products: { ...common, DATABASE_URL: await createDatabase('product') },
    cart: { ...common, DATABASE_URL: await createDatabase('cart') },
    query: { ...common, MONGO_URL: urls.mongo, MONGO_DB: uniqueName('carts') },
    aggregator: common,
  };
}

/** Seed 000's prices, which product-service publishes at start in every environment. */
export const seedPrices: Record<string, { description: string; price: number }> = {
  '1': { description: 'IPad', price: 300 },
  '2': { description: 'IPhone', price: 650 },
  '3': { description: 'Sony TV', price: 320 },
};

type Generated = { type: 'CartItemAdded' | 'CartItemRemoved'; customerId: string; itemId: string; qty: number; version: number };

/** A random but valid stream of adds and removes per customer, with the carts it must add up to (lines sorted by item id). */
export function generateCartEvents(customers: number, perCustomer: number): { events: Generated[]; expected: Map<string, CartDetails> } {
  const events: Generated[] = [];
  const expected = new Map<string, CartDetails>();
  for (let c = 0; c < customers; c++) {
    const customerId = `c${c}`;
    const held = new Map<string, number>();
    for (let v = 1; v <= perCustomer; v++) {
      const itemId = String(1 + Math.floor(Math.random() * 3));
      const have = held.get(itemId) ?? 0;
      if (have > 0 && Math.random() < 0.3) {
        const qty = 1 + Math.floor(Math.random() * have);
        events.push({ type: 'CartItemRemoved', customerId, itemId, qty, version: v });
        if (have - qty > 0) held.set(itemId, have - qty);
        else held.delete(itemId);
      } else {
        const qty = 1 + Math.floor(Math.random() * 3);
        events.push({ type: 'CartItemAdded', customerId, itemId, qty, version: v });
        held.set(itemId, have + qty);
      }
    }
    // Computed here without the aggregator's code: units per item times seed price (lines by item id).
    const lines = [...held.keys()].sort().map((itemId) => {
      const { description, price } = seedPrices[itemId]!;
      return { itemId, productName: description, unitPrice: price, qty: held.get(itemId)!, lineTotal: price * held.get(itemId)! };
    });
    expected.set(customerId, { customerId, cartId: `${customerId}-1`, status: 'OPEN', lines, total: lines.reduce((s, l) => s + l.lineTotal, 0), version: perCustomer });
  }
  // Interleave customers, keeping each customer's order.
  events.sort((a, b) => a.version - b.version || a.customerId.localeCompare(b.customerId));
  return { events, expected };
}

export async function produceCartEvents(prefix: string, events: Generated[]): Promise<void> {
  const codec = new AvroCodec({ registryUrl: urls.registry });
  const producer = localKafka('cart-events-writer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let from = 0; from < events.length; from += 1000) {
    const messages = await Promise.all(
      events.slice(from, from + 1000).map(async (e) => ({
        key: e.customerId,
        value: await codec.encode('cart-events', `dev.eventline.carts.${e.type}`, {
          customerId: e.customerId,
          cartId: `${e.customerId}-1`,
          itemId: e.itemId,
          qty: e.qty,
          version: e.version,
        } as never),
        headers: buildHeaders({ ...newEnvelope(e.type, 'test'), schemaId: await codec.schemaId('cart-events', `dev.eventline.carts.${e.type}`) }),
      })),
    );
    await producer.send({ topic: `${prefix}cart-events`, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Sum of the committed offsets of a group on a topic: how far it got. */
export async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = localKafka('offsets').admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** Every committed record of a topic, read_committed, with the decoded CartDetails. */
export async function readCartDetails(topic: string): Promise<{ key: string; cart: CartDetails }[]> {
  const kafka: Kafka = localKafka('cart-details-reader');
  const codec = new AvroCodec({ registryUrl: urls.registry });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  for (const [partition, end] of ends) if (end === 0n) ends.delete(partition);
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: { key: string; cart: CartDetails; message: KafkaMessage }[] = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        records.push({ key: message.key!.toString(), cart: (await codec.decode(message.value as Buffer)).value as CartDetails, message });
      }
      const end = ends.get(batch.partition);
      if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
    },
  });
  await eventually(
    async () => ends.size,
    (n) => n === 0,
    { what: `all of ${topic} read`, timeoutMs: 60_000 },
  );
  await consumer.disconnect();
  return records;
}

/** A cart with its lines in item-id order, to compare with an expected one. */
export const byItem = (cart: CartDetails): CartDetails => ({ ...cart, lines: [...cart.lines].sort((a, b) => a.itemId.localeCompare(b.itemId)) });

export const lastPerKey = (records: { key: string; cart: CartDetails }[]) => new Map(records.map((r) => [r.key, r.cart]));

/** Every record of one customer came out once per change: versions strictly rise (nothing emitted twice, nothing stale after newer). */
export function assertNoDuplicateOutputs(records: { key: string; cart: CartDetails }[]): void {
  const versions = new Map<string, number>();
  for (const { key, cart } of records) {
    expect(cart.version).toBeGreaterThan(versions.get(key) ?? 0);
    versions.set(key, cart.version);
  }
}
