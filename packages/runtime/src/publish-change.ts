import type { Pool, PoolClient } from 'pg';
import { enqueue, type OutboxEvent, type PayloadValidator } from '@eventline/outbox';
import { withTransaction } from '@eventline/postgres';

/**
 * A state change and the events describing it, in one transaction (the transactional outbox). `change`
 * writes the row and returns what changed, or undefined when nothing did (then nothing is published).
 * `withChange` writes what else must commit with it (the command's response for its Idempotency-Key).
 */
export function publishChange<T>(
  pool: Pool,
  change: (tx: PoolClient) => Promise<T | undefined>,
  events: (changed: T) => OutboxEvent[],
  validate?: PayloadValidator,
  withChange?: (tx: PoolClient, changed: T) => Promise<void>,
): Promise<T | undefined> {
  return withTransaction(pool, async (tx) => {
    const changed = await change(tx);
    if (changed !== undefined) {
      await enqueue(tx, events(changed), validate);
      await withChange?.(tx, changed);
    }
    return changed;
  });
}
