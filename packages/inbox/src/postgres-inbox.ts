import type { Pool, PoolClient } from 'pg';

export async function createInboxSchema(db: Pool | PoolClient): Promise<void> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS inbox (
      consumer     text        NOT NULL,
      event_id     text        NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    );
  `);
}

export type InboxOutcome = 'applied' | 'duplicate';

/**
 * Applies an event's effect once per consumer: the event id goes into the inbox in the same
 * transaction as the effect, so a redelivery finds it there and changes nothing.
 */
export async function handleOnce(
  pool: Pool,
  consumer: string,
  eventId: string,
  effect: (tx: PoolClient) => Promise<void>,
): Promise<InboxOutcome> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const claimed = await tx.query('INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [consumer, eventId]);
    if (claimed.rowCount === 0) {
      await tx.query('ROLLBACK');
      return 'duplicate';
    }
    await effect(tx);
    await tx.query('COMMIT');
    return 'applied';
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}
