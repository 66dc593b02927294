import type { Pool, PoolClient } from 'pg';
import { outboxCommitted, takeQueued } from './wake';

/**
 * Runs `work` in one transaction on a pooled connection: COMMIT when it returns, ROLLBACK when it
 * throws. A committed transaction that queued outbox rows wakes the process's relays.
 */
export async function withTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    if (takeQueued(tx)) outboxCommitted();
    return result;
  } catch (error) {
    takeQueued(tx);
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}
