import type { ParameterizedContext } from 'koa';
import type { RouterContext } from '@koa/router';

export const UNMATCHED_ROUTE = 'unmatched';

/**
 * What @koa/router documents on the context of a request it routed ("Access Router Context
 * Properties" and "404 Handling" in its README): `routerPath`, the template of the route that runs
 * (`/users/:id`), set just before that route's middleware; `routeMatched`, whether a route matched
 * path and method, set before any handler runs. Both are absent when the router never saw the request.
 */
type RoutedContext = ParameterizedContext<unknown, Partial<Pick<RouterContext, 'routerPath' | 'routeMatched'>>>;

/** Labels set with labelRoute; kept here, off ctx and ctx.state, so that nothing else writes them by accident. */
const labels = new WeakMap<object, string>();

/**
 * Names the route a request is counted under in the access log and the latency metric, in place of
 * the router's template: for a handler that routes by itself (the gateway's catch-all labels each
 * request with its route-table entry). The label must come from a bounded set, never the raw path.
 */
export function labelRoute(ctx: ParameterizedContext<unknown>, label: string): void {
  labels.set(ctx, label);
}

/** The label of the request: labelRoute's, else the matched route's template, else `unmatched`. */
export function routeLabel(ctx: RoutedContext): string {
  const template = routerPath(ctx);
  // String(): a route registered with a RegExp has that RegExp as its path.
  return labels.get(ctx) ?? (template === undefined ? UNMATCHED_ROUTE : String(template));
}

/** The template of the route running the request (`/users/:id`), once the router has chosen it. */
export function routerPath(ctx: RoutedContext): string | undefined {
  return ctx.routerPath;
}

/** True when the router matched a route on path and method (false for its 404 and 405). */
export function routeMatched(ctx: RoutedContext): boolean {
  return ctx.routeMatched === true;
}
