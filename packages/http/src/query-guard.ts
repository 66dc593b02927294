import { METHODS } from 'node:http';
import type { Middleware } from 'koa';
import type { Router } from '@koa/router';
import { HttpError } from './errors';
import { routerPath } from './route-label';
import type { ServiceState } from './state';

/**
 * Put among a route's middleware to declare that the route reads query parameters (it validates them
 * itself, with `validateQuery`). Routes without it refuse any query string.
 */
export const acceptsQuery: Middleware = (_ctx, next) => next();

/**
 * Runs first in every route that did not declare `acceptsQuery`: a query string is refused with 400
 * naming each key, so that `?id[$ne]=1` or a misspelt filter is never silently ignored.
 */
const refuseQuery: Middleware<ServiceState> = (ctx, next) => {
  if (ctx.querystring !== '') {
    const keys = [...new Set(new URLSearchParams(ctx.querystring).keys())];
    throw new HttpError(
      400,
      'unknown_query_parameter',
      `${ctx.method} ${routerPath(ctx) ?? ctx.path} takes no query parameters`,
      keys.map((key) => ({ field: `query.${key}`, message: 'unknown query parameter' })),
    );
  }
  return next();
};

/** The router's documented route-registering methods: one per verb of node's http.METHODS, `del` and `all`. */
const ROUTE_METHODS: ReadonlySet<string> = new Set([...METHODS.map((method) => method.toLowerCase()), 'del', 'all']);

/**
 * Puts `refuseQuery` first in the middleware of each route registered through the returned router
 * (`get(path, ...middleware)`, `post`, …, `all`, each with an optional leading route name), unless
 * `acceptsQuery` is among them. The router itself is unchanged, and everything else (`use`, `param`,
 * `prefix`, …) passes straight through; routes of a nested router mounted with `use` are not guarded.
 * Only the documented registration signatures are relied on: the middleware are the function arguments.
 */
export function guardQueries(router: Router<ServiceState>): Router<ServiceState> {
  const guarded: Router<ServiceState> = new Proxy(router, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !ROUTE_METHODS.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const registered: unknown = Reflect.apply(value, target, withQueryGuard(args));
        // Keep chained calls (`router.get(…).post(…)`) on the guarded view.
        return registered === target ? guarded : registered;
      };
    },
  });
  return guarded;
}

function withQueryGuard(args: readonly unknown[]): unknown[] {
  const firstMiddleware = args.findIndex((arg) => typeof arg === 'function');
  // No middleware: the router refuses the registration itself.
  if (firstMiddleware === -1 || args.includes(acceptsQuery)) return [...args];
  return [...args.slice(0, firstMiddleware), refuseQuery, ...args.slice(firstMiddleware)];
}
