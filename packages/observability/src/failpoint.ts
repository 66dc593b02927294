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
 * the others not). When a pause ends it prints one line, `delay point <name> passed`, for the test to
 * wait on. Unset, it costs one environment lookup.
 */
const delaypointPasses = new Map<string, number>();

export async function delaypoint(name: string): Promise<void> {
  const active = process.env.EVENTLINE_DELAYS;
  if (!active) return;
  const pass = (delaypointPasses.get(name) ?? 0) + 1;
  delaypointPasses.set(name, pass);
  for (const entry of active.split(',')) {
    const [point, ms] = entry.split('=');
    const [pointName, nth] = (point ?? '').split('@');
    if (pointName !== name || !(Number(ms) > 0) || (nth !== undefined && Number(nth) !== pass)) continue;
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: `delay point ${name} passed`, pass })}\n`);
  }
}
