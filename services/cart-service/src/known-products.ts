import type { Pool } from 'pg';
import { recordValue } from '@eventline/avro';
import type { ConsumedEvent } from '@eventline/kafka';

const PRODUCT_STATE = 'dev.eventline.products.ProductState';

/** Which products exist, from the `products` topic: the write side refuses items nobody sells. */
export class KnownProducts {
  constructor(private readonly pool: Pool) {}

  static async migrate(pool: Pool): Promise<void> {
    await pool.query('CREATE TABLE IF NOT EXISTS known_product (id bigint PRIMARY KEY, version bigint NOT NULL)');
  }

  async exists(itemId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query({ name: 'known-product.exists', text: 'SELECT 1 FROM known_product WHERE id = $1', values: [itemId] });
    return rowCount === 1;
  }

  /**
   * A run of one partition's events in one statement: per product only its last event counts (a
   * tombstone deletes, a state upserts, version-guarded as in `apply`).
   */
  async applyBatch(events: ConsumedEvent[]): Promise<void> {
    const last = new Map<string, ConsumedEvent>();
    for (const event of events) last.set(event.key, event);
    const gone = [...last.values()].filter((e) => e.value === null).map((e) => e.key);
    const states = [...last.values()].flatMap((e) => (e.value === null ? [] : [recordValue(e, PRODUCT_STATE)])).sort((a, b) => a.id - b.id);
    await this.pool.query(
      `WITH removed AS (DELETE FROM known_product WHERE id = ANY($1::bigint[]))
       INSERT INTO known_product (id, version) SELECT * FROM unnest($2::bigint[], $3::bigint[])
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version WHERE known_product.version < EXCLUDED.version`,
      [gone, states.map((p) => p.id), states.map((p) => p.version)],
    );
  }

  /** Version-guarded, so redeliveries and replays change nothing. */
  async apply(event: ConsumedEvent): Promise<void> {
    if (event.value === null) {
      await this.pool.query('DELETE FROM known_product WHERE id = $1', [event.key]);
      return;
    }
    const { id, version } = recordValue(event, PRODUCT_STATE);
    await this.pool.query(
      `INSERT INTO known_product (id, version) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version WHERE known_product.version < EXCLUDED.version`,
      [id, version],
    );
  }
}
