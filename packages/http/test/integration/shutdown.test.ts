import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpService } from '@eventline/http';
import { memoryLogger } from '../support';

describe('HttpService.stop', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('runs the shutdown hooks in reverse registration order, once', async () => {
    const service = createHttpService({ name: 'hooks', port: 0, host: '127.0.0.1', logger: memoryLogger().logger, routes: () => {} });
    const ran: string[] = [];
    service.onShutdown('close pool', () => {
      ran.push('close pool');
    });
    service.onShutdown('stop consumer', async () => {
      ran.push('stop consumer');
    });
    await service.start();

    await Promise.all([service.stop(), service.stop()]);

    expect(ran).toEqual(['stop consumer', 'close pool']);
  });

  it('runs every hook when one fails, then rejects', async () => {
    const { logger, lines } = memoryLogger();
    const service = createHttpService({ name: 'hooks', port: 0, logger, routes: () => {} });
    const ran: string[] = [];
    service.onShutdown('close pool', () => {
      ran.push('close pool');
    });
    service.onShutdown('commit offsets', () => {
      throw new Error('broker gone');
    });

    await expect(service.stop()).rejects.toThrow('1 shutdown hook(s) failed');
    expect(ran).toEqual(['close pool']);
    expect(lines.find((line) => line.msg === 'shutdown hook failed')).toMatchObject({ hook: 'commit offsets' });
  });

  it('answers /readyz with 503 once shutting down', async () => {
    const service = createHttpService({
      name: 'readiness',
      port: 0,
      host: '127.0.0.1',
      logger: memoryLogger().logger,
      readiness: [{ name: 'database', check: () => true }],
      routes: () => {},
    });
    await service.start();
    await service.stop();

    // The service's own listener is closed: serve the same app on a fresh one to ask it.
    const server = createServer(service.app.callback()).listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', reason: 'shutting_down', checks: {} });
  });
});
