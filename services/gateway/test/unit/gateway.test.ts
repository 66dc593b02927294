import { Agent, type ClientRequestArgs, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpService } from '@eventline/http';
import { jsonOf, memoryLogger, memoryServer, type Answer, type MemoryServer } from '../../../../packages/http/test/support';
import { createGateway } from '../../src/gateway';
import { parseRouteTable } from '../../src/routes';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An upstream reached over in-memory connections: records each request and answers 200 {"ok":true}. */
function fakeUpstream(): { received: Received[]; server: MemoryServer } {
  const received: Received[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  };
  return { received, server: memoryServer(listener) };
}

describe('gateway (in memory)', () => {
  const users = fakeUpstream();
  const cart = fakeUpstream();
  const { logger, lines } = memoryLogger();
  let gateway: HttpService;
  let send: MemoryServer['send'];

  beforeAll(() => {
    const table = parseRouteTable(
      {
        routes: [
          { path: '/user-service/', match: 'prefix', service: 'user-service' },
          { path: '/api/v1/add', match: 'exact', service: 'cart-service' },
          { path: '/config/', match: 'prefix', service: 'cart-service', public: false },
        ],
        services: { 'user-service': { port: 8001 }, 'cart-service': { port: 8002 } },
      },
      'table',
    );
    // The gateway's agent connects to the in-memory upstream of the URL's port.
    const upstreams = new Map([
      ['user-service', new URL('http://users.test:8001')],
      ['cart-service', new URL('http://cart.test:8002')],
    ]);
    const byPort = new Map([
      ['8001', users.server],
      ['8002', cart.server],
    ]);
    class Upstreams extends Agent {
      override createConnection(options: ClientRequestArgs): Duplex {
        return byPort.get(String(options.port))!.connect();
      }
    }
    gateway = createGateway({ port: 0, logger, table, upstreams, upstreamTimeoutMs: 1000, agent: new Upstreams() });
    send = memoryServer(gateway.app.callback()).send;
  });

  const routeOf = (answer: Answer) => lines.find((line) => line.msg === 'request completed' && line.requestId === answer.headers['x-request-id'])?.route;

  it('forwards request bodies untouched: binary, malformed JSON and JSON over the skeleton limit', async () => {
    const bodies: Array<[string, Buffer]> = [
      ['application/octet-stream', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x22, 0x0d, 0x0a, 0xc3, 0x28, 0x00])],
      ['application/json', Buffer.from('  {\n\t"customerId" :123 ,"itemId":1,\r\n   "qty" :  ')],
      ['application/json', Buffer.from(JSON.stringify({ padding: 'x'.repeat(200_000) }))],
    ];
    for (const [type, body] of bodies) {
      const answer = await send('POST', '/api/v1/add', { headers: { 'content-type': type, 'content-length': body.length }, body });

      expect([answer.status, jsonOf(answer)]).toEqual([200, { ok: true }]);
      const received = cart.received.at(-1)!;
      expect(received.method).toBe('POST');
      expect(received.url).toBe('/api/v1/add');
      expect(received.headers['content-type']).toBe(type);
      expect(received.body.equals(body)).toBe(true);
    }
  });

  it('forwards query strings as they are, for the services to judge', async () => {
    const answer = await send('GET', '/user-service/users?id[$ne]=1&sort=email');

    expect(answer.status).toBe(200);
    expect(users.received.at(-1)!.url).toBe('/user-service/users?id[$ne]=1&sort=email');
  });

  it('labels the access log and latency metric with the route-table entry, not the path', async () => {
    const prefixed = await send('GET', '/user-service/users/7');
    const exact = await send('POST', '/api/v1/add', { headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(routeOf(prefixed)).toBe('/user-service/*');
    expect(routeOf(exact)).toBe('/api/v1/add');
    const metrics = (await send('GET', '/metrics')).body.toString('utf8');
    expect(metrics).toMatch(/eventline_http_request_duration_seconds_count\{method="GET",route="\/user-service\/\*",status="200"\} \d+/);
    expect(metrics).toMatch(/eventline_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/add",status="200"\} \d+/);
    expect(metrics).not.toContain('route="/user-service/users/7"');
  });

  it('answers 404 itself for a path with no public route, calling no upstream', async () => {
    const before = users.received.length + cart.received.length;
    const answer = await send('GET', '/config/order-service');

    expect([answer.status, jsonOf(answer)]).toEqual([404, { error: { code: 'not_found', message: 'no route for GET /config/order-service' } }]);
    expect(users.received.length + cart.received.length).toBe(before);
  });

  it("refuses a query string on the skeleton's own routes, as every service does", async () => {
    const answer = await send('GET', '/healthz?verbose=1');

    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ error: { code: 'unknown_query_parameter', details: [{ field: 'query.verbose' }] } });
    expect((await send('GET', '/healthz')).status).toBe(200);
  });
});
