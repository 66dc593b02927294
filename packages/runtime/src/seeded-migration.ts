import type { Pool, PoolClient } from 'pg';
import { createOutboxSchema, enqueue, type OutboxEvent } from '@eventline/outbox';
import { withTransaction } from '@eventline/postgres';

export interface SeededMigration {
  /** Names the seed (kept in table `seeded`) and the advisory lock, e.g. the seeded table's name. */
  name: string;
  /** Idempotent DDL (CREATE … IF NOT EXISTS). */
  ddl: string;
  /** Writes the initial rows and returns their events; runs once in the life of a database. */
  seed(tx: PoolClient): Promise<OutboxEvent[]>;
}

/**
 * Creates a service's tables and outbox and, in a database that was never seeded, its initial rows
 * together with their events, so the topics start with the same state as the tables. Instances
 * starting together serialize on an advisory lock.
 */
export async function migrateWithSeed(pool: Pool, migration: SeededMigration): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${migration.name}.migrate`]);
    // Under the lock too: two CREATE TABLE IF NOT EXISTS of one name at once fail one of them
    // (duplicate pg_type entry), which crashed one of two replicas starting together.
    await createOutboxSchema(tx);
    await tx.query(migration.ddl);
    await tx.query('CREATE TABLE IF NOT EXISTS seeded (what text PRIMARY KEY)');
    const first = await tx.query('INSERT INTO seeded VALUES ($1) ON CONFLICT DO NOTHING', [migration.name]);
    if (first.rowCount === 0) return;
    await enqueue(tx, await migration.seed(tx));
  });
}
