import { newEnvelope } from '@eventline/kafka';
import type { OutboxEvent } from '@eventline/outbox';

/**
 * The outbox event of an event-carried state transfer: the aggregate's full state under its id, or
 * a tombstone (null) when it was deleted, on a compacted topic.
 */
export function stateEvent(source: string, topic: string, recordName: string, key: string | number, state: Record<string, unknown> | null): OutboxEvent {
  const shortName = recordName.slice(recordName.lastIndexOf('.') + 1);
  const eventType = state === null ? `${shortName.replace(/State$/, '')}Deleted` : shortName;
  return { topic, key: String(key), recordName: state === null ? null : recordName, payload: state, envelope: newEnvelope(eventType, source) };
}
