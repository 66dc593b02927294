export type UndecodableReason =
  | 'not-confluent-avro' // no magic byte 0 + 4-byte schema id in front
  | 'unknown-schema-id' // the registry has no schema with that id
  | 'unexpected-record' // a record type the reader did not ask for
  | 'incompatible-schema' // the reader schema cannot read the writer's
  | 'malformed-payload'; // the Avro body does not decode with the writer schema

/**
 * The bytes can never be decoded by this consumer, however often it retries: a poison record for
 * the dead-letter topic. Transient failures (the registry unreachable) are NOT wrapped in this.
 */
export class UndecodableRecordError extends Error {
  constructor(
    readonly reason: UndecodableReason,
    message: string,
    readonly schemaId?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UndecodableRecordError';
  }
}

/** A value that does not match its record schema; nothing was encoded. `fields` are dotted paths. */
export class InvalidEventError extends Error {
  constructor(
    readonly recordName: string,
    readonly fields: string[],
    readonly details: string[],
  ) {
    super(`invalid ${recordName}: ${details.join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

/** The local schema of a subject is not registered, and the codec may not register it. */
export class SchemaNotRegisteredError extends Error {
  constructor(readonly subject: string) {
    super(`subject ${subject} has no version matching the local schema; register the schemas first (npm run schemas -- register)`);
    this.name = 'SchemaNotRegisteredError';
  }
}
