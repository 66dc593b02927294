import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeToolPaths, startKubeApiServer, type KubeApiServer, type KubeApiServerOptions } from '@eventline/infra';

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (helm, kubectl, skaffold, hadolint); never throws on a non-zero exit. */
export function runTool(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CommandResult {
  const result = spawnSync(command, args, {
    input: options.input,
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 110_000,
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** Like runTool, but a non-zero exit throws with the command's output. */
export function runToolOk(command: string, args: string[], options: Parameters<typeof runTool>[2] = {}): string {
  const result = runTool(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}\n${result.stdout}`.slice(0, 6000));
  return result.stdout;
}

export const kubeTools = kubeToolPaths;

/**
 * A tool's stderr without client-go's informational klog lines ("I1205 22:49:22.914470 …"), which
 * helm prints when a watch it no longer needs ends; warnings (W…), errors (E…) and everything else stay.
 */
export function withoutKlogInfo(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^I\d{4} \d{2}:\d{2}:\d{2}\.\d+\s/.test(line))
    .join('\n');
}

export interface TestApiServer extends KubeApiServer {
  kubectl(args: string[], input?: string): CommandResult;
  /** Helm 4. */
  helm(args: string[]): CommandResult;
  /** Helm 3.22, as a user still on Helm 3 runs it. */
  helm3(args: string[]): CommandResult;
  dispose(): Promise<void>;
}

/** A real kube-apiserver + etcd in a fresh temporary folder, with kubectl, helm and helm3 bound to it (their stderr without klog's info lines). */
export async function startTestApiServer(options: KubeApiServerOptions = {}): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-kube-'));
  const server = await startKubeApiServer(dir, options);
  const { helm, helm3 } = kubeToolPaths();
  // helm keeps its cache and config under HOME-derived paths: give it the test's folder.
  const bound = (binary: string, args: string[], options: Parameters<typeof runTool>[2]) => {
    const result = runTool(binary, ['--kubeconfig', server.kubeconfig, ...args], options);
    return { ...result, stderr: withoutKlogInfo(result.stderr) };
  };
  const helmIn = (binary: string, home: string) => (args: string[]) =>
    bound(binary, args, {
      env: { HELM_CACHE_HOME: join(dir, home, 'cache'), HELM_CONFIG_HOME: join(dir, home, 'config'), HELM_DATA_HOME: join(dir, home, 'data') },
    });
  return {
    ...server,
    kubectl: (args, input) => bound(kubeToolPaths().kubectl, args, { input }),
    helm: helmIn(helm, 'helm'),
    helm3: helmIn(helm3, 'helm3'),
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
