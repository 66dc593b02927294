import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { HttpError, unsupportedMediaType } from './errors';

/** One entry of a `validation_failed` error's details. */
export interface FieldProblem {
  /** The dotted path of the bad field ("user.email", "items.0.sku"); "(root)" for the value itself. */
  field: string;
  message: string;
}

/** The 400 `validation_failed` error, naming each bad field. */
export function validationFailed(error: z.ZodError): HttpError {
  return new HttpError(400, 'validation_failed', 'request validation failed', fieldProblems(error));
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    // zod reports unknown keys (strictObject) as one issue on the parent; name each key instead.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: joinPath([...issue.path, key]), message: 'unknown field' }));
    }
    return [{ field: joinPath(issue.path), message: issue.message }];
  });
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Parses `value` with `schema`, or throws the 400 `validation_failed` naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error);
  return result.data;
}

// biome-ignore lint/suspicious/noExplicitAny: any route's context, whatever its state, context and body types.
type AnyContext = ParameterizedContext<any, any, any>;

/**
 * Validates the JSON request body. A request without a body validates as `{}`, so that each
 * required field is named; a body of another content type is refused with 415.
 */
export function validateBody<S extends z.ZodType>(ctx: AnyContext, schema: S): z.output<S> {
  if (hasBody(ctx) && !ctx.is('application/json', '+json')) throw unsupportedMediaType();
  return validate(schema, ctx.request.body ?? {});
}

/** Validates the route parameters (always strings: see `intParam`). */
export function validateParams<S extends z.ZodType>(ctx: AnyContext, schema: S): z.output<S> {
  return validate(schema, (ctx as { params?: unknown }).params ?? {});
}

/**
 * Validates the query string of a route that declared `acceptsQuery`: a key the schema does not name is
 * refused with 400 `unknown_query_parameter`. Repeated keys arrive as arrays; nothing is nested.
 */
export function validateQuery<S extends z.ZodObject>(ctx: AnyContext, schema: S): z.output<S> {
  const unknown = Object.keys(ctx.query as object).filter((key) => !Object.hasOwn(schema.shape, key));
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      'unknown_query_parameter',
      `unknown query parameter(s): ${unknown.join(', ')}`,
      unknown.map((key) => ({ field: `query.${key}`, message: 'unknown query parameter' })),
    );
  }
  return validate(schema, ctx.query);
}

function hasBody(ctx: AnyContext): boolean {
  if (ctx.get('transfer-encoding') !== '') return true;
  const length = ctx.request.length;
  return length !== undefined && length > 0;
}

/**
 * A path or query parameter holding a whole number written in plain decimal. Stricter than
 * z.coerce.number(), which takes "", " 1", "1e3" and "0x10".
 */
export function intParam(options: { min?: number; max?: number } = {}) {
  let number = z
    .number()
    .int()
    .max(options.max ?? Number.MAX_SAFE_INTEGER);
  if (options.min !== undefined) number = number.min(options.min);
  return z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(number);
}

/** The largest value of a PostgreSQL `integer` (and an Avro `int`). */
export const INT32_MAX = 2_147_483_647;

/** A whole JSON number that fits an `integer` column. */
export function int32(options: { min?: number } = {}) {
  return z
    .number()
    .int()
    .min(options.min ?? -INT32_MAX - 1)
    .max(INT32_MAX);
}

/**
 * Text as the stores hold it: at most `max` characters, no NUL (PostgreSQL text cannot hold it) and no
 * lone UTF-16 surrogate (it has no UTF-8 form, so it would be stored as U+FFFD: silently changed).
 */
export function text(options: { min?: number; max: number; trim?: boolean }) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(options.min ?? 0)
    .max(options.max)
    .refine((value) => !value.includes('\u0000'), 'must not contain the NUL character')
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogate)');
}

/**
 * The numeric id of a path (`/users/:id`) for an `integer` column. Not a positive whole number → 400;
 * a well-formed number beyond the column's range → 404 `what` does not exist, because no such resource
 * can exist (the request itself is fine, like any id nobody has).
 */
export function int32PathId(ctx: AnyContext, what: string, param = 'id'): number {
  const { [param]: id } = validateParams(ctx, z.object({ [param]: z.string().regex(/^[0-9]{1,30}$/, 'must be a positive whole number') }));
  const value = Number(id);
  if (value < 1) throw validationFailedFor(param, 'must be a positive whole number');
  if (value > INT32_MAX) throw new HttpError(404, 'not_found', `${what} ${id} does not exist`);
  return value;
}

function validationFailedFor(field: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', 'request validation failed', [{ field, message }]);
}
