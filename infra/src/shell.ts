import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir } from './settings';

/** Runs an install-time command, inheriting output; throws with the command line when it fails. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

export function log(message: string): void {
  process.stderr.write(`[infra] ${message}\n`);
}

/** Maven with its local repository inside our cache, so that a cold install is one folder to delete. */
export function mvn(args: string[]): string {
  return run('mvn', ['-q', '-B', `-Dmaven.repo.local=${join(cacheDir, 'm2')}`, ...args]);
}
