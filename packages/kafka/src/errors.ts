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
const transientNames = new Set([
  'TransientError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
]);

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') {
    if (transientCodes.has(code)) return true;
    // PostgreSQL SQLSTATE class 08 (connection exception), 57P0x (server shutting down), 53 (resources).
    if (/^(08...|57P0[1-3]|53...)$/.test(code)) return true;
  }
  if (transientNames.has(error.name)) return true;
  if ((error as { retriable?: unknown }).retriable === true) return true;
  return /Connection terminated|connection.*(closed|refused)/i.test(error.message);
}
