import Table from 'cli-table3';
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

/** A column: header and how to show a row's value. */
export type Column<T> = [header: string, value: (row: T) => unknown];

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Render rows (or one object) in the chosen format. */
export function render<T>(format: OutputFormat, data: T | T[], columns: Column<T>[]): string {
  if (format === 'json') return JSON.stringify(data, null, 2);
  if (format === 'yaml') return stringify(data).trimEnd();
  const rows = Array.isArray(data) ? data : [data];
  if (rows.length === 0) return '(none)';
  const table = new Table({ head: columns.map(([h]) => h), style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map(([, f]) => cell(f(r))));
  return table.toString();
}
