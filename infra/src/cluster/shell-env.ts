import { dirname } from 'node:path';
import { ensureKubeTools } from '../kube-tools';
import { kubeconfigPath, registryHost, sockets } from './settings';

/**
 * What a shell needs to use the cluster of `npm run cluster` by hand, as k8s/README.md does: its
 * kubeconfig, its dockerd (own socket, legacy builder: Debian 12 has no buildx), skaffold's default
 * repository (the cluster's registry), and kubectl, helm, skaffold and the project's Node first on
 * PATH. Printed as `export` lines for `eval "$(npm run -s cluster -- env)"`. The `helm` there is
 * infra's Helm 3.22 (`helm3`): skaffold 2.16's helm deployer refuses Helm 4 (`helm version --client`,
 * `--post-renderer <path>`); the chart installs with either.
 */
export function clusterShellEnv(nodeBinDir = dirname(process.execPath)): Record<string, string> {
  const tools = ensureKubeTools();
  const bins = [...new Set([dirname(tools.kubectl), dirname(tools.helm3), dirname(tools.skaffold), nodeBinDir])];
  return {
    KUBECONFIG: kubeconfigPath,
    DOCKER_HOST: `unix://${sockets.docker}`,
    DOCKER_BUILDKIT: '0',
    SKAFFOLD_DEFAULT_REPO: registryHost,
    PATH: `${bins.join(':')}:$PATH`,
  };
}

/** `export NAME="value"` lines for a POSIX shell; a `$PATH` in a value expands there, at eval time. */
export function formatExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}="${value.replace(/["\\`]/g, '\\$&')}"`)
    .join('\n');
}
