import { cpus, totalmem } from 'node:os';
import { urls } from '@eventline/testkit';
import { runCartBench } from './lib/cart-run';
import { median } from './lib/table';

/**
 * What tracing costs: bench/cart.ts's two figures — POST /api/v1/add against cart-service (HTTP,
 * event store append, outbox; its relay publishing) under wrk, and cart-aggregator's throughput on a
 * backlog (exactly once, Kafka transactions) — with tracing off, at 10% and at 100% sampling,
 * exporting to the local Zipkin. The settings alternate within each run, so drift on this shared
 * machine falls on all three alike. The backlog's records are marked sampled in the same share, as a
 * cart-service tracing at that ratio would have written them.
 *
 *   npm run bench:tracing   (BENCH_TRACING_RUNS, BENCH_TRACING_EVENTS, BENCH_TRACING_ADD_SECONDS)
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

interface Setting {
  label: string;
  env: NodeJS.ProcessEnv;
}

const SETTINGS: Setting[] = [
  { label: 'off', env: { OTEL_TRACES_EXPORTER: 'none', BENCH_SAMPLED_SHARE: '0' } },
  // Instrumented, nothing sampled: the cost of the SDK and its hooks alone, before any export.
  { label: '0% sampled', env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: '0', BENCH_SAMPLED_SHARE: '0' } },
  { label: '10% sampled', env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: '0.1', BENCH_SAMPLED_SHARE: '0.1' } },
  { label: '100% sampled', env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: '1', BENCH_SAMPLED_SHARE: '1' } },
];

export interface TracingFigures {
  label: string;
  addPerSecond: number[];
  addP99: number[];
  aggregatorPerSecond: number[];
}

function cartRun(setting: Setting, events: number, addSeconds: number): { addPerSecond: number; addP99: number; aggregator: number } {
  const run = runCartBench(
    {
      ...setting.env,
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: urls.zipkinSpans,
      BENCH_SKIP: 'add-node,agg2,agg3,restore,rebuild,streams',
      BENCH_EVENTS: String(events),
      BENCH_CUSTOMERS: String(Math.max(1000, Math.round(events / 10))),
      BENCH_ADD_SECONDS: String(addSeconds),
      BENCH_ADD_WARMUP_SECONDS: '3',
    },
    `tracing ${setting.label}`,
  );
  return { addPerSecond: run.addPerSecond, addP99: run.addP99, aggregator: run.rate('cart-aggregator, 1 instance') };
}

export function tracingOverhead(runs: number, events: number, addSeconds: number): TracingFigures[] {
  const figures = SETTINGS.map((s) => ({ label: s.label, addPerSecond: [] as number[], addP99: [] as number[], aggregatorPerSecond: [] as number[] }));
  for (let run = 1; run <= runs; run++) {
    SETTINGS.forEach((setting, i) => {
      process.stderr.write(`[bench:tracing] run ${run} of ${runs}: tracing ${setting.label}\n`);
      const { addPerSecond, addP99, aggregator } = cartRun(setting, events, addSeconds);
      figures[i]!.addPerSecond.push(addPerSecond);
      figures[i]!.addP99.push(addP99);
      figures[i]!.aggregatorPerSecond.push(aggregator);
    });
  }
  return figures;
}

export function printTracingOverhead(figures: TracingFigures[]): void {
  const base = figures[0]!;
  const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
  const ratio = (values: number[], reference: number[]) => (median(values) / median(reference)).toFixed(2);
  console.log('\n| tracing | POST /api/v1/add (commands/s) | vs off | add p99 (ms) | cart-aggregator (events/s) | vs off |');
  console.log('|---|---|---|---|---|---|');
  for (const f of figures) {
    console.log(
      `| ${f.label} | ${fmt(median(f.addPerSecond))} | ${ratio(f.addPerSecond, base.addPerSecond)} | ${median(f.addP99).toFixed(1)} | ${fmt(median(f.aggregatorPerSecond))} | ${ratio(f.aggregatorPerSecond, base.aggregatorPerSecond)} |`,
    );
  }
  console.log(`\nMedians of ${base.addPerSecond.length} run(s) each, settings alternating; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB.`);
}

if (require.main === module) {
  const figures = tracingOverhead(num('BENCH_TRACING_RUNS', 2), num('BENCH_TRACING_EVENTS', 100_000), num('BENCH_TRACING_ADD_SECONDS', 15));
  printTracingOverhead(figures);
}
