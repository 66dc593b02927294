import { isUnavailableDependency } from './unavailable-dependency';

/** The one error body every eventline endpoint answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error meant for the client: its status, code, message and details are sent as they are. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export const badRequest = (message = 'bad request', details?: unknown) => new HttpError(400, 'bad_request', message, details);
export const unauthorized = (message = 'authentication required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'forbidden') => new HttpError(403, 'forbidden', message);
export const notFound = (message = 'not found', details?: unknown) => new HttpError(404, 'not_found', message, details);
export const methodNotAllowed = (message = 'method not allowed') => new HttpError(405, 'method_not_allowed', message);
export const conflict = (message = 'conflict', details?: unknown) => new HttpError(409, 'conflict', message, details);
export const payloadTooLarge = (message = 'request body too large') => new HttpError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message = 'request body must be application/json') => new HttpError(415, 'unsupported_media_type', message);
export const unprocessable = (message = 'unprocessable entity', details?: unknown) => new HttpError(422, 'unprocessable_entity', message, details);
export const serviceUnavailable = (message = 'service unavailable') => new HttpError(503, 'unavailable', message);
export const internalError = () => new HttpError(500, 'internal', 'internal server error');

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  501: 'not_implemented',
  503: 'unavailable',
};

/** The error code for a status set without a body, or thrown by a library (http-errors). */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** What koa, raw-body, co-body and http-errors throw: an Error with a status and an optional type. */
interface LibraryError extends Error {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
}

/**
 * Turns anything thrown while handling a request into the HttpError to answer with. Errors that do
 * not map to a client error become the 500 `internal`, whose message never reveals the cause.
 */
export function toHttpError(thrown: unknown): HttpError {
  if (thrown instanceof HttpError) return thrown;
  // Before the instanceof check: what Node's own fetch throws comes from another realm under jest.
  if (isUnavailableDependency(thrown)) return serviceUnavailable('a server this service depends on is unavailable; retry later');
  if (!(thrown instanceof Error)) return internalError();

  const error = thrown as LibraryError;
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 599) return internalError();

  // Body parsing failures (co-body / raw-body).
  if (error.type === 'entity.too.large') return payloadTooLarge();
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_media_type', error.message);
  }
  if (status === 400 && error instanceof SyntaxError) {
    // co-body parses with bourne, which refuses the key rather than let it reach an object's prototype.
    if (/forbidden prototype property/.test(error.message)) {
      return new HttpError(400, 'forbidden_key', 'request body has a "__proto__" key, which is never accepted');
    }
    return new HttpError(400, 'malformed_json', 'request body is not valid JSON');
  }

  // http-errors marks messages safe to show with `expose` (true for 4xx); 5xx stay opaque.
  if (status === 500) return internalError();
  if (status > 500) return new HttpError(status, codeForStatus(status), 'service error');
  const message = error.expose === true ? error.message : 'request failed';
  return new HttpError(status, codeForStatus(status), message);
}
