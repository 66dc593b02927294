import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { EventEnvelope } from '@eventline/kafka';
import { LOCK_PARTITIONS } from './schema';

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

/**
 * Adds events to the outbox inside the caller's transaction, after the state change they describe.
 * Call it after taking the aggregate's row lock (the state UPDATE does), so that ids of one key are
 * assigned in commit order.
 */
export async function enqueue(tx: PoolClient, events: OutboxEvent[], validate?: PayloadValidator): Promise<void> {
  if (events.length === 0) return;
  for (const event of events) {
    if ((event.recordName === null) !== (event.payload === null)) {
      throw new Error(`outbox event for ${event.topic}/${event.key}: a tombstone has neither record name nor payload`);
    }
    if (event.recordName !== null && validate) validate(event.recordName, event.payload);
  }
  const values: unknown[] = [];
  const rows = events.map((event, i) => {
    values.push(lockPartition(event.key), event.topic, event.key, event.recordName, event.payload, event.envelope);
    const o = i * 6;
    return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6})`;
  });
  await tx.query(`INSERT INTO outbox (partition, topic, key, record_name, payload, envelope) VALUES ${rows.join(', ')}`, values);
  // Delivered on commit only; wakes the relays at once instead of at their next poll.
  await tx.query(`SELECT pg_notify('outbox', '')`);
}
