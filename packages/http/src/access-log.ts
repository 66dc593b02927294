import { trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { httpRequestDuration } from '@eventline/observability';
import { routeLabel } from './route-label';
import type { ServiceState } from './state';

/** The routes that kubelet's probes and Prometheus's scrapes call every few seconds on every pod. */
const MACHINE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line and one latency observation per request. The metric is labelled with the route
 * template @koa/router matched (`/users/:id`, or a labelRoute label), never the raw path, so label
 * cardinality stays bounded. Probe and scrape requests that succeed are logged at debug, so that a
 * tail of the logs (`skaffold dev`, `kubectl logs`) shows what the service does; they are still
 * counted in the metric, and a failing probe is logged like any request. When the request is
 * traced, its server span is named after the route too and the log line carries the trace id.
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
      const span = trace.getActiveSpan();
      const traced = span?.isRecording() === true;
      if (traced) {
        span.updateName(`${ctx.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      const line = {
        method: ctx.method,
        path: ctx.path,
        route,
        status: ctx.status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        ...(traced ? { traceId: span.spanContext().traceId } : {}),
      };
      if (ctx.status >= 500) ctx.state.log.error(line, 'request completed');
      else if (ctx.status < 400 && MACHINE_ROUTES.has(route)) ctx.state.log.debug(line, 'request completed');
      else ctx.state.log.info(line, 'request completed');
    }
  };
}
