import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createDatabase, isolatedKafkaEnvironment, requestJson, startServiceProcess, type ServiceProcess } from '@eventline/testkit';

/**
 * A customer's stream is their whole life; a command must not fold all of it. cart-service keeps a
 * snapshot every 50 events and folds from the latest: streams written before snapshots existed keep
 * working and get one at their next command, and reads of the past start from the snapshot below them.
 */
describe('cart-service: snapshots bound what a command reads', () => {
  let service: ServiceProcess;
  let pool: Pool;

  beforeAll(async () => {
    const { common } = await isolatedKafkaEnvironment();
    const databaseUrl = await createDatabase('cart_snapshots');
    service = await startServiceProcess('cart-service', { ...common, DATABASE_URL: databaseUrl });
    pool = new Pool({ connectionString: databaseUrl });
    await pool.query('INSERT INTO known_product (id, version) VALUES (1, 1), (2, 1)');
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await service?.process.kill('SIGTERM');
  });

  /** `count` adds of one unit of item 1, written as the event store writes them (a stream from before snapshots). */
  const writeHistory = (customerId: string, count: number) =>
    pool.query(
      `INSERT INTO events (stream_id, version, event_type, data)
       SELECT $1, n, 'CartItemAdded', jsonb_build_object('customerId', $2::text, 'cartId', $2::text || '-1', 'itemId', '1', 'qty', 1, 'version', n)
       FROM generate_series(1, $3::int) AS n`,
      [`cart-${customerId}`, customerId, count],
    );
  const snapshotVersions = async (customerId: string) =>
    (await pool.query<{ version: number }>('SELECT version FROM snapshots WHERE stream_id = $1 ORDER BY version', [`cart-${customerId}`])).rows.map((r) => r.version);
  const add = (customerId: string, itemId: string) => requestJson(`${service.url}/api/v1/add`, 'POST', { customerId, itemId, qty: 1 });

  it('takes a stream of 10,000 events written before snapshots, and snapshots it at its next command', async () => {
    const customerId = `long-${randomUUID().slice(0, 8)}`;
    await writeHistory(customerId, 10_000);
    const first = await add(customerId, '2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      items: [
        { itemId: '1', qty: 10_000 },
        { itemId: '2', qty: 1 },
      ],
      version: 10_001,
    });
    expect(await snapshotVersions(customerId)).toEqual([10_001]);
    // The next command folds the snapshot and the one event after it.
    const second = await add(customerId, '1');
    expect(second.body).toMatchObject({
      items: [
        { itemId: '1', qty: 10_001 },
        { itemId: '2', qty: 1 },
      ],
      version: 10_002,
    });
    expect(await snapshotVersions(customerId)).toEqual([10_001]);
  });

  it('snapshots every 50 versions, and answers every version alike from a snapshot or from the start', async () => {
    const customerId = `steady-${randomUUID().slice(0, 8)}`;
    for (let i = 1; i <= 120; i++) expect((await add(customerId, String(1 + (i % 2)))).status).toBe(200);
    expect(await snapshotVersions(customerId)).toEqual([50, 100]);
    for (const version of [1, 49, 50, 51, 99, 100, 101, 120]) {
      const answer = await requestJson(`${service.url}/cart-service/carts/${customerId}?version=${version}`);
      const ones = Math.floor(version / 2);
      expect({ version, body: answer.body }).toMatchObject({
        version,
        body: { version, items: [{ itemId: '2', qty: version - ones }, ...(ones > 0 ? [{ itemId: '1', qty: ones }] : [])] },
      });
    }
  });
});
