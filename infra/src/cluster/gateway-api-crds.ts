import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goModuleDir } from './go-modules';
import { clusterVersions } from './settings';

/**
 * The Gateway API's standard-channel CRDs (GatewayClass, Gateway, HTTPRoute, GRPCRoute,
 * ReferenceGrant, BackendTLSPolicy) as the `sigs.k8s.io/gateway-api` Go module ships them in
 * config/crd/standard/, at the version Traefik's go.mod requires.
 */
export function gatewayApiCrdFiles(): string[] {
  const dir = join(goModuleDir('sigs.k8s.io/gateway-api', `v${clusterVersions.gatewayApi}`), 'config', 'crd', 'standard');
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('gateway.networking.k8s.io_') && f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) throw new Error(`no CRDs in ${dir}`);
  return files.map((f) => join(dir, f));
}

/** All of them as one multi-document manifest. */
export const gatewayApiCrdManifest = (): string =>
  gatewayApiCrdFiles()
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n---\n');
