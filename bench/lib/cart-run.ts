import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a run of bench/cart.ts reports: the add load's rate and p99, and each row's rate by its measure's start. */
export interface CartRun {
  addPerSecond: number;
  addP99: number;
  rate(measurePrefix: string): number;
}

/**
 * bench/cart.ts as a child process with `env` on top of this one's (its BENCH_* and OTEL_*
 * variables), its figures read back from the JSON it writes.
 */
export function runCartBench(env: NodeJS.ProcessEnv, what: string): CartRun {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cart-run-'));
  const file = join(dir, 'cart.json');
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cart.ts')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env, BENCH_JSON: file },
    });
    if (result.status !== 0) throw new Error(`bench/cart.ts (${what}) failed (exit ${result.status})`);
    const { rows, add } = JSON.parse(readFileSync(file, 'utf8')) as { rows: { measure: string; value: string }[]; add?: { perSecond: number; p99: number } };
    return {
      addPerSecond: add?.perSecond ?? NaN,
      addP99: add?.p99 ?? NaN,
      rate: (prefix) => Number(rows.find((r) => r.measure.startsWith(prefix))?.value.replace(/,/g, '') ?? NaN),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
