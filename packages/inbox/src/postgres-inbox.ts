import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '@eventline/postgres';

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
export async function handleOnce(pool: Pool, consumer: string, eventId: string, effect: (tx: PoolClient) => Promise<void>): Promise<InboxOutcome> {
  return withTransaction(pool, async (tx) => {
    const claimed = await tx.query('INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [consumer, eventId]);
    if (claimed.rowCount === 0) return 'duplicate';
    await effect(tx);
    return 'applied';
  });
}

export interface BatchOutcome<E> {
  /** The events whose ids were new: their effects were applied, in the order given. */
  applied: E[];
  duplicates: number;
}

/**
 * `handleOnce` for a run of events in one transaction and three round trips whatever its length:
 * the ids are claimed in one INSERT, and `effect` gets only the events not seen before (in the
 * order given, duplicates within the run dropped), to apply them with the same transaction. Nothing
 * is recorded unless the effect commits, so a failed or crashed batch is applied again as a whole.
 */
export async function handleBatchOnce<E extends { envelope: { eventId: string } }>(
  pool: Pool,
  consumer: string,
  events: E[],
  effect: (tx: PoolClient, fresh: E[]) => Promise<void>,
): Promise<BatchOutcome<E>> {
  if (events.length === 0) return { applied: [], duplicates: 0 };
  return withTransaction(pool, async (tx) => {
    // Sorted, so that two batches overlapping after a rebalance wait on each other instead of deadlocking.
    const ids = [...new Set(events.map((e) => e.envelope.eventId))].sort();
    const { rows } = await tx.query<{ event_id: string }>(
      'INSERT INTO inbox (consumer, event_id) SELECT $1, id FROM unnest($2::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n ON CONFLICT DO NOTHING RETURNING event_id',
      [consumer, ids],
    );
    const claimed = new Set(rows.map((r) => r.event_id));
    const applied = events.filter((e) => claimed.delete(e.envelope.eventId));
    if (applied.length > 0) await effect(tx, applied);
    return { applied, duplicates: events.length - applied.length };
  });
}
