export { createOutboxSchema, LOCK_PARTITIONS } from './schema';
export {
  enqueue,
  insertOutboxRows,
  lockPartition,
  outboxColumns,
  outboxParameters,
  type OutboxColumns,
  type OutboxEvent,
  type OutboxRowsFromChange,
  type PayloadValidator,
} from './enqueue';
export { OutboxRelay, type OutboxRelayOptions } from './relay';
export { encodeRecords, type PendingRecord, type RecordEncoder } from './encode-records';
export { MongoOutboxRelay, pendingEvent, pendingEventsQuery, PENDING_EVENTS, type PendingEvent, type MongoOutboxRelayOptions } from './mongo-relay';
export { onOutboxCommit, outboxCommitted } from './wake';
export { StallWatch, RELAY_STALLED_AFTER_MS } from './stall-watch';
