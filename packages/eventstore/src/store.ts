import type { Pool } from 'pg';
import { enqueue, withTransaction, type OutboxEvent, type PayloadValidator } from '@eventline/outbox';

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface StoredEvent extends NewEvent {
  globalPosition: number;
  streamId: string;
  version: number;
  recordedAt: Date;
}

/** An append whose expected version was not the stream's version: another writer got there first. */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(readonly streamId: string, readonly expectedVersion: number, readonly actualVersion?: number) {
    super(`stream ${streamId} is at version ${actualVersion ?? 'unknown (concurrent append)'}, expected ${expectedVersion}`);
  }
}

interface EventRow {
  global_position: string;
  stream_id: string;
  version: number;
  event_type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

const toStored = (row: EventRow): StoredEvent => ({
  globalPosition: Number(row.global_position),
  streamId: row.stream_id,
  version: row.version,
  type: row.event_type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at,
});

export interface AppendOptions {
  /** The records these events publish, written to the outbox in the same transaction. */
  outbox?: (stored: StoredEvent[]) => OutboxEvent[];
  validate?: PayloadValidator;
}

const UNIQUE_VIOLATION = '23505';

/** Append-only streams in PostgreSQL; version n+1 can be written once, by whoever read version n. */
export class EventStore {
  constructor(private readonly pool: Pool) {}

  async append(streamId: string, expectedVersion: number, events: NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    try {
      return await withTransaction(this.pool, async (tx) => {
        const current = await tx.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1', [streamId]);
        const actual = current.rows[0]?.version ?? 0;
        if (actual !== expectedVersion) throw new ConcurrencyError(streamId, expectedVersion, actual);
        const values: unknown[] = [];
        const rows = events.map((event, i) => {
          values.push(streamId, expectedVersion + i + 1, event.type, event.data, event.metadata ?? {});
          const o = i * 5;
          return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5})`;
        });
        // A concurrent append of the same version blocks on the unique index here, then fails.
        const inserted = await tx.query<EventRow>(
          `INSERT INTO events (stream_id, version, event_type, data, metadata) VALUES ${rows.join(', ')} RETURNING *`,
          values,
        );
        const stored = inserted.rows.map(toStored);
        if (options.outbox) await enqueue(tx, options.outbox(stored), options.validate);
        return stored;
      });
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ConcurrencyError(streamId, expectedVersion);
      throw error;
    }
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>('SELECT * FROM events WHERE stream_id = $1 ORDER BY version', [streamId]);
    return rows.map(toStored);
  }

  /** Every stream's events in the order they were recorded, after a global position. */
  async readAll(afterPosition = 0, limit = 1000): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      'SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
      [afterPosition, limit],
    );
    return rows.map(toStored);
  }
}
