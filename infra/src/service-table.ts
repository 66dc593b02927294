import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './settings';

/**
 * The deployable services and their ports, from the one place they are written: the service table of
 * charts/eventline/files/routes.json (which the chart renders Services, probes and routes from, and
 * the gateway routes by). The local runner and the image builds read it here.
 */
export const serviceTableFile = join(repoRoot, 'charts', 'eventline', 'files', 'routes.json');

export function servicePorts(file = serviceTableFile): ReadonlyMap<string, number> {
  const table = JSON.parse(readFileSync(file, 'utf8')) as { services?: Record<string, { port?: unknown }> };
  const ports = new Map<string, number>();
  for (const [name, { port }] of Object.entries(table.services ?? {})) {
    if (!Number.isInteger(port)) throw new Error(`${file}: services.${name}.port is not a port number`);
    ports.set(name, port as number);
  }
  return ports;
}

export function servicePort(name: string): number {
  const port = servicePorts().get(name);
  if (port === undefined) throw new Error(`${serviceTableFile} has no service named ${name}`);
  return port;
}

/** The services the chart deploys (an image each), in the table's order. */
export function deployableServices(): string[] {
  return [...servicePorts().keys()];
}
