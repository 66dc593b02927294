import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createDatabase, isolatedKafkaEnvironment, startServiceProcess, type ServiceProcess } from '@eventline/testkit';
import { percentile, printMatrix } from './lib/table';
import { runScript } from './lib/script';

/**
 * A cart command's cost against the customer's history: POST /api/v1/add for customers with 10, 1,000
 * and 10,000 prior events, one request at a time through cart-service's HTTP API, side by side in one
 * run with the same service taking no snapshots (CART_SNAPSHOT_EVERY=0, every command folding the
 * whole stream: what it did before snapshots). The histories are written straight into the event
 * store as it writes them; each customer's first command is measured apart (the snapshotting
 * service takes its first snapshot of a long stream there). Rounds visit every customer in a new
 * random order, so the classes and the two services share the machine's noise alike.
 *
 *   npm run bench:cart-history   (BENCH_HISTORY_CUSTOMERS per class, BENCH_HISTORY_ROUNDS)
 */
export const HISTORY_CLASSES = [10, 1_000, 10_000] as const;
type HistoryClass = (typeof HISTORY_CLASSES)[number];
export type Mode = 'snapshots' | 'no snapshots';
export const MODES: Mode[] = ['snapshots', 'no snapshots'];

export interface HistoryOptions {
  customersPerClass: number;
  rounds: number;
}

export interface HistoryLatencies {
  /** ms per add after each customer's first, by mode and class. */
  steady: Record<Mode, Record<HistoryClass, number[]>>;
  /** ms of each customer's first add. */
  first: Record<Mode, Record<HistoryClass, number[]>>;
}

const byClass = (): Record<HistoryClass, number[]> => ({ 10: [], 1000: [], 10000: [] });

export async function cartHistory({ customersPerClass, rounds }: HistoryOptions): Promise<HistoryLatencies> {
  const { common } = await isolatedKafkaEnvironment();
  const databaseUrl = await createDatabase('bench_cart_history');
  const services: Record<Mode, ServiceProcess> = {
    snapshots: await startServiceProcess('cart-service', { ...common, DATABASE_URL: databaseUrl }),
    'no snapshots': await startServiceProcess('cart-service', { ...common, DATABASE_URL: databaseUrl, CART_SNAPSHOT_EVERY: '0' }),
  };
  const pool = new Pool({ connectionString: databaseUrl });
  try {
    await pool.query('INSERT INTO known_product (id, version) VALUES (1, 1) ON CONFLICT DO NOTHING');
    const customers: { mode: Mode; history: HistoryClass; id: string }[] = [];
    for (const mode of MODES) {
      for (const history of HISTORY_CLASSES) {
        for (let i = 0; i < customersPerClass; i++) customers.push({ mode, history, id: `h${history}-${randomUUID().slice(0, 8)}` });
      }
    }
    for (const { history, id } of customers) {
      await pool.query(
        `INSERT INTO events (stream_id, version, event_type, data)
         SELECT $1, n, 'CartItemAdded', jsonb_build_object('customerId', $2::text, 'cartId', $2::text || '-1', 'itemId', '1', 'qty', 1, 'version', n)
         FROM generate_series(1, $3::int) AS n`,
        [`cart-${id}`, id, history],
      );
    }
    await pool.query('ANALYZE events');
    const result: HistoryLatencies = { steady: { snapshots: byClass(), 'no snapshots': byClass() }, first: { snapshots: byClass(), 'no snapshots': byClass() } };
    const add = async ({ mode, id }: (typeof customers)[number]): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${services[mode].url}/api/v1/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: id, itemId: '1', qty: 1 }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`add for ${id} answered ${response.status}`);
      return performance.now() - started;
    };
    for (let round = 0; round <= rounds; round++) {
      for (const customer of shuffled(customers)) {
        const ms = await add(customer);
        (round === 0 ? result.first : result.steady)[customer.mode][customer.history].push(ms);
      }
    }
    return result;
  } finally {
    await pool.end();
    await Promise.all(Object.values(services).map((s) => s.process.kill('SIGTERM')));
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** p50 of a class's steady adds over the same mode's 10-event class: the cost history adds. */
export function historyRatio(latencies: HistoryLatencies, mode: Mode, history: HistoryClass): number {
  return percentile(latencies.steady[mode][history], 50) / percentile(latencies.steady[mode][10], 50);
}

export function printCartHistory(latencies: HistoryLatencies, options: HistoryOptions): void {
  const cell = (values: number[]) => `${percentile(values, 50).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`;
  printMatrix(
    `POST /api/v1/add by prior events, one request at a time, ms p50 / p99 (${options.customersPerClass} customers per class, ${options.rounds} adds each after the first)`,
    ['prior events', ...MODES.map((m) => `${m}: steady`), ...MODES.map((m) => `${m}: ÷ 10 prior (p50)`), ...MODES.map((m) => `${m}: first add`)],
    HISTORY_CLASSES.map((history) => [
      history.toLocaleString('en-US'),
      ...MODES.map((m) => cell(latencies.steady[m][history])),
      ...MODES.map((m) => historyRatio(latencies, m, history).toFixed(2)),
      ...MODES.map((m) => cell(latencies.first[m][history])),
    ]),
  );
}

if (require.main === module) {
  const options: HistoryOptions = {
    customersPerClass: Number(process.env.BENCH_HISTORY_CUSTOMERS ?? 10),
    rounds: Number(process.env.BENCH_HISTORY_ROUNDS ?? 30),
  };
  runScript(
    () => cartHistory(options),
    (result) => printCartHistory(result, options),
  );
}
