import { spawn, type ChildProcess } from 'node:child_process';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { kubectl } from '../../../infra/src/cluster/addons';
import { kubeconfigPath } from '../../../infra/src/cluster/settings';

/** What the cluster test needs on top of `kubectl`: a port-forward it can stop, and waits. */
export { kubectl };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const timer = setTimeout(() => { child.kill(); reject(new Error(`port-forward ${target}: no port in 30 s: ${output}`)); }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (!port) return;
      clearTimeout(timer);
      resolve({
        port: Number(port),
        child,
        stop: () => new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill();
        }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`port-forward ${target} exited (${code}): ${output}`)); });
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
  const phase = await until(`pod ${name} finished`, () => {
    const p = kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']).trim();
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, 120_000);
  const log = kubectl(['-n', namespace, 'logs', name]);
  kubectl(['-n', namespace, 'delete', 'pod', name, '--wait=true']);
  if (phase !== 'Succeeded') throw new Error(`pod ${name} failed: ${log}`);
  return log;
}
