import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, printMatrix } from './table';

/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and attributes its samples' self time to who spent it:
 * a package under node_modules, one of ours (packages/<name>, services/<name>), Node's own
 * internals, or V8's (idle, GC, program). Answers "where does the process's time go", not guesses.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  share: number;
}

export function owner(url: string, functionName: string): string {
  if (url === '') return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[url.startsWith('node:internal') ? 1 : 0]}`;
  const ours = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (ours) return ours[1] === 'packages' ? `@eventline/${ours[2]}` : `services/${ours[2]}`;
  return url;
}

export function summarise(file: string, top = 12): { byOwner: Share[]; byFunction: Share[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Each sample's delta is the time up to it; V8 attributes it to the sampled node.
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const who = owner(url, functionName);
    add(owners, who, us);
    add(functions, `${functionName || '(anonymous)'} — ${who}${url ? `:${lineNumber + 1}` : ''}`, us);
  }
  const shares = (map: Map<string, number>) =>
    [...map]
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / 1000 / totalMs }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { byOwner: shares(owners), byFunction: shares(functions), totalMs };
}

/** The largest profile in `dir` (the main thread's): self time by owner and by function, as two tables. */
export function printProfile(what: string, dir: string): void {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!file) throw new Error(`no .cpuprofile in ${dir}: did the process exit cleanly?`);
  const { byOwner, byFunction, totalMs } = summarise(file, 15);
  const rows = (shares: Share[]) => shares.map((s) => [s.name, formatNumber(s.ms), `${(s.share * 100).toFixed(1)} %`]);
  printMatrix(`${what}: CPU profile self time by owner (${formatNumber(totalMs)} ms sampled, ${file})`, ['owner', 'self ms', 'share'], rows(byOwner));
  printMatrix(`${what}: the functions with the most self time`, ['function', 'self ms', 'share'], rows(byFunction));
}
