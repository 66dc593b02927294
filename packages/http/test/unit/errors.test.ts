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

describe('toHttpError for a dependency that is down', () => {
  const systemError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code });

  it('answers 503 for unreachable servers, dropped connections and servers going away, the cause kept out of the body', () => {
    const thrown = [
      systemError('ECONNREFUSED'),
      systemError('ECONNRESET'),
      // node's happy-eyeballs connect: one error per address tried
      new AggregateError([systemError('ECONNREFUSED'), systemError('EHOSTUNREACH')], 'connect failed'),
      // node-postgres, wrapped by a repository
      new Error('saving cart 7 failed', { cause: new Error('Connection terminated unexpectedly') }),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('Server selection timed out after 30000 ms (10.0.0.6:27017)'), { name: 'MongoServerSelectionError' }),
      Object.assign(new Error('connection 4 to 10.0.0.6:27017 closed'), { name: 'MongoNetworkError' }),
    ];
    for (const error of thrown) {
      expect({ message: (error as Error).message, body: toHttpError(error).toBody(), status: toHttpError(error).status }).toEqual({
        message: (error as Error).message,
        status: 503,
        body: { error: { code: 'unavailable', message: 'a server this service depends on is unavailable; retry later' } },
      });
    }
  });

  it('keeps errors that are no outage a 500: a constraint, a syntax error, an unknown code', () => {
    for (const error of [
      Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { code: '23505' }),
      Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }),
      Object.assign(new Error('weird'), { code: 'EWEIRD' }),
      new Error('Cannot read properties of undefined'),
    ]) {
      expect(toHttpError(error).status).toBe(500);
    }
  });
});
