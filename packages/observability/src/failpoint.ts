/**
 * Named crash points for fault-injection tests: a process started with EVENTLINE_FAILPOINTS naming one
 * kills itself with SIGKILL when it gets there — no cleanup, no flush, as a power cut or OOM kill would.
 */
export function failpoint(name: string): void {
  const active = process.env.EVENTLINE_FAILPOINTS;
  if (active && active.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
