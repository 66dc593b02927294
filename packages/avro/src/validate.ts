import type { Type, types } from 'avsc';
import { describeType } from './compatibility';
import { InvalidEventError } from './errors';

/**
 * Throws `InvalidEventError` naming every bad field when `value` does not match `type`. Undeclared
 * fields are refused too: they would be dropped silently, and are usually a misspelt optional field.
 */
export function assertValid(type: types.RecordType, value: unknown): void {
  const fields: string[] = [];
  const details: string[] = [];
  // Two passes: avsc stops descending into a record once it reports undeclared fields on it.
  type.isValid(value, {
    errorHook: (path: string[], bad: unknown, badType: Type) => {
      const field = path.join('.') || '(record)';
      fields.push(field);
      details.push(
        bad === undefined ? `field "${field}" is missing (expected ${describeType(badType)})` : `field "${field}": expected ${describeType(badType)}, got ${preview(bad)}`,
      );
    },
  });
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path: string[], bad: unknown, badType: Type) => {
      if (badType.typeName !== 'record' || !isPlainObject(bad)) return;
      const declared = new Set((badType as types.RecordType).fields.map((f) => f.name));
      const extra = Object.keys(bad).filter((key) => !declared.has(key) && bad[key] !== undefined);
      if (extra.length === 0) return;
      const names = extra.map((key) => path.concat(key).join('.'));
      fields.push(...names);
      details.push(`undeclared field(s) ${names.map((n) => `"${n}"`).join(', ')}`);
    },
  });
  if (fields.length > 0) throw new InvalidEventError(type.name ?? 'record', fields, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function preview(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return `${value} (beyond 2^53, not a safe long)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
