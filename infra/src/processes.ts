import { spawn, type SpawnOptions } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './settings';

/**
 * Processes started by `infra up`, tracked by pid files under the state dir. Stopping only ever
 * signals a pid we wrote, and only while that pid still runs the command we started (a pid can be
 * reused by an unrelated process after a reboot).
 */
export interface ManagedProcess {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

const runDir = join(stateDir, 'run');
const logDir = join(stateDir, 'logs');

export const pidFile = (name: string): string => join(runDir, `${name}.pid`);
export const logFile = (name: string): string => join(logDir, `${name}.log`);

/** Logs are appended across starts; `start` writes this line first so that a tail shows one run. */
const START_MARKER = '--- eventline: starting';

/** The latest start's log only, at most `lines` lines: what a failed start is reported with. */
export function logTail(name: string, lines = 25): string {
  const file = logFile(name);
  if (!existsSync(file)) return `(no log at ${file})`;
  const text = readFileSync(file, 'utf8');
  const latestRun = text.slice(Math.max(0, text.lastIndexOf(START_MARKER)));
  const tail = latestRun.trimEnd().split('\n').slice(-lines).join('\n');
  return `last lines of ${file}:\n${tail}`;
}

/** A process that ended before it answered healthy: the log tail says why. */
export class ExitedDuringStartup extends Error {
  constructor(
    readonly what: string,
    readonly logName: string,
  ) {
    super(`${what} exited during start-up; ${logTail(logName)}`);
    this.name = 'ExitedDuringStartup';
  }
}

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

interface PidRecord {
  pid: number;
  marker: string;
}

function readPidRecord(name: string): PidRecord | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The pid of our process `name` if it is alive and still the process we started. */
export function runningPid(name: string): number | undefined {
  const record = readPidRecord(name);
  if (!record) return undefined;
  const cmdline = commandLineOf(record.pid);
  if (cmdline === undefined || !cmdline.includes(record.marker)) return undefined;
  return record.pid;
}

export function start(proc: ManagedProcess): number {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  appendFileSync(logFile(proc.name), `${START_MARKER} ${proc.name} at ${new Date().toISOString()}: ${proc.command} ${proc.args.join(' ')}\n`);
  const out = openSync(logFile(proc.name), 'a');
  const options: SpawnOptions = {
    cwd: proc.cwd,
    env: proc.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
    uid: proc.uid,
    gid: proc.gid,
  };
  const child = spawn(proc.command, proc.args, options);
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${proc.name} (${proc.command})`);
  child.unref();
  // The last argument identifies the process well enough (a config file or data dir of ours).
  const marker = proc.args[proc.args.length - 1] ?? proc.command;
  writeFileSync(pidFile(proc.name), JSON.stringify({ pid: child.pid, marker } satisfies PidRecord));
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `signal` (SIGTERM unless said), wait up to `graceMs`, then SIGKILL. Returns whether anything was running. */
export async function stop(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(name);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (commandLineOf(pid) === undefined) return true;
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
  while (commandLineOf(pid) !== undefined) await sleep(50);
  return true;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logName?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (logName && runningPid(logName) === undefined) {
      throw new ExitedDuringStartup(what, logName);
    }
    await sleep(250);
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000}s: ${String(lastError ?? 'no answer')}`);
}
