import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { runningPid, start, waitFor } from './processes';
import { log, mvn, run } from './shell';
import { cacheDir, host, ports, repoRoot, stateDir, urls, versions } from './settings';
import type { Component } from './component';

/**
 * A MongoDB wire-protocol server: mongo-java-server on its H2 file backend. FerretDB 1.x, the first
 * choice, is not served by the Go module proxy here (see infra/README.md); real MongoDB 7 runs in
 * the Helm chart, so the services use only what both support.
 */
const installDir = join(cacheDir, `mongo-wire-${versions.mongoWire}`);
const libDir = join(installDir, 'libs');
const classesDir = join(installDir, 'classes');
const launcherSource = join(repoRoot, 'infra', 'mongo', 'MongoWireServer.java');
const dataFile = join(stateDir, 'mongo', 'data.mv.db');

function install(): void {
  if (!existsSync(libDir) || !readdirSync(libDir).some((f) => f.startsWith('mongo-java-server-core'))) {
    log(`resolving mongo-java-server ${versions.mongoWire} from Maven Central into ${libDir}`);
    mvn([
      '-f', join(repoRoot, 'infra', 'mongo', 'pom.xml'),
      `-Dmongo-java-server.version=${versions.mongoWire}`,
      'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`,
    ]);
  }
  if (!existsSync(join(classesDir, 'MongoWireServer.class'))) {
    mkdirSync(classesDir, { recursive: true });
    run('javac', ['-cp', `${libDir}/*`, '-d', classesDir, launcherSource]);
  }
}

async function healthy(): Promise<boolean> {
  const client = new MongoClient(urls.mongo, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
  try {
    await client.connect();
    const result = await client.db('admin').command({ ping: 1 });
    return result.ok === 1;
  } finally {
    await client.close();
  }
}

export const mongoComponent: Component = {
  name: 'mongo',
  version: `mongo-java-server ${versions.mongoWire} (H2 backend, MongoDB wire protocol 4.0)`,
  address: urls.mongo,
  ports: [ports.mongo],
  install,
  start() {
    mkdirSync(join(stateDir, 'mongo'), { recursive: true });
    start({
      name: 'mongo',
      command: 'java',
      args: ['-Xmx384m', '-XX:+UseSerialGC', '-cp', `${classesDir}:${libDir}/*`, 'MongoWireServer', host, String(ports.mongo), dataFile],
    });
  },
  isRunning: () => runningPid('mongo') !== undefined,
  healthy,
  waitHealthy: () => waitFor('MongoDB-wire server', healthy, 60_000, 'mongo'),
};
