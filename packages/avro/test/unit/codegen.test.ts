import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildCatalog, generateChartTopics, generatedFiles, generateTypes, loadCatalog } from '../../src';
import { record } from '../fixtures';

describe('codegen', () => {
  it('maps unions with null, enums, arrays, maps, nested and wrapped-union records', () => {
    const address = record('Address', [{ name: 'city', type: 'string', doc: 'City name.' }]);
    const sample = record('Order', [
      { name: 'id', type: 'long', doc: 'Order id.' },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'CLOSED'], doc: 'Lifecycle.' } },
      { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'qty', type: 'int' }] } } },
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'attributes', type: { type: 'map', values: 'double' } },
      { name: 'shipTo', type: address },
      { name: 'billTo', type: ['null', 'Address'] },
      {
        name: 'payment',
        type: [
          { type: 'record', name: 'Card', fields: [{ name: 'last4', type: 'string' }] },
          { type: 'record', name: 'Cash', fields: [] },
        ],
      },
      { name: 'signature', type: ['null', 'bytes'] },
    ]);
    const catalog = buildCatalog(
      [{ file: 'test/Order.avsc', text: JSON.stringify(sample) }],
      JSON.stringify({ topics: [{ name: 'orders', partitions: 1, compacted: false, records: ['dev.eventline.test.Order'] }] }),
    );
    const code = generateTypes(catalog);

    expect(code).toContain(`/** Order (test schema) */
export interface Order {
  /** Order id. */
  id: number;
  note: string | null;
  status: Status;
  lines: Line[];
  tags: Array<string | null>;
  attributes: Record<string, number>;
  shipTo: Address;
  billTo: Address | null;
  payment: { 'dev.eventline.test.Card': Card } | { 'dev.eventline.test.Cash': Cash };
  signature: Buffer | null;
}
`);
    expect(code).toContain(`/** Lifecycle. */
export type Status = 'OPEN' | 'CLOSED';
`);
    expect(code).toContain('export interface Line {\n  qty: number;\n}\n');
    expect(code).toContain('export interface Address {\n  /** City name. */\n  city: string;\n}\n');
    expect(code).toContain("export type RecordName = 'dev.eventline.test.Order';");
    expect(code).toContain("export interface EventTypes {\n  'dev.eventline.test.Order': Order;\n}");
    expect(code).toContain("export interface TopicRecords {\n  'orders': 'dev.eventline.test.Order';\n}");
  });

  it('refuses two named types that would get the same TypeScript name', () => {
    const sample = record('Order', [
      { name: 'a', type: record('Address', [], 'dev.eventline.one') },
      { name: 'b', type: record('Address', [], 'dev.eventline.two') },
    ]);
    const catalog = buildCatalog([{ file: 'test/Order.avsc', text: JSON.stringify(sample) }], JSON.stringify({ topics: [] }));
    expect(() => generateTypes(catalog)).toThrow('codegen: dev.eventline.two.Address and dev.eventline.one.Address would both be generated as "Address"; rename one');
  });

  it("the committed generated files (src/generated/events.ts, the chart's files/topics.json) are up to date with schemas/", () => {
    const schemasDir = join(__dirname, '..', '..', '..', '..', 'schemas');
    const stale = generatedFiles(schemasDir)
      .filter(({ file, content }) => readFileSync(file, 'utf8') !== content)
      .map(({ file }) => relative(dirname(schemasDir), file));
    // Stale ones: run `npm run codegen` and commit the result.
    expect(stale).toEqual([]);
  });

  it("gives the chart each catalog topic's name, partitions and compaction", () => {
    const catalog = loadCatalog(join(__dirname, '..', '..', '..', '..', 'schemas'));
    const chart = JSON.parse(generateChartTopics(catalog)) as { topics: { name: string; partitions: number; compacted: boolean }[] };
    expect(chart.topics).toEqual([...catalog.topics.values()].map((t) => ({ name: t.name, partitions: t.partitions, compacted: t.compacted })));
    expect(chart.topics.find((t) => t.name === 'cart-events')).toEqual({ name: 'cart-events', partitions: 3, compacted: false });
  });
});
