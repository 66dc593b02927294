import type { Type, types } from 'avsc';
import type { CompatibilityLevel } from './catalog';

export type Compatibility = { compatible: true } | { compatible: false; field: string; reason: string };

/**
 * Can `reader` read data written with `writer`? avsc's `createResolver` decides (it implements Avro's
 * resolution rules); `explain` then walks both schemas to name the field at fault, because avsc's own
 * message often does not (e.g. `cannot read "int" as "string"`).
 */
export function canRead(reader: Type, writer: Type): Compatibility {
  try {
    reader.createResolver(writer);
    return { compatible: true };
  } catch (error) {
    return explain(reader, writer, '') ?? { compatible: false, field: '(record)', reason: (error as Error).message };
  }
}

/**
 * Checks a new schema against registered versions (oldest first) under a registry compatibility level.
 * BACKWARD: the new schema reads old data; FORWARD: old schemas read new data; FULL: both. Non
 * transitive levels look at the latest version only.
 */
export function checkCompatibility(
  next: Type,
  previous: { version: number; type: Type }[],
  level: CompatibilityLevel,
): { compatible: true } | { compatible: false; version: number; field: string; reason: string } {
  if (level === 'NONE' || previous.length === 0) return { compatible: true };
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const { version, type } of [...against].reverse()) {
    if (backward) {
      const result = canRead(next, type);
      if (!result.compatible) return { ...result, version };
    }
    if (forward) {
      const result = canRead(type, next);
      if (!result.compatible) {
        return { ...result, version, reason: `${result.reason} (readers on version ${version} could not read the new schema)` };
      }
    }
  }
  return { compatible: true };
}

/** Formats a failed check the way the CLI prints it: `field "email": changed type from string to int`. */
export function describeIncompatibility(result: { field: string; reason: string }): string {
  return `field "${result.field}": ${result.reason}`;
}

const promotions: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function explain(reader: Type, writer: Type, path: string): Compatibility | undefined {
  const fail = (reason: string): Compatibility => ({ compatible: false, field: path || '(record)', reason });
  const r = reader.typeName;
  const w = writer.typeName;

  if (w.startsWith('union')) {
    for (const branch of (writer as types.WrappedUnionType).types) {
      if (!readable(reader, branch)) {
        if (branch.typeName === 'null') return fail(`can no longer be null, but old records hold null (changed from ${describeType(writer)} to ${describeType(reader)})`);
        return (r.startsWith('union') ? undefined : explain(reader, branch, path)) ?? fail(`old values of type ${describeType(branch)} cannot be read as ${describeType(reader)}`);
      }
    }
    return undefined;
  }
  if (r.startsWith('union')) {
    return readable(reader, writer) ? undefined : fail(`changed type from ${describeType(writer)} to ${describeType(reader)}`);
  }
  if (r !== w) {
    if (promotions[w]?.includes(r)) return undefined;
    return fail(`changed type from ${describeType(writer)} to ${describeType(reader)}`);
  }
  switch (r) {
    case 'record': {
      if (!sameName(reader, writer)) return fail(`record renamed from ${writer.name} to ${reader.name} without an alias`);
      const writerFields = new Map((writer as types.RecordType).fields.map((f) => [f.name, f]));
      for (const field of (reader as types.RecordType).fields) {
        const fieldPath = path ? `${path}.${field.name}` : field.name;
        const source = [field.name, ...(field.aliases ?? [])].map((n) => writerFields.get(n)).find(Boolean);
        if (!source) {
          if (field.defaultValue() === undefined) {
            return { compatible: false, field: fieldPath, reason: 'added without a default, so records written before it cannot be read' };
          }
          continue;
        }
        const inner = explain(field.type, source.type, fieldPath);
        if (inner) return inner;
      }
      return undefined;
    }
    case 'enum': {
      if (!sameName(reader, writer)) return fail(`enum renamed from ${writer.name} to ${reader.name} without an alias`);
      const known = new Set((reader as types.EnumType).symbols);
      const missing = (writer as types.EnumType).symbols.filter((s) => !known.has(s));
      if (missing.length > 0 && (reader.schema() as { default?: string }).default === undefined) {
        return fail(`enum symbol(s) ${missing.join(', ')} removed and the enum has no default`);
      }
      return undefined;
    }
    case 'array':
      return explain((reader as types.ArrayType).itemsType, (writer as types.ArrayType).itemsType, `${path}[]`);
    case 'map':
      return explain((reader as types.MapType).valuesType as Type, (writer as types.MapType).valuesType as Type, `${path}{}`);
    case 'fixed':
      if (!sameName(reader, writer)) return fail(`fixed renamed from ${writer.name} to ${reader.name} without an alias`);
      if ((reader as types.FixedType).size !== (writer as types.FixedType).size) {
        return fail(`fixed size changed from ${(writer as types.FixedType).size} to ${(reader as types.FixedType).size}`);
      }
      return undefined;
    default:
      return undefined;
  }
}

function readable(reader: Type, writer: Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

function sameName(reader: Type, writer: Type): boolean {
  return reader.name === writer.name || (reader.aliases ?? []).includes(writer.name ?? '');
}

/** A short human form of a type: `string`, `null | string`, `array<int>`, `dev.eventline.x.Rec`. */
export function describeType(type: Type): string {
  const name = type.typeName;
  if (name.startsWith('union')) return (type as types.WrappedUnionType).types.map(describeType).join(' | ');
  if (name === 'array') return `array<${describeType((type as types.ArrayType).itemsType)}>`;
  if (name === 'map') return `map<${describeType((type as types.MapType).valuesType as Type)}>`;
  if (name === 'record' || name === 'enum' || name === 'fixed') return type.name ?? name;
  return name;
}
