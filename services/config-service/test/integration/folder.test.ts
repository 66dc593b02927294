import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { RemoteConfig, type RemoteSettings } from '@eventline/config';
import { createLogger } from '@eventline/observability';
import { eventually, requestJson } from '@eventline/testkit';
import type { ConfigService } from '../../src/service';
import { folderConfigService } from '../folder-config-service';

const silent = createLogger('config-service-test', 'silent');

describe('config-service serving a folder (local development)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-config-'));
  let service: ConfigService;
  let url: string;
  const write = (name: string, settings: unknown) => writeFileSync(join(dir, `${name}.json`), JSON.stringify(settings));

  beforeAll(async () => {
    write('user-service', { LOG_LEVEL: 'debug', CONSUMER_CONCURRENCY: 2, FEATURE_FLAGS: 'a' });
    service = folderConfigService(dir, 1);
    const { port } = await service.start();
    url = `http://127.0.0.1:${port}`;
  });

  const clients: RemoteConfig[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers GET /config/:service with the settings as strings, an ETag, and 304 for a matching If-None-Match', async () => {
    const response = await fetch(`${url}/config/user-service`);
    const etag = response.headers.get('etag')!;
    expect(response.status).toBe(200);
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await response.json()).toEqual({
      service: 'user-service',
      settings: { LOG_LEVEL: 'debug', CONSUMER_CONCURRENCY: '2', FEATURE_FLAGS: 'a' },
      sources: ['file/user-service.json'],
      version: etag,
    });
    const cached = await fetch(`${url}/config/user-service`, { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe('');
    expect((await requestJson(`${url}/config`)).body).toEqual([{ service: 'user-service', version: etag }]);
  });

  it('answers 404 naming the service it has nothing for, and 400 naming the bad parameter', async () => {
    const missing = await requestJson(`${url}/config/order-service`);
    expect(missing).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'no configuration for service "order-service"', details: { service: 'order-service' } } },
    });
    const bad = await requestJson(`${url}/config/User_Service`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('service');
  });

  it('streams the state at once and then every change as server-sent events, followed by the kit client', async () => {
    write('cart-query', { LOG_LEVEL: 'info' });
    await eventually(
      async () => (await fetch(`${url}/config/cart-query`)).status,
      (status) => status === 200,
    );
    const raw = await fetch(`${url}/config/cart-query/watch`);
    expect(raw.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = raw.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: config\nid: "[0-9a-f]{32}"\ndata: \{"service":"cart-query","settings":\{"LOG_LEVEL":"info"\}/);
    await reader.cancel();

    const client = new RemoteConfig({ baseUrl: url, service: 'cart-query', logger: silent, retryMinMs: 50 });
    clients.push(client);
    const seen: RemoteSettings[] = [];
    client.onChange((settings) => seen.push(settings));
    await client.start();
    expect(client.settings()).toEqual({ LOG_LEVEL: 'info' });
    await eventually(async () => client.isConnected(), Boolean);

    write('cart-query', { LOG_LEVEL: 'debug', FEATURE_FLAGS: 'fast-path' });
    await eventually(
      async () => client.settings(),
      (settings) => isDeepStrictEqual(settings, { LOG_LEVEL: 'debug', FEATURE_FLAGS: 'fast-path' }),
    );

    // A file that does not parse keeps the settings it had.
    writeFileSync(join(dir, 'cart-query.json'), '{"LOG_LEVEL": ');
    write('other-service', { X: '1' });
    await eventually(
      async () => (await fetch(`${url}/config/other-service`)).status,
      (status) => status === 200,
    );
    expect((await requestJson(`${url}/config/cart-query`)).body.settings).toEqual({ LOG_LEVEL: 'debug', FEATURE_FLAGS: 'fast-path' });

    unlinkSync(join(dir, 'cart-query.json'));
    await eventually(
      async () => client.settings(),
      (settings) => isDeepStrictEqual(settings, {}),
    );
    expect(seen).toEqual([{ LOG_LEVEL: 'info' }, { LOG_LEVEL: 'debug', FEATURE_FLAGS: 'fast-path' }, {}]);
    await client.stop();
  });

  it('ends open watch streams when it stops, so that the drain does not wait for them', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'eventline-config-'));
    const other = folderConfigService(dir2, 60);
    const { port } = await other.start();
    const response = await fetch(`http://127.0.0.1:${port}/config/nobody/watch`);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('event: absent\ndata: {"service":"nobody"}\n\n');
    // Without the drain hook this stop would wait for the stream for ever (and the test time out).
    await other.stop();
    expect((await reader.read()).done).toBe(true);
    rmSync(dir2, { recursive: true, force: true });
  });
});
