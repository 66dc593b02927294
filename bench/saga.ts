import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import {
  clientTraceparent,
  createDatabase,
  eventually,
  isolatedKafkaEnvironment,
  requestJson,
  startServiceProcess,
  storedTrace,
  TRACING_ENV,
  uniqueName,
  urls,
  type ServiceProcess,
} from '@eventline/testkit';
import { formatCpuShares, startCpuShares, type CpuShares } from './lib/cpu-share';
import { printProfile } from './lib/cpu-profile';
import { SAGA_HOPS, sagaHops, type SagaHop } from './lib/saga-hops';
import { formatNumber, percentile, printMatrix } from './lib/table';
import { runScript } from './lib/script';

/**
 * The order saga end to end: POST /order-service/orders → OrderPlaced (order-service's MongoDB
 * outbox) → product-service reserves stock → StockReserved → order APPROVED. Steady rates for a
 * fixed time each; latency is from sending the POST to the order read APPROVED in order-service's
 * MongoDB (polled every 50 ms by _id, so 50 ms resolution). Own processes, databases and topic prefix.
 *
 * Per hop: the services trace only what a client samples (parentbased_always_off), and one order in
 * `traceEvery` at the first rate carries a sampled traceparent; their traces, read back from the
 * local Zipkin (through the Collector), say where the time between the POST and the approval goes.
 * The cores each process used are kept per rate; `cpuProfile` runs order-service and product-service
 * under `node --cpu-prof` and prints their profiles.
 *
 *   npm run bench:saga   (BENCH_SECONDS, BENCH_RATES, BENCH_DRAIN_SECONDS, BENCH_TRACE_EVERY, BENCH_CPU_PROF=1)
 */
export interface SagaOptions {
  /** Offered orders/s, one phase each, in this order (a rate may repeat: `npm run bench` runs each goal's rate once per run). */
  rates: number[];
  seconds: number;
  /** How long after the last POST an order may still settle before it counts as left PENDING. */
  drainSeconds: number;
  /** One order in this many at the first rate is traced; 0 traces none. */
  traceEvery: number;
  cpuProfile: boolean;
}

export interface SagaPhase {
  rate: number;
  answeredPerSecond: number;
  /** POSTs that failed to connect or timed out (open loop: counted, not retried). */
  failed: number;
  /** Approved per second from the first POST until the last order settled. */
  approvedPerSecond: number;
  approved: number;
  rejected: number;
  /** POST sent → read APPROVED, ms. */
  latencies: number[];
  pending: number;
  shares: CpuShares;
}

export interface SagaResult {
  phases: SagaPhase[];
  hops?: { rows: string[][]; complete: number; sampled: number; rate: number };
}

/** Each hop's p50, p95 and p99 over the traced orders whose traces are complete in Zipkin (waits for them up to a minute). */
async function hopTable(traceIds: string[]): Promise<{ rows: string[][]; complete: number }> {
  const hops = new Map<string, Map<SagaHop, number>>();
  const deadline = Date.now() + 60_000;
  while (hops.size < traceIds.length && Date.now() < deadline) {
    for (const traceId of traceIds.filter((id) => !hops.has(id))) {
      const found = sagaHops(await storedTrace(traceId));
      if (found) hops.set(traceId, found);
    }
    if (hops.size < traceIds.length) await new Promise((r) => setTimeout(r, 1000));
  }
  const all = [...hops.values()];
  const totals = all.map((h) => [...h.values()].reduce((a, b) => a + b, 0));
  const row = (name: string, values: number[]) => [name, ...[50, 95, 99].map((p) => formatNumber(percentile(values, p)))];
  return {
    rows: [
      ...SAGA_HOPS.map((hop) =>
        row(
          hop,
          all.map((h) => h.get(hop)!),
        ),
      ),
      row('POST sent by the server → approval committed (sum)', totals),
    ],
    complete: all.length,
  };
}

export async function sagaRun(options: SagaOptions): Promise<SagaResult> {
  const { common } = await isolatedKafkaEnvironment();
  const env = { ...common, ...(options.traceEvery > 0 ? TRACING_ENV : {}), OTEL_TRACES_SAMPLER: 'parentbased_always_off', LOG_LEVEL: 'warn' };
  const mongoDb = uniqueName('bench_saga');
  const profileDir = (name: string) => (options.cpuProfile ? mkdtempSync(join(tmpdir(), `saga-${name}-profile-`)) : undefined);
  const profiles = { 'product-service': profileDir('product-service'), 'order-service': profileDir('order-service') };
  const profiled = (dir: string | undefined) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  const services: ServiceProcess[] = [];
  const client = new MongoClient(urls.mongo);
  const result: SagaResult = { phases: [] };
  try {
    services.push(
      ...(await Promise.all([
        startServiceProcess('user-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_users') }),
        startServiceProcess(
          'product-service',
          { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_product') },
          'main.ts',
          profiled(profiles['product-service']),
        ),
        startServiceProcess('order-service', { ...env, LOG_LEVEL: 'info', MONGO_URL: urls.mongo, MONGO_DB: mongoDb }, 'main.ts', profiled(profiles['order-service'])),
      ])),
    );
    const named = new Map(['user-service', 'product-service', 'order-service'].map((name, i) => [services[i]!.process.child.pid!, name]));
    const [, products, orders] = services;
    const product = await requestJson<{ id: number }>(`${products!.url}/product-service/products`, 'POST', {
      description: 'Bench item',
      price: 1,
      qtyAvailable: 2_000_000_000,
    });
    const productId = product.body.id;
    await eventually(
      () => requestJson(`${orders!.url}/order-service/orders`, 'POST', { userId: 1, productId, qty: 1 }),
      (r) => r.status === 201,
      { what: 'order-service knows the product', timeoutMs: 120_000 },
    );
    const collection = (await client.connect()).db(mongoDb).collection('purchase_order');

    for (const [rateIndex, rate] of options.rates.entries()) {
      const traced: string[] = [];
      const cpuShares = startCpuShares(named);
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      let rejected = 0;
      let failed = 0;
      let watching = true;
      let drainUntil = Number.MAX_SAFE_INTEGER;
      const watcher = (async () => {
        while (watching || sentAt.size > 0) {
          const ids = [...sentAt.keys()].slice(0, 500).map((id) => new ObjectId(id));
          if (ids.length > 0) {
            const settled = await collection.find({ _id: { $in: ids }, status: { $ne: 'PENDING' } }, { projection: { status: 1 } }).toArray();
            const now = Date.now();
            for (const o of settled) {
              const id = o._id.toHexString();
              if (o.status === 'APPROVED') latencies.push(now - sentAt.get(id)!);
              else rejected++;
              sentAt.delete(id);
            }
          }
          if (!watching && Date.now() > drainUntil) break;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const start = Date.now();
      const total = rate * options.seconds;
      const inFlight: Promise<void>[] = [];
      for (let n = 0; n < total; n++) {
        const wait = start + (n * 1000) / rate - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = Date.now();
        const trace = options.traceEvery > 0 && rateIndex === 0 && n % options.traceEvery === 0 ? clientTraceparent() : undefined;
        if (trace) traced.push(trace.traceId);
        // Open loop: past what order-service takes, requests queue and time out; those are counted, not fatal.
        inFlight.push(
          // A traceparent makes it an order the services trace.
          requestJson<{ id: string }>(`${orders!.url}/order-service/orders`, 'POST', { userId: 1, productId, qty: 1 }, trace ? { traceparent: trace.header } : {}).then(
            (r) => {
              if (r.status !== 201) throw new Error(`order refused: ${JSON.stringify(r)}`);
              sentAt.set(r.body.id, sent);
            },
            () => void failed++,
          ),
        );
        if (inFlight.length > 2000) await Promise.all(inFlight.splice(0, 1000));
      }
      await Promise.all(inFlight);
      const offeredFor = (Date.now() - start) / 1000;
      drainUntil = Date.now() + options.drainSeconds * 1000;
      watching = false;
      await watcher;
      const shares = cpuShares();
      const elapsed = (Date.now() - start) / 1000;
      if (traced.length > 0) result.hops = { ...(await hopTable(traced)), sampled: traced.length, rate };
      result.phases.push({
        rate,
        answeredPerSecond: (total - failed) / offeredFor,
        failed,
        approvedPerSecond: latencies.length / elapsed,
        approved: latencies.length,
        rejected,
        latencies,
        pending: sentAt.size,
        shares,
      });
    }
  } finally {
    await client.close();
    await Promise.all(services.map((s) => s.process.kill('SIGTERM')));
  }
  for (const [name, dir] of Object.entries(profiles)) if (dir) printProfile(`${name} through the saga`, dir);
  return result;
}

export function printSaga(result: SagaResult, options: SagaOptions): void {
  console.log(
    `\nOrder saga, POST /order-service/orders → APPROVED (${options.seconds} s per rate; ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; everything on one machine)\n`,
  );
  console.log(
    `| offered orders/s | POSTs/s answered 201 | POSTs failed (connect timeout) | approved/s (until the last settled) | approved | rejected | p50 ms | p95 ms | p99 ms | still PENDING ${options.drainSeconds} s after the last POST |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of result.phases) {
    const at = (q: number) => percentile(p.latencies, q);
    console.log(
      `| ${p.rate} | ${formatNumber(p.answeredPerSecond)} | ${p.failed} | ${formatNumber(p.approvedPerSecond)} | ${p.approved} | ${p.rejected} | ${at(50)} | ${at(95)} | ${at(99)} | ${p.pending} |`,
    );
  }
  console.log(
    `\nCores per process over each rate (its sending and its drain):\n\n${result.phases.map((p) => `- ${p.rate} orders/s offered: ${formatCpuShares(p.shares)}`).join('\n')}`,
  );
  const hops = result.hops;
  if (hops) {
    printMatrix(
      `Where an order's saga spends its time at ${hops.rate} orders/s offered: ${hops.complete} of ${hops.sampled} traced orders (one in ${options.traceEvery}) complete in Zipkin, ms`,
      ['hop', 'p50', 'p95', 'p99'],
      hops.rows,
    );
  }
}

if (require.main === module) {
  const options: SagaOptions = {
    seconds: Number(process.env.BENCH_SECONDS ?? 60),
    rates: (process.env.BENCH_RATES ?? '50,200,500').split(',').map(Number),
    drainSeconds: Number(process.env.BENCH_DRAIN_SECONDS ?? 120),
    traceEvery: Number(process.env.BENCH_TRACE_EVERY ?? 10),
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
  };
  runScript(
    () => sagaRun(options),
    (result) => printSaga(result, options),
  );
}
