import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createDatabase, eventually, isolatedKafkaEnvironment, readWholeTopic, requestJson, startServiceProcess, type ServiceProcess } from '@eventline/testkit';

interface HistoryEntry {
  version: number;
  type: string;
  recordedAt: string;
  data: Record<string, unknown>;
  requestId: string | null;
  idempotencyKey: string | null;
  eventId: string | null;
  traceparent: string | null;
}

/**
 * Event sourcing's promise (seed 004): the state at any point, by replaying the events up to it, and
 * the events themselves — what the write side answers for a cart, as of a version or a time.
 */
describe('cart-service: a cart as of a version or a time, and its history', () => {
  let service: ServiceProcess;
  let pool: Pool;
  let prefix: string;
  const customerId = `history-${randomUUID().slice(0, 8)}`;
  let history: HistoryEntry[];

  const command = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    // Each step a few milliseconds after the last: times to the millisecond tell them apart.
    await new Promise((resolve) => setTimeout(resolve, 20));
  };

  beforeAll(async () => {
    const environment = await isolatedKafkaEnvironment();
    prefix = environment.prefix;
    const databaseUrl = await createDatabase('cart_history');
    service = await startServiceProcess('cart-service', { ...environment.common, DATABASE_URL: databaseUrl });
    pool = new Pool({ connectionString: databaseUrl });
    await pool.query('INSERT INTO known_product (id, version) VALUES (1, 1), (2, 1)');
    await command('/api/v1/add', { customerId, itemId: '1', qty: 2 }, { 'x-request-id': 'history-add-1' });
    await command('/api/v1/add', { customerId, itemId: '2', qty: 1 }, { 'idempotency-key': `"add-2-${customerId}"` });
    await command('/api/v1/remove', { customerId, itemId: '1', qty: 1 });
    await command('/api/v1/checkout', { customerId });
    const answer = await requestJson<{ customerId: string; events: HistoryEntry[] }>(`${service.url}/cart-service/carts/${customerId}/events`);
    expect(answer.status).toBe(200);
    history = answer.body.events;
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await service?.process.kill('SIGTERM');
  });

  it('lists every event with its version, type, time, data and who asked for it', () => {
    expect(history.map((e) => [e.version, e.type])).toEqual([
      [1, 'CartItemAdded'],
      [2, 'CartItemAdded'],
      [3, 'CartItemRemoved'],
      [4, 'CartCheckedOut'],
    ]);
    expect(history[0]).toMatchObject({ requestId: 'history-add-1', idempotencyKey: null, data: { customerId, itemId: '1', qty: 2, version: 1 } });
    expect(history[1]).toMatchObject({ idempotencyKey: `add-2-${customerId}`, data: { itemId: '2', qty: 1, version: 2 } });
    const times = history.map((e) => Date.parse(e.recordedAt));
    expect(times.every((t, i) => Number.isFinite(t) && (i === 0 || t > times[i - 1]!))).toBe(true);
    for (const entry of history) expect(entry.requestId).toMatch(/\S/);
  });

  it('names the event id and trace each event was published with on cart-events', async () => {
    const published = await eventually(
      async () => (await readWholeTopic(`${prefix}cart-events`)).filter((m) => m.key?.toString() === customerId),
      (records) => records.length >= 4,
      { what: 'the four events published', timeoutMs: 30_000 },
    );
    const headersOf = new Map(published.map((m) => [m.headers?.['event-id']?.toString(), m.headers?.traceparent?.toString()]));
    for (const entry of history) expect(headersOf.get(entry.eventId!)).toBe(entry.traceparent);
  });

  it('answers the cart as of a version and as of a time, the same cart both ways', async () => {
    const atVersion2 = await requestJson(`${service.url}/cart-service/carts/${customerId}?version=2`);
    expect(atVersion2.status).toBe(200);
    expect(atVersion2.body).toEqual({
      customerId,
      cartId: `${customerId}-1`,
      status: 'OPEN',
      items: [
        { itemId: '1', qty: 2 },
        { itemId: '2', qty: 1 },
      ],
      version: 2,
      asOf: { version: 2, recordedAt: history[1]!.recordedAt },
    });
    const atTime = await requestJson(`${service.url}/cart-service/carts/${customerId}?at=${encodeURIComponent(history[1]!.recordedAt)}`);
    expect(atTime.body).toEqual(atVersion2.body);
    const now = await requestJson(`${service.url}/cart-service/carts/${customerId}`);
    expect(now.body).toMatchObject({
      status: 'CHECKED_OUT',
      items: [
        { itemId: '1', qty: 1 },
        { itemId: '2', qty: 1 },
      ],
      version: 4,
    });
    const bounded = await requestJson<{ events: HistoryEntry[] }>(`${service.url}/cart-service/carts/${customerId}/events?version=3`);
    expect(bounded.body.events.map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('refuses what has no answer with a 4xx naming the problem', async () => {
    const before = new Date(Date.parse(history[0]!.recordedAt) - 60_000).toISOString();
    const cases: [string, number, string][] = [
      [`/cart-service/carts/${customerId}?version=9`, 404, 'no version 9'],
      [`/cart-service/carts/${customerId}?at=${encodeURIComponent(before)}`, 404, 'had no cart at'],
      [`/cart-service/carts/nobody-${customerId}`, 404, 'has no cart'],
      [`/cart-service/carts/${customerId}?version=two`, 400, 'version'],
      [`/cart-service/carts/${customerId}?at=yesterday`, 400, 'at'],
      [`/cart-service/carts/${customerId}?since=1`, 400, 'since'],
      ['/cart-service/carts/bad%20id/events', 400, 'customerId'],
    ];
    for (const [path, status, named] of cases) {
      const answer = await requestJson(`${service.url}${path}`);
      expect({ path, status: answer.status }).toEqual({ path, status });
      expect(JSON.stringify(answer.body.error)).toContain(named);
    }
  });
});
