/** Helpers every benchmark shares: repeated runs, medians, and one printed table. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function repeat(runs: number, once: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  return results;
}

export interface Row {
  measure: string;
  value: string;
  unit: string;
  runs: string;
  /** The runs' figures as numbers, for a table of ratios built from several rows (not printed). */
  samples?: number[];
}

export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** A Markdown table, so the output can go into the README as it is. */
export function printTable(title: string, rows: Row[]): void {
  const header: Row = { measure: 'measure', value: 'median', unit: 'unit', runs: 'runs (all)' };
  const keys = ['measure', 'value', 'unit', 'runs'] as const;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

export function row(measure: string, unit: string, runs: number[]): Row {
  return { measure, value: formatNumber(median(runs)), unit, runs: runs.map(formatNumber).join(', '), samples: runs };
}

/** A Markdown table of any columns (side-by-side comparisons), padded like printTable's. */
export function printMatrix(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
