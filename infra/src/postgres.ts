import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { runningPid, start, waitFor } from './processes';
import { log, run } from './shell';
import { host, ports, stateDir, urls } from './settings';
import type { Component } from './component';

/**
 * PostgreSQL from Debian's packages, as a cluster of our own. The server refuses to run as root, so
 * as root it runs as the `postgres` system user the package creates, with its data outside /root.
 */
const asRoot = userInfo().uid === 0;
/** Where a cluster of ours keeps its data: as root outside /root, which the `postgres` user cannot enter. */
export function clusterDataDir(name: string, port: number): string {
  return asRoot ? `/var/lib/eventline/${name}-${port}` : join(stateDir, name);
}
const dataDir = process.env.PG_DATA ?? clusterDataDir('postgres', ports.postgres);

export function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export function serverUser(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const id = (flag: string) => Number(run('id', [flag, 'postgres']).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function install(): void {
  if (binDir()) return;
  if (!asRoot) throw new Error('PostgreSQL server binaries are missing: install Debian package postgresql (needs root)');
  log('installing PostgreSQL from Debian packages');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** initdb once, trust auth on 127.0.0.1, and the settings given (appended to ours). */
export function initClusterOnce(bin: string, dataDir: string, port: number, settings: string[] = []): void {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const user = serverUser();
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  // The server's user must pass through the parent, which another component (the local cluster's
  // data under /var/lib/eventline/cluster) may have created first, without that.
  if (user) chmodSync(dirname(dataDir), statSync(dirname(dataDir)).mode | 0o755);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  log(`initialising a PostgreSQL cluster in ${dataDir}`);
  const result = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-instructions'], {
    uid: user?.uid,
    gid: user?.gid,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `listen_addresses = '${host}'`,
      `port = ${port}`,
      `unix_socket_directories = '${dataDir}'`,
      'max_connections = 300',
      'shared_buffers = 256MB',
      'max_prepared_transactions = 0',
      ...settings,
      '',
    ].join('\n'),
  );
  if (user) chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
}

async function query(sql: string, database = 'postgres'): Promise<void> {
  const client = new Client({ host, port: ports.postgres, user: 'postgres', database });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function healthy(): Promise<boolean> {
  const client = new Client({ host, port: ports.postgres, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    return result.rows[0]?.one === 1;
  } finally {
    await client.end();
  }
}

export const postgresComponent: Component = {
  name: 'postgres',
  get version() {
    const bin = binDir();
    return bin ? run(join(bin, 'postgres'), ['--version']).trim() : 'PostgreSQL (not installed)';
  },
  address: urls.postgres,
  ports: [ports.postgres],
  install,
  start() {
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL is not installed');
    initClusterOnce(bin, dataDir, ports.postgres);
    start({ name: 'postgres', command: join(bin, 'postgres'), args: ['-D', dataDir], ...serverUser() });
  },
  isRunning: () => runningPid('postgres') !== undefined,
  healthy,
  waitHealthy: () => waitFor('PostgreSQL', healthy, 60_000, 'postgres'),
  async prepare() {
    // The role and database the services and tests use; each test suite makes its own databases.
    await query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventline') THEN
        CREATE ROLE eventline LOGIN SUPERUSER PASSWORD 'eventline';
      END IF; END $$`);
    const client = new Client({ host, port: ports.postgres, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      // `apicurio` holds the schema registry's storage.
      for (const database of ['eventline', 'apicurio']) {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${database} OWNER eventline`);
      }
    } finally {
      await client.end();
    }
  },
  // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
  stopSignal: 'SIGINT',
};
