import { cpus, totalmem } from 'node:os';
import { MongoClient, ObjectId } from 'mongodb';
import { registerAll, loadCatalog } from '@eventline/avro';
import { createDatabase, eventually, requestJson, startServiceProcess, uniqueName, urls, type ServiceProcess } from '@eventline/testkit';
import { formatCpuShares, startCpuShares, type CpuShares } from './lib/cpu-share';
import { formatNumber, percentile } from './lib/table';
import { runScript } from './lib/script';

/**
 * Propagation latency of event-carried state transfer: from `PUT /user-service/update` returning to
 * the new email being inside that user's purchase orders in order-service, at steady rates, with
 * 10,000 users and 50,000 orders in place; then a ramp for the rate the pipeline keeps up with.
 * Starts its own user-, product- and order-service processes (isolated databases and topic prefix)
 * on the running infra. Visibility is checked in order-service's MongoDB every 50 ms on one order of
 * each pending user, read by _id (the data GET /order-service/all serves; every order of the user is
 * changed by the same updateMany), so latencies have a 50 ms resolution.
 *
 * Last, the pipeline saturated beside its floor: closed-loop PUTs at BENCH_SATURATE_CONNECTIONS for
 * BENCH_SATURATE_SECONDS, counted until every one is visible in the orders, then the same change
 * written straight with the driver on FerretDB (the user's copy, version-guarded, then its orders'
 * updateMany; no HTTP, no PostgreSQL, no outbox, no Kafka) at as many loops: updates/s each, and ours
 * over the floor. The floor runs last, since its versions are ahead of user-service's.
 */
export interface EcstOptions {
  users: number;
  orders: number;
  seconds: number;
  /** Steady offered updates/s, one phase each (a rate may repeat: `npm run bench` runs 300/s once per run). */
  rates: number[];
  /** 20 s steps after the steady phases; empty for none. */
  ramp: number[];
  pollMs: number;
  drainSeconds: number;
  /** 0 skips the saturated phase and its floor. */
  saturateSeconds: number;
  saturateConnections: number;
}

export interface EcstSteady {
  rate: number;
  achieved: number;
  /** PUT returned → new email in the user's orders, ms. */
  latencies: number[];
  left: number;
  /** Cores per process over the phase and its drain. */
  shares: CpuShares;
}

export interface EcstResult {
  steady: EcstSteady[];
  ramp: { rate: number; achieved: number; backlogAtEnd: number; left: number; drainSeconds: number; latencies: number[] }[];
  saturated?: { put: number; putPerSecond: number; visible: number; invisible: number; propagatedPerSecond: number; floorDone: number; floorPerSecond: number };
}

interface Pending {
  userId: number;
  email: string;
  returnedAt: number;
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function ecstRun(options: EcstOptions): Promise<EcstResult> {
  const { users: USERS, orders: ORDERS, seconds: SECONDS, rates: RATES, ramp: RAMP, pollMs: POLL_MS, drainSeconds: DRAIN_SECONDS } = options;
  const { saturateSeconds: SATURATE_SECONDS, saturateConnections: SATURATE_CONNECTIONS } = options;
  const report = await registerAll(loadCatalog(), urls.registry);
  if (!report.ok) throw new Error('schemas could not be registered');
  const prefix = `${uniqueName('bench')}.`;
  const common = { KAFKA_BROKERS: urls.kafka, SCHEMA_REGISTRY_URL: urls.registry, KAFKA_NAME_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const mongoDb = uniqueName('bench_orders');
  const services: ServiceProcess[] = await Promise.all([
    startServiceProcess('user-service', { ...common, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_users') }),
    startServiceProcess('product-service', { ...common, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_product') }),
    startServiceProcess('order-service', { ...common, LOG_LEVEL: 'info', MONGO_URL: urls.mongo, MONGO_DB: mongoDb }),
  ]);
  const [users] = services;
  const named = new Map(['user-service', 'product-service', 'order-service'].map((name, i) => [services[i]!.process.child.pid!, name]));
  const client = await new MongoClient(urls.mongo).connect();
  const db = client.db(mongoDb);
  const orders = db.collection('purchase_order');

  console.error(`creating ${USERS} users through the API`);
  await inParallel(
    Array.from({ length: USERS - 4 }, (_, i) => i),
    16,
    async (i) => {
      const r = await requestJson(`${users!.url}/user-service/users`, 'POST', { firstname: `First${i}`, lastname: `Last${i}`, email: `user${i}@example.com` });
      if (r.status !== 201) throw new Error(`create failed: ${JSON.stringify(r)}`);
    },
  );
  await eventually(
    async () => db.collection('users_v1').countDocuments(),
    (n) => n >= USERS,
    { timeoutMs: 600_000, what: 'order-service copies of every user' },
  );

  console.error(`writing ${ORDERS} purchase orders (the shape POST /order-service/orders stores)`);
  const copies = await db.collection<{ _id: number; firstname: string; lastname: string; email: string; version: number }>('users_v1').find().toArray();
  // One order per user is the probe the watcher reads by _id (the others are updated by the same updateMany).
  const probeOrder = new Map<number, ObjectId>();
  for (let from = 0; from < ORDERS; from += 5000) {
    await orders.insertMany(
      Array.from({ length: Math.min(5000, ORDERS - from) }, (_, i) => {
        const u = copies[(from + i) % copies.length]!;
        const _id = new ObjectId();
        if (!probeOrder.has(u._id)) probeOrder.set(u._id, _id);
        return {
          _id,
          user: { id: u._id, firstname: u.firstname, lastname: u.lastname, email: u.email },
          product: { id: 1, description: 'IPad' },
          qty: 1,
          price: 300,
          status: 'PENDING',
          userVersion: u.version,
          createdAt: new Date(),
        };
      }),
    );
  }

  let sequence = 0;
  const pending = new Map<string, Pending>();
  const latencies: number[] = [];
  let lastVisibleAt = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const batch = [...pending.values()];
      if (batch.length > 0) {
        const ids = [...new Set(batch.map((p) => probeOrder.get(p.userId)!))];
        const seen = await orders.find({ _id: { $in: ids } }, { projection: { 'user.email': 1 } }).toArray();
        const emails = new Set(seen.map((o) => (o as unknown as { user: { email: string } }).user.email));
        const now = Date.now();
        for (const p of batch) {
          if (emails.has(p.email)) {
            latencies.push(now - p.returnedAt);
            lastVisibleAt = now;
            pending.delete(p.email);
            // An older update of the same user that was never seen on its own was superseded, not lost.
            for (const older of batch) if (older.userId === p.userId && older.returnedAt < p.returnedAt) pending.delete(older.email);
          }
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  /** Sends updates at `rate`/s for `seconds`; returns the achieved rate. */
  async function load(rate: number, seconds: number): Promise<number> {
    const start = Date.now();
    const total = rate * seconds;
    let sent = 0;
    const inFlight: Promise<void>[] = [];
    while (sent < total) {
      const due = start + (sent * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Round-robin over the created users (1..4 are the seed), so one user's updates are far apart.
      const userId = 5 + (sequence % (USERS - 4));
      const email = `u${userId}-${++sequence}@example.com`;
      inFlight.push(
        requestJson(`${users!.url}/user-service/update`, 'PUT', { id: userId, firstname: `First${userId - 5}`, lastname: `Last${userId - 5}`, email }).then((r) => {
          if (r.status !== 200) throw new Error(`update failed: ${JSON.stringify(r)}`);
          pending.set(email, { userId, email, returnedAt: Date.now() });
        }),
      );
      sent++;
      if (inFlight.length > 2000) await Promise.all(inFlight.splice(0, 1000));
    }
    await Promise.all(inFlight);
    return total / ((Date.now() - start) / 1000);
  }

  async function drain(timeoutMs: number): Promise<number> {
    const start = Date.now();
    while (pending.size > 0 && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 50));
    return pending.size;
  }

  const result: EcstResult = { steady: [], ramp: [] };
  for (const rate of RATES) {
    latencies.length = 0;
    const cpuShares = startCpuShares(named);
    const achieved = await load(rate, SECONDS);
    const left = await drain(DRAIN_SECONDS * 1000);
    result.steady.push({ rate, achieved, latencies: [...latencies], left, shares: cpuShares() });
  }

  for (const rate of RAMP) {
    latencies.length = 0;
    const achieved = await load(rate, 20);
    const backlogAtEnd = pending.size;
    const drainStart = Date.now();
    const left = await drain(60_000);
    result.ramp.push({ rate, achieved, backlogAtEnd, left, drainSeconds: (Date.now() - drainStart) / 1000, latencies: [...latencies] });
  }

  /** `connections` closed loops of `update` for `seconds`; returns how many were done. */
  async function closedLoop(seconds: number, update: () => Promise<void>): Promise<number> {
    const deadline = Date.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: SATURATE_CONNECTIONS }, async () => {
        while (Date.now() < deadline) {
          await update();
          done++;
        }
      }),
    );
    return done;
  }
  const nextUpdate = () => {
    const userId = 5 + (sequence % (USERS - 4));
    return { userId, email: `u${userId}-${++sequence}@example.com` };
  };

  if (SATURATE_SECONDS > 0) {
    latencies.length = 0;
    const saturatedFrom = Date.now();
    const put = await closedLoop(SATURATE_SECONDS, async () => {
      const { userId, email } = nextUpdate();
      const r = await requestJson(`${users!.url}/user-service/update`, 'PUT', { id: userId, firstname: `First${userId - 5}`, lastname: `Last${userId - 5}`, email });
      if (r.status !== 200) throw new Error(`update failed: ${JSON.stringify(r)}`);
      pending.set(email, { userId, email, returnedAt: Date.now() });
    });
    const putFor = (Date.now() - saturatedFrom) / 1000;
    const invisible = await drain(DRAIN_SECONDS * 1000);
    const propagatedPerSecond = latencies.length / ((lastVisibleAt - saturatedFrom) / 1000);
    const visible = latencies.length;

    // The floor: the same change with the driver, straight into order-service's collections.
    const copiesOfUsers = db.collection<{ _id: number; version: number; email: string }>('users_v1');
    let floorVersion = Date.now() * 1000;
    const floorDone = await closedLoop(SATURATE_SECONDS, async () => {
      const { userId, email } = nextUpdate();
      const version = ++floorVersion;
      await copiesOfUsers.updateOne({ _id: userId, version: { $lt: version } }, { $set: { email, version } }, { upsert: true });
      await orders.updateMany({ 'user.id': userId, userVersion: { $lt: version } }, { $set: { 'user.email': email, userVersion: version } });
    });
    const floorPerSecond = floorDone / SATURATE_SECONDS;
    result.saturated = { put, putPerSecond: put / putFor, visible, invisible, propagatedPerSecond, floorDone, floorPerSecond };
  }
  watching = false;
  await watcher;
  await client.close();
  await Promise.all(services.map((s) => s.process.kill('SIGTERM')));
  return result;
}

export function printEcst(result: EcstResult, options: EcstOptions): void {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; Kafka, PostgreSQL, FerretDB on DocumentDB, registry and the three services on the same machine`;
  console.log(
    `\nECST propagation, PUT /user-service/update returned → new email in the user's orders (${options.users} users, ${options.orders} orders, ${options.seconds} s per rate; ${machine})\n`,
  );
  console.log(`| target updates/s | achieved | updates measured | p50 ms | p95 ms | p99 ms | max ms | not visible ${options.drainSeconds} s after the last update |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { rate, achieved, latencies, left } of result.steady) {
    const at = (q: number) => percentile(latencies, q);
    console.log(`| ${rate} | ${formatNumber(achieved)} | ${latencies.length} | ${at(50)} | ${at(95)} | ${at(99)} | ${at(100)} | ${left} |`);
  }
  console.log(
    `\nCores per process over each steady rate (its sending and its drain):\n\n${result.steady.map((p) => `- ${p.rate} updates/s: ${formatCpuShares(p.shares)}`).join('\n')}`,
  );
  if (result.ramp.length > 0) {
    console.log('\nRamp, 20 s per step: the rate the pipeline absorbs is the highest step whose backlog drains at once\n');
    console.log('| offered updates/s | achieved | invisible at end of step | drain s | p50 ms | p99 ms |');
    console.log('|---|---|---|---|---|---|');
    for (const step of result.ramp) {
      const drained = step.left === 0 ? step.drainSeconds.toFixed(1) : `> 60 (${step.left} left)`;
      console.log(`| ${step.rate} | ${formatNumber(step.achieved)} | ${step.backlogAtEnd} | ${drained} | ${percentile(step.latencies, 50)} | ${percentile(step.latencies, 99)} |`);
    }
  }
  const saturated = result.saturated;
  if (saturated) {
    const { put, putPerSecond, visible, invisible, propagatedPerSecond, floorDone, floorPerSecond } = saturated;
    console.log(`\nSaturated, ${options.saturateConnections} closed loops for ${options.saturateSeconds} s, beside the same change written straight with the driver on FerretDB\n`);
    console.log('| what | updates | updates/s | vs the floor |');
    console.log('|---|---|---|---|');
    console.log(`| PUT /user-service/update answered | ${put} | ${formatNumber(putPerSecond)} | ${(putPerSecond / floorPerSecond).toFixed(2)} |`);
    console.log(
      `| … visible in every order of the user (ECST: outbox, Kafka, order-service's batch) | ${visible}${invisible > 0 ? ` (${invisible} not within ${options.drainSeconds} s)` : ''} | ${formatNumber(propagatedPerSecond)} | ${(propagatedPerSecond / floorPerSecond).toFixed(2)} |`,
    );
    console.log(`| the user's copy and its orders' updateMany with the driver (the floor) | ${floorDone} | ${formatNumber(floorPerSecond)} | 1.00 |`);
  }
}

if (require.main === module) {
  const options: EcstOptions = {
    users: Number(process.env.BENCH_USERS ?? 10_000),
    orders: Number(process.env.BENCH_ORDERS ?? 50_000),
    seconds: Number(process.env.BENCH_SECONDS ?? 60),
    rates: (process.env.BENCH_RATES ?? '100,500').split(',').map(Number),
    ramp: (process.env.BENCH_RAMP ?? '10,20,40,80').split(',').filter(Boolean).map(Number),
    pollMs: Number(process.env.BENCH_POLL_MS ?? 50),
    drainSeconds: Number(process.env.BENCH_DRAIN_SECONDS ?? 120),
    saturateSeconds: Number(process.env.BENCH_SATURATE_SECONDS ?? 20),
    saturateConnections: Number(process.env.BENCH_SATURATE_CONNECTIONS ?? 16),
  };
  runScript(
    () => ecstRun(options),
    (result) => printEcst(result, options),
  );
}
