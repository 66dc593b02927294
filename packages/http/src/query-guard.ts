import type { Middleware } from 'koa';
import type { Router, RouterContext } from '@koa/router';
import { HttpError } from './errors';
import type { ServiceState } from './state';

const DECLARES_QUERY = Symbol('eventline.declaresQuery');

type Marked = Middleware & { [DECLARES_QUERY]?: true };

/**
 * Put before a route's handler to declare that the route reads query parameters (it validates them
 * itself, with `validateQuery`). Routes without it refuse any query string.
 */
export const acceptsQuery: Middleware = Object.assign(((_ctx, next) => next()) as Middleware, { [DECLARES_QUERY]: true as const });

/**
 * Registered on the router before every route: a query string sent to a route that declared none is
 * refused with 400 naming each key, so that `?id[$ne]=1` or a misspelt filter is never silently ignored.
 */
export function refuseUndeclaredQuery(): Middleware<ServiceState> {
  return async (ctx, next) => {
    if (ctx.querystring !== '') {
      const { router } = ctx as unknown as RouterContext<ServiceState>;
      const routes = router.match(ctx.path, ctx.method).pathAndMethod.filter((layer) => layer.methods.length > 0);
      // The most specific route is the one the router runs, as it labels ctx._matchedRoute.
      const route = routes[routes.length - 1];
      const declares = route?.stack.some((fn) => (fn as Marked)[DECLARES_QUERY] === true) ?? false;
      if (route && !declares) {
        const keys = [...new Set(new URLSearchParams(ctx.querystring).keys())];
        throw new HttpError(400, 'unknown_query_parameter', `${ctx.method} ${route.path} takes no query parameters`,
          keys.map((key) => ({ field: `query.${key}`, message: 'unknown query parameter' })));
      }
    }
    await next();
  };
}

/** Adds the guard to a router; call before registering routes. */
export function guardQueries(router: Router<ServiceState>): void {
  router.use(refuseUndeclaredQuery());
}
