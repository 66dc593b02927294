import type { Middleware } from 'koa';
import { httpRequestDuration } from '@eventline/observability';
import { routeLabel } from './route-label';
import type { ServiceState } from './state';

/**
 * One log line and one latency observation per request. The metric is labelled with the route
 * template @koa/router matched (`/users/:id`, or a labelRoute label), never the raw path, so label
 * cardinality stays bounded.
 */
export function accessLog(): Middleware<ServiceState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(ctx);
      httpRequestDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      const line = { method: ctx.method, path: ctx.path, route, status: ctx.status, durationMs: Math.round(seconds * 1e6) / 1e3 };
      if (ctx.status >= 500) ctx.state.log.error(line, 'request completed');
      else ctx.state.log.info(line, 'request completed');
    }
  };
}
