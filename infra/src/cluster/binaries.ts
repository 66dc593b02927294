import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildCommand, log, run } from '../shell';
import { kubernetesVersionLdflags } from '../kube-tools';
import { repoRoot } from '../settings';
import { binCacheDir, clusterVersions } from './settings';

/**
 * The cluster's own Go programs, built once per version into `~/.cache/eventline/cluster-bin/
 * <binary>-<version>/` (kube-apiserver, etcd, kubectl and helm are infra's kube-tools). Each build
 * step logs into `build.log` beside its result and a failure names the step and that log.
 */
export interface ClusterBinaries {
  kubelet: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubeProxy: string;
  coredns: string;
  localPathProvisioner: string;
  metricsServer: string;
  /** The static `pause` of Kubernetes' build/pause/linux/pause.c, every pod's sandbox process. */
  pause: string;
}

interface GoBinary {
  name: keyof ClusterBinaries;
  binary: string;
  version: string;
  module: string;
  pkg: string;
  ldflags?: string;
  /** Static binaries for FROM-scratch images. */
  static?: boolean;
}

const k8s = clusterVersions.kubernetes;
const goBinaries: GoBinary[] = [
  { name: 'kubelet', binary: 'kubelet', version: k8s, module: 'cluster', pkg: 'k8s.io/kubernetes/cmd/kubelet', ldflags: kubernetesVersionLdflags },
  {
    name: 'kubeControllerManager',
    binary: 'kube-controller-manager',
    version: k8s,
    module: 'cluster',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    ldflags: kubernetesVersionLdflags,
  },
  { name: 'kubeScheduler', binary: 'kube-scheduler', version: k8s, module: 'cluster', pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', ldflags: kubernetesVersionLdflags },
  { name: 'kubeProxy', binary: 'kube-proxy', version: k8s, module: 'cluster', pkg: 'k8s.io/kubernetes/cmd/kube-proxy', ldflags: kubernetesVersionLdflags },
  { name: 'coredns', binary: 'coredns', version: clusterVersions.coredns, module: 'coredns', pkg: 'github.com/coredns/coredns', static: true },
  {
    name: 'localPathProvisioner',
    binary: 'local-path-provisioner',
    version: clusterVersions.localPathProvisioner,
    module: 'local-path',
    pkg: 'github.com/rancher/local-path-provisioner',
    static: true,
  },
  {
    name: 'metricsServer',
    binary: 'metrics-server',
    version: clusterVersions.metricsServer,
    module: 'metrics-server',
    pkg: 'sigs.k8s.io/metrics-server/cmd/metrics-server',
    static: true,
  },
];

const dirOf = (binary: string, version: string) => join(binCacheDir, `${binary}-${version}`);
const pathOf = (binary: string, version: string) => join(dirOf(binary, version), binary);

export function clusterBinaryPaths(): ClusterBinaries {
  const paths = Object.fromEntries(goBinaries.map((b) => [b.name, pathOf(b.binary, b.version)])) as Record<keyof ClusterBinaries, string>;
  return { ...paths, pause: pathOf('pause', k8s) };
}

/** Runs `body` to make `target` (through `<target>.partial`) unless it exists; logs the time taken. */
export async function timedBuild(what: string, target: string, body: (logPath: string, partial: string) => Promise<void>): Promise<void> {
  if (existsSync(target)) return;
  const dir = join(target, '..');
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'build.log');
  log(`building ${what} (first use; cached in ${dir}; log: ${logPath})`);
  const started = Date.now();
  const partial = `${target}.partial`;
  await body(logPath, partial);
  renameSync(partial, target);
  log(`built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function buildGo(b: GoBinary): Promise<void> {
  await timedBuild(`${b.binary} ${b.version}`, pathOf(b.binary, b.version), async (logPath, partial) => {
    const args = ['build', '-o', partial];
    if (b.ldflags) args.push(`-ldflags=${b.ldflags}`);
    args.push(b.pkg);
    await buildCommand(b.binary, logPath, 'go', args, {
      cwd: join(repoRoot, 'infra', 'kube', b.module),
      env: { ...process.env, ...(b.static ? { CGO_ENABLED: '0' } : {}) },
      niceness: 19,
    });
  });
}

/** pause.c as the Kubernetes module ships it, statically linked (the image is FROM scratch). */
async function buildPause(): Promise<void> {
  await timedBuild(`pause (Kubernetes ${k8s})`, pathOf('pause', k8s), async (logPath, partial) => {
    const moduleDir = run('go', ['list', '-m', '-f', '{{.Dir}}', 'k8s.io/kubernetes'], { cwd: join(repoRoot, 'infra', 'kube', 'cluster') }).trim();
    const source = join(moduleDir, 'build', 'pause', 'linux', 'pause.c');
    await buildCommand('pause', logPath, 'gcc', ['-Os', '-Wall', '-Werror', '-static', '-DVERSION=v3.10-eventline', '-o', partial, source], { niceness: 19 });
  });
}

/** Builds what is missing, one build at a time (the machine has 2 cores and other work). */
export async function ensureClusterBinaries(): Promise<ClusterBinaries> {
  for (const b of goBinaries) await buildGo(b);
  await buildPause();
  return clusterBinaryPaths();
}
