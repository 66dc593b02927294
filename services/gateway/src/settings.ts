import { z } from 'zod';
import { int, loadConfig, logLevel, port, url } from '@eventline/config';
import { DEFAULT_ROUTES_FILE, loadRouteTable, type RouteTable } from './routes';
import { resolveUpstreams, upstreamVariable } from './upstreams';

export interface GatewaySettings {
  port: number;
  logLevel: string;
  /** How long an upstream may stay silent (no response headers, no body bytes) before a 504. */
  upstreamTimeoutMs: number;
  table: RouteTable;
  upstreams: Map<string, URL>;
}

/**
 * PORT (8080), LOG_LEVEL, UPSTREAM_TIMEOUT_MS (30000) and one optional UPSTREAM_<SERVICE> per service
 * of the route table. The table comes from ROUTES_FILE (environment only: it decides which
 * UPSTREAM_* settings exist), else the chart's routes.json. Throws a ConfigError naming every bad setting.
 */
export function loadGatewaySettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const table = loadRouteTable(env.ROUTES_FILE || DEFAULT_ROUTES_FILE);
  const upstreamShape = Object.fromEntries(Object.keys(table.services).map((service) => [upstreamVariable(service), url({ protocols: ['http'] }).optional()]));
  const settings = loadConfig(
    z.object({
      PORT: port(8080),
      LOG_LEVEL: logLevel('info'),
      UPSTREAM_TIMEOUT_MS: int({ min: 1, default: 30_000 }),
      ...upstreamShape,
    }),
    { env },
  ) as { PORT: number; LOG_LEVEL: string; UPSTREAM_TIMEOUT_MS: number } & Record<string, string | undefined>;
  return {
    port: settings.PORT,
    logLevel: settings.LOG_LEVEL,
    upstreamTimeoutMs: settings.UPSTREAM_TIMEOUT_MS,
    table,
    upstreams: resolveUpstreams(table, settings),
  };
}
