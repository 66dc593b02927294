import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Who used the machine's cores over an interval, from /proc: each process's user + system time,
 * grouped by owner (named pids first, then PostgreSQL, the broker, the registry, FerretDB), and the
 * idle share from /proc/stat. The benchmarks share two cores with everything they measure, so a rate
 * means little without this.
 */
export interface CpuShares {
  seconds: number;
  cores: number;
  /** Cores used per owner, largest first; `idle` is the machine's idle time in cores. */
  owners: { owner: string; cores: number }[];
  idle: number;
}

interface Snapshot {
  at: number;
  ticks: Map<number, { owner: string; ticks: number }>;
  idleTicks: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

function ownerOf(pid: number, comm: string, named: ReadonlyMap<number, string>): string {
  const name = named.get(pid);
  if (name) return name;
  if (comm === 'postgres') return 'PostgreSQL';
  if (comm === 'ferretdb') return 'FerretDB';
  if (comm === 'java') {
    const cmdline = read(`/proc/${pid}/cmdline`) ?? '';
    if (cmdline.includes('kafka.Kafka')) return 'Kafka broker';
    if (/apicurio|quarkus/i.test(cmdline)) return 'schema registry';
    return 'other Java';
  }
  return 'other';
}

function snapshot(named: ReadonlyMap<number, string>): Snapshot {
  const ticks = new Map<number, { owner: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
    const pid = Number(entry);
    ticks.set(pid, { owner: ownerOf(pid, comm, named), ticks: Number(fields[11]) + Number(fields[12]) }); // utime, stime
  }
  const cpu = (read('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { at: performance.now(), ticks, idleTicks: (cpu[3] ?? 0) + (cpu[4] ?? 0) }; // idle + iowait
}

/**
 * Starts measuring; `named` maps pids to owners (a pid learnt later can be added to the map). /proc is
 * read every second as well, so a process that ends before the stop (wrk) keeps what it used until then.
 */
export function startCpuShares(named: Map<number, string>): () => CpuShares {
  const before = snapshot(named);
  const latest = new Map(before.ticks);
  const sample = () => {
    const now = snapshot(named);
    for (const [pid, entry] of now.ticks) latest.set(pid, entry);
    return now;
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    const after = sample();
    const seconds = (after.at - before.at) / 1000;
    const byOwner = new Map<string, number>();
    for (const [pid, { owner, ticks }] of latest) {
      const used = ticks - (before.ticks.get(pid)?.ticks ?? 0);
      if (used > 0) byOwner.set(owner, (byOwner.get(owner) ?? 0) + used);
    }
    const cores = (t: number) => t / TICKS_PER_SECOND / seconds;
    return {
      seconds,
      cores: cpus().length,
      owners: [...byOwner].map(([owner, t]) => ({ owner, cores: cores(t) })).sort((a, b) => b.cores - a.cores),
      idle: cores(after.idleTicks - before.idleTicks),
    };
  };
}

export function formatCpuShares(shares: CpuShares): string {
  const parts = shares.owners.filter((o) => o.cores >= 0.01).map((o) => `${o.owner} ${o.cores.toFixed(2)}`);
  return `cores used over ${shares.seconds.toFixed(0)} s: ${parts.join(', ')}; idle ${shares.idle.toFixed(2)} of ${shares.cores}`;
}
