import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const fixtures = join(__dirname, '..', 'fixtures');

interface Fixture {
  child: ChildProcessWithoutNullStreams;
  /** Every JSON line printed on stdout so far, in order. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line (already printed or to come) that has this event. */
  next(event: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startFixture(file: string, env: Record<string, string>): Fixture {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), '--tsconfig', join(fixtures, 'tsconfig.json'), join(fixtures, file)], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ event: string; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.event === line.event)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exited,
    next: (event) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((line) => line.event === event);
        if (seen) return resolve(seen);
        waiters.push({ event, resolve });
        void exited.then(({ code }) => reject(new Error(`fixture exited (${code}) before "${event}": ${stderr}`)));
      }),
  };
}

describe('graceful shutdown of a real process', () => {
  let fixture: Fixture | undefined;

  afterEach(async () => {
    if (fixture && fixture.child.exitCode === null && fixture.child.signalCode === null) {
      fixture.child.kill('SIGKILL');
      await fixture.exited;
    }
    fixture = undefined;
  });

  it('finishes the in-flight request, then runs the hooks, exits 0 and refuses new connections', async () => {
    fixture = startFixture('slow-service.ts', { PORT: '0', SLOW_MS: '1000', LOG_LEVEL: 'warn' });
    const { port } = (await fixture.next('listening')) as { port: number };
    const base = `http://127.0.0.1:${port}`;

    const inFlight = fetch(`${base}/slow`);
    await fixture.next('slow-request-started');
    fixture.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    // Closing the keep-alive connection is what lets the drain end right after this response.
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ done: true });

    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    const events = fixture.lines.map((line) => line.event).filter(Boolean);
    expect(events).toEqual(['listening', 'slow-request-started', 'slow-request-finished', 'shutdown-hook']);

    await expect(fetch(`${base}/healthz`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
