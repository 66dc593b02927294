import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { commandPath, printCommandPath } from './command-path';
import { brokerCeiling, consumerThroughput, relayThroughput } from './kit';
import { median, printMatrix, printTable, type Row } from './lib/table';

/**
 * `npm run bench`: the short version of every throughput benchmark in one run, printed as one table
 * of ratios against the goals (our figure over the reference measured in the same run, or
 * over a fixed target). Each figure here is one short run; the README keeps the full tables (medians
 * of 3 at full size, `npm run bench:kit`, `bench:cart`, `bench:command-path`). Needs the infra up.
 */
interface Goal {
  goal: string;
  ours: string;
  reference: string;
  ratio: number;
  wanted: number;
}

const value = (r: Row | undefined): number => median(r?.samples ?? [NaN]);
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

/** bench/cart.ts in a short configuration, its figures read back from the JSON it writes. */
function cartBench(): { aggregator: number; streams: number; addPerSecond: number; addP99: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  const file = join(dir, 'cart.json');
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'cart.ts')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        BENCH_JSON: file,
        BENCH_SKIP: 'agg2,rebuild',
        BENCH_EVENTS: process.env.BENCH_QUICK_CART_EVENTS ?? '200000',
        BENCH_CUSTOMERS: '20000',
        BENCH_STREAMS_THREADS: '1',
        BENCH_ADD_SECONDS: '15',
        BENCH_ADD_WARMUP_SECONDS: '3',
      },
    });
    if (result.status !== 0) throw new Error(`bench/cart.ts failed (exit ${result.status})`);
    const { rows, add } = JSON.parse(readFileSync(file, 'utf8')) as { rows: { measure: string; value: string }[]; add?: { perSecond: number; p99: number } };
    const rate = (prefix: string) => Number(rows.find((r) => r.measure.startsWith(prefix))?.value.replace(/,/g, '') ?? NaN);
    return { aggregator: rate('cart-aggregator, 1 instance'), streams: rate('Kafka Streams'), addPerSecond: add?.perSecond ?? NaN, addP99: add?.p99 ?? NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  say('broker ceiling (Kafka perf tools), 200,000 records');
  const [producerPerf] = await brokerCeiling(200_000);
  say('outbox relay, 1 process, 2 rounds in flight');
  const relay = await relayThroughput(1, 2);
  say('idempotent consumer into PostgreSQL, batched');
  const consumer = await consumerThroughput('postgres-batch');
  say('command path beside Emmett, 32 loops, 8 s each');
  const commandOptions = { seconds: 8, runs: 1, connections: 32, carts: 10_000 };
  const commands = await commandPath(commandOptions);
  say('cart: POST /api/v1/add at 32 connections, cart-aggregator beside Kafka Streams');
  const cart = cartBench();

  printTable('Kit figures of this run (one run each)', [producerPerf!, relay, consumer]);
  printCommandPath(commands, commandOptions);

  const ours = commands.find((c) => c.name.includes('outbox'));
  const emmett = commands.find((c) => c.name.startsWith('Emmett'));
  const goals: Goal[] = [
    { goal: 'outbox relay ≥ 0.5 × kafka-producer-perf-test', ours: `${fmt(value(relay))} events/s`, reference: `${fmt(value(producerPerf))} records/s`, ratio: value(relay) / value(producerPerf), wanted: 0.5 },
    { goal: 'idempotent consumer into PostgreSQL ≥ 20,000 events/s', ours: `${fmt(value(consumer))} events/s`, reference: '20,000 events/s (target)', ratio: value(consumer) / 20_000, wanted: 1 },
    { goal: 'cart-aggregator ≥ 1.0 × Kafka Streams (both exactly once)', ours: `${fmt(cart.aggregator)} events/s`, reference: `${fmt(cart.streams)} events/s`, ratio: cart.aggregator / cart.streams, wanted: 1 },
    { goal: 'cart command path ≥ 1.0 × Emmett (below HTTP, 32 loops)', ours: `${fmt(median(ours?.perSecond ?? [NaN]))} commands/s (with outbox)`, reference: `${fmt(median(emmett?.perSecond ?? [NaN]))} commands/s (no outbox)`, ratio: median(ours?.perSecond ?? [NaN]) / median(emmett?.perSecond ?? [NaN]), wanted: 1 },
    { goal: 'POST /api/v1/add ≥ 5,000 commands/s at 32 connections', ours: `${fmt(cart.addPerSecond)} commands/s`, reference: '5,000 commands/s (target)', ratio: cart.addPerSecond / 5_000, wanted: 1 },
    { goal: 'POST /api/v1/add p99 ≤ 20 ms at 32 connections', ours: `${cart.addP99.toFixed(1)} ms`, reference: '20 ms (target)', ratio: 20 / cart.addP99, wanted: 1 },
  ];
  printMatrix(
    `npm run bench: one short run of each (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; broker, registry, databases and services share these cores)`,
    ['goal', 'ours', 'reference in the same run', 'ratio', 'goal met'],
    goals.map((g) => [g.goal, g.ours, g.reference, g.ratio.toFixed(2), g.ratio >= g.wanted ? 'yes' : 'no']),
  );
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
