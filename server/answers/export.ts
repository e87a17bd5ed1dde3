// The full CSV export of an answer: its file name (`<measure>-<period>.csv`) and the rows written as CSV a batch at
// a time, so a large export is streamed to the client rather than built in memory as one string.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CellValue } from '../query/execute.ts';

// a text cell a spreadsheet would read as a formula (OWASP "CSV injection"), also after leading spaces, which
// Excel and LibreOffice skip, and in full-width forms; the same rule as the widget's own CSV (widget/result-table/csv.ts)
const FORMULA_START = /^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]/;

/** The most rows one export returns (documented in the README); the first `EXPORT_MAX_ROWS` in the answer's order. */
export const EXPORT_MAX_ROWS = 100_000;

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/**
 * "revenue-october-2026", "orders-this-month": what was measured (or listed), then the period. A resolved label
 * names its period in brackets ("last month (October 2026)"): the named period reads better than "last month".
 */
export function exportName(what: string, period: string | undefined): string {
  const named = namedPeriod(period);
  return [slug(what), named ? slug(named) : ''].filter(Boolean).join('-') || 'answer';
}

/** "last month (October 2026)" -> "October 2026", "this year (1 Jan – 25 Nov 2026)" -> "this year" */
function namedPeriod(period: string | undefined): string | undefined {
  return period?.replace(/^(last|this) (week|month|quarter|year) \((.+)\)$/, (_, rel, unit, inner) =>
    rel === 'last' ? inner : `this ${unit}`,
  );
}

/** What an answer is about, for the conversation's title: "Orders, October 2026", "Revenue by month, this year". */
export function answerSubject(what: string, period: string | undefined): string {
  const named = namedPeriod(period);
  return named ? `${what}, ${named}` : what;
}

/** Writes a header and the rows as RFC 4180 CSV (CRLF, UTF-8 BOM for spreadsheets, formula-looking cells escaped). */
export async function writeCsv(
  out: Writable,
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<CellValue>>,
): Promise<void> {
  // loaded with the first export, not at start-up
  const { stringify } = await import('csv-stringify');
  const csv = stringify({
    bom: true,
    record_delimiter: 'windows',
    cast: {
      boolean: (v) => (v ? 'true' : 'false'),
      string: (v) => (FORMULA_START.test(v) ? `'${v}` : v),
    },
  });
  csv.pipe(out);
  const write = async (record: ReadonlyArray<CellValue>): Promise<void> => {
    if (!csv.write(record)) await once(csv, 'drain');
  };
  await write(head);
  for (const row of rows) await write(row);
  csv.end();
  await once(csv, 'end');
}
