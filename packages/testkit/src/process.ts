import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RunningProcess {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Everything written to stderr so far (Node's process warnings go there). */
  stderr(): string;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts a TypeScript entry point as a real child process (node with tsx's loader), as a test fixture;
 * `nodeArgs` go before it (flags NODE_OPTIONS refuses, such as --cpu-prof).
 */
export function startTsProcess(entry: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): RunningProcess {
  return startNodeProcess([...nodeArgs, '--import', 'tsx', entry], env);
}

/** Starts plain `node <args>` (compiled JavaScript, as in an image) in `cwd`, as a test fixture. */
export function startNodeProcess(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): RunningProcess {
  return startProcess(process.execPath, args, env, cwd);
}

/** Starts any program as a fixture whose stdout lines can be awaited (a JVM reference in a benchmark, say). */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): RunningProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  return {
    child,
    lines,
    stderr: () => stderr.join(''),
    exited,
    waitForLine(pattern, timeoutMs = 60_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        // Services log to stdout (pino): the last lines say why a start failed.
        const output = () => `stdout (last lines): ${lines.slice(-8).join('\n').slice(-3000)}; stderr: ${stderr.join('').slice(-2000)}`;
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; ${output()}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before a line matching ${pattern}; ${output()}`));
        });
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
