import { createHash } from 'node:crypto';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Why an Idempotency-Key header cannot be used; the middleware answers 400 with it. */
export class InvalidIdempotencyKey extends Error {
  override readonly name = 'InvalidIdempotencyKey';
}

const MAX_KEY_LENGTH = 255;

/**
 * The key of an `Idempotency-Key` header. The IETF httpapi draft makes it a Structured Field String
 * (`"8e03978e-…"`); a bare token (`8e03978e-…`), which many clients send, is taken too. Printable
 * ASCII only, 1–255 characters.
 */
export function parseIdempotencyKey(header: string): string {
  const value = header.trim();
  let key: string;
  if (value.startsWith('"')) {
    const match = /^"((?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\["\\])*)"$/.exec(value);
    if (!match) throw new InvalidIdempotencyKey('Idempotency-Key must be a quoted string of printable ASCII (\\" and \\\\ escaped) or a bare token');
    key = match[1]!.replace(/\\(["\\])/g, '$1');
  } else {
    if (!/^[\x21-\x7E]+$/.test(value) || value.includes('"')) {
      throw new InvalidIdempotencyKey('Idempotency-Key must be a quoted string or a token of printable ASCII without spaces');
    }
    key = value;
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new InvalidIdempotencyKey(`Idempotency-Key must be 1-${MAX_KEY_LENGTH} characters`);
  return key;
}

/**
 * What makes two requests "the same request" for one key: method, path, query and the body's exact
 * bytes. The draft leaves the choice to the server; byte equality refuses nothing a retry would send.
 */
export function requestFingerprint(method: string, path: string, querystring: string, rawBody: string): string {
  return createHash('sha256').update(`${method} ${path}?${querystring}\n`).update(rawBody).digest('hex');
}
