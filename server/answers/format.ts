// Formatting of answer values for people: figures with their units, dates at their grain, table cells.
// Everything goes through Intl (NumberFormat, DateTimeFormat) in the en-US locale, with day-month-year dates.
import { DateTime } from 'luxon';
import pluralize from 'pluralize';
import type { OutputColumn, ResolvedTimeRange } from '../query/compile.ts';
import type { CellValue } from '../query/execute.ts';
import type { Grain } from '../query/plan.ts';

/**
 * How a number is shown:
 * money (currency, 2 decimals), count (whole numbers), average (2 decimals), ratio (a few significant decimals),
 * percent (a share, 0.125 -> 12.5%), number (up to 2 decimals), identifier (no digit grouping: order 21098).
 */
export type NumberStyle = 'money' | 'count' | 'average' | 'ratio' | 'percent' | 'number' | 'identifier';

/** An output column as it is shown: a display label and, for numbers, a style. */
export interface DisplayColumn extends OutputColumn {
  style?: NumberStyle;
  /** ISO 4217 code, when the unit is a currency */
  currency?: string;
}

const LOCALE = 'en-US';
const NULL_CELL = '—';

// ---- numbers ------------------------------------------------------------------------------------

// formatters by their options object: each caller passes one of the constants below (built once, not per value)
const numberFormats = new Map<Intl.NumberFormatOptions, Intl.NumberFormat>();

function nf(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = numberFormats.get(options);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE, options);
    numberFormats.set(options, f);
  }
  return f;
}

const WHOLE: Intl.NumberFormatOptions = { maximumFractionDigits: 0 };
const UP_TO_TWO: Intl.NumberFormatOptions = { maximumFractionDigits: 2 };
const TWO: Intl.NumberFormatOptions = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 1 };
const SIGNIFICANT: Intl.NumberFormatOptions = { maximumSignificantDigits: 3 };
const IDENTIFIER: Intl.NumberFormatOptions = { useGrouping: false, maximumFractionDigits: 20 };
const CHANGE: Intl.NumberFormatOptions = {
  style: 'percent',
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
};
const moneyOptions = new Map<string, Intl.NumberFormatOptions>();

/** The options for amounts of a currency, one object per currency (so that its formatter is made once). */
function money(currency: string): Intl.NumberFormatOptions {
  let options = moneyOptions.get(currency);
  if (!options) {
    options = { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 };
    moneyOptions.set(currency, options);
  }
  return options;
}

let currencies: Set<string> | undefined;
/** The ISO 4217 code when `unit` names a currency ("USD", "eur"), else undefined. */
export function currencyOf(unit: string | undefined): string | undefined {
  if (!unit || !/^[A-Za-z]{3}$/.test(unit)) return undefined;
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  const code = unit.toUpperCase();
  return currencies.has(code) ? code : undefined;
}

/** True when the unit means the values are already percentages (12.5 -> "12.5%"). */
function isPercentUnit(unit: string | undefined): boolean {
  return unit === '%' || unit?.toLowerCase() === 'percent';
}

/** A number in its style, without unit words: "$1,234.50", "1,234", "2.35", "12.5%", "0.0345", "21098". */
export function formatNumber(value: number, style: NumberStyle = 'number', currency?: string): string {
  switch (style) {
    case 'money':
      return nf(money(currency ?? 'USD')).format(value);
    case 'count':
      return nf(Number.isInteger(value) ? WHOLE : UP_TO_TWO).format(value);
    case 'average':
      return nf(TWO).format(value);
    case 'percent':
      return nf(PERCENT).format(value);
    case 'ratio':
      return nf(Math.abs(value) >= 1 || value === 0 ? UP_TO_TWO : SIGNIFICANT).format(value);
    case 'identifier':
      return nf(IDENTIFIER).format(value);
    case 'number':
      return nf(UP_TO_TWO).format(value);
    default:
      throw new Error(`unknown number style ${style satisfies never}`);
  }
}

/** A whole number with grouping, for counts in sentences ("1,000 rows"). */
export function formatCount(n: number): string {
  return formatNumber(n, 'count');
}

/** A relative change, "+3.2%", "-12%", "0%"; undefined when there is no base to compare with. */
export function formatChange(current: number, previous: number): string | undefined {
  if (previous === 0 || !Number.isFinite(current) || !Number.isFinite(previous)) return undefined;
  return nf(CHANGE).format((current - previous) / Math.abs(previous));
}

// ---- dates --------------------------------------------------------------------------------------

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?Z?$/;

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function df(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALE, options);
    dateFormats.set(key, f);
  }
  return f;
}

function parts(date: Date, options: Intl.DateTimeFormatOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of df(options).formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** A calendar day as a Date at UTC midnight, or undefined when `value` is not 'YYYY-MM-DD...' */
function utcDay(value: string): Date | undefined {
  const m = DAY_RE.exec(value.slice(0, 10));
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

let monthNames: string[] | undefined;
/** "Nov" for a Date's month (UTC), from Intl once: a day, month or year of a calendar day is then plain text. */
function shortMonth(d: Date): string {
  monthNames ??= Array.from(
    { length: 12 },
    (_, m) => parts(new Date(Date.UTC(2000, m, 1)), { month: 'short', timeZone: 'UTC' }).month ?? '',
  );
  return monthNames[d.getUTCMonth()] as string;
}

/** "1 Nov 2026" for 'YYYY-MM-DD' (the time part of a longer value is ignored). */
export function formatDay(value: string): string {
  const d = utcDay(value);
  if (!d) return value;
  return `${d.getUTCDate()} ${shortMonth(d)} ${d.getUTCFullYear()}`;
}

/** "25 Nov 2026, 11:34 UTC" for 'YYYY-MM-DDTHH:MM:SSZ' (UTC), shown in `timeZone` (default UTC). */
export function formatDateTime(value: string, timeZone = 'UTC'): string {
  const m = DATETIME_RE.exec(value);
  if (!m) return value;
  const date = new Date(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)),
  );
  if (Number.isNaN(date.getTime())) return value;
  let zone = timeZone;
  try {
    df({ timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const p = parts(date, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
    ...(zone === 'UTC' ? {} : { timeZoneName: 'short' }),
  });
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${zone === 'UTC' ? 'UTC' : (p.timeZoneName ?? zone)}`;
}

/**
 * A date value at a grain: day "1 Nov 2026", week "Week of 23 Nov 2026", month "Nov 2026", quarter "Q4 2026",
 * year "2026"; without a grain, days and date-times by their shape.
 */
export function formatDate(value: string, grain?: Grain, timeZone?: string): string {
  const d = utcDay(value);
  if (!d) return value;
  switch (grain) {
    case 'day':
      return formatDay(value);
    case 'week':
      return `Week of ${formatDay(value)}`;
    case 'month':
      return `${shortMonth(d)} ${d.getUTCFullYear()}`;
    case 'quarter':
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`;
    case 'year':
      return String(d.getUTCFullYear());
    case undefined:
      return DAY_RE.test(value) ? formatDay(value) : formatDateTime(value, timeZone);
    default:
      throw new Error(`unknown grain ${grain satisfies never}`);
  }
}

/**
 * The exact bounds of a resolved range, in the agent's zone: whole days as "1 Oct 2026 – 31 Oct 2026" (both
 * inclusive), anything else as "1 Nov 2026, 00:00 up to 25 Nov 2026, 12:00 UTC" (end exclusive).
 */
export function formatRangeBounds(range: Pick<ResolvedTimeRange, 'start' | 'end'>, timeZone = 'UTC'): string {
  // the same few periods ("last month" today) are worded for every answer: luxon's parsing and formatting were 3% of
  // a busy server's main thread, for the same words each time
  const key = `${range.start}|${range.end}|${timeZone}`;
  let words = boundsWords.get(key);
  if (words === undefined) {
    if (boundsWords.size >= 1000) boundsWords.clear();
    words = rangeBoundsWords(range, timeZone);
    boundsWords.set(key, words);
  }
  return words;
}

const boundsWords = new Map<string, string>();

function rangeBoundsWords(range: Pick<ResolvedTimeRange, 'start' | 'end'>, timeZone: string): string {
  const parse = (s: string): DateTime =>
    DAY_RE.test(s)
      ? DateTime.fromISO(s, { zone: timeZone })
      : DateTime.fromSQL(s.replace('T', ' ').replace(/Z$/, ''), { zone: 'UTC' }).setZone(timeZone);
  const start = parse(range.start);
  const end = parse(range.end);
  if (!start.isValid || !end.isValid) return `${range.start} up to ${range.end}`;
  const day = (dt: DateTime): string => formatDay(dt.toISODate() ?? '');
  if (end <= start) return `an empty range at ${day(start)}`;
  const midnight = (dt: DateTime): boolean => dt.equals(dt.startOf('day'));
  if (midnight(start) && midnight(end)) {
    const last = end.minus({ days: 1 });
    return last.hasSame(start, 'day') ? day(start) : `${day(start)} – ${day(last)}`;
  }
  const zone = timeZone === 'UTC' ? 'UTC' : end.toFormat('ZZZZ');
  return `${day(start)}, ${start.toFormat('HH:mm')} up to ${day(end)}, ${end.toFormat('HH:mm')} ${zone}`;
}

// ---- cells and figures --------------------------------------------------------------------------

/** The style of a number column when nothing better is known: by unit, definition and values. */
export function inferNumberStyle(column: OutputColumn, values: readonly CellValue[] = []): NumberStyle {
  if (column.role !== 'measure' && /(^|_)id$/.test(column.name) && !column.unit) return 'identifier';
  if (currencyOf(column.unit)) return 'money';
  const def = column.definition ?? '';
  if (isShareDefinition(def)) return 'percent';
  if (/ divided by /.test(def)) return 'ratio';
  if (/^the (number|count) of /i.test(def)) return 'count';
  if (/^the average /i.test(def)) return 'average';
  return values.every((v) => typeof v !== 'number' || Number.isInteger(v)) ? 'count' : 'number';
}

/** "the number of orders divided by the number of orders": a share of the same rows. */
export function isShareDefinition(definition: string): boolean {
  const m = /^the number of (.+) divided by the number of (.+)$/.exec(definition);
  return m !== null && m[1] === m[2];
}

function styleOf(column: DisplayColumn): NumberStyle {
  return column.style ?? inferNumberStyle(column);
}

/** A table cell: every value as a string; units stay in the header ("1,234", "$1,234.50"), null is "—". */
export function formatCell(value: CellValue, column: DisplayColumn, timeZone?: string): string {
  if (value === null) return NULL_CELL;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') {
    const style = styleOf(column);
    if (isPercentUnit(column.unit) && style !== 'identifier') return `${formatNumber(value, 'number')}%`;
    return formatNumber(value, style, column.currency ?? currencyOf(column.unit));
  }
  if (column.type === 'date') return formatDate(value, column.grain, timeZone);
  return value;
}

/**
 * A figure for a sentence, with its unit: "$1,234.50", "1,234 units", "12.5%", "3.50 kg", "1 Nov 2026".
 * `undefined` for null (there is no figure to show).
 */
export function formatFigure(value: CellValue, column: DisplayColumn, timeZone?: string): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'number') return formatCell(value, column, timeZone);
  const cell = formatCell(value, column, timeZone);
  const unit = column.unit;
  if (!unit || currencyOf(unit) || isPercentUnit(unit) || styleOf(column) === 'percent') return cell;
  const word = Math.abs(value) === 1 ? pluralize.singular(unit) : unit;
  return `${cell} ${word}`;
}

/** The unit for an axis title ("USD", "units", "%"), or undefined. */
export function unitTitle(column: DisplayColumn): string | undefined {
  if (styleOf(column) === 'percent' || isPercentUnit(column.unit)) return '%';
  return column.currency ?? currencyOf(column.unit) ?? column.unit;
}

// ---- words --------------------------------------------------------------------------------------

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function lowerFirst(s: string): string {
  // keep acronyms ("AOV", "USD") as written
  if (/^[A-Z]{2,}/.test(s)) return s;
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** "created_at" -> "created at" */
export function humanise(name: string): string {
  return name.replace(/_/g, ' ').trim();
}

/** "a", "a and b", "a, b and c" */
export function listWords(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

export function plural(noun: string, count = 2): string {
  return pluralize(noun, count);
}

export function singular(noun: string): string {
  return pluralize.singular(noun);
}

/** A compared period's label on its own (chips, chart axes, the account): the planner may keep the question's "in" ("in Q3"). */
export function comparedLabel(label: string): string {
  return label.replace(/^in /i, '');
}
