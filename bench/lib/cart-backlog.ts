import type { Kafka, Message } from 'kafkajs';
import { AvroCodec, kafkaTopics, loadCatalog, recordSchema } from '@eventline/avro';
import { buildHeaders, createProducer, newEnvelope, type EventEnvelope } from '@eventline/kafka';

/**
 * A cart-events backlog for the aggregator benchmarks, written straight to `<prefix>cart-events` as
 * cart-service's outbox relay would write it (Confluent-framed Avro, envelope headers, keyed by
 * customer id), with the products it names on `<prefix>products` as product-service would publish them.
 * The stream is a pure function of (events, customers, products, seed), so every prefix gets the
 * same events, and the expected carts are computed here without the aggregator's code.
 */
export interface BacklogSize {
  events: number;
  customers: number;
  products: number;
  seed?: number;
}

export const productState = 'dev.eventline.products.ProductState';
const added = 'dev.eventline.carts.CartItemAdded';
const removed = 'dev.eventline.carts.CartItemRemoved';

export const productOf = (id: number) => ({ id, description: `Product ${id}`, price: 100 + ((id * 37) % 900), qtyAvailable: 1000, version: 1 });

/** What a customer's cart must add up to after the whole backlog. */
export interface ExpectedCart {
  total: number;
  version: number;
  lines: number;
}

/** A small, fast, seeded PRNG (mulberry32), so runs and prefixes see the same stream. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Generated = { type: typeof added | typeof removed; customerId: string; itemId: string; qty: number; version: number };

/**
 * Valid streams per customer, interleaved at random: each event goes to a random customer, with the
 * next version of that customer's stream; 30 % of the events of a customer holding something remove
 * 1..held units of a held item, the rest add 1..3 units of a random product.
 */
export function* cartEvents({ events, customers, products, seed = 42 }: BacklogSize, expected?: Map<string, ExpectedCart>): Generator<Generated> {
  const next = random(seed);
  const versions = new Uint32Array(customers);
  const held: (Map<string, number> | undefined)[] = new Array(customers);
  for (let i = 0; i < events; i++) {
    const c = Math.floor(next() * customers);
    const version = ++versions[c]!;
    const customerId = `c${c}`;
    const cart = (held[c] ??= new Map());
    if (cart.size > 0 && next() < 0.3) {
      const items = [...cart.keys()];
      const itemId = items[Math.floor(next() * items.length)]!;
      const have = cart.get(itemId)!;
      const qty = 1 + Math.floor(next() * have);
      if (have - qty > 0) cart.set(itemId, have - qty);
      else cart.delete(itemId);
      yield { type: removed, customerId, itemId, qty, version };
    } else {
      const itemId = String(1 + Math.floor(next() * products));
      const qty = 1 + Math.floor(next() * 3);
      cart.set(itemId, (cart.get(itemId) ?? 0) + qty);
      yield { type: added, customerId, itemId, qty, version };
    }
  }
  if (expected) {
    for (let c = 0; c < customers; c++) {
      const cart = held[c];
      if (!cart) continue;
      let total = 0;
      for (const [itemId, qty] of cart) total += productOf(Number(itemId)).price * qty;
      expected.set(`c${c}`, { total, version: versions[c]!, lines: cart.size });
    }
  }
}

/** Creates the catalog's topics under the prefix, as a service does at its start. */
export async function ensurePrefixedTopics(kafka: Kafka, prefix: string, extra: string[] = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      ...kafkaTopics(loadCatalog()).map((t) => ({ ...t, topic: prefix + t.topic })),
      ...extra.map((topic) => ({ topic, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
    ];
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Writes the products and the backlog under the prefix; returns the expected carts. Encodes with the
 * registered schemas' ids and the local Avro types directly (the generated values are valid by
 * construction, so the per-record validation of AvroCodec.encode is skipped to keep this fast).
 */
export async function produceBacklog(kafka: Kafka, prefix: string, size: BacklogSize, progress: (sent: number) => void = () => undefined): Promise<Map<string, ExpectedCart>> {
  const codec = new AvroCodec();
  const framed = async (topic: string, recordName: string) => {
    const id = await codec.schemaId(topic, recordName);
    const type = recordSchema(codec.catalog, recordName).type;
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    return { id, encode: (value: unknown) => Buffer.concat([header, type.toBuffer(value)]) };
  };
  const product = await framed('products', productState);
  const types = { [added]: await framed('cart-events', added), [removed]: await framed('cart-events', removed) };
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    for (let from = 1; from <= size.products; from += 1000) {
      const messages: Message[] = [];
      for (let id = from; id < Math.min(from + 1000, size.products + 1); id++) {
        messages.push({ key: String(id), value: product.encode(productOf(id)), headers: buildHeaders({ ...newEnvelope('ProductState', 'bench'), schemaId: product.id }) });
      }
      await producer.send({ topic: `${prefix}products`, acks: -1, messages });
    }
    const expected = new Map<string, ExpectedCart>();
    let batch: Message[] = [];
    let sent = 0;
    const flush = async () => {
      await producer.send({ topic: `${prefix}cart-events`, acks: -1, messages: batch });
      sent += batch.length;
      batch = [];
      progress(sent);
    };
    for (const e of cartEvents(size, expected)) {
      const { id, encode } = types[e.type];
      batch.push({
        key: e.customerId,
        value: encode({ customerId: e.customerId, cartId: `${e.customerId}-1`, itemId: e.itemId, qty: e.qty, version: e.version }),
        headers: buildHeaders({ ...backlogEnvelope(e.type.slice('dev.eventline.carts.'.length)), schemaId: id }),
      });
      if (batch.length === 5000) await flush();
    }
    if (batch.length > 0) await flush();
    return expected;
  } finally {
    await producer.disconnect();
  }
}

/**
 * BENCH_SAMPLED_SHARE (0 to 1): the share of backlog events whose trace context says "sampled", as if
 * a cart-service tracing at that ratio had written them (bench/tracing.ts); unset, none is.
 */
const sampledShare = Number(process.env.BENCH_SAMPLED_SHARE ?? 0);

function backlogEnvelope(eventType: string): EventEnvelope {
  const envelope = newEnvelope(eventType, 'bench');
  if (Math.random() < sampledShare) envelope.traceparent = `${envelope.traceparent.slice(0, -2)}01`;
  return envelope;
}

/**
 * One CartItemAdded on each of the first `partitions` cart-events partitions (customers of their own):
 * records for every instance of a group that has read its backlog, so that each one handles a batch
 * (and restores its state first).
 */
export async function producePerPartition(kafka: Kafka, prefix: string, partitions: number): Promise<void> {
  const codec = new AvroCodec();
  const id = await codec.schemaId('cart-events', added);
  const type = recordSchema(codec.catalog, added).type;
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const messages: Message[] = Array.from({ length: partitions }, (_, partition) => {
      const customerId = `trigger-${partition}-${Date.now()}`;
      const value = Buffer.concat([header, type.toBuffer({ customerId, cartId: `${customerId}-1`, itemId: '1', qty: 1, version: 1 })]);
      return { key: customerId, value, partition, headers: buildHeaders({ ...newEnvelope('CartItemAdded', 'bench'), schemaId: id }) };
    });
    await producer.send({ topic: `${prefix}cart-events`, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
