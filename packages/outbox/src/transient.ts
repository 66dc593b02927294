/**
 * The database drivers' transient faults (a server that is down, starting, shutting down or out of
 * connections), beside the package that uses both drivers. The network and Kafka's own are
 * @eventline/kafka's isTransientKafkaError; @eventline/runtime's isTransient composes all three.
 */

/** node-postgres: SQLSTATE class 08 (connection exception), 57P01-03 (shutting down, starting up), 53 (resources), or a dropped connection. */
export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && /^(08...|57P0[1-3]|53...)$/.test(code)) return true;
  return /Connection terminated/i.test(error.message);
}

const transientMongoNames = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoTopologyClosedError']);

/** The MongoDB driver: a server it cannot reach or select, or a client whose topology closed. */
export function isTransientMongoError(error: unknown): boolean {
  return error instanceof Error && transientMongoNames.has(error.name);
}
