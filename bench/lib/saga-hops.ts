import { spanLabel, type StoredSpan } from '@eventline/testkit';

/**
 * Where one order's saga spends its time, from its trace: each hop from the POST to the approval, in
 * milliseconds. A hop is either a span's own duration (work in one process) or the gap between one
 * span's end and the next one's start (a wait: the outbox relay's, or Kafka's delivery to a consumer).
 * Every process runs on the same machine, so their clocks agree.
 */
export const SAGA_HOPS = [
  'POST /order-service/orders (order-service)',
  'wait: MongoDB outbox → relay publishes OrderPlaced',
  'publish OrderPlaced (producer ack)',
  'wait: Kafka → product-service consumes it',
  'reserve stock (product-service consumer)',
  'wait: PostgreSQL outbox → relay publishes StockReserved',
  'publish StockReserved (producer ack)',
  'wait: Kafka → order-service consumes it',
  'approve the order (order-service consumer)',
] as const;

export type SagaHop = (typeof SAGA_HOPS)[number];

const PLACE = 'order-service SERVER post /order-service/orders';
const PUBLISH_PLACED = 'order-service PRODUCER publish orders';
const RESERVE = 'product-service CONSUMER process orders';
const PUBLISH_RESERVED = 'product-service PRODUCER publish inventory';
const APPROVE = 'order-service CONSUMER process inventory';

/** The hops of one traced order, or undefined while its trace is incomplete. Zipkin's times are microseconds. */
export function sagaHops(spans: readonly StoredSpan[]): Map<SagaHop, number> | undefined {
  const byId = new Map(spans.map((span) => [span.id, span]));
  const childOf = (parent: StoredSpan | undefined, label: string): StoredSpan | undefined =>
    parent && spans.find((span) => span.parentId === parent.id && spanLabel(span) === label);
  // The publish of OrderPlaced hangs under the POST's span (its context travels with the outbox entry).
  const place = spans.find((span) => spanLabel(span) === PLACE && (span.parentId === undefined || !byId.has(span.parentId)));
  const published = childOf(place, PUBLISH_PLACED);
  const reserve = childOf(published, RESERVE);
  const reserved = childOf(reserve, PUBLISH_RESERVED);
  const approve = childOf(reserved, APPROVE);
  if (!place || !published || !reserve || !reserved || !approve) return undefined;
  const end = (span: StoredSpan) => span.timestamp + (span.duration ?? 0);
  const ms = (us: number) => us / 1000;
  const values: number[] = [
    ms(place.duration ?? 0),
    ms(published.timestamp - end(place)),
    ms(published.duration ?? 0),
    ms(reserve.timestamp - end(published)),
    ms(reserve.duration ?? 0),
    ms(reserved.timestamp - end(reserve)),
    ms(reserved.duration ?? 0),
    ms(approve.timestamp - end(reserved)),
    ms(approve.duration ?? 0),
  ];
  return new Map(SAGA_HOPS.map((hop, index) => [hop, values[index]!]));
}
