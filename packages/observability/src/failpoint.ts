import { readFileSync } from 'node:fs';

/**
 * Named crash points for fault-injection tests: a process started with EVENTLINE_FAILPOINTS naming one
 * kills itself with SIGKILL when it gets there — no cleanup, no flush, as a power cut or OOM kill would.
 */
export function failpoint(name: string): void {
  const active = process.env.EVENTLINE_FAILPOINTS;
  if (active?.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}

/**
 * Named pauses for fault-injection tests: a process started with EVENTLINE_DELAYS="name=ms,…" waits
 * that long when it gets to `name` (a slow disk, a stalled network), so that a test can make a client
 * time out at an exact step; "name@n=ms" waits only the n-th time it gets there (one transaction held,
 * the others not). A process started with EVENTLINE_DELAYS_FILE also reads the same list from that file
 * each time, so that a test can arm a pause in a running pod (kubectl exec) without restarting it; an
 * absent file arms nothing. A pause prints `delay point <name> reached` when it starts and `delay point
 * <name> passed` when it ends, for the test to wait on. With neither set, it costs one environment lookup.
 */
const delaypointPasses = new Map<string, number>();

function armedDelays(): string | undefined {
  const file = process.env.EVENTLINE_DELAYS_FILE;
  if (!file) return process.env.EVENTLINE_DELAYS;
  let fromFile = '';
  try {
    fromFile = readFileSync(file, 'utf8').trim();
  } catch {
    // Not armed.
  }
  return [process.env.EVENTLINE_DELAYS, fromFile].filter(Boolean).join(',') || undefined;
}

export async function delaypoint(name: string): Promise<void> {
  const active = armedDelays();
  if (!active) return;
  const pass = (delaypointPasses.get(name) ?? 0) + 1;
  delaypointPasses.set(name, pass);
  for (const entry of active.split(',')) {
    const [point, ms] = entry.split('=');
    const [pointName, nth] = (point ?? '').split('@');
    if (pointName !== name || !(Number(ms) > 0) || (nth !== undefined && Number(nth) !== pass)) continue;
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `delay point ${name} reached`, pass, ms: Number(ms) })}\n`);
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `delay point ${name} passed`, pass })}\n`);
  }
}

const errorpointPasses = new Map<string, number>();

/**
 * Named errors for fault-injection tests: a process with EVENTLINE_ERRORPOINTS="name,…" throws when it
 * gets to `name`; "name@n" throws only the n-th time. Placed after a step whose outcome a lost answer
 * hides (a commit the broker completed), it makes the caller believe the step failed.
 */
export function errorpoint(name: string): void {
  const active = process.env.EVENTLINE_ERRORPOINTS;
  if (!active) return;
  const pass = (errorpointPasses.get(name) ?? 0) + 1;
  errorpointPasses.set(name, pass);
  for (const entry of active.split(',')) {
    const [pointName, nth] = entry.split('@');
    if (pointName === name && (nth === undefined || Number(nth) === pass)) throw new Error(`error point ${name} (pass ${pass})`);
  }
}
