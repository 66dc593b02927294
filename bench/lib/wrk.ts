import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages } from '@eventline/infra';

/**
 * wrk (Debian's, C, one event loop per thread) as the HTTP load generator: closed loop like the Node
 * generator it stands beside, at a fraction of its CPU, so more of the shared cores go to the system
 * under test. Bodies are built per request by a Lua script; its `done` hook prints the figures as JSON.
 */
export interface WrkResult {
  requests: number;
  /** Responses below 400 per second. */
  perSecond: number;
  /** Responses with a status ≥ 400. */
  failedStatus: number;
  socketErrors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  /** A Lua expression giving each request's JSON body (math.random is seeded per thread). */
  bodyExpression: string;
  /** POST unless said. */
  method?: 'POST' | 'PUT';
  /** Reports the pid once wrk is running (for the CPU shares). */
  onStart?: (pid: number) => void;
}

const script = (bodyExpression: string, method: string) => `
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("id", thread_id) end
init = function() math.randomseed(os.time() * 1000 + (id or 0)) end
wrk.method = "${method}"
wrk.headers["Content-Type"] = "application/json"
request = function() return wrk.format(nil, nil, nil, ${bodyExpression}) end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"durationUs":%d,"status":%d,"socket":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
`;

export function ensureWrk(): void {
  ensureDebianPackages(['wrk'], 'the HTTP load generator of bench:cart');
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  ensureWrk();
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  const scriptFile = join(dir, 'load.lua');
  writeFileSync(scriptFile, script(options.bodyExpression, options.method ?? 'POST'));
  try {
    const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', scriptFile, options.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) options.onStart?.(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = /WRK_RESULT (\{.*\})/.exec(out)?.[1];
    if (code !== 0 || !line) throw new Error(`wrk exited ${code}: ${err.trim() || out.trim()}`);
    const r = JSON.parse(line) as { requests: number; durationUs: number; status: number; socket: number; p50: number; p95: number; p99: number; max: number };
    const ms = (us: number) => us / 1000;
    return {
      requests: r.requests,
      perSecond: (r.requests - r.status) / (r.durationUs / 1e6),
      failedStatus: r.status,
      socketErrors: r.socket,
      p50: ms(r.p50),
      p95: ms(r.p95),
      p99: ms(r.p99),
      max: ms(r.max),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
