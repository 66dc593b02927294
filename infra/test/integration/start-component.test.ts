import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Component } from '../../src/component';
import { ExitedDuringStartup, logFile, runningPid, start, stop, waitFor } from '../../src/processes';
import { startComponent } from '../../src/start-component';

/**
 * A real process that fails its first `failures` starts (it prints why and exits 3), then runs and
 * reports healthy through a file: what a control-plane binary that dies at start-up looks like.
 */
function flakyProcess(failures: number): { component: Component; name: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'start-component-'));
  const name = `test-flaky-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const script = [
    `n=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count`,
    `if [ $n -le ${failures} ]; then echo "failure number $n: address already in use"; exit 3; fi`,
    `echo "start number $n: serving"; touch ${dir}/healthy; exec tail -f ${dir}/count`,
  ].join('\n');
  const component: Component = {
    name,
    version: 'test',
    address: '-',
    ports: [],
    install() {},
    start() {
      rmSync(join(dir, 'healthy'), { force: true });
      start({ name, command: 'sh', args: ['-c', script, dir] });
    },
    isRunning: () => runningPid(name) !== undefined,
    healthy: async () => existsSync(join(dir, 'healthy')),
    waitHealthy: () => waitFor(name, async () => existsSync(join(dir, 'healthy')), 10_000, name),
  };
  return { component, name, dir };
}

describe('startComponent', () => {
  const started: { name: string; dir: string }[] = [];
  afterEach(async () => {
    for (const { name, dir } of started.splice(0)) {
      await stop(name);
      rmSync(dir, { recursive: true, force: true });
      rmSync(logFile(name), { force: true });
    }
  });

  it('starts a process again that ended during its start, and returns once it is healthy', async () => {
    const flaky = flakyProcess(2);
    started.push(flaky);
    await expect(startComponent(flaky.component, 3, 50)).resolves.toBe(true);
    expect(flaky.component.isRunning()).toBe(true);
    expect(readFileSync(join(flaky.dir, 'count'), 'utf8').trim()).toBe('3');
    const log = readFileSync(logFile(flaky.name), 'utf8');
    expect(log).toContain('failure number 1');
    expect(log).toContain('failure number 2');
    expect(log).toContain('start number 3: serving');
  });

  it('gives up after its attempts with the last start’s log in the error, not the earlier ones', async () => {
    const flaky = flakyProcess(5);
    started.push(flaky);
    const failure = await startComponent(flaky.component, 2, 50).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExitedDuringStartup);
    const message = (failure as Error).message;
    expect(message).toContain(`${flaky.name} exited during start-up`);
    expect(message).toContain('failure number 2: address already in use');
    expect(message).not.toContain('failure number 1');
    expect(readFileSync(join(flaky.dir, 'count'), 'utf8').trim()).toBe('2');
  });

  it('does not start a process that already runs', async () => {
    const flaky = flakyProcess(0);
    started.push(flaky);
    await expect(startComponent(flaky.component)).resolves.toBe(true);
    await expect(startComponent(flaky.component)).resolves.toBe(false);
    expect(readFileSync(join(flaky.dir, 'count'), 'utf8').trim()).toBe('1');
  });
});
