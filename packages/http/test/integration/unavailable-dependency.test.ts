import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpService, type HttpService } from '@eventline/http';
import { memoryLogger } from '../support';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a request whose dependency is down', () => {
  let service: HttpService;
  let base: string;
  const { logger, lines } = memoryLogger();

  beforeAll(async () => {
    const dependency = `http://127.0.0.1:${await closedPort()}/`;
    service = createHttpService({
      name: 'depends',
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: (router) => {
        router.get('/through', async (ctx) => {
          // fetch fails with a TypeError whose cause is the refused connection
          ctx.body = await (await fetch(dependency)).text();
        });
      },
    });
    base = `http://127.0.0.1:${(await service.start()).port}`;
  });
  afterAll(() => service.stop());

  it('is answered 503 `unavailable` with Retry-After, the cause logged and kept out of the body', async () => {
    const response = await fetch(`${base}/through`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ error: { code: 'unavailable', message: 'a server this service depends on is unavailable; retry later' } });
    expect(JSON.stringify(lines.find((line) => line.msg === 'request failed'))).toContain('ECONNREFUSED');
  });
});
