import { spawnSync } from 'node:child_process';
import type { Component } from './component';
import { kafkaComponent } from './kafka';
import { postgresComponent } from './postgres';
import { registryComponent } from './registry';
import { mongoComponents } from './mongo';
import { zipkinComponent } from './zipkin';
import { prometheusComponent } from './prometheus';
import { otelCollectorComponent } from './otel-collector';
import { logFile, runningPid, stop } from './processes';
import { portInUse } from './ports';
import { log } from './shell';

/**
 * In start order: the registry keeps its schemas in PostgreSQL; FerretDB its documents in a PostgreSQL
 * of its own; Zipkin (the trace store) and Prometheus (the metrics) need nothing.
 */
export const components: Component[] = [postgresComponent, kafkaComponent, registryComponent, ...mongoComponents, zipkinComponent, otelCollectorComponent, prometheusComponent];

function select(names: string[]): Component[] {
  if (names.length === 0) return components;
  const unknown = names.filter((n) => !components.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`unknown component(s): ${unknown.join(', ')}; known: ${components.map((c) => c.name).join(', ')}`);
  return components.filter((c) => names.includes(c.name));
}

export async function install(names: string[] = []): Promise<void> {
  for (const component of select(names)) await component.install();
}

/** Idempotent: starts what is not running, waits for every server's real health check. */
export async function up(names: string[] = []): Promise<string[]> {
  const chosen = select(names);
  await install(names);
  const started: string[] = [];
  const ready = new Set<string>();
  const makeReady = async (component: Component) => {
    if (ready.has(component.name)) return;
    await component.waitHealthy();
    await component.prepare?.();
    ready.add(component.name);
  };
  for (const component of chosen) {
    for (const name of component.requires ?? []) {
      const dependency = components.find((c) => c.name === name);
      if (!dependency?.isRunning()) throw new Error(`${component.name} needs ${name} running: run infra up ${name} first, or up with no names`);
      await makeReady(dependency);
    }
    if (component.isRunning()) continue;
    for (const port of component.ports) {
      if (await portInUse(port)) {
        throw new Error(`${component.name}: port ${port} is already taken by a process infra did not start; stop it or set the port variable (see infra/README.md)`);
      }
    }
    log(`starting ${component.name}`);
    await component.start();
    started.push(component.name);
  }
  await Promise.all(chosen.map(makeReady));
  return started;
}

export async function down(names: string[] = []): Promise<string[]> {
  const stopped: string[] = [];
  for (const component of [...select(names)].reverse()) {
    if (component.external) continue;
    if (await stop(component.name, component.stopSignal)) stopped.push(component.name);
  }
  return stopped;
}

export interface StatusRow {
  name: string;
  version: string;
  address: string;
  pid: string;
  health: string;
}

export async function status(): Promise<StatusRow[]> {
  return Promise.all(
    components.map(async (c) => {
      const pid = c.external ? undefined : runningPid(c.name);
      let health = 'stopped';
      if (pid !== undefined || c.external)
        health = await c.healthy().then(
          (ok) => (ok ? 'healthy' : 'unhealthy'),
          () => 'unhealthy',
        );
      return { name: c.name, version: c.version, address: c.address, pid: pid === undefined ? '-' : String(pid), health };
    }),
  );
}

export function formatTable(rows: StatusRow[]): string {
  const header: StatusRow = { name: 'server', version: 'version', address: 'address', pid: 'pid', health: 'health' };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof StatusRow)[];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: StatusRow) =>
    keys
      .map((k, i) => r[k].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function tailLogs(names: string[], follow: boolean): void {
  const files = select(names).map((c) => logFile(c.name));
  spawnSync('tail', [follow ? '-F' : '-n', ...(follow ? ['-n', '40'] : ['40']), ...files], { stdio: 'inherit' });
}
