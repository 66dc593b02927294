import { join } from 'node:path';
import { eventually, localKafka, requestJson, startServiceProcess, startTsProcess, type ServiceProcess } from '@eventline/testkit';
import { assertNoDuplicateOutputs, byItem, cartEnvironment, committedTotal, generateCartEvents, lastPerKey, produceCartEvents, readCartDetails } from '../support';

type CartEnvironment = Awaited<ReturnType<typeof cartEnvironment>>;

describe('event-sourced cart with a CQRS read side (seeds 002, 004)', () => {
  const started: ServiceProcess[] = [];
  const start = async (name: string, env: NodeJS.ProcessEnv) => {
    const service = await startServiceProcess(name, env);
    started.push(service);
    return service;
  };
  // Each of the later tests runs its own processes: stopping them after it keeps them from competing
  // for the 2 cores with the next test's (a SIGKILL test timed out once behind a dozen idle services).
  const stopStarted = () => Promise.all(started.splice(0).map((s) => s.process.kill('SIGTERM')));
  afterAll(stopStarted);

  describe("seed 002's scenario through the write API, the aggregator and the read API", () => {
    let env: CartEnvironment;
    let cart: ServiceProcess;
    let query: ServiceProcess;

    beforeAll(async () => {
      env = await cartEnvironment();
      const products = await start('product-service', env.products);
      // Seed 002's sample products, pushed as product events by product-service.
      for (const [id, body] of [
        [1, { description: 'IPhone 12', price: 65000, qtyAvailable: 768 }],
        [2, { description: 'IPhone 13', price: 125000, qtyAvailable: 230 }],
      ] as const) {
        expect((await requestJson(`${products.url}/product-service/products/${id}`, 'PUT', body)).status).toBe(200);
      }
      [cart, query] = await Promise.all([start('cart-service', env.cart), start('cart-query', env.query)]);
      await start('cart-aggregator', env.aggregator);
      // cart-service knows the products once its own copy has them.
      await eventually(
        () => requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: 'probe', itemId: '2', qty: 1 }),
        (r) => r.status === 200,
        { what: 'cart-service knows product 2' },
      );
    });

    it('adds item 1 twice and item 2, removes item 2, and reads the priced cart on GET /api/v1/123', async () => {
      const add = (itemId: string) => requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: '123', itemId, qty: 1 });
      expect((await add('1')).status).toBe(200);
      expect((await add('1')).status).toBe(200);
      expect((await add('2')).status).toBe(200);
      const removed = await requestJson(`${cart.url}/api/v1/remove`, 'POST', { customerId: '123', itemId: '2', qty: 1 });
      expect(removed).toEqual({ status: 200, body: { customerId: '123', cartId: '123-1', status: 'OPEN', items: [{ itemId: '1', qty: 2 }], version: 4 } });

      const read = await eventually(
        () => requestJson(`${query.url}/api/v1/123`),
        (r) => r.status === 200 && r.body.version === 4,
        { what: 'the read side at version 4' },
      );
      expect(read.body).toEqual({
        id: '123',
        customerId: '123',
        cartId: '123-1',
        status: 'OPEN',
        version: 4,
        total: 130000,
        lines: [{ itemId: '1', productName: 'IPhone 12', unitPrice: 65000, qty: 2, lineTotal: 130000 }],
      });
    });

    it('refuses what a real cart refuses, with 409 and the reason, appending nothing', async () => {
      const remove = await requestJson(`${cart.url}/api/v1/remove`, 'POST', { customerId: '123', itemId: '1', qty: 5 });
      expect(remove).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'cannot remove 5 of item 1: the cart holds 2' } } });
      expect((await requestJson(`${cart.url}/api/v1/remove`, 'POST', { customerId: '123', itemId: '3', qty: 1 })).body.error.message).toBe('item 3 is not in the cart');
      expect((await requestJson(`${cart.url}/api/v1/checkout`, 'POST', { customerId: 'nobody' })).status).toBe(409);
      const unknown = await requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: '123', itemId: '999', qty: 1 });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.details).toEqual([{ field: 'itemId', message: 'product 999 does not exist' }]);
      for (const body of [
        { customerId: '123', itemId: '1', qty: 0 },
        { customerId: '123', itemId: '1', qty: 1.5 },
        { customerId: '123', itemId: '1' },
      ]) {
        const bad = await requestJson(`${cart.url}/api/v1/add`, 'POST', body);
        expect(bad.status).toBe(400);
        expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['qty']);
      }
      expect((await requestJson(`${cart.url}/api/v1/add`, 'POST', '{"customerId":')).body.error.code).toBe('malformed_json');
      expect((await requestJson(`${query.url}/api/v1/123`)).body.version).toBe(4);
    });

    it('checks out, closes the cart, and the next add opens a new one', async () => {
      expect((await requestJson(`${cart.url}/api/v1/checkout`, 'POST', { customerId: '123' })).body).toMatchObject({ status: 'CHECKED_OUT', cartId: '123-1' });
      await eventually(
        () => requestJson(`${query.url}/api/v1/123`),
        (r) => r.body.status === 'CHECKED_OUT',
        { what: 'checked out on the read side' },
      );
      expect((await requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: '123', itemId: '2', qty: 1 })).body).toMatchObject({
        cartId: '123-2',
        status: 'OPEN',
        items: [{ itemId: '2', qty: 1 }],
      });
      const reopened = await eventually(
        () => requestJson(`${query.url}/api/v1/123`),
        (r) => r.body.cartId === '123-2',
        { what: 'the new cart on the read side' },
      );
      expect(reopened.body).toMatchObject({ status: 'OPEN', total: 125000, lines: [{ itemId: '2', qty: 1, unitPrice: 125000 }] });
      expect((await requestJson(`${query.url}/api/v1/nobody-here`)).status).toBe(404);
    });

    it('keeps every add of 20 concurrent clients on one cart: the quantity equals the accepted adds', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: 'crowd', itemId: '1', qty: 1 })));
      const accepted = results.filter((r) => r.status === 200).length;
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      expect(accepted).toBeGreaterThan(0);
      const view = await eventually(
        () => requestJson(`${query.url}/api/v1/crowd`),
        (r) => r.status === 200 && r.body.version === accepted,
        { what: `${accepted} adds on the read side` },
      );
      expect(view.body.lines).toEqual([{ itemId: '1', productName: 'IPhone 12', unitPrice: 65000, qty: accepted, lineTotal: 65000 * accepted }]);
    });
  });

  describe('replays under new consumer groups equal the live state', () => {
    beforeAll(stopStarted);
    afterEach(stopStarted);
    it('rebuilds the aggregator state from cart-events and cart_view from cart-details', async () => {
      const env = await cartEnvironment();
      await start('product-service', env.products);
      const cart = await start('cart-service', env.cart);
      const query = await start('cart-query', env.query);
      await start('cart-aggregator', env.aggregator);
      await eventually(
        () => requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: 'r0', itemId: '1', qty: 1 }),
        (r) => r.status === 200,
        { what: 'cart-service knows the products' },
      );
      for (let i = 1; i < 30; i++) {
        const customerId = `r${i % 6}`;
        expect((await requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId, itemId: String(1 + (i % 3)), qty: 1 + (i % 2) })).status).toBe(200);
      }
      expect((await requestJson(`${cart.url}/api/v1/checkout`, 'POST', { customerId: 'r5' })).status).toBe(200);
      const live = await eventually(
        async () => Promise.all(Array.from({ length: 6 }, (_, i) => requestJson(`${query.url}/api/v1/r${i}`))),
        // Every cart at its last version (r0..r4: 5 adds; r5: 5 adds and the checkout): carts live on
        // different partitions, so one cart being done says nothing of the others.
        (views) => views.every((v, i) => v.status === 200 && v.body.version === (i === 5 ? 6 : 5)) && views[5]!.body.status === 'CHECKED_OUT',
        { what: 'the read side caught up' },
      );

      const aggregatorReplay = startTsProcess(join(__dirname, '..', '..', 'src', 'replay.ts'), { ...env.common, LOG_LEVEL: 'warn' });
      const compared = JSON.parse(await aggregatorReplay.waitForLine(/replay compared/)) as { equal: boolean; customers: number };
      expect(compared).toMatchObject({ equal: true, customers: 6 });
      expect(await aggregatorReplay.exited).toBe(0);

      const queryReplay = startTsProcess(join(__dirname, '..', '..', '..', 'cart-query', 'src', 'replay.ts'), { ...env.query, LOG_LEVEL: 'warn' });
      expect(JSON.parse(await queryReplay.waitForLine(/cart_view rebuilt/))).toMatchObject({ carts: 6 });
      expect(await queryReplay.exited).toBe(0);
      const rebuilt = await Promise.all(Array.from({ length: 6 }, (_, i) => requestJson(`${query.url}/api/v1/r${i}`)));
      expect(rebuilt.map((r) => r.body)).toEqual(live.map((r) => r.body));
    });
  });

  describe('exactly once across a crash, and across two instances', () => {
    afterEach(stopStarted);
    it('folds 10,000 events exactly once although the aggregator is SIGKILLed in the middle', async () => {
      const env = await cartEnvironment();
      await start('product-service', env.products);
      const { events, expected } = generateCartEvents(200, 50);
      await produceCartEvents(env.prefix, events);
      const first = await start('cart-aggregator', env.aggregator);
      const group = `${env.prefix}cart-aggregator`;
      await eventually(
        () => committedTotal(group, `${env.prefix}cart-events`),
        (n) => n >= 1000,
        { what: 'some progress before the kill', intervalMs: 20 },
      );
      expect(await first.process.kill('SIGKILL')).toBe('SIGKILL');
      const progressAtKill = await committedTotal(group, `${env.prefix}cart-events`);
      expect(progressAtKill).toBeLessThan(10_000);

      await start('cart-aggregator', env.aggregator);
      await eventually(
        () => committedTotal(group, `${env.prefix}cart-events`),
        (n) => n === 10_000,
        { what: 'all 10,000 events committed', timeoutMs: 120_000 },
      );
      const records = await readCartDetails(`${env.prefix}cart-details`);
      assertNoDuplicateOutputs(records);
      const final = lastPerKey(records);
      expect(final.size).toBe(200);
      for (const [customerId, cart] of expected) expect(byItem(final.get(customerId)!)).toEqual(cart);
    });

    it('gives the same result with two instances splitting the partitions', async () => {
      const env = await cartEnvironment();
      await start('product-service', env.products);
      const { events, expected } = generateCartEvents(150, 20);
      await Promise.all([start('cart-aggregator', env.aggregator), start('cart-aggregator', env.aggregator)]);
      const admin = localKafka('group-check').admin();
      await admin.connect();
      const described = await eventually(
        () => admin.describeGroups([`${env.prefix}cart-aggregator`]),
        (d) => d.groups[0]?.state === 'Stable' && d.groups[0]?.members.length === 2,
        { what: 'both instances in the group' },
      );
      await admin.disconnect();
      expect(described.groups[0]!.members).toHaveLength(2);
      await produceCartEvents(env.prefix, events);
      await eventually(
        () => committedTotal(`${env.prefix}cart-aggregator`, `${env.prefix}cart-events`),
        (n) => n === 3000,
        { what: 'all 3,000 events committed', timeoutMs: 120_000 },
      );
      const records = await readCartDetails(`${env.prefix}cart-details`);
      assertNoDuplicateOutputs(records);
      const final = lastPerKey(records);
      for (const [customerId, cart] of expected) expect(byItem(final.get(customerId)!)).toEqual(cart);
    });
  });
});
