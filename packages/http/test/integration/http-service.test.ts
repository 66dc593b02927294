import { z } from 'zod';
import { conflict, createHttpService, type HttpService, validateBody, validateParams, intParam } from '@eventline/http';
import { memoryLogger } from '../support';

/** The error body, with the details validation_failed carries. */
interface ErrorResponse {
  error: { code: string; message: string; details: Array<{ field: string; message: string }> };
}
const errorOf = async (response: Response) => (await response.json()) as ErrorResponse;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const newUser = z.object({
  user: z.object({ email: z.email(), name: z.string().min(1) }),
  age: z.number().int().min(0),
});

describe('createHttpService over HTTP', () => {
  const { logger, lines } = memoryLogger();
  let databaseUp = true;
  let consumerAlive = true;
  let service: HttpService;
  let base: string;

  const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    service = createHttpService({
      name: 'users-test',
      port: 0,
      host: '127.0.0.1',
      logger,
      bodyLimit: '1kb',
      readiness: [
        { name: 'database', check: () => databaseUp },
        { name: 'kafka', check: async () => true },
      ],
      liveness: [{ name: 'consumer orders', alive: () => consumerAlive }],
      routes: (router) => {
        router.get('/users/:id', (ctx) => {
          const { id } = validateParams(ctx, z.object({ id: intParam({ min: 1 }) }));
          ctx.state.log.info({ userId: id }, 'looking up user');
          ctx.body = { id };
        });
        router.post('/users', (ctx) => {
          const user = validateBody(ctx, newUser);
          ctx.status = 201;
          ctx.body = user;
        });
        router.post('/users/search', (ctx) => {
          const { id } = validateBody(ctx, z.object({ id: z.number().int() }));
          ctx.body = { id };
        });
        router.put('/users/:id/email', () => {
          throw conflict('email already taken', { email: 'a@example.com' });
        });
        router.get('/boom', () => {
          throw new Error('connection to postgres://app:hunter2@db failed');
        });
      },
    });
    const { port } = await service.start();
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(() => service.stop());

  describe('health', () => {
    it('answers liveness on /healthz', async () => {
      const response = await get('/healthz');

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('fails liveness, naming the part, once a part is broken for good', async () => {
      consumerAlive = false;
      try {
        const response = await get('/healthz');
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({ status: 'failed', failed: ['consumer orders'] });
      } finally {
        consumerAlive = true;
      }
      expect((await get('/healthz')).status).toBe(200);
    });

    it('answers ready on /readyz only while every check passes', async () => {
      const ready = await get('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: true, kafka: true } });

      databaseUp = false;
      try {
        const notReady = await get('/readyz');
        expect(notReady.status).toBe(503);
        expect(await notReady.json()).toEqual({ status: 'not_ready', checks: { database: false, kafka: true } });
      } finally {
        databaseUp = true;
      }

      expect((await get('/readyz')).status).toBe(200);
    });

    it('serves the Prometheus registry on /metrics, labelled by route template', async () => {
      await get('/users/42');
      await get('/no/such/path');

      const response = await get('/metrics');
      const text = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(text).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status="200"\} \d+/);
      expect(text).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} \d+/);
      expect(text).not.toContain('route="/users/42"');
      expect(text).not.toContain('route="/no/such/path"');
      expect(text).toContain(`nodejs_version_info{version="${process.version}"`);
    });
  });

  describe('errors', () => {
    it('answers an unknown path with 404 not_found', async () => {
      const response = await get('/no/such/path');

      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/path' } });
    });

    it('answers a known path with the wrong method with 405 method_not_allowed and Allow', async () => {
      const response = await get('/healthz', { method: 'DELETE' });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toContain('GET');
      expect(await response.json()).toEqual({
        error: { code: 'method_not_allowed', message: 'method DELETE not allowed on /healthz' },
      });
    });

    it('answers malformed JSON with 400 malformed_json', async () => {
      const response = await postJson('/users', '{"user": {"email": ');

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'malformed_json', message: 'request body is not valid JSON' } });
    });

    it('refuses a __proto__ key in a JSON body, naming it, before anything reads the body', async () => {
      const response = await postJson('/users', '{"user": {"email": "a@b.co"}, "age": 3, "__proto__": {"admin": true}}');

      expect(response.status).toBe(400);
      expect((await errorOf(response)).error).toEqual({ code: 'forbidden_key', message: 'request body has a "__proto__" key, which is never accepted' });
      expect(({} as { admin?: unknown }).admin).toBeUndefined();
    });

    it('reads a "constructor" key as plain data: an own property the schema drops, no prototype touched', async () => {
      const response = await postJson('/users', '{"user": {"name": "A", "email": "a@b.co"}, "age": 3, "constructor": {"prototype": {"admin": true}}}');

      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ user: { name: 'A', email: 'a@b.co' }, age: 3 });
      expect(({} as { admin?: unknown }).admin).toBeUndefined();
    });

    it('answers a body over the limit with 413 payload_too_large', async () => {
      const response = await postJson('/users', JSON.stringify({ padding: 'x'.repeat(2048) }));

      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ error: { code: 'payload_too_large', message: 'request body too large' } });
    });

    it('answers a non-JSON body on a JSON endpoint with 415 unsupported_media_type', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await fetch(`${base}/users`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: 'user[email]=a@example.com',
        });

        expect(response.status).toBe(415);
        expect(await response.json()).toEqual({
          error: { code: 'unsupported_media_type', message: 'request body must be application/json' },
        });
      }
    });

    it('answers an HttpError thrown by a handler with its status, code and details', async () => {
      const response = await get('/users/7/email', { method: 'PUT' });

      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({
        error: { code: 'conflict', message: 'email already taken', details: { email: 'a@example.com' } },
      });
    });

    it('answers an unexpected error with 500 internal, without its message or stack, and logs it', async () => {
      const response = await get('/boom', { headers: { 'x-request-id': 'boom-1' } });
      const text = await response.text();

      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal server error' } });
      expect(text).not.toMatch(/hunter2|postgres|at |stack/);
      const logged = lines.find((line) => line.msg === 'request failed' && line.requestId === 'boom-1');
      expect(logged).toMatchObject({ level: 50, err: { message: 'connection to postgres://app:hunter2@db failed' } });
      expect((logged!.err as { stack?: string }).stack).toContain('http-service.test.ts');
    });
  });

  describe('validation', () => {
    it('names each bad field with its dotted path', async () => {
      const response = await postJson('/users', JSON.stringify({ user: { email: 'not-an-email', name: '' }, age: -1 }));
      const body = await errorOf(response);

      expect(response.status).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details.map((problem) => problem.field)).toEqual(['user.email', 'user.name', 'age']);
      for (const problem of body.error.details) expect(problem.message).toEqual(expect.any(String));
    });

    it('treats a missing body as {} so that each required field is named', async () => {
      const response = await fetch(`${base}/users`, { method: 'POST' });
      const body = await errorOf(response);

      expect(response.status).toBe(400);
      expect(body.error.details.map((problem) => problem.field)).toEqual(['user', 'age']);
    });

    it('refuses an operator object where a number is expected', async () => {
      const response = await postJson('/users/search', '{"id": {"$ne": null}}');
      const body = await errorOf(response);

      expect(response.status).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details).toEqual([{ field: 'id', message: expect.stringContaining('expected number') }]);
    });

    it('refuses a route parameter that is not a whole number', async () => {
      for (const id of ['abc', '1e3', '0x10', '%20%201']) {
        const response = await get(`/users/${id}`);

        expect(response.status).toBe(400);
        expect((await errorOf(response)).error.details).toEqual([{ field: 'id', message: expect.any(String) }]);
      }
    });

    it('passes valid input through, parsed', async () => {
      const valid = { user: { email: 'ada@example.com', name: 'Ada' }, age: 36 };
      const response = await postJson('/users', JSON.stringify(valid));

      expect(response.status).toBe(201);
      expect(await response.json()).toEqual(valid);
    });
  });

  describe('request ids', () => {
    it('echoes a sane x-request-id and puts it on every log line of the request', async () => {
      const response = await get('/users/5', { headers: { 'x-request-id': 'trace-abc.123:7_x' } });

      expect(response.headers.get('x-request-id')).toBe('trace-abc.123:7_x');
      const ofRequest = lines.filter((line) => line.requestId === 'trace-abc.123:7_x');
      expect(ofRequest.map((line) => line.msg)).toEqual(['looking up user', 'request completed']);
      expect(ofRequest[1]).toMatchObject({ method: 'GET', path: '/users/5', route: '/users/:id', status: 200 });
      expect(ofRequest[1]?.durationMs).toEqual(expect.any(Number));
    });

    it('generates a UUID when the header is missing or not a sane token', async () => {
      for (const header of [undefined, 'has spaces', 'x'.repeat(129), 'quote"d']) {
        const response = await get('/healthz', header === undefined ? {} : { headers: { 'x-request-id': header } });

        expect(response.headers.get('x-request-id')).toMatch(UUID);
      }
    });
  });
});
