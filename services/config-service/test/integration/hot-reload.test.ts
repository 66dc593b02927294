import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, isolatedKafkaEnvironment, requestJson, startServiceProcess, uniqueName, urls, type ServiceProcess } from '@eventline/testkit';
import type { ConfigService } from '../../src/service';
import { folderConfigService } from '../folder-config-service';

/**
 * A real service process (cart-query: MongoDB, one Kafka consumer) with CONFIG_SERVICE_URL set: the
 * kit loads its settings at start and applies log level, feature flags and consumer concurrency
 * while it runs.
 */
describe('a service following config-service without a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-config-'));
  const file = join(dir, 'cart-query.json');
  let configService: ConfigService;
  let cartQuery: ServiceProcess;

  const linesAfter = (from: number, message: string) =>
    cartQuery.process.lines
      .slice(from)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === message);
  const waitForLog = (from: number, message: string) =>
    eventually(
      async () => linesAfter(from, message),
      (found) => found.length > 0,
      { what: `log "${message}"` },
    ).then((found) => found[found.length - 1]!);

  beforeAll(async () => {
    writeFileSync(file, JSON.stringify({ FEATURE_FLAGS: 'from-start' }));
    configService = folderConfigService(dir, 5);
    const { port } = await configService.start();
    const { common } = await isolatedKafkaEnvironment();
    cartQuery = await startServiceProcess('cart-query', {
      ...common,
      MONGO_URL: urls.mongo,
      MONGO_DB: uniqueName('carts'),
      CONFIG_SERVICE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
    });
    await eventually(
      async () => (await requestJson(`${cartQuery.url}/readyz`)).status,
      (status) => status === 200,
      { timeoutMs: 60_000 },
    );
  });

  afterAll(async () => {
    await cartQuery?.process.kill('SIGTERM');
    await configService?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loaded its settings from config-service at start', () => {
    const loaded = linesAfter(0, 'loaded settings from config-service');
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.version).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('applies log level, feature flags and consumer concurrency while running, and stays ready', async () => {
    const from = cartQuery.process.lines.length;
    writeFileSync(file, JSON.stringify({ LOG_LEVEL: 'debug', FEATURE_FLAGS: 'fast-path,beta', CONSUMER_CONCURRENCY: 3 }));
    expect((await waitForLog(from, 'log level changed')).level).toBe('debug');
    expect((await waitForLog(from, 'feature flags changed')).flags).toEqual(['beta', 'fast-path']);
    expect((await waitForLog(from, 'consumer concurrency changed')).concurrency).toBe(3);
    // Debug lines now appear (kafkajs' own debug logging goes through the service's logger).
    await eventually(async () => cartQuery.process.lines.slice(from).some((l) => l.includes('"level":"debug"')), Boolean);
    // The consumer rejoined its group with the new concurrency: /readyz checks exactly that.
    await eventually(
      async () => (await requestJson(`${cartQuery.url}/readyz`)).status,
      (status) => status === 200,
      { timeoutMs: 60_000 },
    );
    expect(cartQuery.process.child.exitCode).toBeNull();
  });

  it('keeps its settings when config-service sends an invalid one, and returns to its environment when the config goes away', async () => {
    const from = cartQuery.process.lines.length;
    writeFileSync(file, JSON.stringify({ LOG_LEVEL: 'loud', CONSUMER_CONCURRENCY: 3 }));
    const invalid = await waitForLog(from, 'config-service sent invalid settings; keeping the current ones');
    expect(invalid.problems).toEqual([{ field: 'LOG_LEVEL', problem: expect.any(String) }]);

    const back = cartQuery.process.lines.length;
    unlinkSync(file);
    expect((await waitForLog(back, 'log level changed')).level).toBe('info');
    expect((await waitForLog(back, 'feature flags changed')).flags).toEqual([]);
    expect((await waitForLog(back, 'consumer concurrency changed')).concurrency).toBe(1);
    await eventually(
      async () => (await requestJson(`${cartQuery.url}/readyz`)).status,
      (status) => status === 200,
      { timeoutMs: 60_000 },
    );
  });
});
