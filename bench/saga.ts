import { cpus, totalmem } from 'node:os';
import { MongoClient, ObjectId } from 'mongodb';
import { createDatabase, eventually, isolatedKafkaEnvironment, requestJson, startServiceProcess, uniqueName, urls, type ServiceProcess } from '@eventline/testkit';
import { formatNumber, percentile } from './lib/table';

/**
 * The order saga end to end: POST /order-service/orders → OrderPlaced (order-service's MongoDB
 * outbox) → product-service reserves stock → StockReserved → order APPROVED. Steady rates for a
 * fixed time each; latency is from sending the POST to the order read APPROVED in order-service's
 * MongoDB (polled every 50 ms by _id, so 50 ms resolution). Own processes, databases and topic prefix.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATES = (process.env.BENCH_RATES ?? '50,200,500').split(',').map(Number);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 120);

async function main(): Promise<void> {
  const { common } = await isolatedKafkaEnvironment();
  const env = { ...common, LOG_LEVEL: 'warn' };
  const mongoDb = uniqueName('bench_saga');
  const services: ServiceProcess[] = await Promise.all([
    startServiceProcess('user-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_users') }),
    startServiceProcess('product-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_product') }),
    startServiceProcess('order-service', { ...env, LOG_LEVEL: 'info', MONGO_URL: urls.mongo, MONGO_DB: mongoDb }),
  ]);
  const [, products, orders] = services;
  const product = await requestJson<{ id: number }>(`${products!.url}/product-service/products`, 'POST', { description: 'Bench item', price: 1, qtyAvailable: 2_000_000_000 });
  const productId = product.body.id;
  await eventually(
    () => requestJson(`${orders!.url}/order-service/orders`, 'POST', { userId: 1, productId, qty: 1 }),
    (r) => r.status === 201,
    { what: 'order-service knows the product', timeoutMs: 120_000 },
  );
  const client = await new MongoClient(urls.mongo).connect();
  const collection = client.db(mongoDb).collection('purchase_order');

  const rows: string[] = [];
  for (const rate of RATES) {
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
    const total = rate * SECONDS;
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const wait = start + (n * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const sent = Date.now();
      // Open loop: past what order-service takes, requests queue and time out; those are counted, not fatal.
      inFlight.push(
        requestJson<{ id: string }>(`${orders!.url}/order-service/orders`, 'POST', { userId: 1, productId, qty: 1 }).then(
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
    drainUntil = Date.now() + DRAIN_SECONDS * 1000;
    watching = false;
    await watcher;
    const elapsed = (Date.now() - start) / 1000;
    rows.push(
      `| ${rate} | ${formatNumber((total - failed) / offeredFor)} | ${failed} | ${formatNumber(latencies.length / elapsed)} | ${latencies.length} | ${rejected} | ${percentile(latencies, 50)} | ${percentile(latencies, 95)} | ${percentile(latencies, 99)} | ${sentAt.size} |`,
    );
  }

  console.log(
    `\nOrder saga, POST /order-service/orders → APPROVED (${SECONDS} s per rate; ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; everything on one machine)\n`,
  );
  console.log(
    `| offered orders/s | POSTs/s answered 201 | POSTs failed (connect timeout) | approved/s (until the last settled) | approved | rejected | p50 ms | p95 ms | p99 ms | still PENDING ${DRAIN_SECONDS} s after the last POST |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  await client.close();
  await Promise.all(services.map((s) => s.process.kill('SIGTERM')));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
