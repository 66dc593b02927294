import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { repoRoot } from '../../../infra/src/settings';
import { projectNodeVersion } from '../../../infra/src/node-version';
import { clusterDown, clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { nodeRef } from '../../../infra/src/cluster/base-images';
import { buildServiceImages } from '../../../infra/src/cluster/service-images';
import { kubeconfigPath, nodeName } from '../../../infra/src/cluster/settings';
import { inRegistry } from '../../../infra/src/cluster/docker-images';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { kubectl, portForward, runPod, skaffold, until, clusterSuite } from './kube';

/**
 * The single-node cluster of `npm run cluster`, for real: containerd runs the pods, the
 * images are built here and pulled from the cluster's registry. `up` is idempotent; the test stops
 * the cluster again only if it started it. Needs root (containers, mounts, iptables).
 */
const suite = clusterSuite;
const namespace = `eventline-test-${randomBytes(3).toString('hex')}`;
const minutes = (n: number) => n * 60_000;

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}

/** The chart's objects, rendered with values-local.yaml, that `keep` selects. */
function chartObjects(keep: (o: K8sObject) => boolean): K8sObject[] {
  const result = spawnSync(
    kubeToolPaths().helm,
    ['template', 'eventline', join(repoRoot, 'charts', 'eventline'), '-n', namespace, '-f', join(repoRoot, 'charts', 'eventline', 'values-local.yaml')],
    { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`helm template: ${result.stderr}`);
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return objects.filter(keep);
}

/** config-service's objects and every ConfigMap it serves. */
const configServiceObjects = () =>
  chartObjects((o) => o.metadata.name === 'config-service' || (o.kind === 'ConfigMap' && o.metadata.labels?.['eventline.dev/config-for'] !== undefined));
/** PostgreSQL's StatefulSet, Service, init ConfigMap and password Secret. */
const postgresObjects = () => chartObjects((o) => ['postgres', 'postgres-init', 'eventline-postgres'].includes(o.metadata.name));

suite('the local cluster (npm run cluster)', () => {
  let startedHere = false;

  beforeAll(async () => {
    // Left running if any part of it ran before (up completes it); stopped again only if nothing did.
    startedHere = (await clusterStatus()).rows.every((r) => r.pid === '-');
    await clusterUp();
    await buildServiceImages();
    kubectl(['create', 'namespace', namespace]);
  }, minutes(45));

  afterAll(async () => {
    try {
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=120s']);
    } finally {
      if (startedHere) await clusterDown();
    }
  }, minutes(5));

  it(
    "skaffold build -p local builds the nine images with the legacy builder and pushes them to the cluster's registry",
    () => {
      const out = join(mkdtempSync(join(tmpdir(), 'eventline-skaffold-')), 'builds.json');
      skaffold(['build', '-p', 'local', `--file-output=${out}`]);
      const builds = (JSON.parse(readFileSync(out, 'utf8')) as { builds: { imageName: string; tag: string }[] }).builds;
      expect(builds.map((b) => b.imageName).sort()).toHaveLength(9);
      for (const b of builds) expect(inRegistry(b.tag.split('@')[0]!)).toBe(true);
    },
    minutes(15),
  );

  it('gives a clean shell kubectl, helm, skaffold and the cluster\'s docker from one line: eval "$(npm run -s cluster -- env)"', () => {
    const script = [
      'set -e',
      'eval "$(npm run -s cluster -- env)"',
      'kubectl get node -o name',
      'helm version --short',
      'skaffold version',
      'docker version --format "{{.Server.Version}}"',
      'node --version',
      'echo "repo=$SKAFFOLD_DEFAULT_REPO buildkit=$DOCKER_BUILDKIT"',
    ].join('\n');
    // Only what a login shell has: no KUBECONFIG, DOCKER_HOST or tool paths from this test's process.
    const result = spawnSync('env', ['-i', `HOME=${process.env.HOME}`, 'PATH=/usr/local/bin:/usr/bin:/bin', 'bash', '-c', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/error|cannot connect/i);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`node/${nodeName}`);
    expect(lines).toContain(`v${projectNodeVersion()}`);
    expect(lines.at(-1)).toBe('repo=127.0.0.1:5000 buildkit=0');
  });

  it('has a Ready node and every component healthy', async () => {
    const { rows } = await clusterStatus();
    expect(rows.filter((r) => r.health !== 'healthy')).toEqual([]);
    expect(kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).toBe('True');
  });

  it(
    'runs config-service from the chart, Ready with its probes under the restricted security context',
    async () => {
      kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: configServiceObjects() }));
      kubectl(['-n', namespace, 'rollout', 'status', 'deployment/config-service', '--timeout=180s']);
      const pod = JSON.parse(kubectl(['-n', namespace, 'get', 'pod', '-l', 'app.kubernetes.io/name=config-service', '-o', 'jsonpath={.items[0]}'])) as {
        spec: { securityContext: { runAsUser: number }; containers: { readinessProbe?: unknown; livenessProbe?: unknown; securityContext: { readOnlyRootFilesystem: boolean } }[] };
        status: { containerStatuses: { ready: boolean; image: string }[] };
        metadata: { name: string };
      };
      expect(pod.spec.securityContext.runAsUser).toBe(1000);
      expect(pod.spec.containers[0]!.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.spec.containers[0]!.readinessProbe).toBeDefined();
      expect(pod.status.containerStatuses[0]!.ready).toBe(true);
      expect(pod.status.containerStatuses[0]!.image).toContain('eventline-config-service:local');
      // Inside the running container: uid 1000, and the root filesystem refuses a write.
      expect(kubectl(['-n', namespace, 'exec', pod.metadata.name, '--', 'node', '-e', 'console.log(process.getuid())']).trim()).toBe('1000');
      const write = spawnSync(
        kubeToolPaths().kubectl,
        ['--kubeconfig', kubeconfigPath, '-n', namespace, 'exec', pod.metadata.name, '--', 'node', '-e', 'require("fs").writeFileSync("/app/x", "x")'],
        { encoding: 'utf8' },
      );
      expect(write.status).not.toBe(0);
      expect(write.stderr).toContain('EROFS');
    },
    minutes(5),
  );

  it(
    'resolves and reaches a Service by its DNS name from another pod (CoreDNS, kube-proxy)',
    async () => {
      const out = await runPod(namespace, 'dns-probe', {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'probe',
            image: nodeRef,
            command: ['node', '-e', `fetch('http://config-service.${namespace}.svc.cluster.local:8094/config').then(async (r) => console.log(r.status, await r.text()))`],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          },
        ],
      });
      expect(out).toMatch(/^200 \[/);
      expect(out).toContain('user-service');
    },
    minutes(3),
  );

  it(
    'answers through kubectl port-forward; a pod deleted mid-stream comes back and a change made meanwhile is not lost',
    async () => {
      const forward = await portForward(namespace, 'svc/config-service', 8094);
      const base = `http://127.0.0.1:${forward.port}`;
      try {
        const first = await fetch(`${base}/config/user-service`);
        expect(first.status).toBe(200);
        expect(await first.text()).toContain('info');
        // The watch stream sees a ConfigMap change live.
        const stream = await fetch(`${base}/config/user-service/watch`);
        const reader = stream.body!.getReader();
        let seen = '';
        kubectl(['-n', namespace, 'patch', 'configmap', 'user-service-config', '--type', 'merge', '-p', '{"data":{"LOG_LEVEL":"debug"}}']);
        await until(
          'the debug level on the stream',
          async () => {
            const { value } = await reader.read();
            seen += Buffer.from(value ?? new Uint8Array()).toString();
            return seen.includes('debug') ? true : undefined;
          },
          30_000,
        );
        // The pod goes away mid-stream; a change made while it is gone must be served by its successor.
        const oldPod = kubectl(['-n', namespace, 'get', 'pod', '-l', 'app.kubernetes.io/name=config-service', '-o', 'jsonpath={.items[0].metadata.name}']);
        kubectl(['-n', namespace, 'delete', 'pod', oldPod, '--wait=false']);
        kubectl(['-n', namespace, 'patch', 'configmap', 'user-service-config', '--type', 'merge', '-p', '{"data":{"LOG_LEVEL":"warn"}}']);
        await reader.cancel().catch(() => undefined);
      } finally {
        await forward.stop();
      }
      await until(
        'a new config-service pod Ready',
        () => {
          const pods = JSON.parse(kubectl(['-n', namespace, 'get', 'pod', '-l', 'app.kubernetes.io/name=config-service', '-o', 'json'])) as {
            items: { metadata: { deletionTimestamp?: string }; status: { containerStatuses?: { ready: boolean }[] } }[];
          };
          return pods.items.some((p) => !p.metadata.deletionTimestamp && p.status.containerStatuses?.[0]?.ready) ? true : undefined;
        },
        120_000,
      );
      kubectl(['-n', namespace, 'rollout', 'status', 'deployment/config-service', '--timeout=120s']);
      const again = await portForward(namespace, 'svc/config-service', 8094);
      try {
        const body = await until(
          'the change made while the pod was gone',
          async () => {
            const text = await (await fetch(`http://127.0.0.1:${again.port}/config/user-service`)).text();
            return text.includes('warn') ? text : undefined;
          },
          60_000,
        );
        expect(body).toContain('warn');
      } finally {
        await again.stop();
      }
    },
    minutes(6),
  );

  it(
    "runs the chart's PostgreSQL (eventline-local/postgres) and keeps its rows when the pod is deleted (PVC of the StatefulSet)",
    async () => {
      kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: postgresObjects() }));
      kubectl(['-n', namespace, 'rollout', 'status', 'statefulset/postgres', '--timeout=180s']);
      const psql = (sql: string) => kubectl(['-n', namespace, 'exec', 'postgres-0', '--', 'psql', '-U', 'eventline', '-d', 'users', '-tA', '-c', sql]).trim();
      // The init ConfigMap made the services' databases on the first start (pg_isready already
      // answers from the socket-only server the first start runs the init scripts on).
      const databases = "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname IN ('users','product','cart','apicurio')";
      const expected = 'apicurio,cart,product,users';
      expect(await until('the databases of the init ConfigMap', () => (psql(databases) === expected ? expected : undefined), 60_000)).toBe(expected);
      const token = randomBytes(8).toString('hex');
      psql(`CREATE TABLE IF NOT EXISTS kept (token text); INSERT INTO kept VALUES ('${token}')`);
      const uid = kubectl(['-n', namespace, 'get', 'pod', 'postgres-0', '-o', 'jsonpath={.metadata.uid}']);
      kubectl(['-n', namespace, 'delete', 'pod', 'postgres-0', '--wait=true']);
      await until(
        'postgres-0 back and Ready',
        () => {
          const pod = JSON.parse(kubectl(['-n', namespace, 'get', 'pod', 'postgres-0', '-o', 'json'])) as {
            metadata: { uid: string };
            status: { containerStatuses?: { ready: boolean }[] };
          };
          return pod.metadata.uid !== uid && pod.status.containerStatuses?.[0]?.ready ? true : undefined;
        },
        180_000,
      );
      expect(await until('PostgreSQL after the restart', () => psql('SELECT token FROM kept'), 60_000)).toBe(token);
    },
    minutes(6),
  );

  it(
    "keeps a PersistentVolumeClaim's data across a pod restart (local-path, the default StorageClass)",
    async () => {
      const token = randomBytes(8).toString('hex');
      kubectl(
        ['-n', namespace, 'apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
        }),
      );
      const podSpec = (command: string) => ({
        securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'c',
            image: nodeRef,
            command: ['sh', '-c', command],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      });
      await runPod(namespace, 'writer', podSpec(`echo ${token} > /data/token && cat /data/token`));
      expect(kubectl(['-n', namespace, 'get', 'pvc', 'data', '-o', 'jsonpath={.spec.storageClassName} {.status.phase}'])).toBe('local-path Bound');
      expect((await runPod(namespace, 'reader', podSpec('cat /data/token'))).trim()).toBe(token);
    },
    minutes(4),
  );
});
