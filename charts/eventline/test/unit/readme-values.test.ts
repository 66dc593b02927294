import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const chart = join(__dirname, '..', '..');
const readme = readFileSync(join(chart, 'README.md'), 'utf8');
const valuesSection = readme.slice(readme.indexOf('## Values'), readme.indexOf('\n## ', readme.indexOf('## Values') + 1));

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
}
const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as JsonSchema;

/** The code spans of the README's values table, each split at commas and slashes: the keys it explains. */
const explained = new Set(
  [...valuesSection.matchAll(/`([^`]+)`/g)].flatMap(([, span]) =>
    span!
      .split(/[,/ ]+/)
      .map((key) => key.replace(/^\./, '').replace(/\.\*$/, ''))
      .filter(Boolean),
  ),
);

describe("the chart README's values table, against values.schema.json", () => {
  it('explains every top-level value', () => {
    const missing = Object.keys(schema.properties!).filter((key) => key !== 'global' && ![...explained].some((k) => k === key || k.startsWith(`${key}.`)));
    expect(missing).toEqual([]);
  });

  it('explains every setting a service takes (serviceDefaults and services.<name>)', () => {
    const settings = Object.keys(schema.properties!.serviceDefaults!.properties!);
    const missing = settings.filter((key) => !explained.has(key) && !explained.has(`services.<name>.${key}`) && !explained.has(`serviceDefaults.${key}`));
    expect(missing).toEqual([]);
  });
});
