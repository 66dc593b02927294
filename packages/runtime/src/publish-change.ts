import type { Pool, PoolClient } from 'pg';
import { enqueue, type OutboxEvent, type PayloadValidator } from '@eventline/outbox';
import { withTransaction } from '@eventline/postgres';

/**
 * A state change and the events describing it, in one transaction (the transactional outbox). `change`
 * writes the row and returns what changed, or undefined when nothing did (then nothing is published).
 */
export function publishChange<T>(
  pool: Pool,
  change: (tx: PoolClient) => Promise<T | undefined>,
  events: (changed: T) => OutboxEvent[],
  validate?: PayloadValidator,
): Promise<T | undefined> {
  return withTransaction(pool, async (tx) => {
    const changed = await change(tx);
    if (changed !== undefined) await enqueue(tx, events(changed), validate);
    return changed;
  });
}
