import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '@eventline/postgres';
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

/** A stream's state as of `version` (whose event was recorded at `recordedAt`), as the aggregate saved it. */
export interface Snapshot {
  version: number;
  state: unknown;
  recordedAt: Date;
}

/** A stream read from its latest snapshot: the snapshot (if any) and the events after it, in version order. */
export interface StreamFromSnapshot {
  snapshot?: Snapshot;
  events: StoredEvent[];
}

/** Bounds of a read of the past: up to a version, and/or up to a time (to the millisecond). */
export interface StreamBounds {
  toVersion?: number;
  until?: Date;
}

/**
 * One statement: the last version within the bounds, the latest snapshot at or below it, and the
 * events after that snapshot up to it. At least one row; without events after the snapshot, the
 * event columns are null.
 */
const READ_FROM_SNAPSHOT = `
  WITH bound AS (
    SELECT coalesce(max(version), 0) AS version FROM events
    WHERE stream_id = $1 AND version <= $2 AND date_trunc('milliseconds', recorded_at) <= $3
  ), latest AS (
    SELECT version, state, recorded_at FROM snapshots
    WHERE stream_id = $1 AND version <= (SELECT version FROM bound)
    ORDER BY version DESC LIMIT 1
  )
  SELECT latest.version AS snapshot_version, latest.state AS snapshot_state, latest.recorded_at AS snapshot_recorded_at, e.*
  FROM (SELECT 1) AS one
  LEFT JOIN latest ON true
  LEFT JOIN events e ON e.stream_id = $1 AND e.version > coalesce(latest.version, 0) AND e.version <= (SELECT version FROM bound)
  ORDER BY e.version`;

interface SnapshotJoinRow extends Partial<EventRow> {
  snapshot_version: number | null;
  snapshot_state: unknown;
  snapshot_recorded_at: Date | null;
}

/** An event about to be appended: its stream and version are known before the write. */
export interface PendingEvent extends NewEvent {
  streamId: string;
  version: number;
}

export interface AppendOptions {
  /** The records these events publish, written to the outbox in the same statement. */
  outbox?: (events: PendingEvent[]) => OutboxEvent[];
  validate?: PayloadValidator;
  /** A transaction of `transaction()` to append in; by default the statement commits on its own. */
  tx?: PoolClient;
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
      ({ rows } = await (options.tx ?? this.pool).query<EventRow>({
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
      const current = await (options.tx ?? this.pool).query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1', [streamId]);
      throw new ConcurrencyError(streamId, expectedVersion, current.rows[0]?.version);
    }
    return rows.map(toStored);
  }

  /** Runs `work` in one transaction: appends given its `tx` commit together with what else it writes. */
  transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, work);
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>({ name: 'eventstore.read-stream', text: 'SELECT * FROM events WHERE stream_id = $1 ORDER BY version', values: [streamId] });
    return rows.map(toStored);
  }

  /**
   * The stream from its latest snapshot within `bounds` (default: now): what a command folds. With a
   * snapshot every n events, a command reads fewer than n events however long the stream's history.
   */
  async readFromSnapshot(streamId: string, { toVersion, until }: StreamBounds = {}): Promise<StreamFromSnapshot> {
    const { rows } = await this.pool.query<SnapshotJoinRow>({
      name: 'eventstore.read-from-snapshot',
      text: READ_FROM_SNAPSHOT,
      values: [streamId, toVersion ?? 2_147_483_647, until ?? 'infinity'],
    });
    const first = rows[0];
    const snapshot: Snapshot | undefined =
      first && first.snapshot_version !== null ? { version: first.snapshot_version, state: first.snapshot_state, recordedAt: first.snapshot_recorded_at! } : undefined;
    return { snapshot, events: rows.filter((row) => row.stream_id !== null && row.stream_id !== undefined).map((row) => toStored(row as EventRow)) };
  }

  /** Keeps `state` as the stream's state at `version` (a snapshot already there stays). */
  async saveSnapshot(streamId: string, version: number, state: unknown, recordedAt: Date): Promise<void> {
    await this.pool.query({
      name: 'eventstore.save-snapshot',
      text: 'INSERT INTO snapshots (stream_id, version, state, recorded_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      values: [streamId, version, JSON.stringify(state), recordedAt],
    });
  }

  /**
   * The stream as it was: its events up to version `toVersion` and recorded at or before `until`, to
   * the millisecond as a Date holds it (either bound optional), in version order. Recording times rise
   * with versions within a stream (each append reads the version before it), so a time bound cuts the
   * stream at one point.
   */
  async readStreamUntil(streamId: string, { toVersion, until }: StreamBounds): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>({
      name: 'eventstore.read-stream-until',
      text: `SELECT * FROM events WHERE stream_id = $1 AND version <= $2 AND date_trunc('milliseconds', recorded_at) <= $3 ORDER BY version`,
      values: [streamId, toVersion ?? 2_147_483_647, until ?? 'infinity'],
    });
    return rows.map(toStored);
  }

  /** Every stream's events in the order they were recorded, after a global position. */
  async readAll(afterPosition = 0, limit = 1000): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>('SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2', [afterPosition, limit]);
    return rows.map(toStored);
  }
}
