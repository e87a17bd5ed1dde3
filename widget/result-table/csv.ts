// CSV export of a result. Cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
// carriage return, also after leading spaces, which Excel and LibreOffice skip) get a leading apostrophe (OWASP
// "CSV injection"); cells with a comma, quote or line break are quoted, with quotes doubled. Numbers and booleans
// are written as they are: they cannot carry a formula.
import type { CellValue } from '../types.ts';

// any whitespace (spaces, NBSP, ideographic space, line breaks) may precede the trigger; the full-width forms
// of = + - @ are triggers too (spreadsheets fold them to ASCII)
const FORMULA_START = /^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]/;

/** One cell, escaped and quoted as needed. */
export function escapeCsvCell(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole file: a header line, then one line per row, CRLF line ends (RFC 4180). */
export function toCsv(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<CellValue>>): string {
  const lines = [head.map((h) => escapeCsvCell(h)).join(',')];
  for (const row of rows) lines.push(head.map((_, i) => escapeCsvCell(row[i])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The name of a CSV of the first rows only (a result cut at the row cap), without ".csv":
 * "orders-this-year" -> "orders-this-year-first-1000", so it is never taken for the full export's file.
 */
export function shownRowsName(base: string, shown: number): string {
  return `${base}-first-${shown}`;
}

/** "Orders by month" -> "orders-by-month.csv" */
export function csvFilename(title: string | undefined): string {
  const base = (title ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${base || 'result'}.csv`;
}
