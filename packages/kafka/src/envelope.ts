import { randomFillSync, randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { activeTraceparent } from './trace-spans';

/**
 * The metadata every eventline record carries in its Kafka headers. The record key is the aggregate
 * id; the value is the Avro-encoded event (or null for a tombstone).
 */
export interface EventEnvelope {
  eventId: string;
  eventType: string;
  source: string;
  occurredAt: string;
  correlationId: string;
  causationId?: string;
  /**
   * W3C trace context, 00-<trace id>-<span id>-<flags>: the span that made the event (an HTTP
   * request's, a consumed record's); see trace-spans.ts.
   */
  traceparent: string;
  /** Registry id of the writer schema; absent on tombstones. */
  schemaId?: number;
}

export const headerNames = {
  eventId: 'event-id',
  eventType: 'event-type',
  source: 'source',
  occurredAt: 'occurred-at',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  schemaId: 'schema-id',
} as const;

export class InvalidEnvelopeError extends Error {
  override name = 'InvalidEnvelopeError';
}

const traceparentPattern = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Random bytes as hex, cut from a pooled buffer refilled 4 KiB at a time (as randomUUID does): a
 * randomBytes call per span id was 6% of cart-aggregator's CPU, which mints one per output event.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;
export function randomHex(bytes: number): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const hex = randomPool.toString('hex', randomPoolOffset, randomPoolOffset + bytes);
  randomPoolOffset += bytes;
  return hex;
}

/**
 * A context for an event made outside any recording span (tracing off): a fresh trace id, so that the
 * header is always there, flagged not sampled because no tracer decided to sample it.
 */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-00`;
}

/**
 * A fresh envelope; a consumer passes the event it handles as `cause` to keep the chain. Its trace
 * context is the cause's (which names the consumer's span for it), else the active span's, else new.
 */
export function newEnvelope(eventType: string, source: string, cause?: Pick<EventEnvelope, 'eventId' | 'correlationId' | 'traceparent'>): EventEnvelope {
  const eventId = randomUUID();
  return {
    eventId,
    eventType,
    source,
    occurredAt: new Date().toISOString(),
    correlationId: cause?.correlationId ?? eventId,
    causationId: cause?.eventId,
    traceparent: (cause && traceparentPattern.test(cause.traceparent) ? cause.traceparent : undefined) ?? activeTraceparent() ?? newTraceparent(),
  };
}

export function buildHeaders(envelope: EventEnvelope): IHeaders {
  const headers: IHeaders = {};
  for (const [field, header] of Object.entries(headerNames) as [keyof EventEnvelope, string][]) {
    const value = envelope[field];
    if (value !== undefined) headers[header] = String(value);
  }
  return headers;
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

export function parseHeaders(headers: IHeaders | undefined): EventEnvelope {
  const read = (name: string) => headerText(headers, name);
  const missing = (['eventId', 'eventType', 'source', 'occurredAt', 'correlationId', 'traceparent'] as const).filter((field) => !read(headerNames[field]));
  if (missing.length > 0) {
    throw new InvalidEnvelopeError(`record headers lack ${missing.map((f) => headerNames[f]).join(', ')}`);
  }
  const schemaId = read(headerNames.schemaId);
  if (schemaId !== undefined && !/^\d+$/.test(schemaId)) throw new InvalidEnvelopeError(`schema-id header is not a number: ${schemaId}`);
  const traceparent = read(headerNames.traceparent) as string;
  if (!traceparentPattern.test(traceparent)) throw new InvalidEnvelopeError(`traceparent header is malformed: ${traceparent}`);
  return {
    eventId: read(headerNames.eventId) as string,
    eventType: read(headerNames.eventType) as string,
    source: read(headerNames.source) as string,
    occurredAt: read(headerNames.occurredAt) as string,
    correlationId: read(headerNames.correlationId) as string,
    causationId: read(headerNames.causationId),
    traceparent,
    schemaId: schemaId === undefined ? undefined : Number(schemaId),
  };
}
