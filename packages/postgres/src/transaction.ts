import type { Pool, PoolClient } from 'pg';

const afterCommitHooks = new WeakMap<PoolClient, Set<() => void>>();

/**
 * Runs `callback` once the transaction `tx` belongs to has committed (never if it rolls back). A
 * callback registered twice in one transaction runs once. Only for transactions `withTransaction` runs.
 */
export function afterCommit(tx: PoolClient, callback: () => void): void {
  const hooks = afterCommitHooks.get(tx) ?? new Set();
  hooks.add(callback);
  afterCommitHooks.set(tx, hooks);
}

/**
 * Runs `work` in one transaction on a pooled connection: COMMIT when it returns, ROLLBACK when it
 * throws; then the transaction's after-commit callbacks, if it committed.
 */
export async function withTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    const hooks = afterCommitHooks.get(tx);
    afterCommitHooks.delete(tx);
    for (const hook of hooks ?? []) hook();
    return result;
  } catch (error) {
    afterCommitHooks.delete(tx);
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}
