import { eventually, requestJson, startServiceProcess, type ServiceProcess } from '@eventline/testkit';
import { ecstEnvironment, readWholeTopic, type EcstEnvironment } from './support';

interface Order {
  id: string;
  status: string;
}

/**
 * MongoDB has no transaction here to complete a key in: the order document carries the keyed
 * response in the write that places or cancels it. A process killed after that write and before the
 * response (the failpoint `idempotency.after-command`) leaves the key unfinished; the retry on a
 * restarted instance finds the response in the order and gets it — not a 409 for the lock's 60 s,
 * and not, after them, a second order.
 */
describe('order-service: keyed commands killed between their write and their response', () => {
  let env: EcstEnvironment;
  const others: ServiceProcess[] = [];
  let orders: ServiceProcess;
  const run = Date.now().toString(36);

  const startOrders = async (env: NodeJS.ProcessEnv) => {
    orders = await startServiceProcess('order-service', env);
    return orders;
  };
  const keyed = (path: string, key: string, body?: unknown) =>
    fetch(`${orders.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** Sends the keyed command to an instance that dies after its write: the connection is lost, the process killed. */
  const lostOnCrash = async (path: string, key: string, body?: unknown) => {
    const outcome = await keyed(path, key, body).then(
      (response) => `answered ${response.status}`,
      () => 'connection lost',
    );
    expect(outcome).toBe('connection lost');
    expect(await orders.process.exited).toBe('SIGKILL');
  };
  const userOrders = async () => (await requestJson<Order[]>(`${orders.url}/order-service/orders?userId=1`)).body;

  beforeAll(async () => {
    env = await ecstEnvironment();
    others.push(await startServiceProcess('product-service', env.products), await startServiceProcess('user-service', env.users));
    await startOrders(env.orders);
    await eventually(
      () => requestJson<Order>(`${orders.url}/order-service/orders`, 'POST', { userId: 1, productId: 1, qty: 1 }),
      (r) => r.status === 201,
      { what: 'order-service knows user 1 and product 1' },
    );
    await orders.process.kill('SIGTERM');
  }, 180_000);

  afterAll(async () => {
    await Promise.all([orders, ...others].map((s) => s?.process.kill('SIGTERM')));
  });

  it('a placed order: the retry gets the first 201 and its order, one order and one OrderPlaced', async () => {
    const key = `place-${run}`;
    const body = { userId: 1, productId: 1, qty: 2 };
    await startOrders({ ...env.orders, EVENTLINE_FAILPOINTS: 'idempotency.after-command' });
    await lostOnCrash('/order-service/orders', key, body);
    const before = (
      await (async () => {
        await startOrders(env.orders);
        return userOrders();
      })()
    ).length;

    const retry = await keyed('/order-service/orders', key, body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const placed = (await retry.json()) as Order & { qty: number };
    expect(placed).toMatchObject({ qty: 2, status: 'PENDING' });
    // The order the dead request wrote is the one answered, and there is no second.
    const after = await userOrders();
    expect(after).toHaveLength(before);
    expect(after.map((o) => o.id)).toContain(placed.id);
    const again = await keyed('/order-service/orders', key, body);
    expect(((await again.json()) as Order).id).toBe(placed.id);
    const published = await eventually(
      async () => (await readWholeTopic(`${env.prefix}orders`)).filter((m) => m.key?.toString() === placed.id && m.headers?.['event-type']?.toString() === 'OrderPlaced'),
      (records) => records.length > 0,
      { what: 'OrderPlaced published' },
    );
    expect(new Set(published.map((m) => m.headers?.['event-id']?.toString())).size).toBe(1);
  });

  it('a cancelled order: the retry gets the first 200, one OrderCancelled in its timeline', async () => {
    const placed = (await requestJson<Order>(`${orders.url}/order-service/orders`, 'POST', { userId: 1, productId: 1, qty: 1 })).body;
    await eventually(
      async () => (await requestJson<Order>(`${orders.url}/order-service/orders/${placed.id}`)).body,
      (o) => o.status === 'APPROVED',
      { what: 'the order approved' },
    );
    await orders.process.kill('SIGTERM');
    const key = `cancel-${run}`;
    await startOrders({ ...env.orders, EVENTLINE_FAILPOINTS: 'idempotency.after-command' });
    await lostOnCrash(`/order-service/orders/${placed.id}/cancel`, key);
    await startOrders(env.orders);

    const retry = await keyed(`/order-service/orders/${placed.id}/cancel`, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ id: placed.id, status: 'CANCELLED' });
    const timeline = (await requestJson<{ timeline: { event: string }[] }>(`${orders.url}/order-service/orders/${placed.id}/timeline`)).body.timeline;
    expect(timeline.filter((e) => e.event === 'OrderCancelled')).toHaveLength(1);
  });
});
