import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { kubeToolPaths } from '../kube-tools';
import { repoRoot } from '../settings';
import { paths } from './node-config';
import { clusterVersions, kubeconfigPath, registryHost } from './settings';

/** kubectl against the cluster as its admin; throws with kubectl's output when it fails. */
export function kubectl(args: string[], input?: string): string {
  const result = spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** CoreDNS and the local-path provisioner (k8s/cluster/*.yaml), with this machine's registry and versions filled in. */
export function applyAddons(): void {
  for (const file of ['coredns.yaml', 'local-path.yaml']) {
    const manifest = readFileSync(join(repoRoot, 'k8s', 'cluster', file), 'utf8')
      .replaceAll('__REGISTRY__', registryHost)
      .replaceAll('__COREDNS_VERSION__', clusterVersions.coredns)
      .replaceAll('__LOCAL_PATH_VERSION__', clusterVersions.localPathProvisioner)
      .replaceAll('__DEBIAN__', clusterVersions.debian)
      .replaceAll('__LOCAL_PATH_DIR__', paths.localPathDir);
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest);
  }
}

export function waitForAddons(): void {
  kubectl(['wait', '--for=condition=Ready', `node/${'eventline-node'}`, '--timeout=180s']);
  kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s']);
  kubectl(['-n', 'local-path-storage', 'rollout', 'status', 'deployment/local-path-provisioner', '--timeout=180s']);
}
