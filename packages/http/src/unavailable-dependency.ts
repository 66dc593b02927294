/**
 * Whether an error says a server the service depends on (PostgreSQL, MongoDB, Kafka, another
 * service) could not be reached or dropped the connection: a fault of the moment, answered 503 with
 * Retry-After rather than the opaque 500 of a bug. Looks through `cause` chains and AggregateErrors
 * (what Node's happy-eyeballs connect throws).
 */

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** SQLSTATEs of a server that is going away or not taking connections (class 08 is every connection exception). */
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres throws, without a code, when the connection ends under a query or cannot be made in time. */
const POSTGRES_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /connection error and is not queryable/];

const MONGO_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

export function isUnavailableDependency(thrown: unknown, depth = 0): boolean {
  if (depth > 5 || typeof thrown !== 'object' || thrown === null) return false;
  const error = thrown as ErrorLike;
  if (typeof error.code === 'string' && (SOCKET_CODES.has(error.code) || POSTGRES_STATES.has(error.code) || /^08[0-9A-Z]{3}$/.test(error.code))) return true;
  if (typeof error.name === 'string' && MONGO_NAMES.has(error.name)) return true;
  if (typeof error.message === 'string' && POSTGRES_MESSAGES.some((pattern) => pattern.test(error.message as string))) return true;
  if (Array.isArray(error.errors) && error.errors.some((inner) => isUnavailableDependency(inner, depth + 1))) return true;
  return isUnavailableDependency(error.cause, depth + 1);
}
