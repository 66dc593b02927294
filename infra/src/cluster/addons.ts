import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { kubeToolPaths } from '../kube-tools';
import { repoRoot } from '../settings';
import { paths } from './node-config';
import { clusterVersions, kubeconfigPath, nodeName, registryHost } from './settings';

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

interface PodList {
  items: { metadata: { deletionTimestamp?: string }; status: { conditions?: { type: string; status: string }[] } }[];
}

/** At least one pod of `selector`, every live one Ready (a Deployment's status may still be the one before `down`). */
function podsReady(namespace: string, selector: string): boolean {
  const pods = (JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'])) as PodList).items
    .filter((p) => !p.metadata.deletionTimestamp);
  return pods.length > 0 && pods.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

export async function waitForAddons(timeoutMs = 180_000): Promise<void> {
  kubectl(['wait', '--for=condition=Ready', `node/${nodeName}`, `--timeout=${timeoutMs / 1000}s`]);
  const deadline = Date.now() + timeoutMs;
  const waiting = [['kube-system', 'k8s-app=kube-dns'], ['local-path-storage', 'app=local-path-provisioner']] as const;
  for (const [namespace, selector] of waiting) {
    while (!podsReady(namespace, selector)) {
      if (Date.now() > deadline) throw new Error(`pods ${selector} in ${namespace} not Ready within ${timeoutMs / 1000} s (kubectl -n ${namespace} describe pods -l ${selector})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
