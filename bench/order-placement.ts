import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Collection, MongoClient } from 'mongodb';
import { Pool } from 'pg';
import { createDatabase, eventually, isolatedKafkaEnvironment, requestJson, startServiceProcess, uniqueName, urls } from '@eventline/testkit';
import { printProfile } from './lib/cpu-profile';
import { formatCpuShares, startCpuShares, type CpuShares } from './lib/cpu-share';
import { formatNumber, median, percentile, printMatrix } from './lib/table';
import { runWrk } from './lib/wrk';
import { runScript } from './lib/script';

/**
 * Seed 000's order placement, `POST /order-service/orders`, beside the floor of its engine in one
 * run: the same placement written straight with the driver (look the user and the product up in
 * the local copies, together, then insert the order document; no HTTP, no outbox, no idempotency) on
 * FerretDB, and the same shape on PostgreSQL with pg (two SELECTs together, one INSERT of the order
 * as jsonb). Closed loops at `connections` for `seconds` each, the three alternating, medians of
 * `runs`; ours is wrk against order-service, the floors run in this process. Each side's cores per
 * process are printed after it.
 *
 *   npm run bench:order-placement   (BENCH_ORDER_SECONDS, BENCH_ORDER_RUNS, BENCH_ORDER_CONNECTIONS;
 *   BENCH_CPU_PROF=1 runs order-service under `node --cpu-prof` and prints where its time went)
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export interface OrderPlacementOptions {
  seconds: number;
  runs: number;
  connections: number;
}

export interface Outcome {
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  /** The first failure's message, if any failed. */
  firstError?: string;
  shares: CpuShares;
}

export interface OrderPlacementResult {
  ours: Outcome[];
  ferretdb: Outcome[];
  postgres: Outcome[];
}

const USER = { _id: 1, name: 'Bench User', email: 'bench@example.com', version: 1 };
const PRODUCT = { description: 'Bench item', price: 1 };

/** `connections` loops of `place` for `seconds`. */
async function closedLoop(connections: number, seconds: number, named: Map<number, string>, place: (n: number) => Promise<void>): Promise<Outcome> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let n = 0;
  const stop = startCpuShares(named);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await place(n++);
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed, firstError, shares: stop() };
}

/** The placement's commands on FerretDB, as order-service issues them, without the service around them. */
function ferretdbPlacement(users: Collection, products: Collection, orders: Collection, productId: number) {
  return async () => {
    const [user, product] = await Promise.all([users.findOne({ _id: USER._id as never }), products.findOne({ _id: productId as never })]);
    if (!user || !product) throw new Error('local copy missing');
    await orders.insertOne({
      status: 'PENDING',
      user: { id: user._id, name: user.name, email: user.email },
      userVersion: user.version,
      lines: [{ productId, qty: 1, description: product.description, unitPrice: product.price }],
      createdAt: new Date(),
    });
  };
}

/** The same shape on PostgreSQL. */
async function postgresPlacement(pool: Pool, productId: number) {
  await pool.query('CREATE TABLE users_copy (id bigint PRIMARY KEY, name text, email text, version bigint)');
  await pool.query('CREATE TABLE products_copy (id bigint PRIMARY KEY, description text, price numeric)');
  await pool.query('CREATE TABLE purchase_order (id bigserial PRIMARY KEY, status text NOT NULL, document jsonb NOT NULL)');
  await pool.query('INSERT INTO users_copy VALUES ($1, $2, $3, $4)', [USER._id, USER.name, USER.email, USER.version]);
  await pool.query('INSERT INTO products_copy VALUES ($1, $2, $3)', [productId, PRODUCT.description, PRODUCT.price]);
  return async () => {
    const [user, product] = await Promise.all([
      pool.query('SELECT id, name, email, version FROM users_copy WHERE id = $1', [USER._id]),
      pool.query('SELECT description, price FROM products_copy WHERE id = $1', [productId]),
    ]);
    const u = user.rows[0];
    const p = product.rows[0];
    if (!u || !p) throw new Error('local copy missing');
    // Number(): bigint and numeric come back as strings, or as BigInt once Emmett's driver (`npm run
    // bench` runs it first in the same process) has set pg's global parser for int8, which JSON cannot hold.
    const document = {
      user: { id: Number(u.id), name: u.name, email: u.email },
      userVersion: Number(u.version),
      lines: [{ productId, qty: 1, description: p.description, unitPrice: Number(p.price) }],
    };
    await pool.query("INSERT INTO purchase_order (status, document) VALUES ('PENDING', $1)", [document]);
  };
}

export async function orderPlacement(options: OrderPlacementOptions): Promise<OrderPlacementResult> {
  const { common } = await isolatedKafkaEnvironment();
  const env = { ...common, LOG_LEVEL: 'warn' };
  const mongoDb = uniqueName('bench_orders');
  const profileDir = process.env.BENCH_CPU_PROF === '1' ? mkdtempSync(join(tmpdir(), 'order-placement-profile-')) : undefined;
  const [users, products, orders] = await Promise.all([
    startServiceProcess('user-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_order_users') }),
    startServiceProcess('product-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_order_products') }),
    startServiceProcess(
      'order-service',
      { ...env, LOG_LEVEL: 'info', MONGO_URL: urls.mongo, MONGO_DB: mongoDb },
      'main.ts',
      profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    ),
  ]);
  const mongo = await new MongoClient(urls.mongo, { maxPoolSize: options.connections }).connect();
  const pool = new Pool({ connectionString: await createDatabase('bench_order_floor'), max: options.connections });
  try {
    const product = await requestJson<{ id: number }>(`${products.url}/product-service/products`, 'POST', { ...PRODUCT, qtyAvailable: 2_000_000_000 });
    const productId = product.body.id;
    // order-service places against its local copies: wait until the product's reached them.
    await eventually(
      () => requestJson(`${orders.url}/order-service/orders`, 'POST', { userId: 1, productId, qty: 1 }),
      (r) => r.status === 201,
      { what: 'order-service knows the product', timeoutMs: 120_000 },
    );
    const placedOrders = mongo.db(mongoDb).collection('purchase_order');
    const floorDb = mongo.db(uniqueName('bench_order_floor'));
    const [userCopies, productCopies, floorOrders] = [floorDb.collection('users_v1'), floorDb.collection('products_v1'), floorDb.collection('purchase_order')];
    await userCopies.insertOne({ ...USER } as never);
    await productCopies.insertOne({ _id: productId as never, ...PRODUCT });
    const onFerretdb = ferretdbPlacement(userCopies, productCopies, floorOrders, productId);
    const onPostgres = await postgresPlacement(pool, productId);

    const named = new Map<number, string>([
      [orders.process.child.pid!, 'order-service'],
      [products.process.child.pid!, 'product-service'],
      [users.process.child.pid!, 'user-service'],
      [process.pid, 'this process (the floors’ driver)'],
    ]);
    const result: OrderPlacementResult = { ours: [], ferretdb: [], postgres: [] };
    const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);
    for (let run = 1; run <= options.runs; run++) {
      say(`order placement, run ${run} of ${options.runs}: order-service (wrk), then FerretDB and PostgreSQL directly`);
      const wrkNamed = new Map(named);
      const stop = startCpuShares(wrkNamed);
      const wrk = await runWrk({
        url: `${orders.url}/order-service/orders`,
        connections: options.connections,
        seconds: options.seconds,
        bodyExpression: `'{"userId":1,"productId":${productId},"qty":1}'`,
        onStart: (pid) => wrkNamed.set(pid, 'wrk'),
      });
      result.ours.push({ perSecond: wrk.perSecond, p50: wrk.p50, p99: wrk.p99, failed: wrk.failedStatus + wrk.socketErrors, shares: stop() });
      // The placed orders' sagas (product-service's reservations, order-service's transitions) run on
      // after the load; the floors are measured once they are done, not beside them.
      await eventually(
        () => placedOrders.countDocuments({ status: 'PENDING' }),
        (pending) => pending === 0,
        { what: 'every placed order through its saga', timeoutMs: 300_000, intervalMs: 500 },
      );
      result.ferretdb.push(await closedLoop(options.connections, options.seconds, named, onFerretdb));
      result.postgres.push(await closedLoop(options.connections, options.seconds, named, onPostgres));
    }
    return result;
  } finally {
    await mongo.close();
    await pool.end();
    await Promise.all([users, products, orders].map((s) => s.process.kill('SIGTERM')));
    // The profile spans the whole run: the floors' phases too, when order-service only finishes sagas.
    if (profileDir) printProfile('order-service through the placement runs', profileDir);
  }
}

export function printOrderPlacement(result: OrderPlacementResult, options: OrderPlacementOptions): void {
  const rates = (outcomes: Outcome[]) => outcomes.map((o) => o.perSecond);
  const floor = median(rates(result.ferretdb));
  const rows = [
    ['POST /order-service/orders (order-service, outbox in the document)', result.ours],
    ['the same placement with the driver on FerretDB (the floor)', result.ferretdb],
    ['the same shape with pg on PostgreSQL', result.postgres],
  ] as const;
  printMatrix(
    `Order placement, ${options.connections} connections, ${options.seconds} s per side, medians of ${options.runs} (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version})`,
    ['what', 'orders/s', 'spread', 'p50 ms', 'p99 ms', 'failed', 'vs FerretDB floor'],
    rows.map(([what, outcomes]) => {
      const r = rates(outcomes);
      return [
        what,
        formatNumber(median(r)),
        `${formatNumber(Math.min(...r))}–${formatNumber(Math.max(...r))}`,
        median(outcomes.map((o) => o.p50)).toFixed(1),
        median(outcomes.map((o) => o.p99)).toFixed(1),
        String(outcomes.reduce((sum, o) => sum + o.failed, 0)),
        (median(r) / floor).toFixed(2),
      ];
    }),
  );
  for (const [what, outcomes] of rows) console.log(`${what}, last run: ${formatCpuShares(outcomes[outcomes.length - 1]!.shares)}`);
  for (const [what, outcomes] of rows) {
    const firstError = outcomes.find((o) => o.firstError)?.firstError;
    if (firstError) console.log(`${what}: failed, first with: ${firstError}`);
  }
}

if (require.main === module) {
  const options = { seconds: num('BENCH_ORDER_SECONDS', 15), runs: num('BENCH_ORDER_RUNS', 3), connections: num('BENCH_ORDER_CONNECTIONS', 16) };
  runScript(
    () => orderPlacement(options),
    (result) => printOrderPlacement(result, options),
  );
}
