export { afterCommit, withTransaction } from './transaction';
export { isTransientPostgresError } from './transient';
export { MIGRATION_LOCK, withMigrationLock } from './migration-lock';
