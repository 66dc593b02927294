import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { ensureNodeBase } from '../../../infra/src/cluster/base-images';
import { startDevLoop, type DevLoop } from '../../../infra/src/cluster/dev-loop';
import { clusterSuite, kubectl, portForward, until } from './kube';

/**
 * `skaffold dev -p local,dev`: an edit to a service's source or to a package's source
 * reaches the running container by skaffold's file sync, is compiled there and the process restarts
 * on it, in the same pod and without an image build. The loop's figures are in `npm run bench:dev-loop`.
 */
const minutes = (n: number) => n * 60_000;
const namespace = `eventline-dev-${randomBytes(3).toString('hex')}`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

clusterSuite('skaffold dev -p local,dev on the local cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-dev-loop-'));
  let loop: DevLoop;

  /** GET through a port-forward made for this request: the process behind it restarts between them. */
  async function get(path: string): Promise<Answer> {
    const forward = await portForward(namespace, 'deploy/config-service', 8080);
    try {
      const response = await fetch(`http://127.0.0.1:${forward.port}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } finally {
      await forward.stop();
    }
  }

  const pod = () =>
    JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', 'app.kubernetes.io/name=config-service', '-o', 'json'])).items as {
      metadata: { name: string };
      status: { containerStatuses: { restartCount: number }[] };
    }[];
  const builds = () => (loop.output().match(/Building \[/g) ?? []).length;
  const syncs = () => (loop.output().match(/Syncing \d+ files? for /g) ?? []).length;

  beforeAll(async () => {
    if ((await clusterStatus()).rows.some((r) => r.health !== 'healthy')) await clusterUp();
    await ensureNodeBase();
    loop = await startDevLoop({ dir, namespace, service: 'config-service', profiles: ['local', 'dev'], timeoutMs: minutes(15) });
  }, minutes(25));

  afterAll(async () => {
    await loop?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, minutes(2));

  it('runs the dev target: the service from its compiled sources under a watch build, the root filesystem writable', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const [running] = pod();
    const command = kubectl(['-n', namespace, 'exec', running!.metadata.name, '--', 'cat', '/proc/1/cmdline']).replaceAll('\0', ' ');
    expect(command).toContain('node --watch');
    expect(kubectl(['-n', namespace, 'exec', running!.metadata.name, '--', 'sh', '-c', 'touch services/config-service/src/.written && echo written'])).toContain('written');
  });

  it(
    'syncs a service source edit into the running pod, where it is compiled and the process restarts on it: no image built, the same pod',
    async () => {
      const before = { pod: pod()[0]!.metadata.name, builds: builds(), syncs: syncs() };
      expect((await get('/config/nobody')).body).toMatchObject({ error: { message: 'no configuration for service "nobody"' } });
      loop.edit('services/config-service/src/routes.ts', (text) => text.replace('no configuration for service', 'no settings kept for service'));
      const answer = await until(
        'the edited message answering',
        async () => {
          const r = await get('/config/nobody').catch(() => undefined);
          return JSON.stringify(r?.body).includes('no settings kept for service') ? r : undefined;
        },
        minutes(2),
      );
      expect(answer.status).toBe(404);
      expect(syncs()).toBe(before.syncs + 1);
      expect(builds()).toBe(before.builds);
      expect(pod().map((p) => [p.metadata.name, p.status.containerStatuses[0]!.restartCount])).toEqual([[before.pod, 0]]);
    },
    minutes(3),
  );

  it(
    'syncs a package source edit the same way',
    async () => {
      const before = { pod: pod()[0]!.metadata.name, builds: builds(), syncs: syncs() };
      loop.edit('packages/http/src/health.ts', (text) => text.replace("{ status: 'ok' }", "{ status: 'ok', live: true }"));
      await until(
        'the edited health answer',
        async () => {
          const r = await get('/healthz').catch(() => undefined);
          return r?.body.live === true ? r : undefined;
        },
        minutes(2),
      );
      expect(syncs()).toBe(before.syncs + 1);
      expect(builds()).toBe(before.builds);
      expect(pod().map((p) => p.metadata.name)).toEqual([before.pod]);
    },
    minutes(3),
  );

  it('runs each start of the service under a Node inspector a debugger attaches to on 9229', async () => {
    const [running] = pod();
    const inspector = await portForward(namespace, `pod/${running!.metadata.name}`, 9229);
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${inspector.port}/json/list`)).json()) as { url: string; webSocketDebuggerUrl: string }[];
      expect(targets).toEqual([
        expect.objectContaining({ url: expect.stringMatching(/services\/config-service\/dist\/main\.js$/), webSocketDebuggerUrl: expect.stringMatching(/^ws:\/\//) }),
      ]);
    } finally {
      await inspector.stop();
    }
  });
});
