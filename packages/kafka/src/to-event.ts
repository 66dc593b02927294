import type { KafkaMessage } from 'kafkajs';
import { parseHeaders, type EventEnvelope } from './envelope';
import { PoisonRecordError, TransientError } from './errors';
import type { ConsumedEvent, DecodedValue, ValueDecoder } from './consumer';

export type ErrorClass = new (...args: never[]) => Error;

/**
 * A record as an event: key, envelope, decoded value. A record that can never be read (no key, no
 * envelope, bytes the codec calls poison) throws PoisonRecordError; any other failure to decode is
 * the registry or the network, and throws TransientError to be waited out, never dead-lettered.
 */
export async function toConsumedEvent(topic: string, partition: number, message: KafkaMessage, decode: ValueDecoder, poisonErrors: ErrorClass[] = []): Promise<ConsumedEvent> {
  if (message.key === null) throw new PoisonRecordError('record has no key (the key must be the aggregate id)');
  let envelope: EventEnvelope;
  try {
    envelope = parseHeaders(message.headers);
  } catch (error) {
    throw new PoisonRecordError((error as Error).message);
  }
  let decoded: DecodedValue | undefined;
  if (message.value !== null) {
    try {
      decoded = await decode(message.value, topic);
    } catch (error) {
      const poison = error instanceof PoisonRecordError || poisonErrors.some((kind) => error instanceof kind);
      throw poison ? new PoisonRecordError((error as Error).message) : new TransientError(`decoding failed: ${(error as Error).message}`);
    }
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key.toString(),
    value: decoded?.value ?? null,
    recordName: decoded?.recordName,
    envelope,
  };
}
