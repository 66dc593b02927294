export { createHttpService, type HttpService, type HttpServiceOptions } from './service';
export type { ServiceState } from './state';
export {
  HttpError,
  type ErrorBody,
  badRequest,
  unauthorized,
  forbidden,
  notFound,
  methodNotAllowed,
  conflict,
  payloadTooLarge,
  unsupportedMediaType,
  unprocessable,
  serviceUnavailable,
  internalError,
} from './errors';
export {
  validate,
  validateBody,
  validateParams,
  validateQuery,
  validationFailed,
  intParam,
  int32,
  int32PathId,
  text,
  INT32_MAX,
  type FieldProblem,
} from './validation';
export { acceptsQuery } from './query-guard';
export { labelRoute } from './route-label';
export { runReadinessChecks, type LivenessCheck, type ReadinessCheck } from './health';
export { requestIdFrom, REQUEST_ID_HEADER } from './request-id';
export type { ShutdownHook } from './shutdown';
export type { Router, RouterContext } from '@koa/router';
