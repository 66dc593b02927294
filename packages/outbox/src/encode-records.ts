import type { Message, TopicMessages } from 'kafkajs';
import { buildHeaders, type EventEnvelope, type PublishSpans } from '@eventline/kafka';

/** Encodes a payload for a topic (Avro in Confluent framing: AvroCodec) and names the schema it used. */
export interface RecordEncoder {
  encode(topic: string, recordName: string, payload: never): Promise<Buffer>;
  schemaId(topic: string, recordName: string): Promise<number>;
}

/** An event waiting in an outbox (a PostgreSQL row or a MongoDB document's pending event). */
export interface PendingRecord {
  topic: string;
  key: string;
  /** null for a tombstone. */
  recordName: string | null;
  payload: unknown;
  envelope: EventEnvelope;
}

/**
 * The Kafka records of pending events, grouped by topic in the order given (so in order per key):
 * each payload encoded with its schema, whose id goes into the envelope headers; a tombstone's value null.
 * With `spans`, each record gets its publish span, which its headers then name.
 */
export async function encodeRecords(records: Iterable<PendingRecord>, encoder: RecordEncoder, topicPrefix = '', spans?: PublishSpans): Promise<TopicMessages[]> {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let value: Buffer | null = null;
    let envelope = record.envelope;
    if (record.recordName !== null) {
      value = await encoder.encode(record.topic, record.recordName, record.payload as never);
      envelope = { ...envelope, schemaId: await encoder.schemaId(record.topic, record.recordName) };
    }
    if (spans) envelope = spans.start(record.topic, envelope);
    const topic = topicPrefix + record.topic;
    const messages = byTopic.get(topic) ?? [];
    messages.push({ key: record.key, value, headers: buildHeaders(envelope) });
    byTopic.set(topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
