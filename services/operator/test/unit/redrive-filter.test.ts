import { deadLetterFacts, durationMs, matchesFilter } from '../../src/redrive/filter';

const now = new Date('2026-01-01T12:00:00Z');
const failed = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);

describe('durationMs', () => {
  it('reads seconds, minutes and hours', () => {
    expect([durationMs('30s'), durationMs('10m'), durationMs('2h')]).toEqual([30_000, 600_000, 7_200_000]);
  });

  it('refuses anything else', () => {
    expect(() => durationMs('3d')).toThrow('not a duration (30s, 10m, 2h): 3d');
  });
});

describe('deadLetterFacts', () => {
  it('reads the event type, the error and the failure time from the headers', () => {
    const facts = deadLetterFacts({ 'event-type': Buffer.from('OrderPlaced'), 'dlq-error': Buffer.from('boom'), 'dlq-failed-at': Buffer.from('2026-01-01T11:00:00.000Z') });
    expect(facts).toEqual({ eventType: 'OrderPlaced', error: 'boom', failedAt: new Date('2026-01-01T11:00:00.000Z') });
  });

  it('leaves out a failure time that does not parse', () => {
    expect(deadLetterFacts({ 'dlq-failed-at': 'yesterday' }).failedAt).toBeUndefined();
  });
});

describe('matchesFilter', () => {
  const record = { eventType: 'OrderPlaced', error: 'amount 500 above the limit 100', failedAt: failed(30) };

  it('matches everything without a filter', () => {
    expect(matchesFilter(undefined, {}, now)).toBe(true);
  });

  it('matches listed event types only', () => {
    expect(matchesFilter({ eventTypes: ['OrderPlaced', 'OrderApproved'] }, record, now)).toBe(true);
    expect(matchesFilter({ eventTypes: ['OrderCancelled'] }, record, now)).toBe(false);
    expect(matchesFilter({ eventTypes: ['OrderPlaced'] }, { error: 'x' }, now)).toBe(false);
  });

  it('matches an error containing the text', () => {
    expect(matchesFilter({ errorContains: 'above the limit' }, record, now)).toBe(true);
    expect(matchesFilter({ errorContains: 'timeout' }, record, now)).toBe(false);
  });

  it('matches a failure age within olderThan and newerThan', () => {
    expect(matchesFilter({ olderThan: '10m' }, record, now)).toBe(true);
    expect(matchesFilter({ olderThan: '1h' }, record, now)).toBe(false);
    expect(matchesFilter({ newerThan: '1h' }, record, now)).toBe(true);
    expect(matchesFilter({ newerThan: '10m' }, record, now)).toBe(false);
    expect(matchesFilter({ olderThan: '10m', newerThan: '1h' }, record, now)).toBe(true);
    expect(matchesFilter({ olderThan: '10m' }, { ...record, failedAt: undefined }, now)).toBe(false);
  });

  it('needs every criterion to hold', () => {
    expect(matchesFilter({ eventTypes: ['OrderPlaced'], errorContains: 'timeout' }, record, now)).toBe(false);
    expect(matchesFilter({ eventTypes: ['OrderPlaced'], errorContains: 'limit', newerThan: '1h' }, record, now)).toBe(true);
  });
});
