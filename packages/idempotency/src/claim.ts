import type { StoredResponse } from './store';

/**
 * The key a request holds while its command runs. A command whose writes commit in one database
 * transaction stores its response there too (PostgresIdempotencyStore.completeIn), so that no crash
 * between the commit and the response leaves a key whose retry would run the command again.
 */
export interface IdempotencyClaim {
  readonly key: string;
  readonly owner: string;
  /** True once the response committed with the command: the middleware then stores nothing more. */
  completed: boolean;
}

/** Claims by request context: the middleware sets them, command handlers read them. */
const claims = new WeakMap<object, IdempotencyClaim>();

export function setIdempotencyClaim(ctx: object, claim: IdempotencyClaim): void {
  claims.set(ctx, claim);
}

/** The claim of the request, when it came with an Idempotency-Key and holds it. */
export function idempotencyClaim(ctx: object): IdempotencyClaim | undefined {
  return claims.get(ctx);
}

/** What Koa sends for a JSON body, as a stored response: the retry gets the same bytes and type. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): StoredResponse {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/**
 * A keyed command's response as a MongoDB command document carries it, written by the command's own
 * single-document write: a retry after the process died between that write and storing the key's
 * response finds it there (MongoIdempotencyStore's `commandCollections`).
 */
export interface RecordedResponse extends StoredResponse {
  key: string;
  at: Date;
}

/** The array field of command documents that holds the responses of the keyed commands that wrote them. */
export const RECORDED_RESPONSES = 'idempotencyKeys';
/** How many a document keeps: the latest (a key outlives its command only by the key's TTL). */
const RECORDED_RESPONSES_KEPT = 20;

export function recordedResponse(claim: IdempotencyClaim, response: StoredResponse): RecordedResponse {
  return { key: claim.key, ...response, at: new Date() };
}

/** The `$push` of an update that records the response with the change it makes. */
export function pushRecordedResponse(claim: IdempotencyClaim, response: StoredResponse) {
  return { [RECORDED_RESPONSES]: { $each: [recordedResponse(claim, response)], $slice: -RECORDED_RESPONSES_KEPT } };
}
