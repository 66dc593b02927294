import { buildCatalog, type Catalog } from '../src';

export type AvscRecord = { type: 'record'; name: string; namespace: string; doc?: string; fields: unknown[] };

/** A record schema of domain `test`, as an .avsc file would hold it. */
export function record(name: string, fields: unknown[], namespace = 'dev.eventline.test'): AvscRecord {
  return { type: 'record', name, namespace, doc: `${name} (test schema)`, fields };
}

export const paymentV1 = record('Payment', [
  { name: 'id', type: 'long', doc: 'Payment id.' },
  { name: 'amount', type: 'int', doc: 'Amount in whole units.' },
]);

export const paymentV2WithDefault = record('Payment', [...paymentV1.fields, { name: 'currency', type: 'string', default: 'EUR', doc: 'ISO currency code.' }]);

export const paymentV2WithoutDefault = record('Payment', [...paymentV1.fields, { name: 'currency', type: 'string', doc: 'ISO currency code.' }]);

export const paymentAmountAsString = record('Payment', [
  { name: 'id', type: 'long' },
  { name: 'amount', type: 'string' },
]);

/** A catalog of the given records (in dev.eventline.test) on one topic, built in memory. */
export function catalogOf(topic: string, records: AvscRecord[], extra: Record<string, unknown> = {}): Catalog {
  return buildCatalog(
    records.map((r) => ({ file: `test/${r.name}.avsc`, text: JSON.stringify(r) })),
    topicsJson(topic, records, extra),
  );
}

export function topicsJson(topic: string, records: AvscRecord[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    topics: [{ name: topic, partitions: 1, compacted: false, records: records.map((r) => `${r.namespace}.${r.name}`), ...extra }],
  });
}
