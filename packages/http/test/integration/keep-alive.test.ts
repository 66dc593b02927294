import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { createHttpService, type HttpService } from '@eventline/http';
import { memoryLogger } from '../support';

/** A raw HTTP/1.1 client on one socket: each request's answer, and whether the server closed it. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let closedAt: number | undefined;
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('close', () => {
    closedAt = Date.now();
  });
  return {
    async get(path: string): Promise<string> {
      const before = received.length;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
      const deadline = Date.now() + 5_000;
      while (!/\r\n\r\n/.test(received.slice(before)) && closedAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return received.slice(before).split('\r\n')[0] ?? '';
    },
    closed: () => closedAt !== undefined,
    whenClosed,
    received: () => received,
    destroy: () => socket.destroy(),
  };
}

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keep-alive connections behind a proxy', () => {
  const services: HttpService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });

  async function started(keepAliveTimeoutMs?: number) {
    const service = createHttpService({ name: 'keep-alive', port: 0, host: '127.0.0.1', logger: memoryLogger().logger, routes: () => {}, keepAliveTimeoutMs });
    services.push(service);
    return (await service.start()).port;
  }

  it("keeps an idle connection open past Node's 5 s default, so that the gateway's idle timeout closes it first", async () => {
    const connection = rawConnection(await started());
    try {
      expect(await connection.get('/healthz')).toBe('HTTP/1.1 200 OK');
      // Node adds a 1 s buffer (keepAliveTimeoutBuffer) to the timeout: 7 s is past 5 s + 1 s.
      await idle(7_000);
      expect(connection.closed()).toBe(false);
      expect(await connection.get('/healthz')).toBe('HTTP/1.1 200 OK');
    } finally {
      connection.destroy();
    }
  });

  it('closes an idle connection after keepAliveTimeoutMs when one is given', async () => {
    const connection = rawConnection(await started(300));
    try {
      expect(await connection.get('/healthz')).toBe('HTTP/1.1 200 OK');
      await idle(1_500);
      expect(connection.closed()).toBe(true);
    } finally {
      connection.destroy();
    }
  });

  it("closes a streaming response's connection once a drain hook ends the stream, instead of keeping it open for keepAliveTimeoutMs", async () => {
    // The stream's headers went out before the stop began, so they could not say Connection: close.
    const streams: PassThrough[] = [];
    const service = createHttpService({
      name: 'streaming',
      port: 0,
      host: '127.0.0.1',
      logger: memoryLogger().logger,
      keepAliveTimeoutMs: 600_000,
      routes: (router) => {
        router.get('/stream', (ctx) => {
          const body = new PassThrough();
          streams.push(body);
          ctx.body = body;
          body.write('first\n');
        });
      },
    });
    service.onDrain('streams', () => {
      for (const stream of streams) stream.end();
    });
    const { port } = await service.start();
    const connection = rawConnection(port);
    try {
      expect(await connection.get('/stream')).toBe('HTTP/1.1 200 OK');
      // Without the close, stop() would wait out the ten-minute keep-alive timeout and this test its limit.
      await service.stop();
      await connection.whenClosed;
      // The stream was ended, not cut: its last chunk is the chunked encoding's terminator.
      expect(connection.received()).toMatch(/first\n\r\n0\r\n\r\n$/);
    } finally {
      connection.destroy();
    }
  }, 20_000);

  it('closes, when it stops, the keep-alive connections left by clients that cancelled an event stream', async () => {
    const streams: PassThrough[] = [];
    const service = createHttpService({
      name: 'cancelled-streams',
      port: 0,
      host: '127.0.0.1',
      logger: memoryLogger().logger,
      keepAliveTimeoutMs: 600_000,
      routes: (router) => {
        router.get('/plain', (ctx) => {
          ctx.body = { ok: true };
        });
        router.get('/stream', (ctx) => {
          // As an event stream is served: no socket timeout, a heartbeat, ended when the client leaves.
          const body = new PassThrough();
          ctx.req.socket.setTimeout(0);
          ctx.status = 200;
          ctx.set('Content-Type', 'text/event-stream');
          ctx.body = body;
          const heartbeat = setInterval(() => body.write(': heartbeat\n\n'), 100);
          ctx.req.once('close', () => clearInterval(heartbeat));
          streams.push(body);
          body.write('event: first\n\n');
        });
      },
    });
    service.onDrain('streams', () => {
      for (const stream of streams) stream.end();
    });
    const { port } = await service.start();
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 3; i += 1) {
      await (await fetch(`${url}/plain`)).json();
      const reader = (await fetch(`${url}/stream`)).body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    // Each connection left behind would hold stop() for the ten-minute keep-alive timeout, and this test past its limit.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await service.stop();
  }, 20_000);
});
