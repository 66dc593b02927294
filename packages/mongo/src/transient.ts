const transientMongoNames = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoTopologyClosedError']);

/** The MongoDB driver: a server it cannot reach or select, or a client whose topology closed. */
export function isTransientMongoError(error: unknown): boolean {
  return error instanceof Error && transientMongoNames.has(error.name);
}
