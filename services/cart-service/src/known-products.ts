import type { Pool } from 'pg';
import type { ConsumedEvent } from '@eventline/kafka';

/** Which products exist, from the `products` topic: the write side refuses items nobody sells. */
export class KnownProducts {
  constructor(private readonly pool: Pool) {}

  static async migrate(pool: Pool): Promise<void> {
    await pool.query('CREATE TABLE IF NOT EXISTS known_product (id bigint PRIMARY KEY, version bigint NOT NULL)');
  }

  async exists(itemId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM known_product WHERE id = $1', [itemId]);
    return rowCount === 1;
  }

  /** Version-guarded, so redeliveries and replays change nothing. */
  async apply(event: ConsumedEvent): Promise<void> {
    if (event.value === null) {
      await this.pool.query('DELETE FROM known_product WHERE id = $1', [event.key]);
      return;
    }
    const { id, version } = event.value as { id: number; version: number };
    await this.pool.query(
      `INSERT INTO known_product (id, version) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version WHERE known_product.version < EXCLUDED.version`,
      [id, version],
    );
  }
}
