import { cpus, totalmem } from 'node:os';
import { cartHistory, printCartHistory } from './cart-history';
import { commandPath, printCommandPath } from './command-path';
import { printTracingOverhead, tracingOverhead } from './tracing';
import { ecstRun, printEcst, type EcstOptions } from './ecst';
import { orderPlacement, printOrderPlacement } from './order-placement';
import { printSaga, sagaRun, type SagaOptions } from './saga';
import { printUserUpdate, userUpdateRun } from './user-update';
import { runCartBench } from './lib/cart-run';
import { brokerCeiling, consumerThroughput, relayClientCeiling, relayThroughput } from './kit';
import { median, percentile, printMatrix, printTable, type Row } from './lib/table';

/**
 * `npm run bench`: the short version of every throughput benchmark in one run, printed as one table
 * of ratios against the goals (our figure over the reference measured in the same run, or
 * over a fixed target). Each figure here is one short run; the README keeps the full tables (medians
 * of 3 at full size, `npm run bench:kit`, `bench:cart`, `bench:command-path`). Needs the infra up.
 */
interface Goal {
  goal: string;
  ours: number[];
  reference: number[];
  unit: string;
  referenceUnit: string;
  /** ours / reference per run (or reference / ours where less is better). */
  ratios: number[];
  /** Undefined for a row that explains another (no goal of its own). */
  wanted?: number;
  /** A second condition of the goal, beside the ratio, and what to say when it does not hold. */
  condition?: { held: boolean; otherwise: string };
}

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const RELAY_EVENTS = Number(process.env.BENCH_RELAY_EVENTS ?? 100_000);
const samples = (r: Row | undefined): number[] => r?.samples ?? [NaN];
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const pairwise = (a: number[], b: number[], f: (x: number, y: number) => number) => a.map((x, i) => f(x, b[i] ?? b[0] ?? NaN));
const spread = (values: number[]) => (values.length > 1 ? `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}` : '—');

interface CartFigures {
  aggregator: number;
  streams: number;
  addPerSecond: number;
  addP99: number;
}

/** bench/cart.ts in a short configuration. */
function cartBench(): CartFigures {
  const run = runCartBench(
    {
      BENCH_SKIP: 'agg2,rebuild',
      BENCH_EVENTS: process.env.BENCH_QUICK_CART_EVENTS ?? '200000',
      BENCH_CUSTOMERS: '20000',
      BENCH_STREAMS_THREADS: '1',
      BENCH_ADD_SECONDS: '15',
      BENCH_ADD_WARMUP_SECONDS: '3',
    },
    'short',
  );
  return { aggregator: run.rate('cart-aggregator, 1 instance'), streams: run.rate('Kafka Streams'), addPerSecond: run.addPerSecond, addP99: run.addP99 };
}

async function main(): Promise<void> {
  const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  say(`broker ceiling (Kafka perf tools), 200,000 records, ${RUNS} run(s)`);
  const [producerPerf] = await brokerCeiling(200_000);
  say(`outbox relay, 1 process, 2 rounds in flight, ${RELAY_EVENTS.toLocaleString('en-US')} events`);
  const relay = await relayThroughput(1, 2, RELAY_EVENTS);
  say("kafkajs alone with the relay's records, 2 sends in flight");
  const relayClient = await relayClientCeiling(2, RELAY_EVENTS);
  say('idempotent consumer into PostgreSQL, batched');
  const consumer = await consumerThroughput('postgres-batch');
  say('command path beside Emmett, 32 loops, 8 s each');
  const commandOptions = { seconds: 8, runs: RUNS, connections: 32, carts: 10_000 };
  const commands = await commandPath(commandOptions);
  const historyOptions = { customersPerClass: 5, rounds: 10 };
  say(`cart add latency by prior events (10, 1,000, 10,000), with and without snapshots, ${historyOptions.rounds} rounds`);
  const history = [];
  for (let run = 1; run <= RUNS; run++) history.push(await cartHistory(historyOptions));
  const carts: CartFigures[] = [];
  for (let run = 1; run <= RUNS; run++) {
    say(`cart (run ${run} of ${RUNS}): POST /api/v1/add at 32 connections, cart-aggregator beside Kafka Streams`);
    carts.push(cartBench());
  }
  const orderOptions = { seconds: 8, runs: RUNS, connections: 16 };
  say('order placement beside the same placement with the driver on FerretDB and on PostgreSQL, 16 loops, 8 s each');
  const orders = await orderPlacement(orderOptions);
  const userUpdateOptions = { seconds: 8, runs: RUNS, connections: 32, users: 1000, cpuProfile: false };
  say('PUT /user-service/update beside POST /api/v1/add on the same PostgreSQL, 32 connections (wrk), 8 s each, alternating');
  const userUpdates = await userUpdateRun(userUpdateOptions);
  // The saga's two goals, 50 and 200 orders/s offered, once per run in one set of processes.
  const sagaOptions: SagaOptions = { rates: Array.from({ length: RUNS }, () => [50, 200]).flat(), seconds: 20, drainSeconds: 60, traceEvery: 0, cpuProfile: false };
  say('the order saga, POST → APPROVED, 50 and 200 orders/s offered, 20 s each');
  const saga = await sagaRun(sagaOptions);
  const ecstOptions: EcstOptions = {
    users: Number(process.env.BENCH_QUICK_ECST_USERS ?? 10_000),
    orders: Number(process.env.BENCH_QUICK_ECST_ORDERS ?? 50_000),
    seconds: 20,
    rates: Array.from({ length: RUNS }, () => 300),
    ramp: [],
    pollMs: 50,
    drainSeconds: 60,
    saturateSeconds: 0,
    saturateConnections: 16,
  };
  say(`ECST propagation at 300 updates/s, 20 s, ${ecstOptions.users.toLocaleString('en-US')} users and ${ecstOptions.orders.toLocaleString('en-US')} orders in place`);
  const ecst = await ecstRun(ecstOptions);
  say('tracing off, on at 0%, 10% and 100% sampling: the add path and cart-aggregator (bench/tracing.ts, short)');
  const tracing = tracingOverhead(RUNS, 50_000, 10);
  printTable('Kit figures of this run', [producerPerf!, relayClient, relay, consumer]);
  printCommandPath(commands, commandOptions);
  printOrderPlacement(orders, orderOptions);
  printUserUpdate(userUpdates, userUpdateOptions);
  printSaga(saga, sagaOptions);
  printEcst(ecst, ecstOptions);
  for (const latencies of history) printCartHistory(latencies, historyOptions);

  const ours = commands.find((c) => c.name.includes('outbox'))?.perSecond ?? [NaN];
  const emmett = commands.find((c) => c.name.startsWith('Emmett'))?.perSecond ?? [NaN];
  const cart = (key: keyof CartFigures) => carts.map((c) => c[key]);
  const target = (n: number) => Array.from({ length: RUNS }, () => n);
  const sagaAt = (rate: number) => saga.phases.filter((p) => p.rate === rate);
  const goal = (g: Omit<Goal, 'ratios'>, better: 'higher' | 'lower' = 'higher'): Goal => ({
    ...g,
    ratios: pairwise(g.ours, g.reference, better === 'higher' ? (x, y) => x / y : (x, y) => y / x),
  });
  const goals: Goal[] = [
    goal({
      goal: 'outbox relay ≥ 0.5 × kafka-producer-perf-test',
      ours: samples(relay),
      reference: samples(producerPerf),
      unit: 'events/s',
      referenceUnit: 'records/s',
      wanted: 0.5,
    }),
    goal({
      goal: '  (what bounds it: the relay over kafkajs alone with the same records, no database)',
      ours: samples(relay),
      reference: samples(relayClient),
      unit: 'events/s',
      referenceUnit: 'events/s',
    }),
    goal({
      goal: 'idempotent consumer into PostgreSQL ≥ 20,000 events/s',
      ours: samples(consumer),
      reference: target(20_000),
      unit: 'events/s',
      referenceUnit: 'events/s (target)',
      wanted: 1,
    }),
    goal({
      goal: 'cart-aggregator ≥ 1.0 × Kafka Streams (both exactly once)',
      ours: cart('aggregator'),
      reference: cart('streams'),
      unit: 'events/s',
      referenceUnit: 'events/s',
      wanted: 1,
    }),
    goal({
      goal: 'cart command path ≥ 1.0 × Emmett (below HTTP, 32 loops; ours with outbox rows)',
      ours,
      reference: emmett,
      unit: 'commands/s',
      referenceUnit: 'commands/s',
      wanted: 1,
    }),
    goal(
      {
        goal: 'POST /api/v1/add p50 with 10,000 prior events within 1.2 × of 10 prior (ratio: 10 prior ÷ 10,000 prior, goal ≥ 0.83)',
        ours: history.map((h) => percentile(h.steady.snapshots[10_000], 50)),
        reference: history.map((h) => percentile(h.steady.snapshots[10], 50)),
        unit: 'ms',
        referenceUnit: 'ms (10 prior events)',
        wanted: 1 / 1.2,
      },
      'lower',
    ),
    goal(
      {
        goal: '  (the same without snapshots, each command folding the whole stream)',
        ours: history.map((h) => percentile(h.steady['no snapshots'][10_000], 50)),
        reference: history.map((h) => percentile(h.steady['no snapshots'][10], 50)),
        unit: 'ms',
        referenceUnit: 'ms (10 prior events)',
      },
      'lower',
    ),
    goal({
      goal: 'POST /api/v1/add ≥ 5,000 commands/s at 32 connections (load from wrk)',
      ours: cart('addPerSecond'),
      reference: target(5_000),
      unit: 'commands/s',
      referenceUnit: 'commands/s (target)',
      wanted: 1,
    }),
    goal({
      goal: 'POST /order-service/orders ≥ 0.5 × the same placement with the driver on FerretDB (16 loops)',
      ours: orders.ours.map((o) => o.perSecond),
      reference: orders.ferretdb.map((o) => o.perSecond),
      unit: 'orders/s',
      referenceUnit: 'orders/s',
      wanted: 0.5,
    }),
    goal({
      goal: '  (the engine: the same shape with pg on PostgreSQL, over the FerretDB floor)',
      ours: orders.postgres.map((o) => o.perSecond),
      reference: orders.ferretdb.map((o) => o.perSecond),
      unit: 'orders/s',
      referenceUnit: 'orders/s',
    }),
    goal({
      goal: 'PUT /user-service/update ≥ 0.8 × POST /api/v1/add (same PostgreSQL, 32 connections, wrk, alternating)',
      ours: userUpdates.updates.map((s) => s.result.perSecond),
      reference: userUpdates.adds.map((s) => s.result.perSecond),
      unit: 'commands/s',
      referenceUnit: 'commands/s',
      wanted: 0.8,
    }),
    goal(
      {
        goal: 'order saga, POST → APPROVED p99 ≤ 150 ms at 50 orders/s offered',
        ours: sagaAt(50).map((p) => percentile(p.latencies, 99)),
        reference: target(150),
        unit: 'ms',
        referenceUnit: 'ms (target)',
        wanted: 1,
      },
      'lower',
    ),
    goal({
      goal: 'order saga sustained at 200 orders/s offered (approved/s ÷ 200), nothing left PENDING',
      ours: sagaAt(200).map((p) => p.approvedPerSecond),
      reference: target(200),
      unit: 'orders/s',
      referenceUnit: 'orders/s offered',
      wanted: 0.95,
      condition: {
        held: sagaAt(200).every((p) => p.pending === 0),
        otherwise: `${sagaAt(200).reduce((n, p) => n + p.pending, 0)} left PENDING ${sagaOptions.drainSeconds} s after the last POST`,
      },
    }),
    goal(
      {
        goal: `ECST propagation p99 ≤ 1 s at 300 updates/s (${ecstOptions.users.toLocaleString('en-US')} users, ${ecstOptions.orders.toLocaleString('en-US')} orders), nothing left behind`,
        ours: ecst.steady.map((p) => percentile(p.latencies, 99)),
        reference: target(1000),
        unit: 'ms',
        referenceUnit: 'ms (target)',
        wanted: 1,
        condition: {
          held: ecst.steady.every((p) => p.left === 0),
          otherwise: `${ecst.steady.reduce((n, p) => n + p.left, 0)} not visible ${ecstOptions.drainSeconds} s after the last update`,
        },
      },
      'lower',
    ),
    goal(
      { goal: 'POST /api/v1/add p99 ≤ 20 ms at 32 connections (wrk)', ours: cart('addP99'), reference: target(20), unit: 'ms', referenceUnit: 'ms (target)', wanted: 1 },
      'lower',
    ),
  ];
  printMatrix(
    `npm run bench: ${RUNS} short run(s) of each, medians (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; broker, registry, databases, services and load generator share these cores)`,
    ['goal', 'ours', 'reference in the same run', 'ratio', 'ratio spread', 'goal met'],
    goals.map((g) => [
      g.goal,
      `${g.unit === 'ms' ? median(g.ours).toFixed(1) : fmt(median(g.ours))} ${g.unit}`,
      `${fmt(median(g.reference))} ${g.referenceUnit}`,
      median(g.ratios).toFixed(2),
      spread(g.ratios),
      g.wanted === undefined ? '—' : median(g.ratios) < g.wanted ? 'no' : g.condition && !g.condition.held ? `no: ${g.condition.otherwise}` : 'yes',
    ]),
  );
  printTracingOverhead(tracing);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
