import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { HttpError } from '@eventline/http';
import { afterCommit } from '@eventline/postgres';
import type { IdempotencyClaim } from './claim';
import { judgeHeldKey, type Begun, type IdempotencyStore, type KeyTimings, type StoredResponse } from './store';

interface KeyRow {
  fingerprint: string;
  completed: boolean;
  status: number | null;
  body: string | null;
  headers: Record<string, string> | null;
}

/**
 * Keys in the service's PostgreSQL. The body is kept as text, not jsonb: jsonb refuses some valid JSON
 * (an escaped NUL), and the replay must give back exactly what was sent.
 */
/** A claimed key's response stored, by its owner only, once. */
const COMPLETE_KEY = `UPDATE idempotency_key SET completed = true, status = $3, body = $4, headers = $5
  WHERE key = $1 AND owner = $2 AND NOT completed`;

export class PostgresIdempotencyStore implements IdempotencyStore {
  constructor(private readonly pool: Pool) {}

  static async migrate(pool: Pool): Promise<void> {
    await pool.query(`
      CREATE TABLE IF NOT EXISTS idempotency_key (
        key          text        PRIMARY KEY,
        fingerprint  text        NOT NULL,
        owner        uuid        NOT NULL,
        completed    boolean     NOT NULL DEFAULT false,
        status       integer,
        body         text,
        headers      jsonb,
        locked_until timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idempotency_key_expires_at ON idempotency_key (expires_at);`);
  }

  async begin(key: string, fingerprint: string, { ttlMs, lockMs }: KeyTimings): Promise<Begun> {
    for (;;) {
      const owner = randomUUID();
      // Takes the key when it is new, expired, or abandoned by a request of the same fingerprint.
      const taken = await this.pool.query(
        `INSERT INTO idempotency_key (key, fingerprint, owner, locked_until, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4 / 1000.0), now() + make_interval(secs => $5 / 1000.0))
         ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, owner = EXCLUDED.owner, completed = false,
           status = NULL, body = NULL, headers = NULL, locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at
         WHERE idempotency_key.expires_at < now()
            OR (NOT idempotency_key.completed AND idempotency_key.locked_until < now() AND idempotency_key.fingerprint = EXCLUDED.fingerprint)
         RETURNING owner`,
        [key, fingerprint, owner, lockMs, ttlMs],
      );
      if (taken.rowCount === 1) return { kind: 'acquired', owner };
      const { rows } = await this.pool.query<KeyRow>('SELECT fingerprint, completed, status, body, headers FROM idempotency_key WHERE key = $1', [key]);
      const row = rows[0];
      if (!row) continue; // purged between the two statements: try to take it again
      const response = row.completed && row.status !== null ? { status: row.status, body: row.body, headers: row.headers ?? {} } : undefined;
      return judgeHeldKey({ fingerprint: row.fingerprint, completed: row.completed, response }, fingerprint);
    }
  }

  async complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    const { rowCount } = await this.pool.query(COMPLETE_KEY, [key, owner, response.status, response.body, JSON.stringify(response.headers)]);
    return rowCount === 1;
  }

  /**
   * Stores the response of the request that holds `claim` inside the transaction `tx` (run by
   * withTransaction) that applies its command: the key is completed if and only if the command
   * committed. When a retry took the key over (this request ran past its lock), nothing here may be
   * applied: 409, and the transaction rolls back.
   */
  static async completeIn(tx: PoolClient, claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    const { rowCount } = await tx.query({
      name: 'idempotency.complete',
      text: COMPLETE_KEY,
      values: [claim.key, claim.owner, response.status, response.body, JSON.stringify(response.headers)],
    });
    if (rowCount !== 1) {
      throw new HttpError(409, 'request_in_progress', 'a retry with this Idempotency-Key took it over while this request ran; nothing was applied here');
    }
    afterCommit(tx, () => {
      claim.completed = true;
    });
  }

  async release(key: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM idempotency_key WHERE key = $1 AND owner = $2 AND NOT completed', [key, owner]);
  }

  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM idempotency_key WHERE expires_at < now()');
    return rowCount ?? 0;
  }
}
