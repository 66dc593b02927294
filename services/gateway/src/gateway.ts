import { Agent } from 'node:http';
import { acceptsQuery, createHttpService, labelRoute, notFound, type HttpService } from '@eventline/http';
import type { Logger } from '@eventline/observability';
import { matchPublicRoute } from './matcher';
import { forward } from './proxy';
import type { RouteTable } from './routes';

export interface GatewayOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  logger?: Logger;
  table: RouteTable;
  /** Base URL of each service of the table. */
  upstreams: ReadonlyMap<string, URL>;
  upstreamTimeoutMs: number;
  /**
   * The connections to the upstreams. Defaults to a keep-alive agent of the gateway's own, destroyed
   * when it stops; one passed here belongs to the caller.
   */
  agent?: Agent;
}

/**
 * The local stand-in for the ingress: every public route of the table is forwarded unchanged to its
 * service. Ready as soon as it listens; an upstream that is down answers 502 on its own routes only.
 */
export function createGateway(options: GatewayOptions): HttpService {
  for (const { service } of options.table.routes) {
    if (!options.upstreams.has(service)) throw new Error(`no upstream URL for ${service}`);
  }
  const agent = options.agent ?? new Agent({ keepAlive: true });

  const gateway = createHttpService({
    name: 'gateway',
    port: options.port,
    host: options.host,
    logger: options.logger,
    // Bodies are streamed through byte for byte: no parser may read them first.
    parseBodies: false,
    routes: (router) => {
      // After /healthz, /readyz and /metrics, which the skeleton registered first.
      // Query strings go through to the services, which judge them.
      router.all('{/*path}', acceptsQuery, async (ctx) => {
        const route = matchPublicRoute(options.table.routes, ctx.path);
        if (!route) throw notFound(`no route for ${ctx.method} ${ctx.path}`);
        // The access log and latency metric label requests with this; one label per table entry.
        labelRoute(ctx, route.match === 'prefix' ? `${route.path}*` : route.path);
        const baseUrl = options.upstreams.get(route.service) as URL;
        await forward(ctx, { service: route.service, baseUrl }, { agent, timeoutMs: options.upstreamTimeoutMs });
      });
    },
  });

  if (!options.agent) gateway.onShutdown('upstream connections', () => agent.destroy());
  return gateway;
}
