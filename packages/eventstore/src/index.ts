export { createEventStoreSchema } from './schema';
export {
  EventStore,
  ConcurrencyError,
  type NewEvent,
  type StoredEvent,
  type AppendOptions,
  type PendingEvent,
  type Snapshot,
  type StreamBounds,
  type StreamFromSnapshot,
} from './store';
export { fold, handleCommand, type Evolve, type Decide, type CommandHandling, type CommandResult, type SnapshotPolicy } from './aggregate';
