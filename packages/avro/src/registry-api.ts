/**
 * The few Confluent-API calls `@kafkajs/confluent-schema-registry` does not expose (compatibility
 * test, subject config, version listing), over plain fetch. Encoding, decoding, schema lookup and
 * registration go through the client itself.
 */
export const defaultRegistryUrl = 'http://127.0.0.1:8085/apis/ccompat/v7';

/** `$SCHEMA_REGISTRY_URL`, else the local Apicurio's Confluent-compatible API. */
export function registryUrlFromEnv(): string {
  return process.env.SCHEMA_REGISTRY_URL || defaultRegistryUrl;
}

export interface RegisteredVersion {
  version: number;
  id: number;
  schema: string;
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message?: string; error_code?: number } | string,
    readonly request: string,
  ) {
    super(`${request} answered ${status}: ${typeof body === 'string' ? body : (body.message ?? JSON.stringify(body))}`);
    this.name = 'RegistryHttpError';
  }
}

/**
 * A registry that takes the connection and never answers (one still starting behind its Service, say)
 * fails the call instead of hanging it: the schemas hook Job then exits 3 and is retried, where a hung
 * request would hold the Helm install until its own timeout.
 */
const requestTimeoutMs = Number(process.env.SCHEMA_REGISTRY_TIMEOUT_MS) || 15_000;

async function call<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const url = `${baseUrl.replace(/\/$/, '')}${path}`;
  let text: string;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') throw new Error(`${method} ${url}: no answer within ${requestTimeoutMs} ms`);
    throw error;
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // non-JSON error bodies are kept as text
  }
  if (!response.ok) throw new RegistryHttpError(response.status, parsed as never, `${method} ${url}`);
  return parsed as T;
}

const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
const isNotFound = (error: unknown) => error instanceof RegistryHttpError && error.status === 404;

/** All versions of a subject, oldest first; empty when the subject does not exist. */
export async function subjectVersions(baseUrl: string, subject: string): Promise<RegisteredVersion[]> {
  let numbers: number[];
  try {
    numbers = await call<number[]>(baseUrl, 'GET', `${subjectPath(subject)}/versions`);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const versions = await Promise.all([...numbers].sort((a, b) => a - b).map((n) => call<RegisteredVersion>(baseUrl, 'GET', `${subjectPath(subject)}/versions/${n}`)));
  return versions.map(({ version, id, schema }) => ({ version, id, schema }));
}

/** The version holding exactly this schema text, if registered under the subject. */
export async function findVersion(baseUrl: string, subject: string, schema: string): Promise<RegisteredVersion | undefined> {
  try {
    const found = await call<RegisteredVersion>(baseUrl, 'POST', subjectPath(subject), { schema });
    return { version: found.version, id: found.id, schema: found.schema ?? schema };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The registry's own verdict against the latest version, under the subject's current level. */
export async function isCompatibleWithLatest(baseUrl: string, subject: string, schema: string): Promise<boolean> {
  const result = await call<{ is_compatible: boolean }>(baseUrl, 'POST', `/compatibility${subjectPath(subject)}/versions/latest`, { schema });
  return result.is_compatible;
}

/** The subject's own compatibility level, or undefined when it has none (Confluent: 404; Apicurio may say NONE). */
export async function subjectCompatibility(baseUrl: string, subject: string): Promise<string | undefined> {
  try {
    const { compatibilityLevel } = await call<{ compatibilityLevel: string }>(baseUrl, 'GET', `/config/${encodeURIComponent(subject)}`);
    return compatibilityLevel.toUpperCase();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function setSubjectCompatibility(baseUrl: string, subject: string, level: string): Promise<void> {
  await call(baseUrl, 'PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
}
