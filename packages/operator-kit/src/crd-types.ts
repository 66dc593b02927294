import { parse } from 'yaml';

/** The part of an OpenAPI v3 schema a CRD uses that a TypeScript type can say. */
interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  enum?: (string | number)[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}

interface CustomResourceDefinition {
  spec: { names: { kind: string }; versions: { name: string; storage?: boolean; schema: { openAPIV3Schema: Schema } }[] };
}

/**
 * TypeScript interfaces `<Kind>Spec` and `<Kind>Status` for the storage version of a CRD, from its
 * openAPIV3Schema: the schema is the one source, and the operator's types are generated from it.
 */
export function typesFromCrd(crdYaml: string): string {
  // Parsed as plain YAML: client-node's loadYaml maps a CRD onto its model classes (`enum` becomes `_enum`).
  const crd = parse(crdYaml) as CustomResourceDefinition;
  const { kind } = crd.spec.names;
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema.properties ?? {};
  return ['spec', 'status']
    .filter((part) => root[part])
    .map((part) => `${comment(root[part]!.description, '')}export interface ${kind}${part[0]!.toUpperCase()}${part.slice(1)} ${objectType(root[part]!, '')}\n`)
    .join('\n');
}

function typeOf(schema: Schema, indent: string): string {
  if (schema.enum) return schema.enum.map((value) => (typeof value === 'string' ? `'${value.replace(/[\\']/g, '\\$&')}'` : String(value))).join(' | ');
  switch (schema.type) {
    case 'object':
      return objectType(schema, indent);
    case 'array': {
      const item = typeOf(schema.items ?? {}, indent);
      return /[|{]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'integer':
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'unknown';
  }
}

function objectType(schema: Schema, indent: string): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return 'Record<string, unknown>';
  const inner = `${indent}  `;
  const required = new Set(schema.required ?? []);
  const lines = properties.map(([name, property]) => `${comment(property.description, inner)}${inner}${name}${required.has(name) ? '' : '?'}: ${typeOf(property, inner)};`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function comment(description: string | undefined, indent: string): string {
  return description ? `${indent}/** ${description.replace(/\*\//g, '* /')} */\n` : '';
}
