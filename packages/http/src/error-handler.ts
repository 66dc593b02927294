import type { Middleware, ParameterizedContext } from 'koa';
import { codeForStatus, HttpError, toHttpError } from './errors';
import { routeMatched } from './route-label';
import type { ServiceState } from './state';

/**
 * Answers every error with the one JSON shape: thrown errors, and statuses of 400 and above that
 * were set without a body (the router's 404/405/501, a handler's bare `ctx.status = 409`).
 */
export function errorHandler(): Middleware<ServiceState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) throw errorForBareStatus(ctx);
    } catch (thrown) {
      const error = toHttpError(thrown);
      if (error.status >= 500) ctx.state.log.error({ err: thrown }, 'request failed');
      ctx.status = error.status;
      // A dependency that is down is worth a retry once it is back (a restart, a failover).
      if (error.status === 503) ctx.set('Retry-After', '1');
      ctx.body = error.toBody();
    }
  };
}

function errorForBareStatus(ctx: ParameterizedContext<ServiceState>): HttpError {
  const message =
    ctx.status === 404 && !routeMatched(ctx)
      ? `no route for ${ctx.method} ${ctx.path}`
      : ctx.status === 405
        ? `method ${ctx.method} not allowed on ${ctx.path}`
        : ctx.message.toLowerCase();
  return new HttpError(ctx.status, codeForStatus(ctx.status), message);
}
