/**
 * Errors a database gives while it is still starting, restarting or not yet resolvable (a pod
 * started beside its database): worth retrying until the start-up deadline. A refused password, a
 * missing database or a failing migration statement are not.
 */
const transientNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** SQLSTATE 57P03 cannot_connect_now ("the database system is starting up"), class 08 connection exceptions. */
const transientSqlStates = (code: string) => code === '57P03' || code.startsWith('08');

export function isPostgresStarting(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && (transientNodeCodes.has(code) || transientSqlStates(code))) return true;
  // pg's own words when the server closes a connection during its start or shutdown.
  return /Connection terminated unexpectedly|timeout expired/.test(error.message);
}

/** The driver's server-selection and network errors: the server is not reachable yet. */
export function isMongoStarting(error: unknown): boolean {
  return error instanceof Error && ['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError'].includes(error.name);
}
