import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Type, types } from 'avsc';
import { findSchemasDir, loadCatalog, type Catalog } from './catalog';

/** Where the generated types live (committed; a unit test fails when they are stale). */
export const generatedFile = join(__dirname, 'generated', 'events.ts');
export const codegenCommand = 'npm run codegen';

/**
 * The chart's copy of the catalog's topics (name, partitions, compacted): Helm reads files inside the
 * chart only, and a link out of it makes every helm command log that it followed one. Generated with
 * the types, checked by the same unit test.
 */
export const chartTopicsFile = (schemasDir: string): string => join(dirname(schemasDir), 'charts', 'eventline', 'files', 'topics.json');

export function generateChartTopics(catalog: Catalog): string {
  const topics = [...catalog.topics.values()].map(({ name, partitions, compacted }) => ({ name, partitions, compacted }));
  return `${JSON.stringify({ generatedFrom: `schemas/topics.json by ${codegenCommand}: edit that file, not this one`, topics }, null, 2)}\n`;
}

/**
 * TypeScript for every record of the catalog: one interface per record (nested records too), a
 * string union per enum, `RecordName`, `EventTypes` (record full name → type), `TopicName` and
 * `TopicRecords` (topic → the record names allowed on it).
 *
 * The mapping follows what avsc produces and accepts at run time: int/long/float/double → number
 * (avsc refuses a long beyond 2^53, so we stay below it), bytes/fixed → Buffer, [null, T] → T | null,
 * enum → union of its symbols, array → T[], map → Record<string, T>; a union avsc wraps (several
 * records, or otherwise ambiguous branches) → `{ 'branch name': T }` alternatives.
 */
export function generateTypes(catalog: Catalog): string {
  const declarations = new Map<string, { shortName: string; code: string }>();
  const shortNames = new Map<string, string>();

  const named = (type: Type): string => {
    const fullName = type.name!;
    const shortName = fullName.slice(fullName.lastIndexOf('.') + 1);
    const owner = shortNames.get(shortName);
    if (owner && owner !== fullName) {
      throw new Error(`codegen: ${fullName} and ${owner} would both be generated as "${shortName}"; rename one`);
    }
    shortNames.set(shortName, fullName);
    if (!declarations.has(fullName)) {
      declarations.set(fullName, { shortName, code: '' }); // placeholder first: records may refer to themselves
      declarations.set(fullName, { shortName, code: declare(type, shortName) });
    }
    return shortName;
  };

  const declare = (type: Type, shortName: string): string => {
    if (type.typeName === 'enum') {
      const symbols = (type as types.EnumType).symbols.map((s) => `'${s}'`).join(' | ');
      return `${docComment(type.doc, '')}export type ${shortName} = ${symbols};\n`;
    }
    const fields = (type as types.RecordType).fields
      .map((field) => {
        const doc = (field as types.Field & { doc?: string }).doc;
        return `${docComment(doc, '  ')}  ${field.name}: ${tsType(field.type)};\n`;
      })
      .join('');
    return `${docComment(type.doc, '')}export interface ${shortName} {\n${fields}}\n`;
  };

  const tsType = (type: Type): string => {
    switch (type.typeName) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'string':
        return 'string';
      case 'bytes':
      case 'fixed':
        return 'Buffer';
      case 'record':
      case 'error':
      case 'enum':
        return named(type);
      case 'array': {
        const items = tsType((type as types.ArrayType).itemsType);
        return items.includes(' | ') ? `Array<${items}>` : `${items}[]`;
      }
      case 'map':
        return `Record<string, ${tsType((type as types.MapType).valuesType as Type)}>`;
      case 'union:unwrapped':
        return nullLast((type as types.UnwrappedUnionType).types.map(tsType));
      case 'union:wrapped':
        return nullLast((type as types.WrappedUnionType).types.map((branch) => (branch.typeName === 'null' ? 'null' : `{ '${branch.branchName}': ${tsType(branch)} }`)));
      default:
        if (type.typeName.startsWith('logical:')) return tsType((type as types.LogicalType).underlyingType);
        throw new Error(`codegen: no TypeScript mapping for Avro type ${type.typeName}`);
    }
  };

  const recordNames = [...catalog.records.keys()].sort();
  for (const name of recordNames) named(catalog.records.get(name)!.type);
  const topics = [...catalog.topics.values()].sort((a, b) => a.name.localeCompare(b.name));

  const quote = (s: string) => `'${s}'`;
  const union = (items: string[]) => (items.length > 0 ? items.join(' | ') : 'never');
  const body = [...declarations.values()].map((d) => d.code).join('\n');
  return `// Generated from schemas/ by packages/avro/src/codegen.ts — do not edit.
// After changing a schema or topics.json, run: ${codegenCommand}

${body}
/** Full name of every record type in the catalog. */
export type RecordName = ${union(recordNames.map(quote))};

export const recordNames: readonly RecordName[] = [${recordNames.map(quote).join(', ')}];

/** The TypeScript type of each record, by full name. */
export interface EventTypes {
${recordNames.map((n) => `  ${quote(n)}: ${declarations.get(n)!.shortName};\n`).join('')}}

/** Every topic of the catalog (each also has a dead-letter twin \`<topic>.dlq\`). */
export type TopicName = ${union(topics.map((t) => quote(t.name)))};

/** The record types allowed on each topic. */
export interface TopicRecords {
${topics.map((t) => `  ${quote(t.name)}: ${union(t.records.map(quote))};\n`).join('')}}
`;
}

function nullLast(members: string[]): string {
  const unique = [...new Set(members)];
  return [...unique.filter((m) => m !== 'null'), ...unique.filter((m) => m === 'null')].join(' | ');
}

function docComment(doc: string | undefined, indent: string): string {
  if (!doc) return '';
  const lines = doc.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** The generated files of the catalog in `schemasDir`, each with its content. */
export function generatedFiles(schemasDir = findSchemasDir()): { file: string; content: string }[] {
  const catalog = loadCatalog(schemasDir);
  return [
    { file: generatedFile, content: generateTypes(catalog) },
    { file: chartTopicsFile(schemasDir), content: generateChartTopics(catalog) },
  ];
}

/** Writes the generated files; with `check`, only lists those that are stale. Returns the stale ones. */
export function runCodegen({ check = false, schemasDir = findSchemasDir() } = {}): string[] {
  const stale = generatedFiles(schemasDir).filter(({ file, content }) => !existsSync(file) || readFileSync(file, 'utf8') !== content);
  if (!check) {
    for (const { file, content } of stale) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  return stale.map(({ file }) => file);
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale = runCodegen({ check }).map((file) => relative(process.cwd(), file));
  if (check && stale.length > 0) {
    console.error(`stale: ${stale.join(', ')}; run: ${codegenCommand}`);
    process.exit(1);
  }
  console.log(check ? 'generated files up to date' : stale.length > 0 ? `wrote ${stale.join(', ')}` : 'generated files up to date');
}
