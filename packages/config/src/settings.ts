import { z } from 'zod';

/**
 * Setting schemas for `loadConfig`. Each accepts the string form found in the environment and the
 * JSON form found in a config file ("8080" or 8080, "a,b" or ["a","b"]).
 *
 * Their messages are predicates ("must be ...") so that the loader can print
 * `PORT must be an integer between 1 and 65535 (got "abc")`.
 */

export const REQUIRED = 'is required';

type Parsed<T> = { ok: true; value: T } | { ok: false };

function setting<T>(expectation: string, parse: (raw: unknown) => Parsed<T>) {
  return z.unknown().transform((raw, ctx): T => {
    if (raw === undefined) {
      ctx.addIssue({ code: 'custom', message: REQUIRED });
      return z.NEVER;
    }
    const parsed = parse(raw);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: `must be ${expectation}` });
      return z.NEVER;
    }
    return parsed.value;
  });
}

function withDefault<T>(schema: z.ZodType<T, unknown>, fallback: T | undefined) {
  return fallback === undefined ? schema : schema.default(fallback as never);
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad: Parsed<never> = { ok: false };

export interface IntOptions {
  min?: number;
  max?: number;
  default?: number;
}

/** A whole number written in decimal ("12", not "12.5", "1e3" or "0x0c"), optionally within a range. */
export function int(options: IntOptions = {}) {
  const { min, max } = options;
  const range = min !== undefined && max !== undefined ? ` between ${min} and ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  return withDefault(
    setting(`an integer${range}`, (raw) => {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(value)) return bad;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) return bad;
      return ok(value);
    }),
    options.default,
  );
}

/** A TCP port to listen on or connect to. */
export function port(fallback?: number) {
  return int({ min: 1, max: 65535, default: fallback });
}

/** "true" or "false" (or a JSON boolean in the file). */
export function bool(fallback?: boolean) {
  return withDefault(
    setting('"true" or "false"', (raw) => (raw === true || raw === 'true' ? ok(true) : raw === false || raw === 'false' ? ok(false) : bad)),
    fallback,
  );
}

export interface StrOptions {
  default?: string;
}

/** Any non-empty string. */
export function str(options: StrOptions = {}) {
  return withDefault(
    setting('a non-empty string', (raw) => (typeof raw === 'string' && raw.trim() !== '' ? ok(raw) : bad)),
    options.default,
  );
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[], fallback?: T) {
  const allowed = values.map((value) => `"${value}"`).join(', ');
  return withDefault(
    setting(`one of ${allowed}`, (raw) => (typeof raw === 'string' && (values as readonly string[]).includes(raw) ? ok(raw as T) : bad)),
    fallback,
  );
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino log level. */
export function logLevel(fallback: (typeof LOG_LEVELS)[number] = 'info') {
  return oneOf(LOG_LEVELS, fallback);
}

export interface UrlOptions {
  /** Accepted schemes without the colon, e.g. ['postgres', 'postgresql']; any when omitted. */
  protocols?: readonly string[];
  default?: string;
}

/** An absolute URL, kept as the string given (drivers take strings). */
export function url(options: UrlOptions = {}) {
  const protocols = options.protocols?.map((protocol) => protocol.replace(/:$/, ''));
  const expectation = protocols ? `a URL with scheme ${protocols.join(' or ')}` : 'an absolute URL';
  return withDefault(
    setting(expectation, (raw) => {
      if (typeof raw !== 'string' || !URL.canParse(raw)) return bad;
      const scheme = new URL(raw).protocol.replace(/:$/, '');
      return protocols && !protocols.includes(scheme) ? bad : ok(raw);
    }),
    options.default,
  );
}

export interface ListOptions {
  /** Fewest items accepted; 1 by default, since an empty broker or host list is never meant. */
  min?: number;
  default?: string[];
}

/** A comma-separated list ("a:9092, b:9092"), items trimmed, empty items dropped. */
export function list(options: ListOptions = {}) {
  const min = options.min ?? 1;
  const expectation = `a comma-separated list of at least ${min} item${min === 1 ? '' : 's'}`;
  return withDefault(
    setting(expectation, (raw) => {
      const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) && raw.every((item) => typeof item === 'string') ? (raw as string[]) : undefined;
      if (!items) return bad;
      const trimmed = items.map((item) => item.trim()).filter((item) => item !== '');
      return trimmed.length >= min ? ok(trimmed) : bad;
    }),
    options.default,
  );
}
