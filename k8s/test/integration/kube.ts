import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { repoRoot, stateDir } from '../../../infra/src/settings';
import { kubectl } from '../../../infra/src/cluster/addons';
import { dockerEnv } from '../../../infra/src/cluster/components';
import { kubeconfigPath, registryHost } from '../../../infra/src/cluster/settings';
import { installStrimziOperator, uninstallStrimziOperator } from '../../../infra/src/cluster/strimzi-install';

/** What the cluster tests need on top of `kubectl`: a port-forward they can stop, waits, skaffold, pods. */
export { kubectl };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * helm against the cluster, without holding the event loop: a test's load keeps running through an
 * upgrade that waits for its rollout (`--wait`).
 */
export function helm(args: string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubeToolPaths().helm, ['--kubeconfig', kubeconfigPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

export interface PortForward {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `kubectl port-forward <target> :<remotePort>`: resolves with the local port kubectl chose. */
export function portForward(namespace: string, target: string, remotePort: number): Promise<PortForward> {
  const child = spawn(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'port-forward', '--address', '127.0.0.1', target, `:${remotePort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`port-forward ${target}: no port in 30 s: ${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (!port) return;
      clearTimeout(timer);
      // From here kubectl prints a line per connection it handles: only the last lines are kept, for an exit's message.
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      const keepTail = (more: Buffer) => {
        output = (output + more.toString()).slice(-4096);
      };
      child.stdout.on('data', keepTail);
      child.stderr.on('data', keepTail);
      resolve({
        port: Number(port),
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward ${target} exited (${code}): ${output}`));
    });
  });
}

export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${String(last)})` : ''}`);
}

/** Runs a pod to completion and returns its log (the pod is deleted afterwards). */
export async function runPod(namespace: string, name: string, spec: Record<string, unknown>): Promise<string> {
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', ...spec } }));
  const phase = await until(
    `pod ${name} finished`,
    () => {
      const p = kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    },
    120_000,
  );
  const log = kubectl(['-n', namespace, 'logs', name]);
  kubectl(['-n', namespace, 'delete', 'pod', name, '--wait=true']);
  if (phase !== 'Succeeded') throw new Error(`pod ${name} failed: ${log}`);
  return log;
}

/**
 * `skaffold <args>` in the repository against the local cluster (its registry as the default repo).
 * Its output goes to a log under infra's logs as it runs; a failure throws with the log's tail.
 * skaffold finds helm on the PATH: Helm 3.22 (`helm3`), as skaffold 2.16's helm deployer runs
 * `helm version --client` and `--post-renderer <its own path>`, both of which Helm 4 refuses.
 */
export function skaffold(args: string[], env: Record<string, string> = {}): string {
  const tools = kubeToolPaths();
  const logPath = join(stateDir, 'logs', `skaffold-${args[0]}.log`);
  mkdirSync(dirname(logPath), { recursive: true });
  const out = openSync(logPath, 'w');
  const result = spawnSync(tools.skaffold, [...args, `--default-repo=${registryHost}`, '--update-check=false', '--interactive=false'], {
    cwd: repoRoot,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...dockerEnv, ...env, KUBECONFIG: kubeconfigPath, SKAFFOLD_COLLECT_METRICS: 'false', PATH: `${dirname(tools.helm3)}:${process.env.PATH ?? ''}` },
  });
  closeSync(out);
  const output = readFileSync(logPath, 'utf8');
  if (result.status !== 0) throw new Error(`skaffold ${args.join(' ')} (exit ${result.status ?? result.signal}; log ${logPath}): ${output.slice(-4000)}`);
  return output;
}

interface PodList {
  items: {
    metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
    spec: { containers: { name: string; image: string }[] };
    status: {
      phase: string;
      containerStatuses?: {
        name: string;
        containerID?: string;
        ready: boolean;
        restartCount: number;
        lastState?: { terminated?: { exitCode: number; reason?: string; message?: string } };
      }[];
    };
  }[];
}

export const pods = (namespace: string, selector?: string): PodList['items'] =>
  (JSON.parse(kubectl(['-n', namespace, 'get', 'pods', ...(selector ? ['-l', selector] : []), '-o', 'json'])) as PodList).items;

/**
 * The warning and error lines of one workload's log (`target`: a pod, or `deploy/<name>`), request
 * lines and kafkajs's own chatter left out, plus the info lines `alsoInfo` matches.
 */
export function warningLines(namespace: string, target: string, options: { previous?: boolean; alsoInfo?: RegExp } = {}): string[] {
  const log = spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'logs', target, '--tail=3000', ...(options.previous ? ['--previous'] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return log.stdout
    .split('\n')
    .filter(
      (line) =>
        (/"level":"(warn|error|fatal)"/.test(line) || options.alsoInfo?.test(line)) && !line.includes('"msg":"request completed"') && !line.includes('"component":"kafkajs"'),
    );
}

/** What a failed wait explains itself with: one workload's last warnings and errors. */
export function troubleIn(namespace: string, target: string): string {
  const lines = warningLines(namespace, target);
  return `${target}: ${lines.length} warnings and errors${lines.length > 0 ? `, the last:\n${lines.slice(-8).join('\n')}` : ''}`;
}

/**
 * The warnings and errors of every pod of a service, restarted containers' too (request lines and
 * kafkajs' own left out), and info lines matching `alsoInfo`: what a failed check explains itself with.
 */
export function troubleOf(namespace: string, service: string, alsoInfo?: RegExp): string {
  return pods(namespace, `app.kubernetes.io/name=${service}`)
    .map((pod) => {
      const lines = [true, false].flatMap((previous) => warningLines(namespace, pod.metadata.name, { previous, alsoInfo }));
      const last = lines.slice(-25).map((line) => line.slice(0, 600));
      return `${pod.metadata.name}: ${lines.length} lines${last.length > 0 ? `, the last:\n${last.join('\n')}` : ''}`;
    })
    .join('\n');
}

/** Every container of a running pod Ready (completed Job pods aside). */
export const isReady = (pod: PodList['items'][number]): boolean =>
  !pod.metadata.deletionTimestamp && pod.status.phase === 'Running' && (pod.status.containerStatuses ?? []).length > 0 && pod.status.containerStatuses!.every((c) => c.ready);

/** A pod's uid: what tells it from the pod its controller makes in its place under the same name. */
export const podUid = (namespace: string, name: string): string => kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.metadata.uid}']);

/** Waits until the pod of that name is a new one (not `uid`) and Ready: a deleted StatefulSet or Strimzi pod back. */
export function podReplaced(namespace: string, name: string, uid: string, what: string, timeoutMs: number): Promise<true> {
  return until(
    what,
    () => {
      const pod = pods(namespace).find((p) => p.metadata.name === name);
      return pod && isReady(pod) && podUid(namespace, name) !== uid ? true : undefined;
    },
    timeoutMs,
  );
}

/** The `type` of a kafkajs error and of every error it wraps (retries wrap the broker's answer). */
export function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  let current = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined;
  while (current) {
    if (current.type) types.push(current.type);
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return types;
}

/**
 * `describe` for a suite on the real cluster, which needs root (containers, mounts, iptables).
 * Without root the suite fails with that reason instead of being skipped: a green run that left the
 * cluster out would claim what it never tested.
 */
export function clusterSuite(name: string, body: () => void): void {
  describe(name, () => {
    if (userInfo().uid !== 0) {
      it('runs as root', () => {
        throw new Error(`${name}: the cluster suites need root (containers, mounts, iptables); run npm test as root`);
      });
      return;
    }
    body();
  });
}

/** Every running pod of `namespace` Ready (Job pods aside); resolves with their names. */
export function waitAllReady(namespace: string, timeoutMs: number): Promise<string[]> {
  return until(
    `every pod of ${namespace} Ready`,
    () => {
      const running = pods(namespace).filter((p) => p.metadata.labels?.['job-name'] === undefined);
      const names = running.filter(isReady).map((p) => p.metadata.name);
      return running.length > 0 && names.length === running.length ? names : undefined;
    },
    timeoutMs,
  );
}

/**
 * The namespace of the Strimzi operator scripts/test.sh installs for the whole cluster tier, watching
 * every namespace; unset when a suite runs on its own.
 */
const sharedStrimziNamespace = process.env.EVENTLINE_SHARED_STRIMZI || undefined;

/**
 * A Strimzi operator for a release in `namespace`: the tier's shared one, or Strimzi's chart installed
 * beside the release, as k8s/README.md has a user do. Resolves with where it runs.
 */
export async function strimziOperatorFor(namespace: string): Promise<string> {
  if (sharedStrimziNamespace) return sharedStrimziNamespace;
  await installStrimziOperator(namespace);
  return namespace;
}

/** Uninstalls the operator strimziOperatorFor installed beside the release (the shared one stays for the other suites). */
export function removeStrimziOperatorOf(namespace: string): void {
  if (!sharedStrimziNamespace) uninstallStrimziOperator(namespace);
}

/**
 * Deletes a release's namespace in the order its finalizers need: Replays and Redrives while
 * eventline-operator still runs, KafkaTopics and KafkaUsers while Strimzi's entity operator does, then
 * the Kafka, then the Strimzi operator (its ClusterRoles are cluster-wide), then the namespace.
 */
export function deleteStrimziNamespace(namespace: string): void {
  const remove = (what: string[]) =>
    spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'delete', ...what, '--wait=true', '--timeout=120s'], { stdio: 'ignore' });
  try {
    remove(['replays,redrives', '--all']);
    remove(['kafkatopics,kafkausers', '--all']);
    remove(['kafkas,kafkanodepools', '--all']);
    removeStrimziOperatorOf(namespace);
  } finally {
    kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s', '--ignore-not-found']);
  }
}
