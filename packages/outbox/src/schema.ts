import type { Pool, PoolClient } from 'pg';

/**
 * Outbox rows are spread over a fixed number of lock partitions by a hash of their key. A relay
 * publishes a partition only while it holds that partition's row lock, so records of one key are
 * published by one relay at a time, in id order, whatever the number of relays.
 */
export const LOCK_PARTITIONS = 16;

export async function createOutboxSchema(db: Pool | PoolClient): Promise<void> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS outbox (
      id          bigserial PRIMARY KEY,
      partition   smallint    NOT NULL,
      topic       text        NOT NULL,
      key         text        NOT NULL,
      record_name text,
      payload     jsonb,
      envelope    jsonb       NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      sent_at     timestamptz
    );
    CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (partition, id) WHERE sent_at IS NULL;
    CREATE TABLE IF NOT EXISTS outbox_partition (partition smallint PRIMARY KEY);
    INSERT INTO outbox_partition SELECT generate_series(0, ${LOCK_PARTITIONS - 1}) ON CONFLICT DO NOTHING;
  `);
}
