// Dates in uploaded files: which way a column writes its dates (`2026-01`, `Jan 2026`, `Q1 2026`, `2026`,
// `15/01/2026`, ...), detected per column, and each cell as the ISO date that starts its period, with the grain
// (day, month, quarter, year) the column is written at, so a blend joins a monthly file by month and a quarterly
// one by quarter.
//
// Parsing is luxon's DateTime.fromFormat: explicit format tokens (month names, quarters), strict (a format either
// reads the whole text or not; 30 February is invalid, not 2 March) and case-insensitive for month names.
// chrono-node (the question side) is made for free text and guesses missing fields, which is wrong for a column
// that must be read one way throughout.
import { DateTime } from 'luxon';

export type DateGrain = 'day' | 'month' | 'quarter' | 'year';

export interface DateFormat {
  /** luxon format tokens */
  tokens: string;
  grain: DateGrain;
  /** how it looks, for messages and docs */
  example: string;
}

/**
 * The formats a date column may be written in, in order of preference: when every value of a column fits two
 * of them (`03/04/2026`), the earlier wins (month first, like spreadsheets exported in en-US).
 */
export const DATE_FORMATS: readonly DateFormat[] = [
  // days
  { tokens: 'yyyy-MM-dd', grain: 'day', example: '2026-01-31' },
  { tokens: 'yyyy/MM/dd', grain: 'day', example: '2026/01/31' },
  { tokens: 'M/d/yyyy', grain: 'day', example: '1/31/2026' },
  { tokens: 'd/M/yyyy', grain: 'day', example: '31/1/2026' },
  { tokens: 'd.M.yyyy', grain: 'day', example: '31.1.2026' },
  { tokens: 'd MMM yyyy', grain: 'day', example: '31 Jan 2026' },
  { tokens: 'd MMMM yyyy', grain: 'day', example: '31 January 2026' },
  { tokens: 'MMM d, yyyy', grain: 'day', example: 'Jan 31, 2026' },
  { tokens: 'MMMM d, yyyy', grain: 'day', example: 'January 31, 2026' },
  // months
  { tokens: 'yyyy-MM', grain: 'month', example: '2026-01' },
  { tokens: 'yyyy/MM', grain: 'month', example: '2026/01' },
  { tokens: 'M/yyyy', grain: 'month', example: '01/2026' },
  { tokens: 'M-yyyy', grain: 'month', example: '01-2026' },
  { tokens: 'MMM yyyy', grain: 'month', example: 'Jan 2026' },
  { tokens: 'MMMM yyyy', grain: 'month', example: 'January 2026' },
  { tokens: 'MMM-yyyy', grain: 'month', example: 'Jan-2026' },
  { tokens: 'MMM-yy', grain: 'month', example: 'Jan-26' },
  { tokens: 'MMMM, yyyy', grain: 'month', example: 'January, 2026' },
  // quarters
  { tokens: "'Q'q yyyy", grain: 'quarter', example: 'Q1 2026' },
  { tokens: "yyyy-'Q'q", grain: 'quarter', example: '2026-Q1' },
  { tokens: "yyyy 'Q'q", grain: 'quarter', example: '2026 Q1' },
  { tokens: "yyyy'Q'q", grain: 'quarter', example: '2026Q1' },
  { tokens: "'Q'q-yyyy", grain: 'quarter', example: 'Q1-2026' },
  { tokens: "'Q'q/yyyy", grain: 'quarter', example: 'Q1/2026' },
  // years (a column of bare years is read as dates only when its header says so: see isYearHeader)
  { tokens: 'yyyy', grain: 'year', example: '2026' },
];

const YEAR_FORMAT = DATE_FORMATS.length - 1;
const OPTIONS = { zone: 'UTC', locale: 'en-US' } as const;

/** Spaces collapsed, `Sept` read as `Sep` and a dot after a month abbreviation dropped (`Jan. 2026`). */
function normalise(text: string): string {
  return text
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/\bsept\b/i, 'Sep')
    .replace(/\b([A-Za-z]{3})\.(?=\s)/, '$1');
}

/**
 * A loose shape of a format's texts: digits where it has numbers, letters where it has month names, its literals
 * between them. luxon reads no text of the format that lacks the shape (dates.test.ts checks that), so it is asked
 * only about texts that might be dates written that way: a column of 700 distinct ISO days costs 700 luxon parses,
 * not 700 for each of the 24 formats.
 */
function looseShape(tokens: string): RegExp {
  let pattern = '';
  for (const part of tokens.match(/'[^']*'|y+|M{3,4}|M{1,2}|d+|q+|[^'yMdq]/g) ?? []) {
    if (part.startsWith("'")) pattern += part.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (/^M{3,4}$/.test(part)) pattern += '[a-z]+';
    else if (/^[yMdq]+$/.test(part)) pattern += '\\d+';
    else pattern += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`, 'i');
}

const shapes = new Map<string, RegExp>();
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}

/** The ISO date (yyyy-MM-dd) that starts the value's period in one format, or undefined. */
export function parseDateAs(text: string, format: DateFormat): string | undefined {
  const value = normalise(text);
  // every format holds a digit and is short; most numbers and words are out before luxon runs
  if (value.length < 4 || value.length > 20 || !/\d/.test(value)) return undefined;
  let shape = shapes.get(format.tokens);
  if (!shape) {
    shape = looseShape(format.tokens);
    shapes.set(format.tokens, shape);
  }
  if (!shape.test(value)) return undefined;
  if (format.tokens === 'yyyy-MM-dd') {
    // the usual day format, settled by arithmetic
    const m = ISO_DAY.exec(value);
    if (!m) return undefined;
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
    return value;
  }
  const dt = DateTime.fromFormat(value, format.tokens, OPTIONS);
  if (!dt.isValid || dt.year < 1000 || dt.year > 9999) return undefined;
  return dt.toISODate() ?? undefined;
}

/** A header that names years ("year", "Fiscal Year", "FY", "yr"): its 4-digit integers are years, not amounts. */
export function isYearHeader(header: string): boolean {
  return /(^|[^a-z])(year|yr|fy|fiscal[ _-]?year)s?([^a-z]|$)/i.test(header.trim());
}

/**
 * Detects the one format a column's values are written in, fed one value at a time. Values seen before are
 * remembered (a date column repeats its dates), so a 650,000-row file costs one luxon parse per distinct value and
 * remaining format.
 */
export class DateColumnDetector {
  private candidates: number[];
  private readonly seen = new Map<string, true>();
  private allFirstOfMonth = true;

  constructor(options: { allowYears?: boolean } = {}) {
    this.candidates = DATE_FORMATS.map((_, i) => i).filter((i) => options.allowYears || i !== YEAR_FORMAT);
  }

  /** false once no format fits every value fed so far */
  get possible(): boolean {
    return this.candidates.length > 0;
  }

  feed(value: string): boolean {
    if (this.candidates.length === 0) return false;
    if (this.seen.has(value)) return true;
    let first: string | undefined;
    this.candidates = this.candidates.filter((i) => {
      const iso = parseDateAs(value, DATE_FORMATS[i] as DateFormat);
      if (iso !== undefined) first ??= iso;
      return iso !== undefined;
    });
    if (first !== undefined && !first.endsWith('-01')) this.allFirstOfMonth = false;
    // bounded memory: the cache only saves time
    if (this.seen.size < 100_000) this.seen.set(value, true);
    return this.candidates.length > 0;
  }

  /**
   * The column's format and grain, or undefined when no format fits. A day column whose every date is the first
   * of a month holds months (`2026-07-01, 2026-08-01`: monthly targets), so its grain is month.
   */
  result(): { format: DateFormat; grain: DateGrain } | undefined {
    const index = this.candidates[0];
    if (index === undefined) return undefined;
    const format = DATE_FORMATS[index] as DateFormat;
    const grain = format.grain === 'day' && this.allFirstOfMonth ? 'month' : format.grain;
    return { format, grain };
  }
}

/** A cell of a date column as its ISO period start, memoised per column (the same text recurs). */
export class DateCellReader {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly format: DateFormat) {}

  read(text: string): string | null {
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const iso = parseDateAs(text, this.format) ?? null;
    if (this.cache.size < 100_000) this.cache.set(text, iso);
    return iso;
  }
}

/** The format with these luxon tokens (from a stored column), or undefined. */
export function dateFormatOf(tokens: string | undefined): DateFormat | undefined {
  return tokens === undefined ? undefined : DATE_FORMATS.find((f) => f.tokens === tokens);
}
