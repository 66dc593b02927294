import type { AvroCodec } from './codec';
import { UndecodableRecordError } from './errors';

/**
 * How a Kafka consumer (@eventline/kafka's EventConsumer and TransactionalProcessor: spread it into
 * their options) reads record values with a codec: the value read with the local schema of the
 * writer's record type, that type's full name as the event's `recordName`, and bytes that can never
 * be read (UndecodableRecordError) poison, dead-lettered at once; any other failure (the registry
 * unreachable) is waited out.
 */
export interface AvroDecoding {
  decode(value: Buffer): Promise<{ value: unknown; recordName: string }>;
  poisonErrors: (typeof UndecodableRecordError)[];
}

export function avroDecoding(codec: AvroCodec): AvroDecoding {
  return {
    decode: async (value) => {
      const decoded = await codec.decode(value);
      return { value: decoded.value, recordName: decoded.writerRecordName };
    },
    poisonErrors: [UndecodableRecordError],
  };
}
