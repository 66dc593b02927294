import { MongoClient, type Db, type Document } from 'mongodb';
import { newEnvelope, type ConsumedEvent } from '@eventline/kafka';
import type { CartDetails } from '@eventline/avro';
import { explainFind, recordCommands, uniqueName, urls } from '@eventline/testkit';
import { CartView } from '../../src/cart-view';

/**
 * cart_view's version-guarded upsert (the consumer's and the rebuild's only write) reads through
 * the _id index: the filter is the one the real code sends, recorded from the driver.
 */
describe('cart-query: the cart_view upsert uses the _id index (explain)', () => {
  let client: MongoClient;
  let db: Db;

  const event = (customerId: string, version: number): ConsumedEvent => ({
    topic: 'cart-details',
    partition: 0,
    offset: String(version),
    key: customerId,
    recordName: 'dev.eventline.carts.CartDetails',
    envelope: newEnvelope('CartDetails', 'cart-aggregator'),
    value: { customerId, cartId: `cart-${customerId}`, status: 'OPEN', lines: [], total: 0, version } as unknown as CartDetails,
  });

  beforeAll(async () => {
    client = await new MongoClient(urls.mongo, { monitorCommands: true }).connect();
    db = client.db(uniqueName('carts-explain'));
  });
  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('filters {_id, version older} and plans an _id index scan', async () => {
    const view = new CartView(db);
    for (let i = 0; i < 300; i++) await view.apply(event(`c${i}`, 1));
    const commands = recordCommands(client);
    await view.apply(event('c7', 2));
    const update = commands.take('update')[0];
    const filter = (update!.updates as Document[])[0]!.q as Document;
    expect(filter).toMatchObject({ _id: 'c7' });
    const plan = await explainFind(db, 'cart_view', { filter });
    expect(plan.collectionScan).toBeUndefined();
    expect(plan.indexes).toContain('_id_');
    expect(await view.find('c7')).toMatchObject({ version: 2 });
  });
});
