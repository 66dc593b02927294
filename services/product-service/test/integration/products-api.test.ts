import { Pool } from 'pg';
import { registerAll, loadCatalog } from '@eventline/avro';
import { startService, type RunningService } from '@eventline/runtime';
import { createDatabase, requestJson, uniqueName, urls } from '@eventline/testkit';
import { productService } from '../../src/service';

describe('product-service API', () => {
  let service: RunningService<Record<string, never>>;
  let db: Pool;
  let base: string;

  beforeAll(async () => {
    await registerAll(loadCatalog(), urls.registry);
    const databaseUrl = await createDatabase('product_api');
    service = await startService(productService, {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: urls.kafka,
      SCHEMA_REGISTRY_URL: urls.registry,
      KAFKA_NAME_PREFIX: `${uniqueName('t')}.`,
    });
    base = `http://127.0.0.1:${service.port}/product-service`;
    db = new Pool({ connectionString: databaseUrl });
  });
  afterAll(async () => {
    await service.stop();
    await db.end();
  });

  const outboxRows = async () => (await db.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n as number;

  it('starts with the three seed products, each already in the outbox', async () => {
    expect((await requestJson(`${base}/products/3`)).body).toEqual({ id: 3, description: 'Sony TV', price: 320, qtyAvailable: 100, version: 1 });
    expect(await outboxRows()).toBe(3);
  });

  it('creates and updates a product, publishing its new state each time', async () => {
    const created = await requestJson(`${base}/products`, 'POST', { description: 'Kindle', price: 90, qtyAvailable: 5 });
    expect(created).toEqual({ status: 201, body: { id: 4, description: 'Kindle', price: 90, qtyAvailable: 5, version: 1 } });
    const updated = await requestJson(`${base}/products/4`, 'PUT', { description: 'Kindle', price: 80, qtyAvailable: 5 });
    expect(updated.body).toEqual({ id: 4, description: 'Kindle', price: 80, qtyAvailable: 5, version: 2 });
    const last = await db.query(`SELECT payload FROM outbox ORDER BY id DESC LIMIT 1`);
    expect(last.rows[0].payload).toEqual(updated.body);
  });

  it('refuses a negative or fractional price and stock and an unknown field, naming each, writing nothing', async () => {
    const before = await outboxRows();
    const response = await requestJson(`${base}/products/1`, 'PUT', { description: '', price: -1, qtyAvailable: 1.5, colour: 'red' });
    expect(response.status).toBe(400);
    const fields = (response.body.error.details as { field: string }[]).map((d) => d.field).sort();
    expect(fields).toEqual(['colour', 'description', 'price', 'qtyAvailable']);
    expect(await outboxRows()).toBe(before);
    expect((await requestJson(`${base}/products/1`)).body).toMatchObject({ price: 300, version: 1 });
  });

  it('answers 404 for an unknown product', async () => {
    expect((await requestJson(`${base}/products/99`)).body).toEqual({ error: { code: 'not_found', message: 'product 99 does not exist' } });
  });
});
