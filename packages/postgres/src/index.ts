export { afterCommit, withTransaction } from './transaction';
export { isTransientPostgresError } from './transient';
