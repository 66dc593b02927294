/**
 * The local supervisor of eventline's service processes, beside `infra` (which runs the servers):
 *
 *   npx tsx scripts/dev/services.ts up|down|status [name...]
 *
 * Processes are tracked by pid files under the infra state dir and log to its logs/ folder, like
 * the servers. A service whose services/<name>/dist/main.js is not built yet is skipped with a note.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { logTail, runningPid, start, stop } from '../../infra/src/processes';
import { portInUse } from '../../infra/src/ports';
import { writeScrapeTargets } from '../../infra/src/prometheus';
import { repoRoot, urls } from '../../infra/src/settings';
import { servicePort } from '../../infra/src/service-table';

interface LocalService {
  name: string;
  port: number;
  /** A PostgreSQL database `up` creates when missing. */
  postgresDatabase?: string;
  /** Beside PORT and LOG_LEVEL, which every service gets. */
  env: Record<string, string>;
}

const CONFIG_SERVICE_PORT = servicePort('config-service');
/** Every Kafka service loads its settings from config-service (which serves config/) and follows them. */
const kafka = { KAFKA_BROKERS: urls.kafka, SCHEMA_REGISTRY_URL: urls.registry, CONFIG_SERVICE_URL: `http://127.0.0.1:${CONFIG_SERVICE_PORT}` };

/**
 * Every service sends its spans over OTLP to the local OpenTelemetry Collector (on to Zipkin through
 * Kafka, and span metrics to Prometheus), unless the caller's OTEL_* variables say otherwise.
 */
const tracing = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: urls.otlp, OTEL_BSP_SCHEDULE_DELAY: '1000' };

function postgresUrl(database: string): string {
  const url = new URL(urls.postgres);
  url.pathname = `/${database}`;
  return url.toString();
}

/** In start order; `down` goes in reverse, so the gateway (last) stops taking requests first. */
const services: LocalService[] = [
  { name: 'config-service', port: CONFIG_SERVICE_PORT, env: { CONFIG_SOURCE: 'folder', CONFIG_DIR: join(repoRoot, 'config') } },
  { name: 'user-service', port: servicePort('user-service'), postgresDatabase: 'users', env: { ...kafka, DATABASE_URL: postgresUrl('users') } },
  { name: 'product-service', port: servicePort('product-service'), postgresDatabase: 'product', env: { ...kafka, DATABASE_URL: postgresUrl('product') } },
  { name: 'order-service', port: servicePort('order-service'), env: { ...kafka, MONGO_URL: urls.mongo, MONGO_DB: 'orders' } },
  { name: 'cart-service', port: servicePort('cart-service'), postgresDatabase: 'cart', env: { ...kafka, DATABASE_URL: postgresUrl('cart') } },
  { name: 'cart-aggregator', port: servicePort('cart-aggregator'), env: kafka },
  { name: 'cart-query', port: servicePort('cart-query'), env: { ...kafka, MONGO_URL: urls.mongo, MONGO_DB: 'carts' } },
  { name: 'fulfillment-service', port: servicePort('fulfillment-service'), env: { ...kafka, MONGO_URL: urls.mongo, MONGO_DB: 'fulfillment' } },
  { name: 'gateway', port: 8080, env: {} },
];

const READY_TIMEOUT_MS = Number(process.env.SERVICES_READY_TIMEOUT_MS || 90_000);
const STOP_GRACE_MS = 30_000; // above the services' own 25 s shutdown deadline

const mainFile = (service: LocalService) => join(repoRoot, 'services', service.name, 'dist', 'main.js');
const isBuilt = (service: LocalService) => existsSync(mainFile(service));
const baseUrl = (service: LocalService) => `http://localhost:${service.port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function select(names: string[]): LocalService[] {
  if (names.length === 0) return services;
  const unknown = names.filter((name) => !services.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')}; known: ${services.map((s) => s.name).join(', ')}`);
  return services.filter((s) => names.includes(s.name));
}

async function isReady(service: LocalService): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${service.port}/readyz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function createDatabases(databases: string[]): Promise<void> {
  if (databases.length === 0) return;
  const client = new Client({ connectionString: urls.postgres });
  await client.connect();
  try {
    for (const database of databases) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount !== 0) continue;
      try {
        await client.query(`CREATE DATABASE "${database}"`);
        console.log(`created PostgreSQL database ${database}`);
      } catch (error) {
        // Another `up` created it meanwhile.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

async function waitReady(service: LocalService): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await isReady(service)) return;
    if (runningPid(service.name) === undefined) throw new Error(`${service.name} exited during start-up; ${logTail(service.name)}`);
    await sleep(250);
  }
  throw new Error(`${service.name} was not ready (GET ${baseUrl(service)}/readyz) within ${READY_TIMEOUT_MS / 1000}s; ${logTail(service.name)}`);
}

/** Idempotent: starts what is built and not running, then waits until every one is ready. */
async function up(selected: LocalService[]): Promise<{ started: string[]; failures: Error[] }> {
  const runnable = selected.filter((service) => {
    if (isBuilt(service)) return true;
    console.log(`skipping ${service.name}: ${mainFile(service)} is not built yet`);
    return false;
  });
  await createDatabases(runnable.flatMap((s) => (s.postgresDatabase ? [s.postgresDatabase] : [])));

  const started: string[] = [];
  for (const service of runnable) {
    if (runningPid(service.name) !== undefined) continue;
    if (await portInUse(service.port)) {
      throw new Error(`${service.name}: port ${service.port} is already taken by a process this script did not start`);
    }
    start({
      name: service.name,
      command: process.execPath,
      args: [mainFile(service)],
      cwd: repoRoot,
      env: { ...tracing, ...process.env, PORT: String(service.port), LOG_LEVEL: 'info', ...service.env },
    });
    started.push(service.name);
  }

  // Prometheus (an infra component) scrapes every local service from here on.
  writeScrapeTargets(
    'local',
    services.map((service) => ({ service: service.name, address: `127.0.0.1:${service.port}` })),
  );
  const results = await Promise.allSettled(runnable.map(waitReady));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason : new Error(String(r.reason))] : []));
  return { started, failures };
}

async function down(selected: LocalService[]): Promise<string[]> {
  const stopped: string[] = [];
  for (const service of [...selected].reverse()) {
    if (await stop(service.name, 'SIGTERM', STOP_GRACE_MS)) stopped.push(service.name);
  }
  return stopped;
}

interface StatusRow {
  service: string;
  url: string;
  pid: string;
  state: string;
}

async function status(selected: LocalService[]): Promise<StatusRow[]> {
  return Promise.all(
    selected.map(async (service) => {
      const pid = runningPid(service.name);
      const state = pid !== undefined ? ((await isReady(service)) ? 'ready' : 'not ready') : isBuilt(service) ? 'stopped' : 'not built';
      return { service: service.name, url: baseUrl(service), pid: pid === undefined ? '-' : String(pid), state };
    }),
  );
}

function formatTable(rows: StatusRow[]): string {
  const header: StatusRow = { service: 'service', url: 'url', pid: 'pid', state: 'state' };
  const keys = Object.keys(header) as (keyof StatusRow)[];
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: StatusRow) =>
    keys
      .map((key, i) => row[key].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const usage = 'usage: npx tsx scripts/dev/services.ts up|down|status [service...]';

async function main(): Promise<number> {
  const [command, ...names] = process.argv.slice(2);
  switch (command) {
    case 'up': {
      const selected = select(names);
      const { started, failures } = await up(selected);
      console.log(started.length > 0 ? `started: ${started.join(', ')}` : 'already running: nothing started');
      console.log(formatTable(await status(selected)));
      for (const failure of failures) console.error(`\n${failure.message}`);
      return failures.length === 0 ? 0 : 1;
    }
    case 'down': {
      const stopped = await down(select(names));
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'no service of ours was running');
      return 0;
    }
    case 'status': {
      const rows = await status(select(names));
      console.log(formatTable(rows));
      // Not built yet is not a failure: those services do not exist so far.
      return rows.every((row) => row.state === 'ready' || row.state === 'not built') ? 0 : 3;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`services: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
