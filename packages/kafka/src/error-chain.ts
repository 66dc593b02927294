/**
 * An error and the errors it wraps, outermost first, at most `depth` of them. `wrapped` says which
 * link to follow: the standard `cause`, or kafkajs' too (`originalError`, what its retry wrapper
 * KafkaJSNumberOfRetriesExceeded carries, before `cause`).
 */
export function* errorChain(error: unknown, { depth = 5, wrapped = 'kafkajs' }: { depth?: number; wrapped?: 'cause' | 'kafkajs' } = {}): Generator<Error> {
  let current = error;
  for (let seen = 0; current instanceof Error && seen < depth; seen += 1) {
    yield current;
    const { originalError, cause } = current as { originalError?: unknown; cause?: unknown };
    current = wrapped === 'kafkajs' ? (originalError ?? cause) : cause;
  }
}
