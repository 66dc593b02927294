import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@eventline/config';

/** The table shared with the Helm chart's ingress; see charts/eventline/files/README.md. */
export const DEFAULT_ROUTES_FILE = resolve(__dirname, '..', '..', '..', 'charts', 'eventline', 'files', 'routes.json');

export type MatchKind = 'exact' | 'prefix';

export interface Route {
  path: string;
  match: MatchKind;
  service: string;
  /** False keeps the route off the public ingress and the local gateway. */
  public: boolean;
}

export interface RouteTable {
  routes: Route[];
  /** Each service's local port. */
  services: Record<string, { port: number }>;
}

const routeSchema = z.strictObject({
  path: z.string().regex(/^\/[^\s?#]*$/, 'must start with "/" and hold no spaces, "?" or "#"'),
  match: z.enum(['exact', 'prefix']),
  service: z.string().min(1),
  public: z.boolean().default(true),
});

const tableSchema = z.strictObject({
  routes: z.array(routeSchema).min(1),
  services: z.record(z.string().min(1), z.strictObject({ port: z.number().int().min(1).max(65535) })),
});

/** Validates a parsed route table; `source` names it in error messages. Throws a ConfigError. */
export function parseRouteTable(json: unknown, source: string): RouteTable {
  const result = tableSchema.safeParse(json);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${source}: ${issue.path.join('.') || '(root)'} ${issue.message}`));
  }
  const table = result.data;
  const problems: string[] = [];
  const seen = new Set<string>();
  table.routes.forEach((route, index) => {
    if (!(route.service in table.services)) problems.push(`${source}: routes.${index} names unknown service "${route.service}"`);
    const key = `${route.match} ${route.path}`;
    if (seen.has(key)) problems.push(`${source}: routes.${index} repeats ${key}`);
    seen.add(key);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return table;
}

export function loadRouteTable(file: string = DEFAULT_ROUTES_FILE): RouteTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`route table ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`route table ${file} is not valid JSON (${(error as Error).message})`]);
  }
  return parseRouteTable(json, file);
}
