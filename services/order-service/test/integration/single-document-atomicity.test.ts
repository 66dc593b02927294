import { MongoClient, ObjectId, type Collection, type Db, type Document } from 'mongodb';
import { assertValid, loadCatalog, recordSchema } from '@eventline/avro';
import { applyIfNewer } from '@eventline/inbox';
import { createLogger } from '@eventline/observability';
import { MongoOutboxRelay, PENDING_EVENTS, type PendingEvent } from '@eventline/outbox';
import { createProducer, newEnvelope } from '@eventline/kafka';
import { createTopic, eventually, localKafka, readWholeTopic, uniqueName, urls } from '@eventline/testkit';
import { LocalCopies } from '../../src/local-copies';
import { Orders } from '../../src/orders';

/**
 * The guarantees the services rest on, proved under concurrency on the local engine (FerretDB on
 * DocumentDB), which has no atomic multi-document transactions: each of these is one single-document
 * write racing others on the same document. Nothing here uses a transaction or a change stream.
 */
describe('single-document atomicity under concurrency', () => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = await new MongoClient(urls.mongo).connect();
    db = client.db(uniqueName('atomicity'));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('saga transitions: of APPROVED and REJECTED racing on one PENDING order exactly one wins, with exactly its event', async () => {
    const catalog = loadCatalog();
    const orders = new Orders(db, new LocalCopies(db), 'order-service', (name, payload) => assertValid(recordSchema(catalog, name).type, payload));
    await Orders.migrate(db);
    const ids = Array.from({ length: 40 }, () => new ObjectId());
    await orders.collection.insertMany(ids.map((_id) => ({ _id, status: 'PENDING', pendingEvents: [] }) as never));

    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const orderId = id.toHexString();
        const [approved, rejected, again] = await Promise.all([
          orders.transition(id, 'PENDING', 'APPROVED', 'dev.eventline.orders.OrderApproved', { orderId }),
          orders.transition(id, 'PENDING', 'REJECTED', 'dev.eventline.orders.OrderRejected', { orderId, reason: 'out of stock' }, undefined, 'out of stock'),
          orders.transition(id, 'PENDING', 'APPROVED', 'dev.eventline.orders.OrderApproved', { orderId }),
        ]);
        return { id, wins: [approved, rejected, again].filter(Boolean).length };
      }),
    );

    expect(outcomes.every((o) => o.wins === 1)).toBe(true);
    for (const { id } of outcomes) {
      const order = await orders.collection.findOne({ _id: id });
      const types = order!.pendingEvents.map((e) => e.envelope.eventType);
      expect(types).toEqual([order!.status === 'APPROVED' ? 'OrderApproved' : 'OrderRejected']);
    }
  });

  it('version guards: 30 writers delivering 300 versions of one document in any order leave the newest, and never fail', async () => {
    const users = db.collection<{ _id: number; email: string; version: number }>('users');
    const versions = Array.from({ length: 300 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const writers = Array.from({ length: 30 }, (_, w) =>
      (async () => {
        for (let i = w; i < versions.length; i += 30) await applyIfNewer(users, 7, versions[i]!, { $set: { email: `v${versions[i]}@example.com` } });
      })(),
    );
    await Promise.all(writers);
    expect(await users.findOne({ _id: 7 })).toEqual({ _id: 7, email: 'v300@example.com', version: 300 });
    // The first write of a new document, raced: one document, every other writer told it is stale.
    const firsts = await Promise.all(Array.from({ length: 20 }, () => applyIfNewer(users, 8, 1, { $set: { email: 'first@example.com' } })));
    expect(firsts.filter((o) => o === 'applied')).toHaveLength(1);
    expect(await users.countDocuments({ _id: 8 })).toBe(1);
  });

  it('the in-document outbox: events pushed while the relay publishes and pulls are each published exactly once', async () => {
    const collection: Collection<Document> = db.collection('outboxed');
    const topic = uniqueName('outboxed');
    const kafka = localKafka('atomicity');
    await createTopic(kafka, { topic });
    const producer = createProducer(kafka);
    await producer.connect();
    // Tombstones (no record type) need no schema: the race under test is between the writers' pushes and the relay's pulls.
    const relay = new MongoOutboxRelay({
      collections: [collection],
      producer,
      encoder: { encode: async () => Buffer.alloc(0), schemaId: async () => 0 },
      logger: createLogger('atomicity', 'warn'),
      pollIntervalMs: 5,
    });
    const documents = Array.from({ length: 10 }, () => new ObjectId());
    await collection.insertMany(documents.map((_id) => ({ _id, [PENDING_EVENTS]: [] })));
    await relay.start();
    const event = (n: number): PendingEvent => ({
      eventId: `e-${n}`,
      topic,
      key: String(n % 10),
      recordName: null,
      payload: null,
      envelope: { ...newEnvelope('Test', 'atomicity'), eventId: `e-${n}` },
    });
    await Promise.all(Array.from({ length: 400 }, (_, n) => collection.updateOne({ _id: documents[n % 10] }, { $push: { [PENDING_EVENTS]: event(n) } } as never)));
    await eventually(
      () => collection.countDocuments({ [`${PENDING_EVENTS}.eventId`]: { $exists: true } }),
      (pending) => pending === 0,
      { what: 'every pending event pulled' },
    );
    await relay.stop();
    await producer.disconnect();
    const ids = (await readWholeTopic(topic)).map((m) => (m.headers?.['event-id'] ?? '').toString());
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
  });
});
