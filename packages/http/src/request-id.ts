import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '@eventline/observability';
import type { ServiceState } from './state';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is a sane token (it ends up in logs and headers), else a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Gives every request an id, echoes it, and a logger that puts it on every line (ctx.state.log). */
export function requestId(logger: Logger): Middleware<ServiceState> {
  return async (ctx, next) => {
    const id = requestIdFrom(ctx.get(REQUEST_ID_HEADER) || undefined);
    ctx.state.requestId = id;
    ctx.state.log = logger.child({ requestId: id });
    ctx.set(REQUEST_ID_HEADER, id);
    await next();
  };
}
