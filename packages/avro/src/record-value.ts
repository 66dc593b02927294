import type { EventTypes, RecordName } from './generated/events';

/** A consumed record that is not the type its handler takes (or a tombstone where a value was due). */
export class UnexpectedRecordError extends Error {
  override name = 'UnexpectedRecordError';
}

/** What a consumed event carries of its value (the shape of @eventline/kafka's ConsumedEvent). */
export interface DecodedRecord {
  recordName: string | undefined;
  value: unknown;
}

/**
 * A consumed record's value as the generated type of `recordName`, checked against the name its
 * schema gave it when it was decoded: the one place a decoded value becomes a typed one.
 */
export function recordValue<N extends RecordName>(event: DecodedRecord, recordName: N): EventTypes[N] {
  if (event.value === null || event.recordName !== recordName) {
    throw new UnexpectedRecordError(`expected a ${recordName}, got ${event.value === null ? 'a tombstone' : (event.recordName ?? 'a record without a name')}`);
  }
  return event.value as EventTypes[N];
}
