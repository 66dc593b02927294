import { errorChain } from './error-chain';
/**
 * How a consumer treats a failure. Transient faults of the infrastructure (a database or broker that
 * is down or restarting) are retried for as long as they last, because the record is fine. Anything
 * else is retried a few times, then the record is dead-lettered so that the partition moves on.
 */
export class PoisonRecordError extends Error {
  override name = 'PoisonRecordError';
}

export class TransientError extends Error {
  override name = 'TransientError';
}

const transientCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const transientNames = new Set(['TransientError', 'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded']);

/**
 * A transient fault as this package knows them: the network (a refused or reset connection, DNS),
 * kafkajs' connection errors and what it marks `retriable`, and `TransientError`. The database
 * drivers' own transient errors are classified beside the packages that use them
 * (@eventline/postgres' isTransientPostgresError, @eventline/mongo's isTransientMongoError); a consumer whose handler
 * writes to a database is given them (EventConsumerOptions.isTransient).
 */
export function isTransientKafkaError(error: unknown): boolean {
  // A network fault wrapped by its client (fetch's "fetch failed", say) is one still: its cause says so.
  // Only `cause`: kafkajs' retry wrapper is classified by its own name, not by the error it wraps.
  for (const current of errorChain(error, { depth: 4, wrapped: 'cause' })) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && transientCodes.has(code)) return true;
    if (transientNames.has(current.name)) return true;
    if ((current as { retriable?: unknown }).retriable === true) return true;
    if (/connection.*(closed|refused)/i.test(current.message)) return true;
  }
  return false;
}
