import { InvalidIdempotencyKey, judgeHeldKey, parseIdempotencyKey, requestFingerprint } from '@eventline/idempotency';

describe('parseIdempotencyKey', () => {
  it("takes the draft's quoted string and a bare token", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('8e03978e-40d5')).toBe('8e03978e-40d5');
    expect(parseIdempotencyKey(' "with space and \\"quote\\"" ')).toBe('with space and "quote"');
  });

  it('refuses empty, over-long, unterminated, non-ASCII and spaced keys', () => {
    for (const header of ['""', `"${'k'.repeat(256)}"`, 'k'.repeat(256), '"open', 'two words', 'clé', '"tab\there"', 'a"b']) {
      expect(() => parseIdempotencyKey(header)).toThrow(InvalidIdempotencyKey);
    }
  });
});

describe('requestFingerprint', () => {
  it('differs for another method, path, query or body byte, and is stable otherwise', () => {
    const base = requestFingerprint('POST', '/api/v1/add', '', '{"qty":1}');
    expect(requestFingerprint('POST', '/api/v1/add', '', '{"qty":1}')).toBe(base);
    for (const other of [
      requestFingerprint('PATCH', '/api/v1/add', '', '{"qty":1}'),
      requestFingerprint('POST', '/api/v1/remove', '', '{"qty":1}'),
      requestFingerprint('POST', '/api/v1/add', 'a=1', '{"qty":1}'),
      requestFingerprint('POST', '/api/v1/add', '', '{"qty":2}'),
    ])
      expect(other).not.toBe(base);
  });
});

describe('judgeHeldKey', () => {
  const response = { status: 201, body: '{"id":"x"}', headers: { 'content-type': 'application/json' } };

  it('replays a completed request of the same fingerprint', () => {
    expect(judgeHeldKey({ fingerprint: 'f', completed: true, response }, 'f')).toEqual({ kind: 'replay', response });
  });

  it('says in progress while the same request runs, and mismatch for another request', () => {
    expect(judgeHeldKey({ fingerprint: 'f', completed: false }, 'f')).toEqual({ kind: 'in_progress' });
    expect(judgeHeldKey({ fingerprint: 'f', completed: true, response }, 'g')).toEqual({ kind: 'mismatch' });
    expect(judgeHeldKey({ fingerprint: 'f', completed: false }, 'g')).toEqual({ kind: 'mismatch' });
  });
});
