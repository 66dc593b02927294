import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJava } from './java';
import { runningPid, start, waitFor } from './processes';
import { log, mvn, run } from './shell';
import { cacheDir, host, ports, urls, versions } from './settings';
import type { Component } from './component';

/**
 * Apicurio Registry 3 (its Quarkus distribution from Maven Central), serving the Confluent-compatible
 * API at /apis/ccompat/v7. It stores schemas in our PostgreSQL so that schema ids outlive a restart,
 * as the records in Kafka that carry them do.
 */
const baseDir = join(cacheDir, 'apicurio');
const appDir = join(baseDir, versions.apicurio);
const runJar = join(appDir, 'quarkus-run.jar');
const managementPort = Number(process.env.REGISTRY_MANAGEMENT_PORT ?? ports.registry + 1000);

function install(): void {
  if (existsSync(runJar)) return;
  log(`fetching Apicurio Registry ${versions.apicurio} from Maven Central`);
  mkdirSync(appDir, { recursive: true });
  mvn(['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${versions.apicurio}:tar.gz:all`, `-DoutputDirectory=${baseDir}`]);
  const tarball = join(baseDir, `apicurio-registry-app-${versions.apicurio}-all.tar.gz`);
  run('tar', ['xzf', tarball, '-C', appDir]);
  run('rm', ['-f', tarball]);
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${urls.registry}/subjects`, { signal: AbortSignal.timeout(2000) });
  return response.ok && Array.isArray(await response.json());
}

export const registryComponent: Component = {
  name: 'registry',
  version: `Apicurio Registry ${versions.apicurio}`,
  address: urls.registry,
  ports: [ports.registry, managementPort],
  requires: ['postgres'],
  install,
  start() {
    start({
      name: 'registry',
      command: findJava(21),
      args: [
        '-Xmx256m',
        '-XX:+UseSerialGC',
        `-Dquarkus.http.host=${host}`,
        `-Dquarkus.http.port=${ports.registry}`,
        // Quarkus' management interface cannot be switched off; keep it on loopback beside the API.
        `-Dquarkus.management.host=${host}`,
        `-Dquarkus.management.port=${managementPort}`,
        '-Dquarkus.http.access-log.enabled=false',
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=postgresql',
        `-Dapicurio.datasource.url=jdbc:postgresql://${host}:${ports.postgres}/apicurio`,
        '-Dapicurio.datasource.username=eventline',
        '-Dapicurio.datasource.password=eventline',
        '-jar',
        runJar,
      ],
    });
  },
  isRunning: () => runningPid('registry') !== undefined,
  healthy,
  waitHealthy: () => waitFor('schema registry', healthy, 120_000, 'registry'),
};
