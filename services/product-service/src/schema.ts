import type { Pool } from 'pg';
import { migrateWithSeed, stateEvent } from '@eventline/runtime';
import { PRODUCTS_TOPIC, PRODUCT_STATE, type Product } from './products';

/** The three products of seed 000. */
export const seedProducts: Omit<Product, 'version'>[] = [
  { id: 1, description: 'IPad', price: 300, qtyAvailable: 10 },
  { id: 2, description: 'IPhone', price: 650, qtyAvailable: 50 },
  { id: 3, description: 'Sony TV', price: 320, qtyAvailable: 100 },
];

export function migrate(pool: Pool, source: string): Promise<void> {
  return migrateWithSeed(pool, {
    name: 'product',
    ddl: `
      CREATE TABLE IF NOT EXISTS product (
        id            integer      PRIMARY KEY,
        description   varchar(500) NOT NULL,
        price         integer      NOT NULL CHECK (price >= 0),
        qty_available integer      NOT NULL CHECK (qty_available >= 0),
        version       bigint       NOT NULL DEFAULT 1
      );
      CREATE SEQUENCE IF NOT EXISTS product_id_seq OWNED BY product.id;`,
    seed: async (tx) => {
      for (const p of seedProducts) {
        await tx.query('INSERT INTO product (id, description, price, qty_available) VALUES ($1, $2, $3, $4)', [p.id, p.description, p.price, p.qtyAvailable]);
      }
      await tx.query(`SELECT setval('product_id_seq', (SELECT max(id) FROM product))`);
      return seedProducts.map((p) => stateEvent(source, PRODUCTS_TOPIC, PRODUCT_STATE, p.id, { ...p, version: 1 }));
    },
  });
}
