import { type Context, context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EventEnvelope } from './envelope';

/**
 * Kafka's part of a trace. The envelope's `traceparent` header is the W3C trace context a record
 * carries: a producer's span becomes the parent of each consumer's span, and events a consumer causes
 * carry the consumer's span, so a command's trace continues hop by hop — through an outbox too, whose
 * row keeps the envelope written beside the change. When tracing is off (no SDK registered) the spans
 * are no-ops and every envelope keeps the context it came with.
 */
const tracer = trace.getTracer('@eventline/kafka');

/** The trace context a traceparent names, as the remote parent of a span; undefined when malformed. */
export function contextOf(traceparent: string): Context | undefined {
  const [version, traceId, spanId, flags] = traceparent.split('-');
  if (version !== '00' || traceId?.length !== 32 || spanId?.length !== 16 || flags?.length !== 2) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true });
}

/** The traceparent of a span that records, else undefined. */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span?.isRecording()) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/** The traceparent of the span this code runs in (an HTTP request's, a record's), if one records. */
export function activeTraceparent(): string | undefined {
  return traceparentOf(trace.getActiveSpan());
}

function finish(spans: Span[], error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.end();
  }
}

/**
 * A `publish` span per record a relay sends, each a child of the context its outbox row kept; the
 * record then carries the publish span's context. `around` ends them all with the send's outcome.
 */
export class PublishSpans {
  private readonly spans: Span[] = [];

  /** The envelope to publish: the same, naming the new publish span when it records. */
  start(topic: string, envelope: EventEnvelope): EventEnvelope {
    const span = tracer.startSpan(
      `publish ${topic}`,
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.message.id': envelope.eventId } },
      contextOf(envelope.traceparent) ?? ROOT_CONTEXT,
    );
    this.spans.push(span);
    const traceparent = traceparentOf(span);
    return traceparent ? { ...envelope, traceparent } : envelope;
  }

  async around<T>(send: () => Promise<T>): Promise<T> {
    try {
      const result = await send();
      finish(this.spans);
      return result;
    } catch (error) {
      finish(this.spans, error);
      throw error;
    }
  }
}

export interface ProcessSpan {
  /** The context to run the record's handling in: its database calls become children of the span. */
  readonly context: Context;
  end(error?: unknown): void;
}

/**
 * A `process` span for a consumed record, the child of its producer's span (the record's
 * traceparent). When it records, the envelope is rewritten to name it, so that the events the
 * handler causes (newEnvelope with this event as cause) continue the trace from here.
 */
export function startProcessSpan(topic: string, groupId: string, envelope: EventEnvelope): ProcessSpan {
  const span = tracer.startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': groupId, 'messaging.message.id': envelope.eventId },
    },
    contextOf(envelope.traceparent) ?? ROOT_CONTEXT,
  );
  const traceparent = traceparentOf(span);
  if (traceparent) envelope.traceparent = traceparent;
  return { context: trace.setSpan(context.active(), span), end: (error) => finish([span], error) };
}

/** Ends a batch's process spans with its outcome. */
export function endProcessSpans(spans: ProcessSpan[], error?: unknown): void {
  for (const span of spans) span.end(error);
}
