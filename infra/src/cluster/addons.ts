import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { kubeToolPaths } from '../kube-tools';
import { repoRoot } from '../settings';
import { gatewayApiCrdManifest } from './gateway-api-crds';
import { paths } from './node-config';
import { clusterVersions, kubeconfigPath, nodeName, registryHost } from './settings';

/** kubectl against the cluster as its admin; throws with kubectl's output when it fails. */
export function kubectl(args: string[], input?: string): string {
  const result = spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** A manifest of k8s/cluster/, with this machine's registry and versions filled in, applied server-side. */
function applyClusterManifest(file: string): void {
  const manifest = readFileSync(join(repoRoot, 'k8s', 'cluster', file), 'utf8')
    .replaceAll('__REGISTRY__', registryHost)
    .replaceAll('__COREDNS_VERSION__', clusterVersions.coredns)
    .replaceAll('__LOCAL_PATH_VERSION__', clusterVersions.localPathProvisioner)
    .replaceAll('__METRICS_SERVER_VERSION__', clusterVersions.metricsServer)
    .replaceAll('__DEBIAN__', clusterVersions.debian)
    .replaceAll('__LOCAL_PATH_DIR__', paths.localPathDir)
    .replaceAll('__TRAEFIK_VERSION__', clusterVersions.traefik);
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest);
}

/**
 * The gateway: the Gateway API CRDs (server-side: too large for client-side apply's annotation),
 * Established before Traefik and its GatewayClass `traefik` (k8s/cluster/traefik.yaml) are applied.
 * Its image must be in the registry (traefik-image.ts).
 */
export function applyGatewayAddon(): void {
  const applied = kubectl(['apply', '--server-side', '--force-conflicts', '-o', 'name', '-f', '-'], gatewayApiCrdManifest());
  const names = applied
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  applyClusterManifest('traefik.yaml');
}

/** CoreDNS, the local-path provisioner, metrics-server (k8s/cluster/*.yaml) and the gateway. */
export function applyAddons(): void {
  applyClusterManifest('coredns.yaml');
  applyClusterManifest('local-path.yaml');
  applyClusterManifest('metrics-server.yaml');
  applyGatewayAddon();
}

interface PodList {
  items: { metadata: { deletionTimestamp?: string }; status: { conditions?: { type: string; status: string }[] } }[];
}

/** At least one pod of `selector`, every live one Ready (a Deployment's status may still be the one before `down`). */
function podsReady(namespace: string, selector: string): boolean {
  const pods = (JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'])) as PodList).items.filter((p) => !p.metadata.deletionTimestamp);
  return pods.length > 0 && pods.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

async function waitForPods(waiting: readonly (readonly [string, string])[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const [namespace, selector] of waiting) {
    while (!podsReady(namespace, selector)) {
      if (Date.now() > deadline) throw new Error(`pods ${selector} in ${namespace} not Ready within ${timeoutMs / 1000} s (kubectl -n ${namespace} describe pods -l ${selector})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const traefikPods = ['traefik', 'app.kubernetes.io/name=traefik'] as const;

/** Traefik's rollout done (a changed Deployment replaces its pod) and its pod Ready. */
export async function waitForGatewayAddon(timeoutMs = 180_000): Promise<void> {
  kubectl(['-n', 'traefik', 'rollout', 'status', 'deployment/traefik', `--timeout=${timeoutMs / 1000}s`]);
  await waitForPods([traefikPods], timeoutMs);
}

export async function waitForAddons(timeoutMs = 180_000): Promise<void> {
  kubectl(['wait', '--for=condition=Ready', `node/${nodeName}`, `--timeout=${timeoutMs / 1000}s`]);
  await waitForPods([['kube-system', 'k8s-app=kube-dns'], ['local-path-storage', 'app=local-path-provisioner'], ['kube-system', 'k8s-app=metrics-server'], traefikPods], timeoutMs);
}
