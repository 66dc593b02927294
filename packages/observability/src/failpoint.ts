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
 * time out at an exact step. Unset, it costs one environment lookup.
 */
export async function delaypoint(name: string): Promise<void> {
  const active = process.env.EVENTLINE_DELAYS;
  if (!active) return;
  for (const entry of active.split(',')) {
    const [point, ms] = entry.split('=');
    if (point === name && Number(ms) > 0) await new Promise((resolve) => setTimeout(resolve, Number(ms)));
  }
}
