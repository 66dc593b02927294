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

/** Validates the query string. Repeated keys arrive as arrays; nothing is nested. */
export function validateQuery<S extends z.ZodType>(ctx: AnyContext, schema: S): z.output<S> {
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
  let number = z.number().int().max(options.max ?? Number.MAX_SAFE_INTEGER);
  if (options.min !== undefined) number = number.min(options.min);
  return z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(number);
}
