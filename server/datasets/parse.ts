// Parsing uploaded files into columns and rows of text cells, and inferring column types.
// CSV per RFC 4180 (quoted fields, embedded newlines, "" escapes, CRLF/LF/CR), the delimiter (`,` `;` or tab)
// detected from the header line: a well-formed file is read by csv-scan.ts (field bounds, cells sliced when looked
// at), anything else by csv-parse, which names the line and column of a problem. JSON as an array of objects or
// { "rows": [...] }.
// Rows are arrays with a separate column list, never objects keyed by header: `__proto__`, `constructor` and
// `prototype` in a header or a JSON key are column names like any other.
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { type CsvScan, scanCsv, scannedField } from './csv-scan.ts';
import {
  DATE_FORMATS,
  DateCellReader,
  DateColumnDetector,
  type DateFormat,
  type DateGrain,
  dateFormatOf,
  daysInMonth,
  isYearHeader,
} from './dates.ts';
import { MalformedFileError } from './errors.ts';
import { JsonScanError, scanJson } from './json-scan.ts';
import { columnIdentifier, type DatasetFormat, uniqueIdentifier } from './names.ts';
import { lineColumn } from './sniff.ts';
import { MAX_VALUES } from './value-limits.ts';

/** The type of a column's values, as answers show them. */
export type DatasetValueType = 'number' | 'date' | 'string' | 'boolean';

export type Cell = string | null;

export interface ParsedColumn {
  /** SQL identifier (lower-case letters, digits and _), unique within the file */
  name: string;
  /** the header text as written (trimmed) */
  header: string;
  type: DatasetValueType;
  /** for dates: `date` when every value is a calendar date (or a month, quarter, year), `datetime` with times */
  dateKind?: 'date' | 'datetime';
  /** for `date` columns: the period each value names (a month column holds `2026-01` or `Jan 2026`) */
  grain?: DateGrain;
  /** for `date` columns: the luxon tokens the values are written in (`MMM yyyy`); absent for ISO date-times */
  dateFormat?: string;
}

export interface ParsedDataset {
  format: DatasetFormat;
  columns: ParsedColumn[];
  /** one array of cells per data row, in column order; empty cells are null */
  rows: Cell[][];
}

export interface ParseLimits {
  maxColumns: number;
  maxRows: number;
  maxCellBytes: number;
}

// ---- type inference ---------------------------------------------------------------------------

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const LEADING_ZERO = /^[+-]?0\d/;
const LONG_INTEGER = /^[+-]?\d{16,}$/;
const BOOLEAN = /^(?:true|false)$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A number the way people write one in a file: not `007` (a code) and not 16+ digit integers (identifiers). */
export function isNumberText(v: string): boolean {
  // the usual cells (`12`, `-3.5`, `79.19`) settled by one pass over their characters: short enough to be neither
  // a long integer nor infinite; exponents, long texts and anything else go to the expressions
  const n = v.length;
  if (n > 0 && n < 16) {
    const sign = v.charCodeAt(0) === 43 || v.charCodeAt(0) === 45 ? 1 : 0;
    let digits = 0;
    let dot = false;
    let plain = sign < n;
    for (let i = sign; i < n; i += 1) {
      const c = v.charCodeAt(i);
      if (c >= 48 && c <= 57) digits += 1;
      else if (c === 46 && !dot) dot = true;
      else {
        plain = false;
        break;
      }
    }
    if (plain && digits > 0) {
      const second = v.charCodeAt(sign + 1);
      return !(v.charCodeAt(sign) === 48 && second >= 48 && second <= 57);
    }
  }
  return NUMBER.test(v) && !LEADING_ZERO.test(v) && !LONG_INTEGER.test(v) && Number.isFinite(Number(v));
}

// how exports write money and large numbers: a currency sign, thousands grouped by commas ("£1,500.00", "-$12.50",
// "12,345"). Only commas that group thousands: "1,5" (a decimal comma) and "1.500,00" stay text.
const GROUPED = /^(?:[1-9]\d{0,2}(?:,\d{3})+|0|[1-9]\d*)(?:\.\d+)?$/;
const CURRENCY_SIGNS = new Set(['£', '$', '€', '¥']);

/** The number a formatted cell writes ("£1,500.00" -> 1500), or undefined; plain numbers are isNumberText's. */
export function formattedNumber(v: string): number | undefined {
  let sign = '';
  let rest = v;
  const takeSign = (): void => {
    if (sign === '' && (rest.startsWith('-') || rest.startsWith('+'))) {
      sign = rest.charAt(0);
      rest = rest.slice(1);
    }
  };
  takeSign();
  const currency = CURRENCY_SIGNS.has(rest.charAt(0));
  if (currency) rest = rest.slice(1);
  takeSign();
  // a plain number is not "formatted": isNumberText settles it (and refuses codes such as 007)
  if ((!currency && !rest.includes(',')) || !GROUPED.test(rest)) return undefined;
  const n = Number(`${sign}${rest.replace(/,/g, '')}`);
  return Number.isFinite(n) ? n : undefined;
}

/** A cell's number, plain or formatted; undefined when it is not one. */
export function numberOfText(v: string): number | undefined {
  return isNumberText(v) ? Number(v) : formattedNumber(v);
}

function isoDateTime(v: string, zone: string): DateTime {
  return DateTime.fromISO(v.replace(' ', 'T'), { zone });
}

// Fast paths before luxon (a date column is checked and converted cell by cell: luxon was a fifth of an upload):
// plain arithmetic on the parts DATE_PARTS reads; anything it does not settle still goes to luxon.
const DATE_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2})?)?)?$/i;

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** minutes east of UTC when the text says (Z is 0), else undefined */
  offset?: number;
}

/** The parts of an ISO date or date-time whose every field is in range, or undefined (then ask luxon). */
function isoParts(v: string): DateParts | undefined {
  const m = DATE_PARTS.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, zoneText, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(sec ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset: number | undefined;
  if (zoneText !== undefined) {
    const hours = Number(oh ?? 0);
    const minutes = Number(om ?? 0);
    if (hours > 23 || minutes > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return { year, month, day, hour, minute, second, offset };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** 'date' for YYYY-MM-DD, 'datetime' for an ISO date-time, undefined otherwise (also for impossible dates). */
export function dateTextKind(v: string): 'date' | 'datetime' | undefined {
  if (DATE_ONLY.test(v)) {
    if (isoParts(v)) return 'date';
    return isoDateTime(v, 'UTC').isValid ? 'date' : undefined;
  }
  if (DATE_TIME.test(v)) {
    if (isoParts(v)) return 'datetime';
    return isoDateTime(v, 'UTC').isValid ? 'datetime' : undefined;
  }
  return undefined;
}

/** An ISO date-time as UTC 'YYYY-MM-DD HH:MM:SS'; without an offset it is wall-clock time in `zone`. */
export function utcDateTimeText(v: string, zone: string): string | null {
  const parts = isoParts(v);
  if (parts && (parts.offset !== undefined || zone === 'UTC')) {
    const at = new Date(
      Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) -
        (parts.offset ?? 0) * 60_000,
    );
    // Date.UTC reads years below 100 as 19xx: those (and any year it moves) go to luxon
    if (at.getUTCFullYear() >= 1000 && parts.year >= 100) {
      return `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
    }
  }
  const dt = isoDateTime(v, zone);
  return dt.isValid ? dt.toUTC().toFormat('yyyy-MM-dd HH:mm:ss') : null;
}

type Inferred = Pick<ParsedColumn, 'type' | 'dateKind' | 'grain' | 'dateFormat'>;

const YEAR = /^\d{4}$/;

/**
 * A column's type from all of its values: boolean, then number (a column of 4-digit integers under a header such as
 * "year" or "FY" is a year date column), then a date written one way throughout (DATE_FORMATS: days, months,
 * quarters, years), then ISO date-times, else string. Empty cells do not count.
 */
function inferColumn(table: CellTable, index: number, header: string): Inferred {
  let number = true;
  let boolean = true;
  let iso = true;
  let withTime = false;
  let years = isYearHeader(header);
  const dates = new DateColumnDetector();
  let seen = 0;
  // every check below depends on the value alone: while a column may still hold dates (whose checks are the dear
  // ones), a value seen before changes nothing
  const checked = new Set<string>();
  const rows = table.rowCount;
  for (let r = 0; r < rows; r += 1) {
    const cell = table.cell(r, index);
    if (cell === null) continue;
    const v = cell.trim();
    if (v === '') continue;
    seen += 1;
    if (iso || dates.possible) {
      if (checked.has(v)) continue;
      if (checked.size < 100_000) checked.add(v);
    }
    if (number && !isNumberText(v) && formattedNumber(v) === undefined) number = false;
    if (years && !YEAR.test(v)) years = false;
    if (boolean && !BOOLEAN.test(v)) boolean = false;
    if (iso) {
      const kind = dateTextKind(v);
      if (kind === undefined) iso = false;
      else if (kind === 'datetime') withTime = true;
    }
    if (dates.possible) dates.feed(v);
    if (!number && !boolean && !iso && !dates.possible) break;
  }
  if (seen === 0) return { type: 'string' };
  if (boolean) return { type: 'boolean' };
  if (number && years) {
    const year = DATE_FORMATS.find((f) => f.grain === 'year') as DateFormat;
    return { type: 'date', dateKind: 'date', grain: 'year', dateFormat: year.tokens };
  }
  if (number) return { type: 'number' };
  if (iso && withTime) return { type: 'date', dateKind: 'datetime' };
  const detected = dates.possible ? dates.result() : undefined;
  if (detected) {
    return { type: 'date', dateKind: 'date', grain: detected.grain, dateFormat: detected.format.tokens };
  }
  return { type: 'string' };
}

/**
 * A converter of one column's cells to stored values: REAL, 0/1, the ISO date that starts a date's period
 * ('2026-04-01' for `Q2 2026`), UTC 'YYYY-MM-DD HH:MM:SS' for date-times, or the text. Date texts are memoised.
 */
export function cellConverter(
  column: ParsedColumn,
  timeZone = 'UTC',
): (cell: Cell) => string | number | null {
  switch (column.type) {
    case 'string':
      // an export's stray spaces ("Sam Oduya ") would make one value two: text is stored trimmed, blank as empty
      return (cell) => {
        if (cell === null) return null;
        const c = cell.charCodeAt(0);
        const last = cell.charCodeAt(cell.length - 1);
        if (c > 32 && last > 32) return cell;
        const trimmed = cell.trim();
        return trimmed === '' ? null : trimmed;
      };
    case 'number':
      return (cell) => {
        if (cell === null) return null;
        return numberOfText(cell.trim()) ?? null;
      };
    case 'boolean':
      return (cell) => {
        if (cell === null) return null;
        const v = cell.trim();
        return BOOLEAN.test(v) ? (v.toLowerCase() === 'true' ? 1 : 0) : null;
      };
    case 'date': {
      if (column.dateKind === 'datetime') {
        return (cell) => {
          if (cell === null) return null;
          const v = cell.trim();
          if (dateTextKind(v) === undefined) return null;
          // a date-time without an offset is wall-clock time in the agent's zone; stored as UTC
          return utcDateTimeText(v, timeZone);
        };
      }
      // columns stored before formats were detected are ISO days
      const format = dateFormatOf(column.dateFormat) ?? (DATE_FORMATS[0] as DateFormat);
      const reader = new DateCellReader(format);
      return (cell) => {
        if (cell === null) return null;
        const v = cell.trim();
        return v === '' ? null : reader.read(v);
      };
    }
    default:
      throw new Error(`unknown column type ${column.type satisfies never}`);
  }
}

/** One cell as the value stored for its column (see cellConverter); a cell that does not fit is NULL. */
export function sqlValue(cell: Cell, column: ParsedColumn, timeZone = 'UTC'): string | number | null {
  return cellConverter(column, timeZone)(cell);
}

// ---- CSV ----------------------------------------------------------------------------------------

/** `,` `;` or tab: the one that occurs most often outside quotes on the header line (`,` on a tie or none). */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch] += 1;
  }
  let best: ',' | ';' | '\t' = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

function csvProblem(err: CsvError, startLine: number, expected: number): MalformedFileError {
  const e = err as CsvError & { column?: number | string; record?: unknown[] };
  const field = typeof e.column === 'number' ? e.column + 1 : 1;
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(e.record) ? e.record.length : 0;
      const column = got > expected ? expected + 1 : got + 1;
      return new MalformedFileError(
        startLine,
        column,
        `expected ${expected} fields like the header, found ${got}`,
      );
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return new MalformedFileError(startLine, field, 'a quoted field is never closed');
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new MalformedFileError(
        startLine,
        field,
        'a closing quote must be followed by a delimiter or a line end',
      );
    case 'INVALID_OPENING_QUOTE':
      return new MalformedFileError(
        startLine,
        field,
        'a quote inside an unquoted field (quote the field and double the quote)',
      );
    default:
      return new MalformedFileError(startLine, field, 'the CSV cannot be read');
  }
}

function checkCell(cell: string, limits: ParseLimits, where: () => { line: number; column: number }): void {
  // cheap bound first: a UTF-8 character takes at most 3 bytes per UTF-16 unit
  if (cell.length * 3 > limits.maxCellBytes && Buffer.byteLength(cell, 'utf8') > limits.maxCellBytes) {
    const at = where();
    throw new MalformedFileError(
      at.line,
      at.column,
      `a cell is larger than ${limits.maxCellBytes} bytes`,
      'dataset_too_large',
    );
  }
}

/** The cells of a file's data rows, read when looked at (a CSV's are slices of its text; see csv-scan.ts). */
export interface CellTable {
  readonly rowCount: number;
  /** the cell of a data row (0-based) and column; null when empty */
  cell(row: number, column: number): Cell;
}

/** A table over rows already built (JSON, and CSV read by csv-parse). */
export function rowsTable(rows: readonly Cell[][]): CellTable {
  return { rowCount: rows.length, cell: (r, i) => (rows[r] as Cell[])[i] ?? null };
}

/** A table over a scanned CSV text: `kept` are the record numbers of the data rows (the header is record 0). */
function scannedTable(text: string, scan: CsvScan, kept: Int32Array, rowCount: number): CellTable {
  const { width, bounds } = scan;
  return {
    rowCount,
    cell(r, i) {
      const k = (kept[r] as number) * width + i;
      const end = bounds[2 * k + 1] as number;
      if (end < 0) return (scan.unescaped.get(k) as string) || null;
      const start = bounds[2 * k] as number;
      return start === end ? null : text.slice(start, end);
    },
  };
}

/** Not blank: the field holds a character that trim() would keep (checked cheaply for the usual characters). */
function fieldHasText(text: string, scan: CsvScan, k: number): boolean {
  const end = scan.bounds[2 * k + 1] as number;
  const start = scan.bounds[2 * k] as number;
  if (end >= 0 && start < end) {
    const c = text.charCodeAt(start);
    if (c > 32 && c < 127) return true;
  }
  return scannedField(text, scan, k).trim() !== '';
}

/**
 * The fast path: csv-scan.ts, then the limits checked over its field bounds; when it cannot read the file (or the
 * file is past a limit) csv-parse reads it, by parseCsvPrecisely when there is a line and column to name.
 */
function parseCsvText(text: string, limits: ParseLimits): { headers: string[]; table: CellTable } {
  const delimiter = detectDelimiter(text);
  const scan = scanCsv(text, delimiter, limits.maxRows + 2);
  if (!scan || scan.records === 0) return rowsOf(parseCsvPrecisely(text, limits, delimiter));
  if (scan.width > limits.maxColumns || scan.records - 1 > limits.maxRows) {
    return rowsOf(parseCsvPrecisely(text, limits, delimiter));
  }
  const { width, bounds } = scan;
  // cheap bound first: a UTF-8 character takes at most 3 bytes per UTF-16 unit
  const quick = limits.maxCellBytes / 3;
  const fields = scan.records * width;
  for (let k = 0; k < fields; k += 1) {
    const end = bounds[2 * k + 1] as number;
    const length = end < 0 ? (scan.unescaped.get(k) as string).length : end - (bounds[2 * k] as number);
    if (length > quick && Buffer.byteLength(scannedField(text, scan, k), 'utf8') > limits.maxCellBytes) {
      return rowsOf(parseCsvPrecisely(text, limits, delimiter));
    }
  }
  const headers: string[] = [];
  for (let i = 0; i < width; i += 1) headers.push(scannedField(text, scan, i).trim());
  // rows of only empty cells (",,,", common at the end of spreadsheet exports) are not data
  const kept = new Int32Array(scan.records);
  let rowCount = 0;
  for (let r = 1; r < scan.records; r += 1) {
    for (let i = 0; i < width; i += 1) {
      if (fieldHasText(text, scan, r * width + i)) {
        kept[rowCount++] = r;
        break;
      }
    }
  }
  return { headers, table: scannedTable(text, scan, kept, rowCount) };
}

function rowsOf(read: { headers: string[]; rows: Cell[][] }): { headers: string[]; table: CellTable } {
  return { headers: read.headers, table: rowsTable(read.rows) };
}

/** The reading that tracks every record's line, to report where a file goes wrong (or past a limit). */
function parseCsvPrecisely(
  text: string,
  limits: ParseLimits,
  delimiter: ',' | ';' | '\t',
): { headers: string[]; rows: Cell[][] } {
  let prevLines = 0;
  let prevEmpty = 0;
  let width = 0;
  let records = 0;
  let rows: Cell[][] = [];
  let headers: string[] = [];
  try {
    parseCsv(text, {
      delimiter,
      bom: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: false,
      relax_quotes: false,
      // header + maxRows + 1 is enough to know there are too many
      to: limits.maxRows + 2,
      on_record: (record: string[], ctx: { lines: number; empty_lines: number }) => {
        const line = prevLines + 1 + (ctx.empty_lines - prevEmpty);
        prevLines = ctx.lines;
        prevEmpty = ctx.empty_lines;
        records += 1;
        if (records === 1) {
          if (record.length > limits.maxColumns) {
            throw new MalformedFileError(
              1,
              limits.maxColumns + 1,
              `more than ${limits.maxColumns} columns`,
              'dataset_too_large',
            );
          }
          width = record.length;
          record.forEach((h, i) => {
            checkCell(h, limits, () => ({ line, column: i + 1 }));
          });
          headers = record.map((h) => h.trim());
          return null;
        }
        if (records - 1 > limits.maxRows) {
          throw new MalformedFileError(line, 1, `more than ${limits.maxRows} rows`, 'dataset_too_large');
        }
        let blank = true;
        const row: Cell[] = new Array(record.length);
        for (let i = 0; i < record.length; i += 1) {
          const cell = record[i] as string;
          checkCell(cell, limits, () => ({ line, column: i + 1 }));
          if (cell === '') row[i] = null;
          else {
            row[i] = cell;
            if (cell.trim() !== '') blank = false;
          }
        }
        // rows of only empty cells (",,,", common at the end of spreadsheet exports) are not data
        if (!blank) rows.push(row);
        return null;
      },
    });
  } catch (err) {
    if (err instanceof MalformedFileError) throw err;
    if (err instanceof CsvError) {
      const emptyNow = (err as CsvError & { empty_lines?: number }).empty_lines ?? prevEmpty;
      throw csvProblem(err, prevLines + 1 + Math.max(0, emptyNow - prevEmpty), width);
    }
    throw err;
  }
  if (records === 0) throw new MalformedFileError(1, 1, 'the file has no header line');
  // a one-column file whose delimiter guess was wrong is still one column; nothing to fix here
  if (rows.length > limits.maxRows) rows = rows.slice(0, limits.maxRows);
  return { headers, rows };
}

// ---- JSON ---------------------------------------------------------------------------------------

function jsonCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // nested objects and arrays stay data: their JSON text
  return JSON.stringify(value);
}

function parseJsonText(text: string, limits: ParseLimits): { headers: string[]; rows: Cell[][] } {
  let scan: ReturnType<typeof scanJson>;
  try {
    scan = scanJson(text);
  } catch (err) {
    if (!(err instanceof JsonScanError)) throw err;
    const at = lineColumn(text, err.offset);
    throw new MalformedFileError(at.line, at.column, err.message);
  }
  const where = (row: number): { line: number; column: number } => {
    const offset = scan.rowOffsets[row];
    return offset === undefined ? { line: 1, column: 1 } : lineColumn(text, offset);
  };
  const doc: unknown = JSON.parse(text);
  let items: unknown;
  if (Array.isArray(doc)) items = doc;
  else if (doc !== null && typeof doc === 'object' && Object.hasOwn(doc, 'rows')) {
    items = Object.getOwnPropertyDescriptor(doc, 'rows')?.value;
  }
  if (!Array.isArray(items)) {
    throw new MalformedFileError(
      1,
      1,
      'expected an array of objects, or an object with a "rows" array of objects',
    );
  }
  if (items.length > limits.maxRows) {
    const at = where(limits.maxRows);
    throw new MalformedFileError(at.line, at.column, `more than ${limits.maxRows} rows`, 'dataset_too_large');
  }
  // keys -> column index in a Map: a key is never used as a property name of anything
  const index = new Map<string, number>();
  const headers: string[] = [];
  const rows: Cell[][] = [];
  items.forEach((item, r) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      const at = where(r);
      throw new MalformedFileError(at.line, at.column, `row ${r + 1} is not an object`);
    }
    const row: Cell[] = new Array(headers.length).fill(null);
    for (const [key, value] of Object.entries(item)) {
      let i = index.get(key);
      if (i === undefined) {
        if (headers.length >= limits.maxColumns) {
          const at = where(r);
          throw new MalformedFileError(
            at.line,
            at.column,
            `more than ${limits.maxColumns} columns`,
            'dataset_too_large',
          );
        }
        i = headers.length;
        index.set(key, i);
        headers.push(key);
      }
      const cell = jsonCell(value);
      if (cell !== null) checkCell(cell, limits, () => where(r));
      row[i] = cell;
    }
    rows.push(row);
  });
  for (const row of rows) while (row.length < headers.length) row.push(null);
  return { headers: headers.map((h) => h.trim()), rows };
}

// ---- entry point --------------------------------------------------------------------------------

/** A file's columns and its cells, read when looked at. */
export interface ReadDataset {
  format: DatasetFormat;
  columns: ParsedColumn[];
  table: CellTable;
}

/**
 * Reads a file's text (already checked by checkContent); throws MalformedFileError (422) at the first problem.
 * `known`: the columns inferred when the file was uploaded (a rebuild from stored bytes infers nothing again).
 */
export function readDataset(
  input: string,
  format: DatasetFormat,
  limits: ParseLimits,
  known?: readonly ParsedColumn[],
): ReadDataset {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const { headers, table } =
    format === 'csv' ? parseCsvText(text, limits) : rowsOf(parseJsonText(text, limits));
  if (known) {
    if (known.length !== headers.length) throw new Error('the stored columns do not match the file');
    return { format, columns: known.map((c) => ({ ...c })), table };
  }
  const used = new Set<string>();
  const columns = headers.map((header, i): ParsedColumn => {
    const name = uniqueIdentifier(columnIdentifier(header, i), used);
    return { name, header: header === '' ? name : header, ...inferColumn(table, i, header) };
  });
  return { format, columns, table };
}

/** readDataset with every row built as an array of cells (tests, small files). */
export function parseDataset(
  input: string,
  format: DatasetFormat,
  limits: ParseLimits,
  known?: readonly ParsedColumn[],
): ParsedDataset {
  const read = readDataset(input, format, limits, known);
  const rows: Cell[][] = [];
  const width = read.columns.length;
  for (let r = 0; r < read.table.rowCount; r += 1) {
    const row: Cell[] = new Array(width);
    for (let i = 0; i < width; i += 1) row[i] = read.table.cell(r, i);
    rows.push(row);
  }
  return { format, columns: read.columns, rows };
}

// ---- profile: what listings and the planners see -------------------------------------------------

const MAX_VALUE_LENGTH = 100;
/**
 * A column of names ("Liam Bennett", "Kestrel Logistics") keeps up to this many, short ones, so that a question can
 * name one: matched, not enumerated in the model.
 */
export const MAX_NAMES = 2000;
const MAX_NAME_LENGTH = 60;
const MAX_NAME_WORDS = 5;
/** Headers of free text ("Notes", "comments"): its words are no names, whatever their count. */
const FREE_TEXT =
  /\b(notes?|comments?|description|descriptions|memo|message|messages|feedback|remarks?|text|details|summary)\b/i;
const SAMPLE_COUNT = 3;

export interface ProfiledColumn extends ParsedColumn {
  /**
   * every distinct value of a string column, for matching: at most 50 of them (each at most 100 characters), or a
   * column of names with at most 2,000 (each at most 60 characters and 5 words)
   */
  values?: string[];
  /** a few distinct values, shortened */
  samples: string[];
  /** non-empty cells */
  count: number;
}

export interface DatasetProfile {
  rowCount: number;
  columns: ProfiledColumn[];
}

/** What listings and planners see of one column, fed its cells in row order. */
export class ColumnProfiler {
  private readonly distinct = new Set<string>();
  private tooMany = false;
  private tooLong = false;
  /** a value no name is: too long, or too many words */
  private notNames = false;
  private count = 0;
  private readonly samples: string[] = [];
  private readonly limit: number;

  constructor(private readonly column: ParsedColumn) {
    this.limit = FREE_TEXT.test(column.header) ? MAX_VALUES : MAX_NAMES;
  }

  feed(cell: Cell): void {
    if (cell === null) return;
    // most cells start with a character trim() keeps: no trimmed copy for those
    const c = cell.charCodeAt(0);
    if (!(c > 32 && c < 127) && cell.trim() === '') return;
    this.count += 1;
    if (this.samples.length < SAMPLE_COUNT) {
      const sample = cell.slice(0, MAX_VALUE_LENGTH);
      if (!this.samples.includes(sample)) this.samples.push(sample);
    }
    if (this.column.type !== 'string' || this.tooMany) return;
    if (cell.length > MAX_VALUE_LENGTH) this.tooLong = true;
    // as stored (cellConverter): trimmed
    const value = cell.trim();
    if (this.distinct.has(value)) return;
    if (!this.notNames && (value.length > MAX_NAME_LENGTH || value.split(/\s+/).length > MAX_NAME_WORDS))
      this.notNames = true;
    this.distinct.add(value);
    if (this.distinct.size > (this.notNames ? MAX_VALUES : this.limit)) this.tooMany = true;
  }

  result(): ProfiledColumn {
    const out: ProfiledColumn = { ...this.column, samples: [...this.samples], count: this.count };
    const few = this.distinct.size <= MAX_VALUES || !this.notNames;
    if (this.column.type === 'string' && !this.tooMany && !this.tooLong && few && this.distinct.size > 0)
      out.values = [...this.distinct];
    return out;
  }
}

export function profileDataset(parsed: ParsedDataset): DatasetProfile {
  const columns = parsed.columns.map((column, i): ProfiledColumn => {
    const profiler = new ColumnProfiler(column);
    for (const row of parsed.rows) profiler.feed(row[i] ?? null);
    return profiler.result();
  });
  return { rowCount: parsed.rows.length, columns };
}
