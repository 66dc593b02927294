export { startService, runService, type ServiceDefinition, type ServiceContext, type ConsumerDefinition, type Worker, type RunningService, type Settings } from './service';
export { baseSettings, postgresSettings, mongoSettings, replaySettings } from './settings';
export { stateEvent } from './state-event';
export { publishChange } from './publish-change';
export { writeReplayResult, type ReplayResult } from './replay-result';
export { migrateWithSeed, type SeededMigration } from './seeded-migration';
export { kafkaFromSettings, type KafkaConnectionSettings } from './kafka-client';
export { FeatureFlags, hotSettings, type HotSettings } from './hot-settings';
export { isTransient } from './transient';
