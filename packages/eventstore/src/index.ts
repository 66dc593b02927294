export { createEventStoreSchema } from './schema';
export { EventStore, ConcurrencyError, type NewEvent, type StoredEvent, type AppendOptions, type PendingEvent } from './store';
export { fold, handleCommand, type Evolve, type Decide, type CommandHandling, type CommandResult } from './aggregate';
