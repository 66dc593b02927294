import { buildHeaders, InvalidEnvelopeError, newEnvelope, newTraceparent, parseHeaders, randomHex } from '../../src/envelope';

describe('event envelope', () => {
  it('round-trips through Kafka headers', () => {
    const envelope = { ...newEnvelope('UserState', 'user-service'), schemaId: 7 };
    const headers = buildHeaders(envelope);
    const asReceived = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(String(v))]));
    expect(parseHeaders(asReceived)).toEqual(envelope);
    expect(Object.keys(headers).sort()).toEqual(['correlation-id', 'event-id', 'event-type', 'occurred-at', 'schema-id', 'source', 'traceparent']);
  });

  it('keeps correlation and trace, and points at the cause, for an event caused by another', () => {
    const cause = newEnvelope('OrderPlaced', 'order-service');
    const effect = newEnvelope('StockReserved', 'product-service', cause);
    expect(effect.correlationId).toBe(cause.correlationId);
    expect(effect.causationId).toBe(cause.eventId);
    // The cause's context names the span that handled it (its consumer's), the parent of what it causes.
    expect(effect.traceparent).toBe(cause.traceparent);
    expect(effect.eventId).not.toBe(cause.eventId);
  });

  it('names every missing header', () => {
    expect(() => parseHeaders({ 'event-type': 'X' })).toThrow(new InvalidEnvelopeError('record headers lack event-id, source, occurred-at, correlation-id, traceparent'));
  });

  it('refuses a malformed traceparent or schema id', () => {
    const headers = buildHeaders(newEnvelope('X', 'test'));
    expect(() => parseHeaders({ ...headers, traceparent: 'not-a-trace' })).toThrow('traceparent header is malformed');
    expect(() => parseHeaders({ ...headers, 'schema-id': 'abc' })).toThrow('schema-id header is not a number');
  });

  it('mints distinct, well-formed contexts, not sampled, across refills of the random pool', () => {
    // 2,000 contexts take 48 KiB, twelve refills of the 4 KiB pool.
    const traces = Array.from({ length: 2000 }, () => newTraceparent());
    for (const t of traces) expect(t).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(new Set(traces.map((t) => t.split('-')[1])).size).toBe(2000);
    expect(new Set(traces.map((t) => t.split('-')[2])).size).toBe(2000);
    expect(randomHex(5)).toMatch(/^[0-9a-f]{10}$/);
  });

  it('starts a new trace when the cause carries an unusable context', () => {
    const cause = { ...newEnvelope('OrderPlaced', 'order-service'), traceparent: 'garbage' };
    expect(newEnvelope('StockReserved', 'product-service', cause).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
