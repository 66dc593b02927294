import { Client, type Pool } from 'pg';

/**
 * Runs a service's migrations holding the database's one migration lock, so that replicas (and
 * services sharing the database) starting together migrate one after another: two concurrent
 * CREATE TABLE IF NOT EXISTS of one name fail one of them with a duplicate pg_type entry, which
 * crashed a replica at start. The lock is held by a connection of its own, not one of `pool`'s,
 * which the migrations use freely; it ends with that session if the process dies.
 */
export async function withMigrationLock<T>(pool: Pool, migrate: () => Promise<T>): Promise<T> {
  const holder = new Client(pool.options);
  // A connection lost while holding the lock is seen by the migrations' own queries, not as a crash.
  holder.on('error', () => undefined);
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    return await migrate();
  } finally {
    // Closing the session releases the lock, also when the work or the unlock failed.
    await holder.end().catch(() => undefined);
  }
}

export const MIGRATION_LOCK = 'eventline.migrate';
