import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Type, type types } from 'avsc';

/** The compatibility levels of the Confluent registry API. */
export const compatibilityLevels = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof compatibilityLevels)[number];
export const defaultCompatibility: CompatibilityLevel = 'BACKWARD';

export interface RecordSchema {
  /** Full name, e.g. `dev.eventline.users.UserState`. */
  name: string;
  /** The schema as written in the .avsc file. */
  schema: Record<string, unknown>;
  /** The parsed avsc type: validates, encodes and decodes values of this record. */
  type: types.RecordType;
  /** Where it came from, relative to the schemas directory. */
  file: string;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  compacted: boolean;
  /** Full names of the record types allowed on this topic. */
  records: string[];
  /** Compatibility level per record full name (every record of the topic has one). */
  compatibility: Record<string, CompatibilityLevel>;
  /** The dead-letter twin: raw bytes plus error headers, no schema, never compacted. */
  dlq: { name: string; partitions: number; compacted: false };
}

/** Shaped like kafkajs' `ITopicConfig`, without depending on kafkajs. */
export interface KafkaTopicConfig {
  topic: string;
  numPartitions: number;
  configEntries: { name: string; value: string }[];
}

export interface Catalog {
  /** The schemas directory it was loaded from (`<in memory>` for `buildCatalog`). */
  dir: string;
  records: ReadonlyMap<string, RecordSchema>;
  topics: ReadonlyMap<string, TopicSpec>;
}

export class CatalogError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid schema catalog:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogError';
  }
}

export const dlqSuffix = '.dlq';
export function dlqTopicName(topic: string): string {
  return `${topic}${dlqSuffix}`;
}

export interface AvscSource {
  /** Path relative to the schemas directory, e.g. `users/UserState.avsc`. */
  file: string;
  text: string;
}

const topicKeys = new Set(['name', 'partitions', 'compacted', 'records', 'compatibility']);
const legalTopicName = /^[a-zA-Z0-9._-]{1,200}$/;

/** Builds and validates a catalog from file contents (no I/O); throws `CatalogError` listing every problem. */
export function buildCatalog(avscFiles: AvscSource[], topicsJson: string, dir = '<in memory>'): Catalog {
  const problems: string[] = [];
  const records = new Map<string, RecordSchema>();

  for (const { file, text } of [...avscFiles].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const record = parseAvsc(file, text, problems);
    if (!record) continue;
    const earlier = records.get(record.name);
    if (earlier) {
      problems.push(`${file}: record ${record.name} is already defined in ${earlier.file}`);
      continue;
    }
    records.set(record.name, record);
  }

  const topics = new Map<string, TopicSpec>();
  for (const topic of parseTopics(topicsJson, records, problems)) topics.set(topic.name, topic);

  if (problems.length > 0) throw new CatalogError(problems);
  return { dir, records, topics };
}

function parseAvsc(file: string, text: string, problems: string[]): RecordSchema | undefined {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  if (!isObject(schema) || schema.type !== 'record') {
    problems.push(`${file}: must hold exactly one Avro record (a JSON object with "type": "record")`);
    return undefined;
  }
  let type: Type;
  try {
    type = Type.forSchema(schema as never);
  } catch (error) {
    problems.push(`${file}: not a valid Avro schema (${(error as Error).message})`);
    return undefined;
  }
  const name = type.name as string;
  const parts = file.split(/[\\/]/);
  const domain = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  const expectedNamespace = `dev.eventline.${domain}`;
  const shortName = name.slice(name.lastIndexOf('.') + 1);
  const namespace = name.slice(0, name.lastIndexOf('.'));
  if (!domain || namespace !== expectedNamespace) {
    problems.push(`${file}: namespace must be "${expectedNamespace}" (the folder names the domain), found "${namespace}"`);
  }
  if (basename(file, '.avsc') !== shortName) {
    problems.push(`${file}: the file must be named after its record (${shortName}.avsc)`);
  }
  return { name, schema, type: type as types.RecordType, file };
}

function parseTopics(text: string, records: Map<string, RecordSchema>, problems: string[]): TopicSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(`topics.json: not valid JSON (${(error as Error).message})`);
    return [];
  }
  if (!isObject(parsed) || !Array.isArray(parsed.topics)) {
    problems.push('topics.json: must be an object with a "topics" array');
    return [];
  }
  const topics: TopicSpec[] = [];
  const names = new Set<string>();
  parsed.topics.forEach((entry: unknown, index: number) => {
    const at = `topics.json: topics[${index}]`;
    if (!isObject(entry)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const name = entry.name;
    if (typeof name !== 'string' || !legalTopicName.test(name)) {
      problems.push(`${at}: "name" must be a Kafka topic name (letters, digits, ".", "_", "-")`);
      return;
    }
    const where = `topics.json: topic "${name}"`;
    if (names.has(name)) {
      problems.push(`${where} is listed twice`);
      return;
    }
    names.add(name);
    const before = problems.length;
    for (const key of Object.keys(entry)) {
      if (!topicKeys.has(key)) problems.push(`${where}: unknown key "${key}" (allowed: ${[...topicKeys].join(', ')})`);
    }
    if (name.endsWith(dlqSuffix)) problems.push(`${where}: "${dlqSuffix}" topics are implicit dead-letter twins; do not list them`);
    const { partitions, compacted } = entry;
    if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1) {
      problems.push(`${where}: "partitions" must be a positive integer`);
    }
    if (typeof compacted !== 'boolean') problems.push(`${where}: "compacted" must be true or false`);

    const recordNames = Array.isArray(entry.records) ? entry.records : [];
    if (recordNames.length === 0) problems.push(`${where}: "records" must list at least one record full name`);
    const seen = new Set<string>();
    for (const recordName of recordNames) {
      if (typeof recordName !== 'string') {
        problems.push(`${where}: "records" must hold strings`);
      } else if (seen.has(recordName)) {
        problems.push(`${where}: record ${recordName} is listed twice`);
      } else if (!records.has(recordName)) {
        problems.push(`${where}: unknown record ${recordName}${suggest(recordName, records)}`);
      }
      if (typeof recordName === 'string') seen.add(recordName);
    }

    const compatibility: Record<string, CompatibilityLevel> = {};
    for (const recordName of seen) compatibility[recordName] = defaultCompatibility;
    const overrides = entry.compatibility ?? {};
    if (!isObject(overrides)) {
      problems.push(`${where}: "compatibility" must map record full names to a level`);
    } else {
      for (const [recordName, level] of Object.entries(overrides)) {
        if (!seen.has(recordName)) problems.push(`${where}: compatibility override for ${recordName}, which is not in "records"`);
        else if (!compatibilityLevels.includes(level as CompatibilityLevel)) {
          problems.push(`${where}: compatibility of ${recordName} must be one of ${compatibilityLevels.join(', ')}, got ${JSON.stringify(level)}`);
        } else compatibility[recordName] = level as CompatibilityLevel;
      }
    }

    if (problems.length === before) {
      topics.push({
        name,
        partitions: partitions as number,
        compacted: compacted as boolean,
        records: [...seen],
        compatibility,
        dlq: { name: dlqTopicName(name), partitions: partitions as number, compacted: false },
      });
    }
  });
  return topics;
}

function suggest(name: string, records: Map<string, RecordSchema>): string {
  const short = name.slice(name.lastIndexOf('.') + 1);
  const match = [...records.keys()].find((known) => known.endsWith(`.${short}`));
  return match ? ` (did you mean ${match}?)` : ` (known: ${[...records.keys()].join(', ') || 'none'})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schemas directory: `$SCHEMAS_DIR`, else the first `schemas/` holding a topics.json above this module. */
export function findSchemasDir(from = __dirname): string {
  const fromEnv = process.env.SCHEMAS_DIR;
  if (fromEnv) return resolve(fromEnv);
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'topics.json'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`no schemas/topics.json found above ${from}; set SCHEMAS_DIR`);
}

/** Reads every `.avsc` below `dir` and its `topics.json`, then validates them (see `buildCatalog`). */
export function loadCatalog(dir = findSchemasDir()): Catalog {
  const files: AvscSource[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.avsc')) {
        files.push({ file: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
      }
    }
  };
  walk(dir);
  const topicsPath = join(dir, 'topics.json');
  if (!existsSync(topicsPath)) throw new CatalogError([`${topicsPath} is missing`]);
  return buildCatalog(files, readFileSync(topicsPath, 'utf8'), dir);
}

/** The topics to create: each catalog topic and its dead-letter twin. */
export function kafkaTopics(catalog: Catalog): KafkaTopicConfig[] {
  const cleanup = (compacted: boolean) => [{ name: 'cleanup.policy', value: compacted ? 'compact' : 'delete' }];
  return [...catalog.topics.values()].flatMap((topic) => [
    { topic: topic.name, numPartitions: topic.partitions, configEntries: cleanup(topic.compacted) },
    { topic: topic.dlq.name, numPartitions: topic.dlq.partitions, configEntries: cleanup(false) },
  ]);
}

export function topicSpec(catalog: Catalog, topic: string): TopicSpec {
  const spec = catalog.topics.get(topic);
  if (!spec) throw new Error(`unknown topic "${topic}" (catalog topics: ${[...catalog.topics.keys()].join(', ')})`);
  return spec;
}

export function recordSchema(catalog: Catalog, recordName: string): RecordSchema {
  const record = catalog.records.get(recordName);
  if (!record) throw new Error(`unknown record ${recordName}${suggest(recordName, catalog.records as Map<string, RecordSchema>)}`);
  return record;
}
