import type { Pool, PoolClient } from 'pg';
import type { PayloadValidator } from '@eventline/outbox';
import { publishChange, stateEvent } from '@eventline/runtime';

export const PRODUCTS_TOPIC = 'products';
export const PRODUCT_STATE = 'dev.eventline.products.ProductState';

export interface Product {
  id: number;
  description: string;
  price: number;
  qtyAvailable: number;
  version: number;
}

export type ProductFields = Omit<Product, 'id' | 'version'>;

export interface ProductRow {
  id: number;
  description: string;
  price: number;
  qty_available: number;
  version: string;
}

export const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  description: row.description,
  price: row.price,
  qtyAvailable: row.qty_available,
  version: Number(row.version),
});
const columns = 'id, description, price, qty_available, version';

/** The product table (seed 000's name) and its ProductState events, written through the outbox. */
export class Products {
  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {}

  async list(): Promise<Product[]> {
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${columns} FROM product ORDER BY id`);
    return rows.map(toProduct);
  }

  async find(id: number): Promise<Product | undefined> {
    const { rows } = await this.pool.query<ProductRow>(`SELECT ${columns} FROM product WHERE id = $1`, [id]);
    return rows[0] && toProduct(rows[0]);
  }

  /** `withCreated`: what commits with the new product (the command's keyed response). */
  async create(fields: ProductFields, withCreated?: (tx: PoolClient, created: Product) => Promise<void>): Promise<Product> {
    const created = await publishChange(
      this.pool,
      async (tx) =>
        toProduct(
          (
            await tx.query<ProductRow>(`INSERT INTO product (id, description, price, qty_available) VALUES (nextval('product_id_seq'), $1, $2, $3) RETURNING ${columns}`, [
              fields.description,
              fields.price,
              fields.qtyAvailable,
            ])
          ).rows[0]!,
        ),
      (product) => [this.event(product)],
      this.validate,
      withCreated,
    );
    return created!;
  }

  async update(id: number, fields: ProductFields): Promise<Product | undefined> {
    const changed = await publishChange(
      this.pool,
      async (tx) => {
        const { rows } = await tx.query<ProductRow>(
          `UPDATE product SET description = $2, price = $3, qty_available = $4, version = version + 1
           WHERE id = $1 AND (description, price, qty_available) IS DISTINCT FROM ($2, $3, $4)
           RETURNING ${columns}`,
          [id, fields.description, fields.price, fields.qtyAvailable],
        );
        return rows[0] && toProduct(rows[0]);
      },
      (product) => [this.event(product)],
      this.validate,
    );
    return changed ?? this.find(id);
  }

  async remove(id: number): Promise<boolean> {
    const removed = await publishChange(
      this.pool,
      async (tx) => ((await tx.query('DELETE FROM product WHERE id = $1', [id])).rowCount === 1 ? id : undefined),
      (gone) => [stateEvent(this.source, PRODUCTS_TOPIC, PRODUCT_STATE, gone, null)],
    );
    return removed !== undefined;
  }

  event(product: Product) {
    return stateEvent(this.source, PRODUCTS_TOPIC, PRODUCT_STATE, product.id, { ...product });
  }
}
