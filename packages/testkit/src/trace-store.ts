import { randomBytes } from 'node:crypto';
import { urls } from '@eventline/infra';

/**
 * The variables that send a service's spans over OTLP to the local OpenTelemetry Collector (which
 * passes them through Kafka to Zipkin), exported within a quarter second.
 */
export const TRACING_ENV = {
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: urls.otlp,
  OTEL_BSP_SCHEDULE_DELAY: '250',
};

/** A span as Zipkin's API v2 returns it (the fields the tests read). */
export interface StoredSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration?: number;
  localEndpoint: { serviceName: string };
}

/** A client's own trace context: the request joins this trace, sampled. */
export function clientTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

/** The spans a Zipkin (the local one unless given) holds for a trace (none yet: an empty list). */
export async function storedTrace(traceId: string, zipkinUrl = urls.zipkin): Promise<StoredSpan[]> {
  const response = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`zipkin answered ${response.status} for trace ${traceId}`);
  return (await response.json()) as StoredSpan[];
}

/** `service kind name` of each span: what the assertions name. */
export function spanLabel(span: StoredSpan): string {
  return `${span.localEndpoint.serviceName} ${span.kind ?? 'LOCAL'} ${span.name}`;
}

/** The chain from a span up to the trace's root, as labels, the span first. */
export function ancestry(spans: StoredSpan[], span: StoredSpan): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const chain: string[] = [];
  for (let at: StoredSpan | undefined = span; at; at = at.parentId ? byId.get(at.parentId) : undefined) chain.push(spanLabel(at));
  return chain;
}

/**
 * A checkout's saga in its trace, from the order's approval back to the checkout request: order-service
 * placed the order from the checkout's event, product-service reserved the stock, order-service approved.
 */
export const SAGA_APPROVAL_CHAIN = [
  'order-service PRODUCER publish orders',
  'order-service CONSUMER process inventory',
  'product-service PRODUCER publish inventory',
  'product-service CONSUMER process orders',
  'order-service PRODUCER publish orders',
  'order-service CONSUMER process cart-events',
  'cart-service PRODUCER publish cart-events',
  'cart-service SERVER post /api/v1/checkout',
];

/** The chain of the approval's publish span (the one after the stock reservation), if the trace has it. */
export function sagaApprovalChain(spans: StoredSpan[]): string[] | undefined {
  const approval = spans.find((span) => spanLabel(span) === SAGA_APPROVAL_CHAIN[0] && ancestry(spans, span).includes(SAGA_APPROVAL_CHAIN[1]!));
  return approval && ancestry(spans, approval);
}
