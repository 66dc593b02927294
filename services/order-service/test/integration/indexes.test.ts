import { MongoClient, type Db, type Document } from 'mongodb';
import { assertValid, loadCatalog, recordSchema } from '@eventline/avro';
import { pendingEventsQuery } from '@eventline/outbox';
import { explainFind, recordCommands, uniqueName, urls } from '@eventline/testkit';
import { LocalCopies } from '../../src/local-copies';
import { Orders } from '../../src/orders';
import { orderService } from '../../src/service';

/**
 * Every hot query of order-service reads through an index on the local MongoDB (FerretDB over
 * DocumentDB, which explains with PostgreSQL's plan): the filters are the ones the real code sends,
 * recorded from the driver, on a collection migrated as the service migrates it at start.
 */
describe('order-service: hot queries use indexes (explain)', () => {
  let client: MongoClient;
  let db: Db;
  let orders: Orders;
  let commands: ReturnType<typeof recordCommands>;
  const catalog = loadCatalog();
  const validate = (recordName: string, payload: unknown) => assertValid(recordSchema(catalog, recordName).type, payload);

  const onlyFilter = (command: Document | undefined, key: 'filter' | 'q' = 'filter'): Document => {
    expect(command).toBeDefined();
    return key === 'q' ? ((command!.updates as Document[])[0]!.q as Document) : (command!.filter as Document);
  };

  beforeAll(async () => {
    client = await new MongoClient(urls.mongo, { monitorCommands: true }).connect();
    db = client.db(uniqueName('orders-explain'));
    await orderService.mongo!.migrate(db);
    const copies = new LocalCopies(db);
    const { users, products } = copies.generation(1);
    await users.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i + 1, firstname: `F${i}`, lastname: `L${i}`, email: `u${i}@example.com`, version: 1 })));
    await products.insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: i + 1, description: `P${i}`, price: 10, qtyAvailable: 100, version: 1 })));
    orders = new Orders(db, copies, 'order-service', validate);
    for (let i = 0; i < 200; i++) await orders.place((i % 50) + 1, (i % 5) + 1, 1);
    // Most orders' events already published, as in a running system: the relay pulls them.
    await db.collection('purchase_order').updateMany({ 'user.id': { $gt: 5 } }, { $set: { pendingEvents: [] } });
    // The relay makes its index at start, as the service starts it.
    await db.collection('purchase_order').createIndex({ 'pendingEvents.eventId': 1 }, { sparse: true, name: 'pending_events' });
    commands = recordCommands(client);
  });
  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('orders of a user (GET ?userId=): the user.id index', async () => {
    await orders.list(7);
    const find = commands.take('find')[0];
    const plan = await explainFind(db, 'purchase_order', { filter: onlyFilter(find), sort: find!.sort as Document });
    expect(plan.collectionScan).toBeUndefined();
    expect(plan.indexes).toContain('user.id_1');
  });

  it("a user change written into that user's orders (ECST): the user.id index", async () => {
    await orders.embedUser({ id: 7, firstname: 'New', lastname: 'Name', email: 'new@example.com', version: 2 });
    const plan = await explainFind(db, 'purchase_order', { filter: onlyFilter(commands.take('update')[0], 'q') });
    expect(plan.collectionScan).toBeUndefined();
    expect(plan.indexes).toContain('user.id_1');
  });

  it('a saga transition by _id and status: the _id index', async () => {
    const order = await db.collection('purchase_order').findOne({ 'user.id': 3 });
    commands.take('find');
    expect(await orders.transition(order!._id, 'PENDING', 'APPROVED', 'dev.eventline.orders.OrderApproved', { orderId: order!._id.toHexString() })).toBe(true);
    const filter = onlyFilter(commands.take('update')[0], 'q');
    expect(Object.keys(filter).sort()).toEqual(['_id', 'status']);
    const plan = await explainFind(db, 'purchase_order', { filter });
    expect(plan.collectionScan).toBeUndefined();
    expect(plan.indexes).toContain('_id_');
  });

  it('pending outbox entries (MongoOutboxRelay): the sparse pending_events index', async () => {
    const plan = await explainFind(db, 'purchase_order', { ...pendingEventsQuery, limit: 100 });
    expect(plan.collectionScan).toBeUndefined();
    expect(plan.indexes).toContain('pending_events');
  });

  it('tells a collection scan apart: a filter on an unindexed field fails the check', async () => {
    const plan = await explainFind(db, 'purchase_order', { filter: { qty: 1 } });
    expect(plan.collectionScan).toBeDefined();
  });
});
