import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, isolatedKafkaEnvironment, requestJson, startPrivateKafka, startServiceProcess, uniqueName, urls, type PrivateKafka } from '@eventline/testkit';

/**
 * The start-up race of a fresh machine: services started while the broker still elects the leaders
 * of topics created a moment ago, or while it restarts. Each start must end ready, never exit 1.
 * A broker of the test's own, because restarting the shared one would disturb the other suites.
 */
describe('start-up while the broker elects leaders or restarts', () => {
  let kafka: PrivateKafka;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eventline-startup-race-'));
    kafka = await startPrivateKafka(dir);
  }, 180_000);

  afterAll(async () => {
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startReadyAndStop(name: string, env: NodeJS.ProcessEnv): Promise<void> {
    const service = await startServiceProcess(name, env);
    try {
      // Bounded so that a start that never ends ready fails with its own log before the test's timeout.
      const ready = await eventually(
        () => requestJson(`${service.url}/readyz`),
        (r) => r.status === 200,
        { what: `${name} ready`, timeoutMs: 90_000, intervalMs: 250 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; ${name}'s last log lines:\n${service.process.lines.slice(-15).join('\n')}`);
      });
      expect(ready.body.status).toBe('ready');
    } finally {
      expect(await service.process.kill('SIGTERM')).toBe(0);
    }
  }

  it('cart-aggregator creates its topics and starts on them at once, four times in a row', async () => {
    const { common } = await isolatedKafkaEnvironment();
    for (let run = 0; run < 4; run++) {
      // A new name prefix each time: the service creates every topic itself, then reads their offsets straight away.
      const env = { ...common, KAFKA_BROKERS: kafka.broker, KAFKA_NAME_PREFIX: `${uniqueName('race')}.`, INSTANCE_ID: `race-${run}` };
      await startReadyAndStop('cart-aggregator', env);
    }
  }, 600_000);

  it('cart-aggregator and cart-query start while the broker restarts, three times in a row', async () => {
    const { common } = await isolatedKafkaEnvironment();
    const env = { ...common, KAFKA_BROKERS: kafka.broker, KAFKA_NAME_PREFIX: `${uniqueName('restart')}.` };
    // The topics exist before the restarts, as on a machine rebooted with its data.
    await startReadyAndStop('cart-aggregator', { ...env, INSTANCE_ID: 'restart-0' });
    for (let run = 1; run <= 3; run++) {
      await kafka.restart();
      await Promise.all([
        startReadyAndStop('cart-aggregator', { ...env, INSTANCE_ID: `restart-${run}` }),
        startReadyAndStop('cart-query', { ...env, MONGO_URL: urls.mongo, MONGO_DB: uniqueName('race_carts') }),
      ]);
    }
  }, 900_000);
});
