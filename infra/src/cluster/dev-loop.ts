import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kubeToolPaths } from '../kube-tools';
import { repoRoot } from '../settings';
import { dockerEnv } from './components';
import { kubeconfigPath, registryHost } from './settings';

/**
 * `skaffold dev` as a developer runs it, on a copy of the repository's build context so that edits
 * touch the copy only: one service's artifact exactly as skaffold.yaml's `local` and `dev` profiles
 * define it (its `dev` target, its sync rules), deployed alone as a Deployment (the whole chart needs
 * Kafka and the databases; the loop under test is the service's image, sync and restart).
 */
export interface DevLoop {
  dir: string;
  namespace: string;
  service: string;
  /** Everything skaffold printed so far. */
  output(): string;
  /** Overwrites a file of the copy, as an editor saves it. */
  edit(path: string, change: (text: string) => string): void;
  stop(): Promise<void>;
}

const contextPaths = [
  'Dockerfile',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'tsconfig.json',
  'infra/package.json',
  'patches/',
  'packages/',
  'services/',
  'schemas/',
  'scripts/image/',
];

/** The files of the build context that git tracks, copied to `dir` (no node_modules, no builds). */
export function copyBuildContext(dir: string): void {
  const tracked = spawnSync('git', ['ls-files', '-z', '--', ...contextPaths], { cwd: repoRoot, encoding: 'utf8' });
  if (tracked.status !== 0) throw new Error(`git ls-files: ${tracked.stderr}`);
  for (const file of tracked.stdout.split('\0').filter(Boolean)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(dir, file));
  }
}

/** An artifact of skaffold.yaml, as much of it as is read here; the rest is passed on as it is. */
interface SkaffoldArtifact {
  docker?: { buildArgs?: Record<string, string> };
  [field: string]: unknown;
}

/** skaffold.yaml with the given profiles applied, as skaffold itself resolves it. */
export function resolvedSkaffoldConfig(profiles: string[], cwd = repoRoot): { build: { artifacts: SkaffoldArtifact[] } } {
  const result = spawnSync(kubeToolPaths().skaffold, ['diagnose', '--yaml-only', '-p', profiles.join(','), '--update-check=false'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...dockerEnv },
  });
  if (result.status !== 0) throw new Error(`skaffold diagnose: ${result.stderr}`);
  return parse(result.stdout);
}

function deployment(service: string, image: string): string {
  const labels = { 'app.kubernetes.io/name': service };
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: service,
              image,
              ports: [{ name: 'http', containerPort: 8080 }],
              // config-service with a folder source and no settings: it needs nothing else to answer.
              env: [
                { name: 'PORT', value: '8080' },
                { name: 'CONFIG_SOURCE', value: 'folder' },
                { name: 'CONFIG_DIR', value: '/tmp' },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  });
}

/**
 * Starts `skaffold dev` for `service` (config-service: it runs without Kafka or a database) in a
 * fresh namespace, with the artifact of skaffold.yaml's `profiles`, and resolves once skaffold says
 * the deployment has stabilized.
 */
export async function startDevLoop(options: { dir: string; namespace: string; service: string; profiles: string[]; timeoutMs: number }): Promise<DevLoop> {
  const { dir, namespace, service } = options;
  copyBuildContext(dir);
  const artifact = resolvedSkaffoldConfig(options.profiles).build.artifacts.find((a) => a.docker?.buildArgs?.SERVICE === service);
  if (!artifact) throw new Error(`skaffold.yaml has no artifact for ${service}`);
  const image = `eventline-${service}`;
  writeFileSync(join(dir, 'deployment.yaml'), deployment(service, image));
  writeFileSync(
    join(dir, 'skaffold.yaml'),
    stringify({
      apiVersion: 'skaffold/v4beta13',
      kind: 'Config',
      build: { local: { push: true, useBuildkit: false, concurrency: 1 }, tagPolicy: { inputDigest: {} }, artifacts: [{ ...artifact, context: '.' }] },
      manifests: { rawYaml: ['deployment.yaml'] },
      deploy: { kubectl: {}, statusCheckDeadlineSeconds: Math.round(options.timeoutMs / 1000) },
    }),
  );
  spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, 'create', 'namespace', namespace]);
  let output = '';
  const child: ChildProcess = spawn(
    kubeToolPaths().skaffold,
    ['dev', '-n', namespace, `--default-repo=${registryHost}`, '--update-check=false', '--interactive=false', '--port-forward=false', '--cleanup=true'],
    { cwd: dir, env: { ...process.env, ...dockerEnv, KUBECONFIG: kubeconfigPath, SKAFFOLD_COLLECT_METRICS: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, 'delete', 'namespace', namespace, '--wait=false']);
  };
  const deadline = Date.now() + options.timeoutMs;
  while (!/Deployments stabilized|Watching for changes/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`skaffold dev did not deploy ${service} (exit ${child.exitCode}):\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    dir,
    namespace,
    service,
    output: () => output,
    edit: (path, change) => writeFileSync(join(dir, path), change(readFileSync(join(dir, path), 'utf8'))),
    stop,
  };
}
