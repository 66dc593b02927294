import { z } from 'zod';
import { acceptsQuery, createHttpService, labelRoute, validateQuery, type HttpServiceOptions } from '@eventline/http';
import { jsonOf, memoryLogger, memoryServer, type Answer } from '../support';

/** The service's app, driven over in-memory HTTP connections (no port), and what it logged. */
function serve(routes: HttpServiceOptions['routes'], options: Partial<HttpServiceOptions> = {}) {
  const { logger, lines } = memoryLogger();
  const service = createHttpService({ name: 'routing-test', port: 0, logger, routes, ...options });
  const { send } = memoryServer(service.app.callback());
  const completed = () => lines.filter((line) => line.msg === 'request completed');
  return { send, completed };
}

const unknownQuery = (message: string, ...keys: string[]) => ({
  error: {
    code: 'unknown_query_parameter',
    message,
    details: keys.map((key) => ({ field: `query.${key}`, message: 'unknown query parameter' })),
  },
});

describe('query strings', () => {
  const handled: string[] = [];
  const { send } = serve((router) => {
    router.get('/users/:id', (ctx) => {
      handled.push(ctx.path);
      ctx.body = { id: ctx.params.id };
    });
    router.get('/orders', acceptsQuery, (ctx) => {
      ctx.body = validateQuery(ctx, z.strictObject({ userId: z.string() }));
    });
    router.get(
      '/audited',
      async (_ctx, next) => next(),
      acceptsQuery,
      (ctx) => {
        ctx.body = { query: ctx.query };
      },
    );
    router.get('user-carts', '/carts/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    router
      .post('/chained', (ctx) => {
        ctx.body = { chained: 'post' };
      })
      .put('/chained', (ctx) => {
        ctx.body = { chained: 'put' };
      });
    router.all('/anything', (ctx) => {
      ctx.body = { method: ctx.method };
    });
  });

  it('refuses a query string on a route that declared none, naming each key once, before the handler runs', async () => {
    const answer = await send('GET', '/users/7?id[$ne]=1&sort=email&sort=name');

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(jsonOf(answer)).toEqual(unknownQuery('GET /users/:id takes no query parameters', 'id[$ne]', 'sort'));
    expect(handled).toEqual([]);
  });

  it('serves the same route without a query string (an empty one included)', async () => {
    for (const path of ['/users/7', '/users/7?']) {
      const answer = await send('GET', path);
      expect([answer.status, jsonOf(answer)]).toEqual([200, { id: '7' }]);
    }
    expect(handled).toEqual(['/users/7', '/users/7']);
  });

  it("guards the skeleton's own routes, named routes, chained registrations and all-method routes", async () => {
    const refusals: Array<[method: string, path: string, message: string, key: string]> = [
      ['GET', '/healthz?verbose=1', 'GET /healthz takes no query parameters', 'verbose'],
      ['GET', '/carts/3?x=1', 'GET /carts/:id takes no query parameters', 'x'],
      ['PUT', '/chained?dry-run', 'PUT /chained takes no query parameters', 'dry-run'],
      ['PATCH', '/anything?x=1', 'PATCH /anything takes no query parameters', 'x'],
    ];
    for (const [method, path, message, key] of refusals) {
      const answer = await send(method, path);
      expect([answer.status, jsonOf(answer)]).toEqual([400, unknownQuery(message, key)]);
    }
    // HEAD runs the GET route: refused too (a HEAD answer has no body to check).
    expect((await send('HEAD', '/readyz?x')).status).toBe(400);
  });

  it('lets a route that declared acceptsQuery, anywhere among its middleware, validate the query itself', async () => {
    const listed = await send('GET', '/orders?userId=5');
    expect([listed.status, jsonOf(listed)]).toEqual([200, { userId: '5' }]);

    const misspelt = await send('GET', '/orders?userId=5&status=PENDING');
    expect(misspelt.status).toBe(400);
    expect(jsonOf(misspelt)).toEqual(unknownQuery('unknown query parameter(s): status', 'status'));

    const audited = await send('GET', '/audited?a=1&b=2');
    expect([audited.status, jsonOf(audited)]).toEqual([200, { query: { a: '1', b: '2' } }]);
  });

  it('leaves the query of a request no route matched to the 404 and 405 answers', async () => {
    const unknownPath = await send('GET', '/nowhere?x=1');
    expect([unknownPath.status, jsonOf(unknownPath)]).toEqual([404, { error: { code: 'not_found', message: 'no route for GET /nowhere' } }]);

    const wrongMethod = await send('DELETE', '/users/7?x=1');
    expect(wrongMethod.status).toBe(405);
    expect(jsonOf(wrongMethod)).toEqual({ error: { code: 'method_not_allowed', message: 'method DELETE not allowed on /users/7' } });
  });
});

describe('route labels of the access log and the latency metric', () => {
  const { send, completed } = serve((router) => {
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    router.get('/gone/:id', (ctx) => {
      ctx.status = 404; // a bare status from a handler: the route matched
    });
    router.all('/proxy/{*rest}', acceptsQuery, (ctx) => {
      labelRoute(ctx, '/proxy/*');
      ctx.body = { proxied: ctx.path };
    });
  });

  const routeOf = (answer: Answer) => {
    const line = completed().find((candidate) => candidate.requestId === answer.headers['x-request-id']);
    return line && { route: line.route, status: line.status, path: line.path };
  };

  it('labels a request with the template of the route that ran, never its path', async () => {
    const answer = await send('GET', '/users/42');
    expect(routeOf(answer)).toEqual({ route: '/users/:id', status: 200, path: '/users/42' });
  });

  it('labels a refused query string with the route it was sent to', async () => {
    const answer = await send('GET', '/users/42?x=1');
    expect(routeOf(answer)).toEqual({ route: '/users/:id', status: 400, path: '/users/42' });
  });

  it('labels what no route matched "unmatched", and tells a missing route from a handler\'s 404', async () => {
    const unknownPath = await send('GET', '/no/such/path');
    const wrongMethod = await send('POST', '/users/42');
    const gone = await send('GET', '/gone/9');

    expect(routeOf(unknownPath)).toEqual({ route: 'unmatched', status: 404, path: '/no/such/path' });
    expect(routeOf(wrongMethod)).toEqual({ route: 'unmatched', status: 405, path: '/users/42' });
    expect(routeOf(gone)).toEqual({ route: '/gone/:id', status: 404, path: '/gone/9' });
    expect(jsonOf(unknownPath)).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/path' } });
    expect(jsonOf(gone)).toEqual({ error: { code: 'not_found', message: 'not found' } });
  });

  it('uses the label a handler set with labelRoute', async () => {
    const answer = await send('POST', '/proxy/a/b?c=1');
    expect(jsonOf(answer)).toEqual({ proxied: '/proxy/a/b' });
    expect(routeOf(answer)).toEqual({ route: '/proxy/*', status: 200, path: '/proxy/a/b' });
  });

  it('exports the same labels on /metrics', async () => {
    await send('GET', '/users/1');
    await send('GET', '/proxy/x');
    await send('GET', '/no/such/path');
    const text = (await send('GET', '/metrics')).body.toString('utf8');

    expect(text).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status="200"\} \d+/);
    expect(text).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="\/proxy\/\*",status="200"\} \d+/);
    expect(text).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} \d+/);
    expect(text).not.toMatch(/route="\/users\/1"|route="\/proxy\/x"|route="\/no\/such\/path"/);
  });
});

describe('request bodies', () => {
  const echo: HttpServiceOptions['routes'] = (router) => {
    router.post('/echo', async (ctx) => {
      const chunks: Buffer[] = [];
      if (ctx.request.body === undefined) for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      ctx.body = { parsed: ctx.request.body ?? null, raw: Buffer.concat(chunks).toString('base64') };
    });
  };
  const malformed = '  {"a": 1,\r\n "b": ';

  it('are parsed as JSON by default', async () => {
    const { send } = serve(echo);

    const parsed = await send('POST', '/echo', { headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(jsonOf(parsed)).toEqual({ parsed: { a: 1 }, raw: '' });

    const refused = await send('POST', '/echo', { headers: { 'content-type': 'application/json' }, body: malformed });
    expect([refused.status, jsonOf(refused)]).toEqual([400, { error: { code: 'malformed_json', message: 'request body is not valid JSON' } }]);
  });

  it('reach the handler unread, byte for byte, with parseBodies: false', async () => {
    const { send } = serve(echo, { parseBodies: false });
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0d, 0x0a, 0xc3, 0x28]);
    const large = JSON.stringify({ padding: 'x'.repeat(100_000) }); // over the parser's 64kb

    for (const [type, body] of [
      ['application/json', Buffer.from(malformed)],
      ['application/json', Buffer.from(large)],
      ['application/octet-stream', binary],
    ] as const) {
      const answer = await send('POST', '/echo', { headers: { 'content-type': type }, body });
      expect(answer.status).toBe(200);
      expect(jsonOf(answer)).toEqual({ parsed: null, raw: body.toString('base64') });
    }
  });

  it('cannot be both unparsed and limited', () => {
    expect(() => createHttpService({ name: 'x', port: 0, routes: () => {}, parseBodies: false, bodyLimit: '1kb' })).toThrow(/bodyLimit/);
  });
});

describe('the access log of probes and scrapes', () => {
  let ready = true;
  const { logger, lines } = memoryLogger();
  const service = createHttpService({
    name: 'probe-log-test',
    port: 0,
    logger,
    readiness: [{ name: 'database', check: async () => ready }],
    routes: (router) => {
      router.get('/users/:id', (ctx) => {
        ctx.body = { id: ctx.params.id };
      });
    },
  });
  const { send } = memoryServer(service.app.callback());
  const completed = (route: string) => lines.filter((line) => line.msg === 'request completed' && line.route === route);
  const levels = (route: string) => completed(route).map((line) => line.level);
  const DEBUG = 20;
  const INFO = 30;
  const ERROR = 50;

  it('logs passing probes and scrapes at debug, the service’s own requests at info', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/users/1']) expect((await send('GET', path)).status).toBe(200);
    expect(levels('/healthz')).toEqual([DEBUG]);
    expect(levels('/readyz')).toEqual([DEBUG]);
    expect(levels('/metrics')).toEqual([DEBUG]);
    expect(levels('/users/:id')).toEqual([INFO]);
  });

  it('logs a failing readiness probe like any failed request (503: error), so that a pod leaving its Service shows in the tail', async () => {
    ready = false;
    try {
      expect((await send('GET', '/readyz')).status).toBe(503);
    } finally {
      ready = true;
    }
    expect(completed('/readyz').at(-1)).toMatchObject({ level: ERROR, status: 503 });
  });
});
