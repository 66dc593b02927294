import { requestIdFrom } from '@eventline/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it('keeps a sane token of up to 128 characters', () => {
    for (const id of ['abc', 'trace-1.2:3_4', 'x'.repeat(128)]) expect(requestIdFrom(id)).toBe(id);
  });

  it('replaces a missing, empty, long or unsafe value with a new UUID', () => {
    for (const header of [undefined, '', 'x'.repeat(129), 'a b', 'a\nlevel=error', '<script>', 'ü']) {
      expect(requestIdFrom(header)).toMatch(UUID);
    }
  });
});
