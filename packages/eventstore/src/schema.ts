import type { Pool, PoolClient } from 'pg';
import { createOutboxSchema } from '@eventline/outbox';

export async function createEventStoreSchema(db: Pool | PoolClient): Promise<void> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS events (
      global_position bigserial   PRIMARY KEY,
      stream_id       text        NOT NULL,
      version         integer     NOT NULL,
      event_type      text        NOT NULL,
      data            jsonb       NOT NULL,
      metadata        jsonb       NOT NULL DEFAULT '{}',
      recorded_at     timestamptz NOT NULL DEFAULT now(),
      UNIQUE (stream_id, version)
    );
  `);
  await createOutboxSchema(db);
}
