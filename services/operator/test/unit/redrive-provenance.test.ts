import { redriveCountOf, redrivenHeaders } from '../../src/redrive/provenance';
import { addCounts, decodeCounts, encodeCounts } from '../../src/redrive/progress';

const origin = { redrive: 'prod/orders-back', uid: 'u-1', dlqTopic: 'orders.dlq', partition: 0, offset: '41', at: new Date('2026-01-01T12:00:00Z') };

describe('redrivenHeaders', () => {
  it("keeps the event's headers, drops the dead-letter ones, and adds provenance with a count of 1", () => {
    const headers = redrivenHeaders({ 'event-id': Buffer.from('e-1'), 'event-type': 'OrderPlaced', 'dlq-error': 'boom', 'dlq-source-offset': '7' }, origin);
    expect(headers).toEqual({
      'event-id': Buffer.from('e-1'),
      'event-type': 'OrderPlaced',
      'redrive-count': '1',
      'redrive-by': 'prod/orders-back',
      'redrive-uid': 'u-1',
      'redrive-from': 'orders.dlq/0/41',
      'redrive-at': '2026-01-01T12:00:00.000Z',
    });
  });

  it('counts one more each time a record is redriven again', () => {
    const once = redrivenHeaders({ 'event-id': 'e-1' }, origin);
    const twice = redrivenHeaders({ ...once, 'dlq-error': 'again' }, { ...origin, offset: '99' });
    expect(twice['redrive-count']).toBe('2');
    expect(twice['redrive-from']).toBe('orders.dlq/0/99');
  });
});

describe('redriveCountOf', () => {
  it('is 0 without the header or with a value that is not a count', () => {
    expect(redriveCountOf(undefined)).toBe(0);
    expect(redriveCountOf({ 'redrive-count': 'x' })).toBe(0);
    expect(redriveCountOf({ 'redrive-count': Buffer.from('3') })).toBe(3);
  });
});

describe('redrive counts in offset metadata', () => {
  it('round-trips through the metadata string', () => {
    expect(decodeCounts(encodeCounts({ moved: 3, skipped: 2, matched: 3, alreadyMoved: 4 }))).toEqual({ moved: 3, skipped: 2, matched: 3, alreadyMoved: 4 });
  });

  it('reads counts committed before alreadyMoved existed as none already moved', () => {
    expect(decodeCounts('{"v":1,"moved":3,"skipped":2,"matched":3}')).toEqual({ moved: 3, skipped: 2, matched: 3, alreadyMoved: 0 });
  });

  it('reads missing, foreign or broken metadata as no counts', () => {
    expect(decodeCounts(null)).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
    expect(decodeCounts('')).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
    expect(decodeCounts('{"moved":5}')).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
    expect(decodeCounts('not json')).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
  });

  it('adds up partitions', () => {
    expect(addCounts({ moved: 1, skipped: 2, matched: 1, alreadyMoved: 1 }, { moved: 4, skipped: 0, matched: 4, alreadyMoved: 2 })).toEqual({
      moved: 5,
      skipped: 2,
      matched: 5,
      alreadyMoved: 3,
    });
  });
});
