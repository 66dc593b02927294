import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { runningPid, start, waitFor } from './processes';
import { binDir, clusterDataDir, initClusterOnce, serverUser } from './postgres';
import { documentdbSettings, ensureFerretdbStack, ferretdbStackPaths } from './ferretdb-build';
import { externalMongoUrl, host, ports, stateDir, urls, versions } from './settings';
import type { Component } from './component';

/**
 * The MongoDB the services use locally: FerretDB 2.5.0 over PostgreSQL 15 with the DocumentDB
 * extension, built from the vendored sources (see ferretdb-build.ts). DocumentDB needs preload
 * libraries and background workers of its own, so it gets a PostgreSQL cluster of its own
 * (`mongo-postgres`, port MONGO_PG_PORT) rather than infra's shared one. FerretDB speaks the wire
 * protocol and stores each collection as a PostgreSQL table with real (RUM/B-tree) indexes.
 */
const pgDataDir = process.env.MONGO_PG_DATA ?? clusterDataDir('mongo-postgres', ports.mongoPostgres);
const ferretStateDir = join(stateDir, 'ferretdb');

async function withPg<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host, port: ports.mongoPostgres, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export const mongoPostgresComponent: Component = {
  name: 'mongo-postgres',
  version: `PostgreSQL 15 + DocumentDB ${versions.documentdb}`,
  address: urls.mongoPostgres,
  ports: [ports.mongoPostgres],
  async install() {
    await ensureFerretdbStack();
  },
  start() {
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL is not installed');
    initClusterOnce(bin, pgDataDir, ports.mongoPostgres, documentdbSettings);
    start({ name: 'mongo-postgres', command: join(bin, 'postgres'), args: ['-D', pgDataDir], ...serverUser() });
  },
  isRunning: () => runningPid('mongo-postgres') !== undefined,
  healthy: () => withPg(async (client) => (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one === 1),
  waitHealthy() {
    return waitFor('PostgreSQL for FerretDB', () => mongoPostgresComponent.healthy(), 60_000, 'mongo-postgres');
  },
  async prepare() {
    // Pulls in documentdb_core, pg_cron, tsm_system_rows, vector, postgis and rum.
    await withPg((client) => client.query('CREATE EXTENSION IF NOT EXISTS documentdb CASCADE'));
  },
  stopSignal: 'SIGINT',
};

/** A ping, then a query by an indexed field on a tiny collection (index and document made idempotently). */
async function mongoHealthy(): Promise<boolean> {
  const client = new MongoClient(urls.mongo, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
  try {
    await client.connect();
    const ping = await client.db('admin').command({ ping: 1 });
    if (ping.ok !== 1) return false;
    const probe = client.db('eventline_health').collection<{ _id: string; key: string }>('probe');
    await probe.createIndex({ key: 1 }, { name: 'key_1' });
    await probe.updateOne({ _id: 'probe' }, { $set: { key: 'health' } }, { upsert: true });
    const found = await probe.findOne({ key: 'health' }, { hint: 'key_1' });
    return found?._id === 'probe';
  } finally {
    await client.close();
  }
}

const ferretdbComponent: Component = {
  name: 'mongo',
  version: `FerretDB ${versions.ferretdb} (DocumentDB ${versions.documentdb})`,
  address: urls.mongo,
  ports: [ports.mongo],
  requires: ['mongo-postgres'],
  async install() {
    await ensureFerretdbStack();
  },
  start() {
    mkdirSync(ferretStateDir, { recursive: true });
    start({
      name: 'mongo',
      command: ferretdbStackPaths().ferretdb,
      args: [
        `--listen-addr=${host}:${ports.mongo}`,
        `--postgresql-url=postgres://postgres@${host}:${ports.mongoPostgres}/postgres`,
        // As the services connect to the chart's MongoDB: without credentials on a local port.
        '--no-auth',
        '--telemetry=disable',
        // Its debug/metrics listener would take 8088 on every instance.
        '--debug-addr=',
        '--log-level=warn',
        `--state-dir=${ferretStateDir}`,
      ],
    });
  },
  isRunning: () => runningPid('mongo') !== undefined,
  healthy: mongoHealthy,
  waitHealthy: () => waitFor('FerretDB', mongoHealthy, 60_000, 'mongo'),
};

/**
 * EVENTLINE_MONGO_URL: a MongoDB the user runs. infra starts, stops and builds nothing for it;
 * `up` waits for it and `status` pings it.
 */
const externalMongoComponent: Component = {
  name: 'mongo',
  version: 'external (EVENTLINE_MONGO_URL)',
  address: urls.mongo.replace(/\/\/[^@/]*@/, '//***@'),
  ports: [],
  install() {},
  start() {},
  isRunning: () => true,
  async healthy() {
    const client = new MongoClient(urls.mongo, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
    try {
      await client.connect();
      return (await client.db('admin').command({ ping: 1 })).ok === 1;
    } finally {
      await client.close();
    }
  },
  waitHealthy: () => waitFor('the MongoDB of EVENTLINE_MONGO_URL', () => externalMongoComponent.healthy(), 30_000),
  external: true,
};

/** In start order: FerretDB's PostgreSQL before FerretDB (and `down` stops them the other way round). */
export const mongoComponents: Component[] = externalMongoUrl ? [externalMongoComponent] : [mongoPostgresComponent, ferretdbComponent];
