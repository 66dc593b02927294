import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import { requestRaw, type RawAnswer } from '@eventline/testkit';
import type { AddressInfo } from 'node:net';
import type { HttpService } from '@eventline/http';
import { createLogger } from '@eventline/observability';
import { createGateway } from '../../src/gateway';
import { loadRouteTable } from '../../src/routes';
import { resolveUpstreams } from '../../src/upstreams';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Reply {
  status: number;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
}

/** A real HTTP server that records each request and answers with `reply` (or never, when hanging). */
class FakeUpstream {
  readonly received: Received[] = [];
  reply: Reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  private readonly server: Server;

  constructor(private readonly hang = false) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        if (this.hang) return;
        res.writeHead(this.reply.status, this.reply.headers ?? {});
        res.end(this.reply.body);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/** A local URL nothing listens on: bind a free port, then let it go. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

type Answer = RawAnswer;

let gatewayPort = 0;

function send(method: string, path: string, options: { headers?: OutgoingHttpHeaders; body?: Buffer | string } = {}): Promise<Answer> {
  return requestRaw({ host: '127.0.0.1', port: gatewayPort, method, path, headers: options.headers, agent: false }, options.body);
}

const json = (answer: Answer): unknown => JSON.parse(answer.body.toString('utf8'));

describe('gateway', () => {
  const users = new FakeUpstream();
  const cart = new FakeUpstream();
  const cartQuery = new FakeUpstream();
  const config = new FakeUpstream();
  const orders = new FakeUpstream(true);
  let gateway: HttpService;

  beforeAll(async () => {
    const table = loadRouteTable();
    const upstreams = resolveUpstreams(table, {
      UPSTREAM_USER_SERVICE: await users.listen(),
      UPSTREAM_CART_SERVICE: await cart.listen(),
      UPSTREAM_CART_QUERY: await cartQuery.listen(),
      UPSTREAM_CONFIG_SERVICE: await config.listen(),
      UPSTREAM_ORDER_SERVICE: await orders.listen(),
      UPSTREAM_PRODUCT_SERVICE: await refusedUrl(),
    });
    gateway = createGateway({
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('gateway', 'silent'),
      table,
      upstreams,
      upstreamTimeoutMs: 1000,
    });
    gatewayPort = (await gateway.start()).port;
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([users, cart, cartQuery, config, orders].map((upstream) => upstream.close()));
  });

  it('forwards method, path and query, headers and a binary body byte for byte', async () => {
    const body = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x22, 0x0d, 0x0a, 0xc3, 0x28, 0x00]);
    const answer = await send('PUT', '/user-service/users/7?b=2&a=%20x&a=y', {
      headers: { 'content-type': 'application/octet-stream', 'x-custom': 'kept', 'content-length': body.length },
      body,
    });

    expect(answer.status).toBe(200);
    const received = users.received.at(-1)!;
    expect(received.method).toBe('PUT');
    expect(received.url).toBe('/user-service/users/7?b=2&a=%20x&a=y');
    expect(received.body.equals(body)).toBe(true);
    expect(received.headers['content-type']).toBe('application/octet-stream');
    expect(received.headers['content-length']).toBe(String(body.length));
    expect(received.headers['x-custom']).toBe('kept');
    expect(received.headers.host).toBe(`127.0.0.1:${gatewayPort}`);
  });

  it('forwards a JSON body with odd whitespace unparsed, and invalid or large JSON too', async () => {
    const odd = '  {\n\t"customerId" :123 ,"itemId":1,\r\n   "qty" :  2 }\n\n';
    const invalid = '{"customerId": ';
    const large = JSON.stringify({ padding: 'x'.repeat(200_000) });
    for (const body of [odd, invalid, large]) {
      const answer = await send('POST', '/api/v1/add', { headers: { 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(200);
      const received = cart.received.at(-1)!;
      expect(received.method).toBe('POST');
      expect(received.url).toBe('/api/v1/add');
      expect(received.body.toString('utf8')).toBe(body);
    }
  });

  it('streams a chunked request body through', async () => {
    const answer = await send('POST', '/api/v1/remove', {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: '{"customerId":1,"itemId":2,"qty":1}',
    });
    expect(answer.status).toBe(200);
    expect(cart.received.at(-1)!.body.toString()).toBe('{"customerId":1,"itemId":2,"qty":1}');
  });

  it('sends exact paths to cart-service and the rest of /api/v1/ to cart-query', async () => {
    const before = cart.received.length;
    await send('GET', '/api/v1/123');
    expect(cartQuery.received.at(-1)!.url).toBe('/api/v1/123');
    expect(cart.received.length).toBe(before);
  });

  it('returns the upstream status, headers and body unchanged', async () => {
    const body = Buffer.from('not json \u00e9\u0000 at all', 'utf8');
    cartQuery.reply = {
      status: 201,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-upstream': 'yes', 'set-cookie': ['a=1', 'b=2'], 'content-length': body.length },
      body,
    };
    const answer = await send('GET', '/api/v1/9');

    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.headers['content-length']).toBe(String(body.length));
    expect(answer.body.equals(body)).toBe(true);
  });

  it("passes an upstream's error answer through as it is", async () => {
    cartQuery.reply = { status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":{"code":"not_found","message":"cart 5"}}' };
    const answer = await send('GET', '/api/v1/5');
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toBe('{"error":{"code":"not_found","message":"cart 5"}}');
  });

  it('passes a 204 through without a body or an added content type', async () => {
    cartQuery.reply = { status: 204, headers: { 'x-upstream': 'empty' } };
    const answer = await send('DELETE', '/api/v1/5');
    expect(answer.status).toBe(204);
    expect(answer.headers['x-upstream']).toBe('empty');
    expect(answer.headers['content-type']).toBeUndefined();
    expect(answer.body).toHaveLength(0);
  });

  it("answers HEAD with the upstream's headers and no body", async () => {
    users.reply = { status: 200, headers: { 'content-type': 'application/json', 'content-length': 11 }, body: '{"ok":true}' };
    const answer = await send('HEAD', '/user-service/users/1');
    expect(answer.status).toBe(200);
    expect(users.received.at(-1)!.method).toBe('HEAD');
    expect(answer.headers['content-length']).toBe('11');
    expect(answer.body).toHaveLength(0);
  });

  it('adds a request id, echoed to the client, and x-forwarded-*', async () => {
    const answer = await send('GET', '/user-service/users', { headers: { host: 'shop.example:8080' } });
    const received = users.received.at(-1)!;
    expect(received.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers['x-request-id']).toBe(received.headers['x-request-id']);
    expect(received.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1$/);
    expect(received.headers['x-forwarded-proto']).toBe('http');
    expect(received.headers['x-forwarded-host']).toBe('shop.example:8080');
  });

  it("keeps the caller's request id and appends to its x-forwarded-for", async () => {
    const answer = await send('GET', '/user-service/users/1', { headers: { 'x-request-id': 'seed-000.1', 'x-forwarded-for': '203.0.113.9' } });
    const received = users.received.at(-1)!;
    expect(received.headers['x-request-id']).toBe('seed-000.1');
    expect(answer.headers['x-request-id']).toBe('seed-000.1');
    expect(received.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.9, .*127\.0\.0\.1$/);
  });

  it('drops hop-by-hop headers, including those named by Connection', async () => {
    await send('GET', '/user-service/users', {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'Basic eDp5', 'x-end': '2' },
    });
    const received = users.received.at(-1)!;
    expect(received.headers['x-hop']).toBeUndefined();
    expect(received.headers['keep-alive']).toBeUndefined();
    expect(received.headers.te).toBeUndefined();
    expect(received.headers['proxy-authorization']).toBeUndefined();
    expect(received.headers['x-end']).toBe('2');
  });

  it('answers 404 for /config/..., which is not public, without calling config-service', async () => {
    const answer = await send('GET', '/config/order-service');
    expect(answer.status).toBe(404);
    expect(json(answer)).toEqual({ error: { code: 'not_found', message: 'no route for GET /config/order-service' } });
    expect(config.received).toHaveLength(0);
  });

  it('answers 404 not_found for an unknown path', async () => {
    const answer = await send('POST', '/nowhere?x=1', { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(json(answer)).toEqual({ error: { code: 'not_found', message: 'no route for POST /nowhere' } });
  });

  it('answers 502 naming the service when its upstream is down', async () => {
    const answer = await send('GET', '/product-service/products/1');
    expect(answer.status).toBe(502);
    expect(json(answer)).toEqual({ error: { code: 'bad_gateway', message: 'product-service is unavailable' } });
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const answer = await send('GET', '/order-service/all');
    expect(answer.status).toBe(504);
    expect(json(answer)).toEqual({ error: { code: 'gateway_timeout', message: 'order-service did not answer within 1000 ms' } });
    expect(orders.received.at(-1)!.url).toBe('/order-service/all');
  });

  it('is live and ready while upstreams are down, and serves metrics', async () => {
    expect((await send('GET', '/healthz')).status).toBe(200);
    const ready = await send('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(json(ready)).toEqual({ status: 'ready', checks: {} });
    const metrics = await send('GET', '/metrics');
    expect(metrics.body.toString()).toContain('route="/user-service/*"');
  });
});
