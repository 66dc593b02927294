import { join } from 'node:path';
import { startTsProcess, type RunningProcess } from './process';

export interface ServiceProcess {
  process: RunningProcess;
  port: number;
  url: string;
}

const repoRoot = join(__dirname, '..', '..', '..');

/**
 * Starts a service from its source as a real process (PORT=0 unless given) and waits until it says it
 * listens. The env carries its stores, Kafka name prefix and failpoints.
 */
export async function startServiceProcess(name: string, env: NodeJS.ProcessEnv, entry = 'main.ts', nodeArgs: string[] = []): Promise<ServiceProcess> {
  const process = startTsProcess(join(repoRoot, 'services', name, 'src', entry), { PORT: '0', LOG_LEVEL: 'info', ...env }, nodeArgs);
  const line = await process.waitForLine(new RegExp(`"msg":"${name} listening"`), 90_000);
  const port = Number((JSON.parse(line) as { port: number }).port);
  return { process, port, url: `http://127.0.0.1:${port}` };
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/** One JSON request (`headers` added to its own, a `traceparent` say); the body is parsed when there is one. */
export async function requestJson<T = any>(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    // No request of a test takes this long; without it a server that never answers holds a test until fetch's own 300 s.
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
