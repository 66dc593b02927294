import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors';
import { REQUIRED } from './settings';

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** A JSON file of the same keys; defaults to env CONFIG_FILE. The environment overrides it. */
  file?: string;
}

type ConfigShape = z.ZodObject<z.ZodRawShape>;

/**
 * Reads the settings named by `shape` (keys are env-var names) from the file and the environment,
 * and validates them all at once. Empty environment values count as unset.
 */
export function loadConfig<S extends ConfigShape>(shape: S, options: LoadConfigOptions = {}): z.output<S> {
  const env = options.env ?? process.env;
  const keys = Object.keys(shape.shape);
  const file = options.file ?? (env.CONFIG_FILE || undefined);
  const problems: string[] = [];

  const raw: Record<string, unknown> = {};
  if (file !== undefined) {
    const fromFile = readConfigFile(file);
    for (const key of Object.keys(fromFile)) {
      if (keys.includes(key)) raw[key] = fromFile[key];
      else problems.push(`${key} in ${file} is not a known setting`);
    }
  }
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }

  const result = shape.safeParse(raw);
  if (!result.success) {
    const reported = new Set<string>();
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (reported.has(key)) continue;
      reported.add(key);
      problems.push(describeProblem(key, raw[key], issue.message));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: z.output<S> }).data;
}

/** Like loadConfig, but a bad configuration ends the process with EX_CONFIG (78) and the reasons on stderr. */
export function loadConfigOrExit<S extends ConfigShape>(shape: S, options: LoadConfigOptions = {}): z.output<S> {
  try {
    return loadConfig(shape, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return process.exit(78);
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`config file ${file} is not valid JSON (${(error as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file} must hold a JSON object`]);
  }
  return parsed as Record<string, unknown>;
}

function describeProblem(key: string, value: unknown, message: string): string {
  if (value === undefined || message === REQUIRED) return `${key} ${REQUIRED}`;
  const got = `(got ${printable(key, value)})`;
  // Messages of our setting helpers read as predicates; zod's own ones ("Invalid input: ...") do not.
  return message.startsWith('must ') ? `${key} ${message} ${got}` : `${key} is invalid: ${message} ${got}`;
}

/** Hides secrets the message would otherwise print to logs: passwords in URLs, secret-named settings. */
function printable(key: string, value: unknown): string {
  if (/PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY/i.test(key)) return '<redacted>';
  const text = JSON.stringify(value) ?? String(value);
  const clipped = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return clipped.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/g, '$1***@');
}
