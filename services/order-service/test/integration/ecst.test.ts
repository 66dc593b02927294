import { join } from 'node:path';
import { Pool } from 'pg';
import { AvroCodec } from '@eventline/avro';
import { eventually, requestJson, startServiceProcess, startTsProcess, urls, type ServiceProcess } from '@eventline/testkit';
import { ecstEnvironment, readWholeTopic, type EcstEnvironment } from './support';

interface OrderResource {
  id: string;
  user: { id: number; firstname: string; lastname: string; email: string };
  product: { id: number; productId: number; description: string };
  qty: number;
  price: number;
  status: string;
}

/**
 * Event-carried state transfer end to end (seeds 000 and 003): user-service and product-service
 * publish full state through their outboxes; order-service keeps local copies and embeds the user in
 * each purchase order. Every service is a real process on real Kafka, PostgreSQL and MongoDB wire.
 */
describe('event-carried state transfer: users and products into order-service', () => {
  let env: EcstEnvironment;
  let users: ServiceProcess;
  let products: ServiceProcess;
  let orders: ServiceProcess;
  let neha: OrderResource;

  const emailsOfUserOrders = async (userId: number) =>
    (await requestJson<OrderResource[]>(`${orders.url}/order-service/all`)).body.filter((o) => o.user.id === userId).map((o) => o.user.email);

  const update = (email: string, service = users) => requestJson(`${service.url}/user-service/update`, 'PUT', { id: 1, firstname: 'Neha', lastname: 'Parate', email });

  beforeAll(async () => {
    env = await ecstEnvironment();
    [users, products, orders] = await Promise.all([
      startServiceProcess('user-service', env.users),
      startServiceProcess('product-service', env.products),
      startServiceProcess('order-service', env.orders),
    ]);
  });

  afterAll(async () => {
    await Promise.all([users, products, orders].map((s) => s?.process.kill('SIGTERM')));
  });

  it("runs seed 000's scenario: the seeded rows, an order for Neha's iPad, and her new email in it", async () => {
    const seededUsers = await requestJson(`${users.url}/user-service/users`);
    expect(seededUsers.body).toEqual([
      { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com', version: 1 },
      { id: 2, firstname: 'Aravind', lastname: 'Dekate', email: 'aravind.dekate@gmail.com', version: 1 },
      { id: 3, firstname: 'Mayur', lastname: 'Devghare', email: 'mayur.devghare@gmail.com', version: 1 },
      { id: 4, firstname: 'Suchita', lastname: 'Vinchurkar', email: 'suchita.vinchurkar@gmail.com', version: 1 },
    ]);
    expect((await requestJson(`${products.url}/product-service/products`)).body).toEqual([
      { id: 1, description: 'IPad', price: 300, qtyAvailable: 10, version: 1 },
      { id: 2, description: 'IPhone', price: 650, qtyAvailable: 50, version: 1 },
      { id: 3, description: 'Sony TV', price: 320, qtyAvailable: 100, version: 1 },
    ]);

    // The order is checked against order-service's own copies, which fill from the topics.
    const placed = await eventually(
      () => requestJson<OrderResource>(`${orders.url}/order-service/orders`, 'POST', { userId: 1, productId: 1, qty: 1 }),
      (r) => r.status === 201,
      { what: 'order accepted once the copies have Neha and the iPad' },
    );
    neha = placed.body;
    expect(neha).toMatchObject({
      user: { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com' },
      product: { id: 1, productId: 1, description: 'IPad' },
      qty: 1,
      price: 300,
      status: 'PENDING',
    });

    const updated = await update('neha.parate@hotmail.com');
    expect(updated).toEqual({ status: 200, body: { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@hotmail.com', version: 2 } });
    await eventually(
      () => emailsOfUserOrders(1),
      (emails) => emails.length > 0 && emails.every((e) => e === 'neha.parate@hotmail.com'),
      {
        what: 'the new email inside every order of Neha',
      },
    );
    const all = await requestJson<OrderResource[]>(`${orders.url}/order-service/all`);
    expect(all.body.find((o) => o.id === neha.id)).toMatchObject({ id: neha.id, user: { email: 'neha.parate@hotmail.com' }, product: { productId: 1 }, price: 300 });
    expect((await requestJson(`${orders.url}/order-service/orders/${neha.id}`)).body).toMatchObject({ id: neha.id, user: { email: 'neha.parate@hotmail.com' } });
  });

  it('catches up after order-service was stopped during three updates: nothing is lost', async () => {
    expect(await orders.process.kill('SIGTERM')).toBe(0);
    for (const email of ['neha.1@example.com', 'neha.2@example.com', 'neha.3@example.com']) {
      expect((await update(email)).status).toBe(200);
    }
    orders = await startServiceProcess('order-service', env.orders);
    await eventually(
      () => emailsOfUserOrders(1),
      (emails) => emails.length > 0 && emails.every((e) => e === 'neha.3@example.com'),
      {
        what: 'the last of the three emails in the order',
      },
    );
  });

  it('publishes once a change committed just before user-service crashed, and applies it once', async () => {
    expect(await users.process.kill('SIGTERM')).toBe(0);
    const crashing = await startServiceProcess('user-service', { ...env.users, EVENTLINE_FAILPOINTS: 'outbox.before-publish' });
    // The update commits; the relay then dies before publishing it (the response may or may not get out).
    await update('neha.after-crash@example.com', crashing).catch(() => undefined);
    expect(await crashing.process.exited).toBe('SIGKILL');
    const db = new Pool({ connectionString: env.users.DATABASE_URL });
    const unsent = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`);
    await db.end();
    expect(unsent.rows[0].n).toBe(1);
    expect(await emailsOfUserOrders(1)).toEqual(['neha.3@example.com']);

    users = await startServiceProcess('user-service', env.users);
    await eventually(
      () => emailsOfUserOrders(1),
      (emails) => emails.every((e) => e === 'neha.after-crash@example.com'),
      {
        what: 'the committed change published after the restart',
      },
    );
    const codec = new AvroCodec({ registryUrl: urls.registry });
    const records = await readWholeTopic(`${env.prefix}users`);
    const states = await Promise.all(
      records.filter((r) => r.key?.toString() === '1').map(async (r) => (await codec.decode(r.value as Buffer)).value as { email: string; version: number }),
    );
    expect(states.filter((s) => s.email === 'neha.after-crash@example.com')).toHaveLength(1);
    expect(states.map((s) => s.version)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('converges to the later of two concurrent updates', async () => {
    const [a, b] = await Promise.all([update('race.a@example.com'), update('race.b@example.com')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const winner = (await requestJson<{ email: string; version: number }>(`${users.url}/user-service/users/1`)).body;
    expect(winner.version).toBe(8);
    await eventually(
      () => emailsOfUserOrders(1),
      (emails) => emails.every((e) => e === winner.email),
      { what: `every order shows ${winner.email}` },
    );
  });

  it('rebuilds the local copies by replay under a new group, switches to them, and orders stay right', async () => {
    const replay = startTsProcess(join(__dirname, '..', '..', 'src', 'replay.ts'), { ...env.orders, LOG_LEVEL: 'warn' });
    await replay.waitForLine(/local copies rebuilt and switched/);
    expect(await replay.exited).toBe(0);

    const before = (await requestJson<OrderResource[]>(`${orders.url}/order-service/all`)).body;
    const placed = await requestJson<OrderResource>(`${orders.url}/order-service/orders`, 'POST', { userId: 4, productId: 3, qty: 2 });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ user: { id: 4, email: 'suchita.vinchurkar@gmail.com' }, product: { description: 'Sony TV' }, price: 640 });
    expect((await update('neha.after-replay@example.com')).status).toBe(200);
    await eventually(
      () => emailsOfUserOrders(1),
      (emails) => emails.every((e) => e === 'neha.after-replay@example.com'),
      { what: 'updates still flow after the switch' },
    );
    expect(before.map((o) => o.id)).toContain(neha.id);
  });
});
