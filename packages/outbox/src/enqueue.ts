import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { EventEnvelope } from '@eventline/kafka';
import { LOCK_PARTITIONS } from './schema';
import { afterCommit } from '@eventline/postgres';
import { outboxCommitted } from './wake';

export interface OutboxEvent {
  topic: string;
  /** The aggregate id: the Kafka record key. */
  key: string;
  /** Avro record full name; null with a null payload for a tombstone. */
  recordName: string | null;
  payload: Record<string, unknown> | null;
  envelope: EventEnvelope;
}

/** Checks a payload against its local schema before anything is written; throws naming the field. */
export type PayloadValidator = (recordName: string, payload: unknown) => void;

export function lockPartition(key: string): number {
  return createHash('sha1').update(key).digest().readUInt16BE(0) % LOCK_PARTITIONS;
}

/** Outbox rows as one array per column: a whole run of rows is one statement's parameters. */
export interface OutboxColumns {
  partitions: number[];
  topics: string[];
  keys: string[];
  recordNames: (string | null)[];
  /** JSON text (cast to jsonb in the statement); null for a tombstone. */
  payloads: (string | null)[];
  envelopes: string[];
}

/** Checks every event (tombstone shape, payload against its schema) and lays the rows out as columns. */
export function outboxColumns(events: OutboxEvent[], validate?: PayloadValidator): OutboxColumns {
  const columns: OutboxColumns = { partitions: [], topics: [], keys: [], recordNames: [], payloads: [], envelopes: [] };
  for (const event of events) {
    if ((event.recordName === null) !== (event.payload === null)) {
      throw new Error(`outbox event for ${event.topic}/${event.key}: a tombstone has neither record name nor payload`);
    }
    if (event.recordName !== null && validate) validate(event.recordName, event.payload);
    columns.partitions.push(lockPartition(event.key));
    columns.topics.push(event.topic);
    columns.keys.push(event.key);
    columns.recordNames.push(event.recordName);
    columns.payloads.push(event.payload === null ? null : JSON.stringify(event.payload));
    columns.envelopes.push(JSON.stringify(event.envelope));
  }
  return columns;
}

export const outboxParameters = (c: OutboxColumns): unknown[] => [c.partitions, c.topics, c.keys, c.recordNames, c.payloads, c.envelopes];

/**
 * Rows of `insertOutboxRows` that take a value from a row the same statement wrote: `from` (a CTE's
 * name, joined to each outbox row; none written when it is empty) and the payload as an expression of
 * `r.payload` and that CTE (a UserState's new version, which the UPDATE assigns).
 */
export interface OutboxRowsFromChange {
  from: string;
  payload: string;
}

/**
 * The INSERT of `outboxParameters` (six array parameters from `$first`), rows in the given order,
 * only when `onlyIf` holds: a statement of its own or a data-modifying CTE of a larger one (the
 * event store's append, which queues its rows only if its events went in; a state UPDATE, with
 * `change`, which queues its event only if it changed the row).
 */
export function insertOutboxRows(first: number, onlyIf = 'true', change?: OutboxRowsFromChange): string {
  const p = (i: number) => `$${first + i}`;
  return `INSERT INTO outbox (partition, topic, key, record_name, payload, envelope)
    SELECT r.partition, r.topic, r.key, r.record_name, ${change?.payload ?? 'r.payload::jsonb'}, r.envelope::jsonb
    FROM unnest(${p(0)}::smallint[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[])
      WITH ORDINALITY AS r(partition, topic, key, record_name, payload, envelope, n)${change ? `, ${change.from}` : ''}
    WHERE ${onlyIf}
    ORDER BY r.n`;
}

/**
 * Adds events to the outbox inside the caller's transaction (@eventline/postgres' `withTransaction`), after the state
 * change they describe; the commit wakes the process's relays. Call it after taking the aggregate's
 * row lock (the state UPDATE does), so that ids of one key are assigned in commit order.
 */
export async function enqueue(tx: PoolClient, events: OutboxEvent[], validate?: PayloadValidator): Promise<void> {
  if (events.length === 0) return;
  const columns = outboxColumns(events, validate);
  await tx.query(insertOutboxRows(1), outboxParameters(columns));
  afterCommit(tx, outboxCommitted);
}
