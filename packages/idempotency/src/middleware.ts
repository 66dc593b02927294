import type { Middleware } from 'koa';
import { HttpError, type ServiceState } from '@eventline/http';
import { delaypoint, failpoint } from '@eventline/observability';
import { setIdempotencyClaim, type IdempotencyClaim } from './claim';
import { IDEMPOTENCY_KEY_HEADER, InvalidIdempotencyKey, parseIdempotencyKey, requestFingerprint } from './key';
import type { IdempotencyStore, KeyTimings, StoredResponse } from './store';

export interface IdempotencyOptions {
  store: IdempotencyStore;
  timings: KeyTimings;
  /** The command methods that honour the header. Defaults to POST and PATCH (PUT and DELETE are idempotent already). */
  methods?: readonly string[];
}

export const REPLAYED_HEADER = 'idempotent-replayed';
const KEPT_HEADERS = ['content-type', 'location'];

/**
 * The IETF httpapi Idempotency-Key semantics for command routes: the first request with a key runs;
 * a retry with the same key and the same request gets the first response again (marked
 * `Idempotent-Replayed: true`) and changes nothing; the same key with another request is 422; a retry
 * while the first is still running is 409. Only a 2xx is kept: any other answer applied nothing, so
 * the key is given up and a retry runs afresh. A command that commits its response with its writes
 * (see IdempotencyClaim) leaves nothing to store here; any other has its response stored after it ran.
 */
export function idempotencyKeys(options: IdempotencyOptions): Middleware<ServiceState> {
  const methods = new Set(options.methods ?? ['POST', 'PATCH']);
  return async (ctx, next) => {
    const header = ctx.get(IDEMPOTENCY_KEY_HEADER);
    if (!methods.has(ctx.method) || header === '') return next();
    let key: string;
    try {
      key = parseIdempotencyKey(header);
    } catch (error) {
      if (error instanceof InvalidIdempotencyKey) throw new HttpError(400, 'invalid_idempotency_key', error.message, [{ field: 'header.Idempotency-Key', message: error.message }]);
      throw error;
    }
    const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
    const begun = await options.store.begin(key, requestFingerprint(ctx.method, ctx.path, ctx.querystring, rawBody), options.timings);
    switch (begun.kind) {
      case 'replay':
        replay(ctx, begun.response);
        return;
      case 'mismatch':
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request (method, path, query or body)');
      case 'in_progress':
        ctx.set('Retry-After', '1');
        throw new HttpError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed; retry shortly');
      case 'acquired':
        break;
    }
    const claim: IdempotencyClaim = { key, owner: begun.owner, completed: false };
    setIdempotencyClaim(ctx, claim);
    try {
      await next();
      // Fault tests: the command committed, its response not sent nor (unless with the command) stored.
      failpoint('idempotency.after-command');
    } catch (error) {
      await options.store.release(key, begun.owner).catch((releaseError: unknown) => ctx.state.log.error({ err: releaseError }, 'releasing an idempotency key failed'));
      throw error;
    }
    const response = claim.completed ? undefined : storable(ctx);
    if (!claim.completed && !response) {
      await options.store.release(key, begun.owner);
      return;
    }
    await delaypoint('idempotency.before-complete');
    if (!response) return;
    if (!(await options.store.complete(key, begun.owner, response))) {
      ctx.state.log.warn({ idempotencyKey: key }, 'the idempotency key was taken over before the response was stored');
    }
  };
}

function storable(ctx: Parameters<Middleware<ServiceState>>[0]): StoredResponse | undefined {
  if (ctx.status < 200 || ctx.status >= 300) return undefined;
  const body: unknown = ctx.body;
  if (body !== null && body !== undefined && typeof body !== 'object' && typeof body !== 'string') return undefined;
  if (Buffer.isBuffer(body) || (typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function')) return undefined;
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = ctx.response.get(name);
    if (value) headers[name] = value;
  }
  return { status: ctx.status, body: body === undefined || body === null ? null : JSON.stringify(body), headers };
}

function replay(ctx: Parameters<Middleware<ServiceState>>[0], response: StoredResponse): void {
  ctx.status = response.status;
  ctx.body = response.body === null ? null : (JSON.parse(response.body) as unknown);
  for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value);
  ctx.set(REPLAYED_HEADER, 'true');
}
