import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, eventually, isolatedKafkaEnvironment, requestJson, runTool, runToolOk, startNodeProcess, uniqueName, urls } from '@eventline/testkit';
import { projectNodeVersion } from '../../../../infra/src/node-version';

/**
 * What the Dockerfile puts into each image, made here without a container engine: the same two
 * scripts (scripts/image/) assemble the runtime layout and install production dependencies, then
 * the service is started from that folder alone — `node main.js`, as the image's CMD — against the
 * real servers. What remains unverified is only the container runtime itself.
 */
const repoRoot = join(__dirname, '..', '..', '..', '..');
const deployable = readdirSync(join(repoRoot, 'services'))
  .filter((s) => s !== 'gateway')
  .sort();

async function serviceEnv(service: string, common: NodeJS.ProcessEnv, configDir: string): Promise<NodeJS.ProcessEnv> {
  switch (service) {
    case 'config-service':
      return { CONFIG_SOURCE: 'folder', CONFIG_DIR: configDir };
    case 'user-service':
      return { ...common, DATABASE_URL: await createDatabase('img_users') };
    case 'product-service':
      return { ...common, DATABASE_URL: await createDatabase('img_product') };
    case 'cart-service':
      return { ...common, DATABASE_URL: await createDatabase('img_cart') };
    case 'cart-aggregator':
      return { ...common, INSTANCE_ID: uniqueName('cart-aggregator') };
    // No API server here (a kubeconfig to a closed port): it starts as a standby replica, campaigning in vain.
    case 'operator': {
      const kubeconfig = join(configDir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        'apiVersion: v1\nkind: Config\nclusters: [{ name: none, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: none, user: {} }]\ncontexts: [{ name: none, context: { cluster: none, user: none } }]\ncurrent-context: none\n',
      );
      return { ...common, KAFKA_ENSURE_TOPICS: 'false', KUBECONFIG: kubeconfig };
    }
    default:
      return { ...common, MONGO_URL: urls.mongo, MONGO_DB: uniqueName('img') };
  }
}

/** The files the production-dependencies stage COPYs: the lock file and every workspace's package.json. */
function copyManifests(into: string): void {
  for (const file of ['package.json', 'package-lock.json', 'infra/package.json', 'patches']) cpSync(join(repoRoot, file), join(into, file), { recursive: true });
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(join(repoRoot, group))) {
      const manifest = join(repoRoot, group, name, 'package.json');
      if (existsSync(manifest)) cpSync(manifest, join(into, group, name, 'package.json'));
    }
  }
}

describe("each service image's contents, assembled by the Dockerfile's scripts and run as its CMD", () => {
  const work = mkdtempSync(join(tmpdir(), 'eventline-images-'));
  let common: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ({ common } = await isolatedKafkaEnvironment());
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(deployable)('%s starts from its layout alone, ready, and stops cleanly on SIGTERM', async (service) => {
    const deps = join(work, service, 'deps');
    const app = join(work, service, 'app');
    mkdirSync(deps, { recursive: true });
    copyManifests(deps);
    runToolOk('sh', [join(repoRoot, 'scripts', 'image', 'production-dependencies.sh'), service], { cwd: deps, env: { npm_config_prefer_offline: 'true' } });
    runToolOk('sh', [join(repoRoot, 'scripts', 'image', 'assemble.sh'), service, app], { cwd: repoRoot });
    renameSync(join(deps, 'node_modules'), join(app, 'node_modules'));

    // Production only: no compiler, no test runner, no sources.
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'jest'))).toBe(false);
    expect(existsSync(join(app, 'services', service, 'src'))).toBe(false);

    const configDir = join(work, service, 'config');
    mkdirSync(configDir);
    // The image's CMD and environment, in the layout's folder: no tsx, no repository around it.
    const running = startNodeProcess(
      ['main.js'],
      {
        NODE_ENV: 'production',
        SCHEMAS_DIR: join(app, 'schemas'),
        NODE_OPTIONS: '--disable-warning=ExperimentalWarning',
        PORT: '0',
        LOG_LEVEL: 'info',
        ...(await serviceEnv(service, common, configDir)),
      },
      app,
    );
    const listening = JSON.parse(await running.waitForLine(/"msg":"listening"/, 90_000)) as { port: number; node: string };
    expect(listening.node).toBe(`v${projectNodeVersion()}`);
    await eventually(
      async () => (await requestJson(`http://127.0.0.1:${listening.port}/readyz`)).status,
      (status) => status === 200,
      { timeoutMs: 60_000 },
    );
    expect(await running.kill('SIGTERM')).toBe(0);
    // Connected to Kafka and stopped without a process warning (kafkajs's TimeoutNegativeWarning
    // on Node 24 is fixed by patches/kafkajs+2.2.4.patch, which the image's install applies).
    expect(running.stderr()).not.toMatch(/Warning/);
  });

  it("can run the schemas command, as the chart's hook Job does with any eventline image", () => {
    const app = join(work, 'config-service', 'app');
    const result = runTool(process.execPath, [join(app, 'packages', 'avro', 'dist', 'cli.js'), 'check', '--registry', urls.registry], {
      cwd: app,
      env: { SCHEMAS_DIR: join(app, 'schemas') },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
