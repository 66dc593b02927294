/** The response a completed request gave, replayed to every retry with the same key. */
export interface StoredResponse {
  status: number;
  /** The JSON body as sent (serialised), or null for none. */
  body: string | null;
  /** The headers that belong to the result (content-type, location). */
  headers: Record<string, string>;
}

/** What `begin` found for a key. */
export type Begun =
  /** The key is this request's now; `owner` proves it when completing or releasing. */
  | { kind: 'acquired'; owner: string }
  /** An earlier request with the same key and the same fingerprint completed: answer what it answered. */
  | { kind: 'replay'; response: StoredResponse }
  /** The same key was used for another request (another body, path or method). */
  | { kind: 'mismatch' }
  /** A request with this key is being handled right now. */
  | { kind: 'in_progress' };

export interface KeyTimings {
  /** How long a completed key is kept and replayed. */
  ttlMs: number;
  /**
   * How long a key stays taken by a request that has not completed. After that (its process died),
   * a retry may run the command again: longer than any request may take.
   */
  lockMs: number;
}

/** Where keys live: the service's own database, so every instance of the service sees the same keys. */
export interface IdempotencyStore {
  begin(key: string, fingerprint: string, timings: KeyTimings): Promise<Begun>;
  /** Records the response of the request that owns the key. False when it no longer owns it. */
  complete(key: string, owner: string, response: StoredResponse): Promise<boolean>;
  /** Gives the key up (the request failed, nothing was applied), so that a retry runs it afresh. */
  release(key: string, owner: string): Promise<void>;
  /** Deletes expired keys; returns how many. */
  purgeExpired(): Promise<number>;
}

/** A key another request holds, as a store read it. */
export interface HeldKey {
  fingerprint: string;
  completed: boolean;
  response?: StoredResponse;
}

/** The answer for a key that is held (neither expired nor abandoned) by another request. */
export function judgeHeldKey(held: HeldKey, fingerprint: string): Begun {
  if (held.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (!held.completed || !held.response) return { kind: 'in_progress' };
  return { kind: 'replay', response: held.response };
}
