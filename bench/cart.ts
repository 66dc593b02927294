import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { loadCatalog, registerAll } from '@eventline/avro';
import { cacheDir } from '@eventline/infra';
import { createKafka } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import {
  createDatabase,
  eventually,
  requestJson,
  startProcess,
  startServiceProcess,
  startTsProcess,
  uniqueName,
  urls,
  type RunningProcess,
  type ServiceProcess,
} from '@eventline/testkit';
import { ensurePrefixedTopics, produceBacklog, producePerPartition, type BacklogSize, type ExpectedCart } from './lib/cart-backlog';
import { printProfile } from './lib/cpu-profile';
import { formatCpuShares, startCpuShares } from './lib/cpu-share';
import { formatNumber, percentile } from './lib/table';
import { ensureWrk, runWrk } from './lib/wrk';

/**
 * The event-sourced cart on this machine: the write API under load, the aggregator's throughput on a
 * backlog (one and two instances), the rebuild of cart_view from cart-details, and the same
 * aggregation as a Kafka Streams application for reference. Starts its own processes (isolated
 * databases and Kafka name prefixes) on the running infra (`npm run infra -- up`); prints one table.
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ADD_SECONDS = num('BENCH_ADD_SECONDS', 60);
const ADD_WARMUP_SECONDS = num('BENCH_ADD_WARMUP_SECONDS', 5);
const ADD_CONNECTIONS = num('BENCH_ADD_CONNECTIONS', 32);
const ADD_CUSTOMERS = num('BENCH_ADD_CUSTOMERS', 10_000);
const SIZE: BacklogSize = { events: num('BENCH_EVENTS', 1_000_000), customers: num('BENCH_CUSTOMERS', 100_000), products: num('BENCH_PRODUCTS', 1_000) };
const STREAMS_THREADS = (process.env.BENCH_STREAMS_THREADS ?? '1,2').split(',').filter(Boolean).map(Number);
const TIMEOUT_MS = num('BENCH_TIMEOUT_SECONDS', 3600) * 1000;
const KEEP = process.env.BENCH_KEEP === '1';
/** BENCH_CPU_PROF=1: the cart-service (add load) and cart-aggregator (backlog) run under `node --cpu-prof`; their profiles are summarised below the table. */
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean)); // add, agg1, agg2, agg3, restore, rebuild, streams

const logger = createLogger('bench', 'warn');
const kafka = createKafka({ brokers: [urls.kafka], clientId: 'bench-cart', logger });
const streamsDir = join(__dirname, 'kafka-streams');
const streamsJar = join(streamsDir, 'target', 'cart-streams.jar');
const say = (message: string) => process.stderr.write(`[bench:cart] ${message}\n`);
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;

interface Line {
  measure: string;
  value: string;
  unit: string;
  detail: string;
}
const table: Line[] = [];
/** The add load's rate and p99 (ms), for `npm run bench`'s table of goals. */
let addLoadFigures: { perSecond: number; p99: number } | undefined;

/** Everything this run started, so that a failure still stops it all. */
const running = new Set<RunningProcess>();
const prefixes: string[] = [];
const databases: string[] = [];
const mongoDbs: string[] = [];

async function startService(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const service = await startServiceProcess(name, env, 'main.ts', nodeArgs);
  running.add(service.process);
  return service;
}

async function stop(process: RunningProcess): Promise<void> {
  await process.kill('SIGTERM');
  running.delete(process);
}

function newPrefix(): string {
  const prefix = `${uniqueName('bench-cart')}.`;
  prefixes.push(prefix);
  return prefix;
}

async function database(name: string): Promise<string> {
  const url = await createDatabase(name);
  databases.push(url.slice(url.lastIndexOf('/') + 1));
  return url;
}

const common = (prefix: string) => ({ KAFKA_BROKERS: urls.kafka, SCHEMA_REGISTRY_URL: urls.registry, KAFKA_NAME_PREFIX: prefix });

// ── 1. POST /api/v1/add under a closed-loop load ─────────────────────────────────────────────────

async function addLoad(): Promise<void> {
  const prefix = newPrefix();
  const products = await startService('product-service', { ...common(prefix), DATABASE_URL: await database('bench_cart_product') });
  const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'cart-service-profile-')) : undefined;
  const cart = await startService(
    'cart-service',
    { ...common(prefix), DATABASE_URL: await database('bench_cart_cart') },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  for (const itemId of ['1', '2', '3']) {
    await eventually(
      () => requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId: 'probe', itemId, qty: 1 }),
      (r) => r.status === 200,
      { what: `cart-service knows product ${itemId}`, timeoutMs: 60_000 },
    );
  }
  const load = async (durationMs: number) => {
    const latencies: number[] = [];
    const failures = new Map<number, number>();
    const start = performance.now();
    const end = start + durationMs;
    await Promise.all(
      Array.from({ length: ADD_CONNECTIONS }, async () => {
        while (performance.now() < end) {
          const customerId = `b${Math.floor(Math.random() * ADD_CUSTOMERS)}`;
          const itemId = String(1 + Math.floor(Math.random() * 3));
          const sent = performance.now();
          const { status } = await requestJson(`${cart.url}/api/v1/add`, 'POST', { customerId, itemId, qty: 1 });
          if (status === 200) latencies.push(performance.now() - sent);
          else failures.set(status, (failures.get(status) ?? 0) + 1);
        }
      }),
    );
    return { latencies, failures, elapsed: seconds(start) };
  };
  const named = new Map<number, string>([
    [cart.process.child.pid!, 'cart-service'],
    [products.process.child.pid!, 'product-service'],
  ]);
  const setup = `${ADD_CONNECTIONS} connections closed-loop, ${ADD_SECONDS} s, ${ADD_CUSTOMERS.toLocaleString('en-US')} customers × items 1..3, qty 1`;
  const measure = 'POST /api/v1/add (cart-service: event store append + outbox, PostgreSQL)';
  if (ADD_WARMUP_SECONDS > 0) {
    say(`POST /api/v1/add: ${ADD_WARMUP_SECONDS} s warm-up`);
    await load(ADD_WARMUP_SECONDS * 1000);
  }
  if (!SKIP.has('add-node')) {
    say(`POST /api/v1/add: ${ADD_CONNECTIONS} connections for ${ADD_SECONDS} s from this process (fetch)`);
    const shares = startCpuShares(new Map([...named, [process.pid, 'load generator (this Node process)']]));
    const { latencies, failures, elapsed } = await load(ADD_SECONDS * 1000);
    const cpu = formatCpuShares(shares());
    const failed = [...failures].map(([status, n]) => `${n} × ${status}`).join(', ') || 'none';
    table.push({
      measure: `${measure}, load from Node's fetch`,
      value: formatNumber(latencies.length / elapsed),
      unit: 'commands/s',
      detail: `${setup}; ${latencies.length} accepted, non-200: ${failed}; p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ${cpu}`,
    });
  }
  say(`POST /api/v1/add: ${ADD_CONNECTIONS} connections for ${ADD_SECONDS} s from wrk`);
  ensureWrk();
  const wrkNamed = new Map(named);
  const shares = startCpuShares(wrkNamed);
  const result = await runWrk({
    url: `${cart.url}/api/v1/add`,
    connections: ADD_CONNECTIONS,
    seconds: ADD_SECONDS,
    bodyExpression: `string.format('{"customerId":"b%d","itemId":"%d","qty":1}', math.random(0, ${ADD_CUSTOMERS - 1}), math.random(1, 3))`,
    onStart: (pid) => wrkNamed.set(pid, 'wrk'),
  });
  const cpu = formatCpuShares(shares());
  addLoadFigures = { perSecond: result.perSecond, p99: result.p99 };
  table.push({
    measure: `${measure}, load from wrk`,
    value: formatNumber(result.perSecond),
    unit: 'commands/s',
    detail: `${setup}; ${result.requests} responses, status ≥ 400: ${result.failedStatus}, socket errors: ${result.socketErrors}; ${cpu}`,
  });
  for (const [p, value] of [
    [50, result.p50],
    [95, result.p95],
    [99, result.p99],
  ] as const) {
    table.push({ measure: `POST /api/v1/add latency p${p} (wrk)`, value: value.toFixed(1), unit: 'ms', detail: p === 99 ? `max ${result.max.toFixed(1)} ms` : '' });
  }
  await Promise.all([stop(cart.process), stop(products.process)]);
  if (profileDir) printProfile('cart-service under the add load', profileDir);
}

// ── 2. The aggregator on a backlog ────────────────────────────────────────────────────────────────

async function sumCommitted(admin: ReturnType<Kafka['admin']>, groupId: string, topic: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function endOffsets(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Progress {
  /** When the committed offsets reached the end. */
  done: number;
  /** When the first committed offset was seen, and how many were committed then. */
  firstAt: number;
  firstCommitted: number;
}

/** Polls the group's committed offsets every 200 ms until they reach `total`; fails if a watched process exits first. */
async function waitCommitted(groupId: string, topic: string, total: number, watched: RunningProcess[]): Promise<Progress> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = performance.now() + TIMEOUT_MS;
    let lastSay = performance.now();
    let firstAt = 0;
    let firstCommitted = 0;
    for (;;) {
      const committed = await sumCommitted(admin, groupId, topic);
      if (committed > 0 && firstAt === 0) {
        firstAt = performance.now();
        firstCommitted = committed;
      }
      if (committed >= total) return { done: performance.now(), firstAt, firstCommitted };
      const dead = watched.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead) throw new Error(`a process exited (${dead.child.exitCode ?? dead.child.signalCode}) at ${committed}/${total} committed`);
      if (performance.now() > deadline) throw new Error(`${groupId}: ${committed}/${total} committed after ${TIMEOUT_MS / 1000} s`);
      if (performance.now() - lastSay > 10_000) {
        say(`  ${groupId}: ${committed.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} committed`);
        lastSay = performance.now();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The rate once the first offsets were committed: start-up (process, table bootstrap, group join) left out. */
function steadyRate(total: number, p: Progress): string {
  const span = seconds(p.firstAt, p.done);
  return span > 0 && p.firstCommitted < total
    ? `${formatNumber((total - p.firstCommitted) / span)} events/s after the first commit (${span.toFixed(1)} s)`
    : 'too short for a rate after the first commit';
}

async function backlog(prefix: string): Promise<Map<string, ExpectedCart>> {
  await ensurePrefixedTopics(kafka, prefix);
  const start = performance.now();
  let next = 0;
  const expected = await produceBacklog(kafka, prefix, SIZE, (sent) => {
    if (sent >= next) {
      say(`  ${prefix}cart-events: ${sent.toLocaleString('en-US')} / ${SIZE.events.toLocaleString('en-US')} produced`);
      next += Math.max(100_000, SIZE.events / 10);
    }
  });
  say(`  backlog written in ${seconds(start).toFixed(1)} s`);
  return expected;
}

async function publishedCartDetails(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = /eventline_events_published_total\{topic="cart-details"\} (\d+)/.exec(text);
  return Number(match?.[1] ?? 0);
}

async function aggregatorRun(instances: number): Promise<{ prefix: string; expected: Map<string, ExpectedCart> }> {
  const prefix = newPrefix();
  say(
    `aggregator, ${instances} instance(s): producing ${SIZE.events.toLocaleString('en-US')} events over ${SIZE.customers.toLocaleString('en-US')} customers, ${SIZE.products.toLocaleString('en-US')} products to ${prefix}cart-events`,
  );
  const expected = await backlog(prefix);
  const total = await endOffsets(`${prefix}cart-events`);
  say(`aggregator, ${instances} instance(s): starting`);
  const start = performance.now();
  let readyAt = 0;
  const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'cart-aggregator-profile-')) : undefined;
  const services = await Promise.all(
    Array.from({ length: instances }, async () => {
      const service = await startService('cart-aggregator', common(prefix), profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
      readyAt = Math.max(readyAt, performance.now());
      return service;
    }),
  );
  const progress = await waitCommitted(
    `${prefix}cart-aggregator`,
    `${prefix}cart-events`,
    total,
    services.map((s) => s.process),
  );
  const outputs = (await Promise.all(services.map(publishedCartDetails))).reduce((a, b) => a + b, 0);
  await Promise.all(services.map((s) => stop(s.process)));
  if (profileDir) printProfile(`cart-aggregator, ${instances} instance(s), on the backlog`, profileDir);
  const elapsed = seconds(start, progress.done);
  table.push({
    measure: `cart-aggregator, ${instances} instance${instances > 1 ? 's' : ''} (kafkajs, exactly once: Kafka transactions)`,
    value: formatNumber(total / elapsed),
    unit: 'events/s',
    detail: `${total.toLocaleString('en-US')} events in ${elapsed.toFixed(1)} s from process start to all offsets committed (listening after ${seconds(start, readyAt).toFixed(1)} s; ${steadyRate(total, progress)}); ${outputs.toLocaleString('en-US')} CartDetails written (+ as many changelog records)`,
  });
  return { prefix, expected };
}

/**
 * State per partition: `instances` new aggregators on the 1-instance run's changelog (about as many
 * records as the backlog's events, compacted or not), one event per partition to make each handle a
 * batch; each restores only the changelog partitions of its cart-events partitions. The figure is
 * the slowest instance's restore (its own log: records read, carts held, milliseconds).
 */
async function restoreRun(prefix: string, instances: number): Promise<void> {
  say(`restore, ${instances} instance(s), on ${prefix}cart-aggregator.changelog`);
  const services = await Promise.all(Array.from({ length: instances }, () => startService('cart-aggregator', common(prefix))));
  try {
    const admin = kafka.admin();
    await admin.connect();
    await eventually(
      () => admin.describeGroups([`${prefix}cart-aggregator`]),
      (d) => d.groups[0]?.state === 'Stable' && d.groups[0]?.members.length === instances,
      { what: `${instances} instance(s) in the group`, timeoutMs: 120_000 },
    );
    await admin.disconnect();
    await producePerPartition(kafka, prefix, 3);
    const restores = await Promise.all(
      services.map(
        async (s) =>
          JSON.parse(await s.process.waitForLine(/"msg":"restored cart state from the changelog"/, TIMEOUT_MS)) as {
            partitions: number[];
            recordsRead: number;
            carts: number;
            ms: number;
          },
      ),
    );
    const slowest = Math.max(...restores.map((r) => r.ms));
    const records = restores.reduce((sum, r) => sum + r.recordsRead, 0);
    table.push({
      measure: `cart-aggregator restore after a rebalance, ${instances} instance${instances > 1 ? 's' : ''}`,
      value: (slowest / 1000).toFixed(1),
      unit: 's',
      detail: `the slowest instance's; ${records.toLocaleString('en-US')} changelog records in all; each: ${restores.map((r) => `partitions ${r.partitions.join('+')}: ${r.recordsRead.toLocaleString('en-US')} records, ${r.carts.toLocaleString('en-US')} carts, ${(r.ms / 1000).toFixed(1)} s`).join('; ')}`,
    });
  } finally {
    await Promise.all(services.map((s) => stop(s.process)));
  }
}

// ── 3. Rebuilding cart_view ───────────────────────────────────────────────────────────────────────

async function rebuild(prefix: string, expected: Map<string, ExpectedCart>): Promise<void> {
  const db = uniqueName('bench_cart_view');
  mongoDbs.push(db);
  say(`cart_view rebuild from ${prefix}cart-details into ${db}`);
  const start = performance.now();
  const replay = startTsProcess(join(__dirname, '..', 'services', 'cart-query', 'src', 'replay.ts'), { ...common(prefix), MONGO_URL: urls.mongo, MONGO_DB: db, LOG_LEVEL: 'warn' });
  running.add(replay);
  const line = await replay.waitForLine(/cart_view rebuilt/, TIMEOUT_MS);
  const elapsed = seconds(start);
  await replay.exited;
  running.delete(replay);
  const { carts } = JSON.parse(line) as { carts: number };
  const client = await new MongoClient(urls.mongo).connect();
  const docs = await client
    .db(db)
    .collection<{ _id: string; total: number; version: number }>('cart_view')
    .find({}, { projection: { total: 1, version: 1 } })
    .toArray();
  await client.close();
  const wrong = docs.filter((d) => expected.get(d._id)?.total !== d.total || expected.get(d._id)?.version !== d.version).length;
  const records = await endOffsets(`${prefix}cart-details`);
  table.push({
    measure: 'cart_view rebuild from cart-details (cart-query replay, FerretDB)',
    value: elapsed.toFixed(1),
    unit: 's',
    detail: `from replay process start to "cart_view rebuilt"; ${carts.toLocaleString('en-US')} carts from ${records.toLocaleString('en-US')} cart-details offsets (incl. transaction markers, ≈ ${formatNumber(records / elapsed)} records/s); ${carts === expected.size && wrong === 0 ? 'every cart equals the expected one' : `CHECK: ${expected.size} expected carts, ${wrong} differ`}`,
  });
  table.push({ measure: 'cart_view rebuild rate', value: formatNumber(carts / elapsed), unit: 'carts/s', detail: '' });
}

// ── 4. The Kafka Streams reference ────────────────────────────────────────────────────────────────

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** Builds the jar with Maven when it is missing or older than its sources (the Maven repository is cached). */
function buildStreamsJar(): void {
  const sources = Math.max(newestMtime(join(streamsDir, 'pom.xml')), newestMtime(join(streamsDir, 'src')));
  if (existsSync(streamsJar) && statSync(streamsJar).mtimeMs >= sources) return;
  say('building bench/kafka-streams (mvn package)');
  const result = spawnSync('mvn', ['-q', '-B', `-Dmaven.repo.local=${join(cacheDir, 'm2')}`, 'package'], { cwd: streamsDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`mvn package failed in bench/kafka-streams:\n${result.stdout}${result.stderr}`);
}

/** The Kafka Streams program as a child process, with the same handle as a TS process. */
function startJava(env: NodeJS.ProcessEnv): RunningProcess {
  return startProcess('java', ['-Xmx2g', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', streamsJar, 'dev.eventline.bench.CartStreams'], env);
}

/** The last JSON CartDetails per customer on the output topic, read_committed. */
async function readStreamsOutput(prefix: string, topic: string): Promise<{ carts: Map<string, { total: number; version: number }>; records: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > 0).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const carts = new Map<string, { total: number; version: number }>();
  let records = 0;
  const groupId = uniqueName(`${prefix}reader`);
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) if (m.key && m.value) carts.set(m.key.toString(), JSON.parse(m.value.toString()) as { total: number; version: number });
      records += batch.messages.length;
      // lastOffset() counts transaction markers too, which are never delivered as messages.
      const end = ends.get(batch.partition);
      if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
    },
  });
  await eventually(
    async () => ends.size,
    (n) => n === 0,
    { what: `all of ${topic} read`, timeoutMs: 300_000 },
  );
  await consumer.disconnect();
  return { carts, records };
}

async function streamsRun(prefix: string, threads: number, expected: Map<string, ExpectedCart>): Promise<void> {
  const applicationId = `${uniqueName(`${prefix}kstreams`)}`;
  const output = `${applicationId}.cart-details`;
  await ensurePrefixedTopics(kafka, prefix, [output]);
  const total = await endOffsets(`${prefix}cart-events`);
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-cart-kstreams-'));
  say(`Kafka Streams, ${threads} stream thread(s), application.id ${applicationId}`);
  const start = performance.now();
  const java = startJava({
    BOOTSTRAP_SERVERS: urls.kafka,
    SCHEMA_REGISTRY_URL: urls.registry,
    KAFKA_NAME_PREFIX: prefix,
    APPLICATION_ID: applicationId,
    OUTPUT_TOPIC: output,
    STREAM_THREADS: String(threads),
    STATE_DIR: stateDir,
  });
  running.add(java);
  let runningAt = 0;
  void java.waitForLine(/"state":"RUNNING"/, TIMEOUT_MS).then(
    () => (runningAt = performance.now()),
    () => undefined,
  );
  const progress = await waitCommitted(applicationId, `${prefix}cart-events`, total, [java]);
  await stop(java);
  rmSync(stateDir, { recursive: true, force: true });
  const elapsed = seconds(start, progress.done);
  const { carts, records } = await readStreamsOutput(prefix, output);
  const wrong = [...expected].filter(([id, cart]) => carts.get(id)?.total !== cart.total || carts.get(id)?.version !== cart.version).length;
  const unknown = /"unknownProducts":(\d+)/.exec(java.lines.join('\n'))?.[1] ?? '?';
  table.push({
    measure: `Kafka Streams 4.3.1 reference, 1 instance, ${threads} stream thread${threads > 1 ? 's' : ''} (exactly_once_v2, RocksDB store + changelog)`,
    value: formatNumber(total / elapsed),
    unit: 'events/s',
    detail: `${total.toLocaleString('en-US')} events in ${elapsed.toFixed(1)} s from JVM start to all offsets committed (RUNNING after ${runningAt ? seconds(start, runningAt).toFixed(1) : '?'} s; ${steadyRate(total, progress)}); ${records.toLocaleString('en-US')} CartDetails written as JSON (record cache on, commit every 100 ms); ${carts.size === expected.size && wrong === 0 ? 'every cart equals the expected one' : `CHECK: ${carts.size}/${expected.size} carts, ${wrong} differ`}; events skipped for unknown product: ${unknown}`,
  });
}

// ── the run ───────────────────────────────────────────────────────────────────────────────────────

async function cleanUp(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
  if (KEEP) return;
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch((e: unknown) => say(`deleting topics: ${String(e)}`));
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => prefixes.some((p) => g.startsWith(p)));
  for (const group of groups) await admin.deleteGroups([group]).catch((e: unknown) => say(`deleting group ${group}: ${String(e)}`));
  await admin.disconnect();
  const mongo = await new MongoClient(urls.mongo).connect();
  for (const db of mongoDbs)
    await mongo
      .db(db)
      .dropDatabase()
      .catch(() => undefined);
  await mongo.close();
  const pg = new Client({ connectionString: urls.postgres });
  await pg.connect();
  for (const db of databases) await pg.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch((e: unknown) => say(`dropping ${db}: ${String(e)}`));
  await pg.end();
}

async function main(): Promise<void> {
  const report = await registerAll(loadCatalog(), urls.registry);
  if (!report.ok) throw new Error('schemas could not be registered');
  if (!SKIP.has('streams')) buildStreamsJar();

  if (!SKIP.has('add')) await addLoad();
  let single: Awaited<ReturnType<typeof aggregatorRun>> | undefined;
  if (!SKIP.has('agg1')) single = await aggregatorRun(1);
  if (!SKIP.has('agg2')) await aggregatorRun(2);
  if (!SKIP.has('agg3')) await aggregatorRun(3);
  if (single && !SKIP.has('restore')) for (const instances of [1, 2, 3]) await restoreRun(single.prefix, instances);
  if (single && !SKIP.has('rebuild')) await rebuild(single.prefix, single.expected);
  if (!SKIP.has('streams')) {
    // On the 1-instance run's backlog (a fresh application.id each), or a backlog of its own.
    const source = single ?? { prefix: newPrefix(), expected: new Map<string, ExpectedCart>() };
    if (!single) source.expected = await backlog(source.prefix);
    for (const threads of STREAMS_THREADS) await streamsRun(source.prefix, threads, source.expected);
  }

  const machine = `${cpus().length} cores × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${javaVersion()}; everything on one machine: Kafka, registry, PostgreSQL, FerretDB on DocumentDB, the services and this load generator`;
  const backlogText = `${SIZE.events.toLocaleString('en-US')} cart-events over ${SIZE.customers.toLocaleString('en-US')} customers and ${SIZE.products.toLocaleString('en-US')} products, 3 partitions`;
  console.log(`\nEvent-sourced cart: write API, aggregation (backlog of ${backlogText}), read-model rebuild\n`);
  console.log(`Machine: ${machine}\n`);
  const header: Line = { measure: 'measure', value: 'value', unit: 'unit', detail: 'detail' };
  const keys = Object.keys(header) as (keyof Line)[];
  const widths = keys.map((k) => Math.max(...[header, ...table].map((r) => r[k].length)));
  const print = (r: Line) => console.log(`| ${keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')} |`);
  print(header);
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of table) print(r);
  // For `npm run bench`, which runs a short version of this one and reads its figures back.
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows: table, add: addLoadFigures }));
}

function javaVersion(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (/version "([^"]+)"/.exec(result.stderr)?.[0] ?? 'java ?').replace('version ', 'Java ').replace(/"/g, '');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping what this run started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main()
  .then(cleanUp, async (error: unknown) => {
    console.error(error);
    await cleanUp().catch(() => undefined);
    process.exitCode = 1;
  })
  .finally(() => process.exit(process.exitCode ?? 0));
