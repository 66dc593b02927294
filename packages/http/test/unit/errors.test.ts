import { HttpError, notFound } from '@eventline/http';
import { toHttpError } from '../../src/errors';

/** Shaped like what http-errors (ctx.throw, raw-body, co-body) throws. */
function createError(status: number, message: string, extra: { type?: string } = {}) {
  return Object.assign(new Error(message), { status, statusCode: status, expose: status < 500, ...extra });
}

describe('toHttpError', () => {
  it('keeps an HttpError as it is', () => {
    const error = notFound('user 7 not found', { id: 7 });

    expect(toHttpError(error)).toBe(error);
    expect(error.toBody()).toEqual({ error: { code: 'not_found', message: 'user 7 not found', details: { id: 7 } } });
  });

  it('leaves details out of the body when there are none', () => {
    expect(new HttpError(409, 'conflict', 'taken').toBody()).toEqual({ error: { code: 'conflict', message: 'taken' } });
  });

  it('turns errors without a client status into an opaque 500', () => {
    for (const thrown of [new Error('db password is hunter2'), 'a string', createError(502, 'upstream said hunter2')]) {
      const error = toHttpError(thrown);

      expect(error.status).toBeGreaterThanOrEqual(500);
      expect(error.message).not.toContain('hunter2');
    }
    expect(toHttpError(new Error('x')).toBody()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
  });

  it('maps body-parser failures to their codes', () => {
    const tooLarge = createError(413, 'request entity too large', { type: 'entity.too.large' });
    const malformed = Object.assign(new SyntaxError('Unexpected end of JSON input'), { status: 400 });
    const badCharset = createError(415, 'unsupported charset "KOI8"', { type: 'charset.unsupported' });

    expect([tooLarge, malformed, badCharset].map((thrown) => [toHttpError(thrown).status, toHttpError(thrown).code])).toEqual([
      [413, 'payload_too_large'],
      [400, 'malformed_json'],
      [415, 'unsupported_media_type'],
    ]);
  });

  it('keeps the status and exposed message of ctx.throw / http-errors', () => {
    expect(toHttpError(createError(401, 'token expired')).toBody()).toEqual({
      error: { code: 'unauthorized', message: 'token expired' },
    });
  });
});
