import { MongoClient } from 'mongodb';
import { AvroCodec } from '@eventline/avro';
import { buildHeaders, newEnvelope } from '@eventline/kafka';
import { eventually, localKafka, requestJson, startServiceProcess, urls, type ServiceProcess } from '@eventline/testkit';
import { orderIdForCart } from '../../src/orders';
import { ecstEnvironment, readWholeTopic, type EcstEnvironment } from './support';

interface Order {
  id: string;
  status: string;
  reason?: string;
  qty: number;
}

/**
 * The choreographed order saga (no orchestrator): order-service publishes OrderPlaced from the order
 * document itself; product-service reserves or rejects stock in one transaction with its events;
 * order-service moves the order on StockReserved / StockRejected. Real processes, real servers.
 */
describe('order saga: orders ⇄ inventory', () => {
  let env: EcstEnvironment;
  let products: ServiceProcess;
  let orders: ServiceProcess;
  const others: ServiceProcess[] = [];
  let mongo: MongoClient;

  const stock = async (id: number) => (await requestJson<{ qtyAvailable: number }>(`${products.url}/product-service/products/${id}`)).body.qtyAvailable;
  const order = async (id: string) => (await requestJson<Order>(`${orders.url}/order-service/orders/${id}`)).body;
  const place = (productId: number, qty: number, userId = 1) => requestJson<Order>(`${orders.url}/order-service/orders`, 'POST', { userId, productId, qty });
  const settled = (id: string) =>
    eventually(
      () => order(id),
      (o) => o.status !== 'PENDING',
      { what: `order ${id} settled`, timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    env = await ecstEnvironment();
    [products, orders] = await Promise.all([startServiceProcess('product-service', env.products), startServiceProcess('order-service', env.orders)]);
    others.push(await startServiceProcess('user-service', env.users));
    mongo = await new MongoClient(urls.mongo).connect();
    await eventually(
      () => place(1, 1),
      (r) => r.status === 201,
      { what: 'order-service knows user 1 and product 1' },
    ).then((r) => settled(r.body.id));
  });
  afterAll(async () => {
    await mongo.close();
    await Promise.all([products, orders, ...others].map((s) => s?.process.kill('SIGTERM')));
  });

  it('approves an order and takes its units from stock', async () => {
    const before = await stock(3);
    const placed = await place(3, 2);
    expect(placed).toMatchObject({ status: 201, body: { status: 'PENDING', qty: 2 } });
    expect((await settled(placed.body.id)).status).toBe('APPROVED');
    expect(await stock(3)).toBe(before - 2);
  });

  it('rejects an order there is not enough stock for, and takes nothing', async () => {
    const before = await stock(2);
    const placed = await place(2, before + 1);
    const done = await settled(placed.body.id);
    expect(done).toMatchObject({ status: 'REJECTED', reason: `product 2 has ${before} available, ${before + 1} asked` });
    expect(await stock(2)).toBe(before);
  });

  it('approves exactly 10 of 50 concurrent orders for 10 units; stock ends at 0, never below', async () => {
    const created = await requestJson<{ id: number }>(`${products.url}/product-service/products`, 'POST', { description: 'Limited edition', price: 99, qtyAvailable: 10 });
    const productId = created.body.id;
    await eventually(
      () => place(productId, 1),
      (r) => r.status === 201,
      { what: 'order-service knows the new product' },
    ).then((r) => settled(r.body.id));
    // One unit went to the probe order above: top the stock up to exactly 10 again.
    expect((await requestJson(`${products.url}/product-service/products/${productId}`, 'PUT', { description: 'Limited edition', price: 99, qtyAvailable: 10 })).status).toBe(200);
    const placed = await Promise.all(Array.from({ length: 50 }, () => place(productId, 1)));
    expect(placed.every((p) => p.status === 201)).toBe(true);
    const outcomes = await Promise.all(placed.map((p) => settled(p.body.id)));
    expect(outcomes.filter((o) => o.status === 'APPROVED')).toHaveLength(10);
    expect(outcomes.filter((o) => o.status === 'REJECTED')).toHaveLength(40);
    expect(await stock(productId)).toBe(0);
  });

  it('cancels an approved order and puts its stock back; other cancels are refused', async () => {
    const before = await stock(3);
    const placed = await place(3, 4);
    expect((await settled(placed.body.id)).status).toBe('APPROVED');
    expect(await stock(3)).toBe(before - 4);
    const cancelled = await requestJson<Order>(`${orders.url}/order-service/orders/${placed.body.id}/cancel`, 'POST');
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    await eventually(
      () => stock(3),
      (n) => n === before,
      { what: 'the units released' },
    );
    expect((await requestJson(`${orders.url}/order-service/orders/${placed.body.id}/cancel`, 'POST')).status).toBe(409);
    const rejected = await place(3, 10_000);
    expect((await settled(rejected.body.id)).status).toBe('REJECTED');
    expect((await requestJson(`${orders.url}/order-service/orders/${rejected.body.id}/cancel`, 'POST')).body.error.message).toMatch(
      /is REJECTED; only an APPROVED order can be cancelled/,
    );
    expect((await requestJson(`${orders.url}/order-service/orders/0123456789abcdef01234567/cancel`, 'POST')).status).toBe(404);
  });

  it('answers why an order is where it is: its timeline, each step with the event it answered', async () => {
    interface Timeline {
      orderId: string;
      status: string;
      reason?: string;
      timeline: { at: string; event: string; eventId: string; status: string; reason?: string; causedBy?: { event: string; eventId: string; source: string } }[];
    }
    const timeline = async (id: string) => (await requestJson<Timeline>(`${orders.url}/order-service/orders/${id}/timeline`)).body;

    const before = await stock(2);
    const rejected = await place(2, before + 1);
    await settled(rejected.body.id);
    const why = await timeline(rejected.body.id);
    const reason = `product 2 has ${before} available, ${before + 1} asked`;
    expect(why).toMatchObject({ orderId: rejected.body.id, status: 'REJECTED', reason });
    expect(why.timeline.map((e) => [e.event, e.status])).toEqual([
      ['OrderPlaced', 'PENDING'],
      ['OrderRejected', 'REJECTED'],
    ]);
    expect(why.timeline[1]).toMatchObject({ reason, causedBy: { event: 'StockRejected', source: 'product-service' } });
    // The events named are the ones published on `orders`.
    const publishedIds = async () => [
      ...new Set((await readWholeTopic(`${env.prefix}orders`)).filter((m) => m.key?.toString() === rejected.body.id).map((m) => m.headers?.['event-id']?.toString())),
    ];
    await eventually(publishedIds, (ids) => ids.length >= 2, { what: 'both events of the rejected order published' });
    expect(await publishedIds()).toEqual(why.timeline.map((e) => e.eventId));

    const stockBefore = await stock(3);
    const approved = await place(3, 1);
    await settled(approved.body.id);
    expect((await requestJson(`${orders.url}/order-service/orders/${approved.body.id}/cancel`, 'POST')).status).toBe(200);
    // The cancel gives the unit back (StockReleased): settled before the next test reads the stock.
    await eventually(
      () => stock(3),
      (n) => n === stockBefore,
      { what: 'the cancelled unit back in stock' },
    );
    const story = await timeline(approved.body.id);
    expect(story.timeline.map((e) => [e.event, e.status, e.causedBy?.event ?? null])).toEqual([
      ['OrderPlaced', 'PENDING', null],
      ['OrderApproved', 'APPROVED', 'StockReserved'],
      ['OrderCancelled', 'CANCELLED', null],
    ]);
    const times = story.timeline.map((e) => Date.parse(e.at));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);

    const unknown = await requestJson(`${orders.url}/order-service/orders/${'0'.repeat(24)}/timeline`);
    expect(unknown.status).toBe(404);
    expect((await requestJson(`${orders.url}/order-service/orders/not-an-id/timeline`)).status).toBe(400);
  });

  it('keeps orders PENDING while product-service is down, and completes them once each when it returns', async () => {
    const before = await stock(3);
    expect(await products.process.kill('SIGTERM')).toBe(0);
    const placed = await Promise.all([place(3, 1), place(3, 2), place(3, 3)]);
    for (const p of placed) expect((await order(p.body.id)).status).toBe('PENDING');
    products = await startServiceProcess('product-service', env.products);
    const done = await Promise.all(placed.map((p) => settled(p.body.id)));
    expect(done.map((o) => o.status)).toEqual(['APPROVED', 'APPROVED', 'APPROVED']);
    expect(await stock(3)).toBe(before - 6);
  });

  it('reserves once when OrderPlaced is delivered twice', async () => {
    const before = await stock(3);
    const placed = await place(3, 5);
    expect((await settled(placed.body.id)).status).toBe('APPROVED');
    const records = await readWholeTopic(`${env.prefix}orders`);
    const original = records.find((r) => r.key?.toString() === placed.body.id && r.headers?.['event-type']?.toString() === 'OrderPlaced')!;
    const producer = localKafka('duplicator').producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: `${env.prefix}orders`, messages: [{ key: original.key, value: original.value, headers: original.headers }] });
    await producer.disconnect();
    // Handled once product-service's group has committed past the duplicate.
    const admin = localKafka('offsets').admin();
    await admin.connect();
    await eventually(
      async () =>
        (await admin.fetchOffsets({ groupId: `${env.prefix}product-service.orders`, topics: [`${env.prefix}orders`] }))[0]!.partitions.find((p) => p.partition === sent!.partition)!
          .offset,
      (offset) => BigInt(offset) > BigInt(sent!.baseOffset!),
      { what: 'the duplicate consumed' },
    );
    await admin.disconnect();
    expect(await stock(3)).toBe(before - 5);
  });

  it('places one order per checked-out cart even when CartCheckedOut is delivered twice', async () => {
    const codec = new AvroCodec({ registryUrl: urls.registry });
    const recordName = 'dev.eventline.carts.CartCheckedOut';
    const value = await codec.encode('cart-events', recordName, {
      customerId: '2',
      cartId: '2-1',
      lines: [
        { itemId: '3', qty: 2 },
        { itemId: '1', qty: 1 },
      ],
      version: 3,
    } as never);
    const headers = buildHeaders({ ...newEnvelope('CartCheckedOut', 'cart-service'), schemaId: await codec.schemaId('cart-events', recordName) });
    const producer = localKafka('checkout').producer();
    await producer.connect();
    await producer.send({
      topic: `${env.prefix}cart-events`,
      messages: [
        { key: '2', value, headers },
        { key: '2', value, headers },
      ],
    });
    await producer.disconnect();
    const id = orderIdForCart('2-1').toHexString();
    const done = await eventually(
      () => requestJson<Order & { lines: unknown[]; cartId: string }>(`${orders.url}/order-service/orders/${id}`),
      (r) => r.status === 200 && r.body.status !== 'PENDING',
      { what: 'the checkout order settled' },
    );
    expect(done.body).toMatchObject({
      cartId: '2-1',
      status: 'APPROVED',
      qty: 3,
      lines: [
        { productId: 3, qty: 2 },
        { productId: 1, qty: 1 },
      ],
    });
    expect(await mongo.db(env.orders.MONGO_DB).collection('purchase_order').countDocuments({ cartId: '2-1' })).toBe(1);
  });
});
