import { Pool } from 'pg';
import type { ConsumedEvent } from '@eventline/kafka';
import { newEnvelope } from '@eventline/kafka';
import { createDatabase } from '@eventline/testkit';
import { KnownProducts } from '../../src/known-products';

const state = (id: number, version: number): ConsumedEvent => ({
  topic: 'products',
  partition: 0,
  offset: '0',
  key: String(id),
  value: { id, version },
  recordName: 'dev.eventline.products.ProductState',
  envelope: newEnvelope('ProductState', 'test'),
});
const tombstone = (id: number): ConsumedEvent => ({
  topic: 'products',
  partition: 0,
  offset: '0',
  key: String(id),
  value: null,
  recordName: undefined,
  envelope: newEnvelope('ProductDeleted', 'test'),
});

describe('KnownProducts.applyBatch', () => {
  let pool: Pool;
  let products: KnownProducts;
  const rows = async () => (await pool.query('SELECT id::int, version::int FROM known_product ORDER BY id')).rows;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await createDatabase('known_products') });
    await KnownProducts.migrate(pool);
    products = new KnownProducts(pool);
  });
  afterAll(() => pool.end());

  it('keeps each product’s last event of the run: newest state upserted, a tombstone deleting', async () => {
    await products.applyBatch([state(1, 1), state(2, 1), state(1, 2), state(3, 1), tombstone(3)]);
    expect(await rows()).toEqual([
      { id: 1, version: 2 },
      { id: 2, version: 1 },
    ]);
  });

  it('changes nothing for a redelivered or older run, as the record path does', async () => {
    await products.applyBatch([state(1, 1), state(2, 1)]);
    expect(await rows()).toEqual([
      { id: 1, version: 2 },
      { id: 2, version: 1 },
    ]);
    await products.apply(state(1, 1));
    expect(await rows()).toEqual([
      { id: 1, version: 2 },
      { id: 2, version: 1 },
    ]);
  });

  it('a product deleted and sold again in one run exists at its new version', async () => {
    await products.applyBatch([tombstone(2), state(2, 5)]);
    expect(await rows()).toEqual([
      { id: 1, version: 2 },
      { id: 2, version: 5 },
    ]);
  });
});
