import type { Pool } from 'pg';
import { createOutboxSchema, enqueue, withTransaction } from '@eventline/outbox';
import { stateEvent } from '@eventline/runtime';
import { PRODUCTS_TOPIC, PRODUCT_STATE, type Product } from './products';

/** The three products of seed 000. */
export const seedProducts: Omit<Product, 'version'>[] = [
  { id: 1, description: 'IPad', price: 300, qtyAvailable: 10 },
  { id: 2, description: 'IPhone', price: 650, qtyAvailable: 50 },
  { id: 3, description: 'Sony TV', price: 320, qtyAvailable: 100 },
];

/** Tables, and in a new database the seed rows with their ProductState events. */
export async function migrate(pool: Pool, source: string): Promise<void> {
  await createOutboxSchema(pool);
  await withTransaction(pool, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('product-service.migrate'))`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS product (
        id            integer      PRIMARY KEY,
        description   varchar(500) NOT NULL,
        price         integer      NOT NULL CHECK (price >= 0),
        qty_available integer      NOT NULL CHECK (qty_available >= 0),
        version       bigint       NOT NULL DEFAULT 1
      );
      CREATE SEQUENCE IF NOT EXISTS product_id_seq OWNED BY product.id;
      CREATE TABLE IF NOT EXISTS seeded (what text PRIMARY KEY);
    `);
    const seeded = await tx.query(`INSERT INTO seeded VALUES ('product') ON CONFLICT DO NOTHING`);
    if (seeded.rowCount === 0) return;
    for (const p of seedProducts) {
      await tx.query('INSERT INTO product (id, description, price, qty_available) VALUES ($1, $2, $3, $4)', [p.id, p.description, p.price, p.qtyAvailable]);
    }
    await tx.query(`SELECT setval('product_id_seq', (SELECT max(id) FROM product))`);
    await enqueue(tx, seedProducts.map((p) => stateEvent(source, PRODUCTS_TOPIC, PRODUCT_STATE, p.id, { ...p, version: 1 })));
  });
}
