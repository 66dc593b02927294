import type { RouteTable } from './routes';

/** The variable overriding a service's upstream base URL: user-service → UPSTREAM_USER_SERVICE. */
export function upstreamVariable(service: string): string {
  return `UPSTREAM_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Each service's base URL: the override when one is set, else http://127.0.0.1:<its local port>.
 * `overrides` maps a variable name (see upstreamVariable) to a URL.
 */
export function resolveUpstreams(table: RouteTable, overrides: Readonly<Record<string, string | undefined>>): Map<string, URL> {
  const upstreams = new Map<string, URL>();
  for (const [service, { port }] of Object.entries(table.services)) {
    const override = overrides[upstreamVariable(service)];
    upstreams.set(service, new URL(override || `http://127.0.0.1:${port}`));
  }
  return upstreams;
}
