import type { Pool, PoolClient } from 'pg';
import { createOutboxSchema } from '@eventline/outbox';
import { withTransaction } from '@eventline/postgres';

/**
 * Creates the event store's tables and its outbox in one transaction under an advisory lock: replicas
 * starting together would otherwise race their CREATE TABLE IF NOT EXISTS, and the loser fails on a
 * duplicate pg_type entry.
 */
export async function createEventStoreSchema(pool: Pool): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('eventstore.migrate'))");
    await createEventStoreTables(tx);
    await createOutboxSchema(tx);
  });
}

async function createEventStoreTables(tx: PoolClient): Promise<void> {
  await tx.query(`
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
    -- A stream's state as of a version (the event's recording time with it), so that a command folds
    -- only the events after the latest one, and a read of a past version only those after the
    -- latest one at or below it. Optional: a stream without any folds from its start.
    CREATE TABLE IF NOT EXISTS snapshots (
      stream_id   text        NOT NULL,
      version     integer     NOT NULL,
      state       jsonb       NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (stream_id, version)
    );
  `);
}
