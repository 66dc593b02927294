import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
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
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(`${command} ${args.join(' ')} could not start: ${missing ? `${command} is not on the PATH (${process.env.PATH ?? 'unset'})` : result.error.message}`);
  }
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

export function log(message: string): void {
  process.stderr.write(`[infra] ${message}\n`);
}

/**
 * Maven's local repository inside our cache, so that a cold install is one folder to delete;
 * EVENTLINE_MAVEN_REPO points it elsewhere (an empty folder measures a cold build).
 */
export const mavenRepoDir = process.env.EVENTLINE_MAVEN_REPO || join(cacheDir, 'm2');

export function mvn(args: string[]): string {
  return run('mvn', ['-q', '-B', `-Dmaven.repo.local=${mavenRepoDir}`, ...args]);
}

/**
 * One command of a build, niced (the machine has other work), its output appended to `logPath`.
 * A failure names the step and the log, with the log's last lines.
 */
export function buildCommand(
  step: string,
  logPath: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; niceness?: number } = {},
): Promise<void> {
  const out = openSync(logPath, 'a');
  writeSync(out, `\n$ ${command} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn('nice', ['-n', String(options.niceness ?? 10), command, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
    child.once('error', (error) => {
      closeSync(out);
      reject(new Error(`build step "${step}" could not run ${command}: ${error.message}; log: ${logPath}`));
    });
    child.once('exit', (code, signal) => {
      closeSync(out);
      if (code === 0) return resolve();
      // Parallel compilers interleave: the error lines first, then the last lines, each cut short.
      const lines = readFileSync(logPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l));
      const errors = lines.filter((l) => /\berror\b/i.test(l)).slice(-8);
      const tail = [...errors, '…', ...lines.slice(-12)].join('\n');
      reject(new Error(`build step "${step}" failed (${command} exit ${code ?? signal}); full log: ${logPath}\n${tail}`));
    });
  });
}
