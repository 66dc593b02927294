import type { Pool } from 'pg';
import { insertOutboxRows, outboxColumns, outboxCommitted, outboxParameters, type OutboxEvent, type PayloadValidator } from '@eventline/outbox';

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
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion?: number,
  ) {
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

/** An event about to be appended: its stream and version are known before the write. */
export interface PendingEvent extends NewEvent {
  streamId: string;
  version: number;
}

export interface AppendOptions {
  /** The records these events publish, written to the outbox in the same statement. */
  outbox?: (events: PendingEvent[]) => OutboxEvent[];
  validate?: PayloadValidator;
}

const UNIQUE_VIOLATION = '23505';

/**
 * One statement, so one round trip and atomic without BEGIN/COMMIT: the events go in only if the
 * stream is at the expected version, and the outbox rows only if they did.
 * Two appends at the same version both pass the check; the second then waits on the unique index
 * and fails. The outbox INSERT reads `inserted`, so its ids are drawn after the event rows are in.
 */
const APPEND = `
  WITH current AS (
    SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1
  ), inserted AS (
    INSERT INTO events (stream_id, version, event_type, data, metadata)
    SELECT $1, e.version, e.event_type, e.data::jsonb, e.metadata::jsonb
    FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(version, event_type, data, metadata, n), current
    WHERE current.version = $2
    ORDER BY e.n
    RETURNING *
  ), queued AS (
    ${insertOutboxRows(7, 'EXISTS (SELECT 1 FROM inserted)')}
  )
  SELECT * FROM inserted ORDER BY version`;

/**
 * Append-only streams in PostgreSQL; version n+1 can be written once, by whoever read version n.
 * The hot statements are named: each connection parses and plans them once (the append's CTEs cost
 * more to plan than to run; naming them took the command path from 1,675 to 2,673 commands/s).
 */
export class EventStore {
  constructor(private readonly pool: Pool) {}

  async append(streamId: string, expectedVersion: number, events: NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const pending: PendingEvent[] = events.map((event, i) => ({ ...event, streamId, version: expectedVersion + i + 1 }));
    const outbox = outboxColumns(options.outbox ? options.outbox(pending) : [], options.validate);
    let rows: EventRow[];
    try {
      ({ rows } = await this.pool.query<EventRow>({
        name: 'eventstore.append',
        text: APPEND,
        values: [
          streamId,
          expectedVersion,
          pending.map((e) => e.version),
          pending.map((e) => e.type),
          pending.map((e) => JSON.stringify(e.data)),
          pending.map((e) => JSON.stringify(e.metadata ?? {})),
          ...outboxParameters(outbox),
        ],
      }));
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ConcurrencyError(streamId, expectedVersion);
      throw error;
    }
    if (rows.length > 0 && outbox.topics.length > 0) outboxCommitted();
    if (rows.length === 0) {
      const current = await this.pool.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1', [streamId]);
      throw new ConcurrencyError(streamId, expectedVersion, current.rows[0]?.version);
    }
    return rows.map(toStored);
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>({ name: 'eventstore.read-stream', text: 'SELECT * FROM events WHERE stream_id = $1 ORDER BY version', values: [streamId] });
    return rows.map(toStored);
  }

  /** Every stream's events in the order they were recorded, after a global position. */
  async readAll(afterPosition = 0, limit = 1000): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>('SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2', [afterPosition, limit]);
    return rows.map(toStored);
  }
}
