// Resolving a plan's DateRange to concrete [start, end) instants, following the contract's date rules:
// calendar units are whole units in the agent's time zone, weeks are ISO weeks (Monday), the clock is injected.
import { DateTime } from 'luxon';
import { DateRange, type Grain, type Period } from '../query/plan.ts';

export interface ResolvedRange {
  start: DateTime;
  /** exclusive */
  end: DateTime;
  /** human, e.g. "October 2026", "1 Nov 2026 – 24 Nov 2026", "this month (1–25 Nov 2026)" */
  label: string;
}

/** English month names, January first. */
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** `now` as a luxon DateTime in `timeZone`; throws a clear Error for an unknown zone or an invalid Date. */
export function zonedNow(now: Date, timeZone: string): DateTime {
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new Error('invalid "now": expected a valid Date');
  const zone = typeof timeZone === 'string' ? timeZone.trim() : '';
  // 'local'/'system' would make answers depend on the server's clock settings; the agent's zone must be explicit.
  if (zone === '' || /^(local|system)$/i.test(zone)) {
    throw new Error(
      `unknown time zone "${String(timeZone)}": expected an IANA name such as "UTC" or "Europe/Paris"`,
    );
  }
  // one answer resolves its dates against one clock many times over (planning, compiling, composing)
  const ms = now.getTime();
  if (lastZoned && lastZoned.ms === ms && lastZoned.zone === zone) return lastZoned.dt;
  const dt = DateTime.fromJSDate(now, { zone });
  if (!dt.isValid) {
    throw new Error(`unknown time zone "${timeZone}": expected an IANA name such as "UTC" or "Europe/Paris"`);
  }
  lastZoned = { ms, zone, dt };
  return dt;
}

/** The last DateTime zonedNow made (luxon's are immutable, so it can be handed out again). */
let lastZoned: { ms: number; zone: string; dt: DateTime } | undefined;

/** 'YYYY-MM-DD HH:MM:SS' in UTC (the storage format of the databases); sub-second precision is dropped. */
export function toUtcSql(dt: DateTime): string {
  if (!dt.isValid)
    throw new Error(`invalid date-time: ${dt.invalidExplanation ?? dt.invalidReason ?? 'unknown'}`);
  const ms = dt.toMillis();
  // the ISO text of the same instant, cut to seconds: a tenth of toFormat's cost, which parses its format every call
  if (ms >= MIN_ISO_MS && ms <= MAX_ISO_MS) return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  return dt.toUTC().toFormat('yyyy-MM-dd HH:mm:ss');
}

/** The instants whose toISOString has a four-digit year: years 0000 to 9999. */
const MIN_ISO_MS = Date.parse('0000-01-01T00:00:00Z');
const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** The start of the calendar unit containing `dt`, in dt's zone; weeks are ISO weeks starting on Monday. */
export function startOfGrain(dt: DateTime, grain: Grain): DateTime {
  // luxon's startOf('week') is the ISO week (Monday) unless locale weeks are asked for.
  return dt.startOf(grain, { useLocaleWeeks: false });
}

function plural(n: number, unit: Grain): string {
  return n === 1 ? unit : `${n} ${unit}s`;
}

/** "20 Nov 2026" */
export function formatDay(d: DateTime): string {
  return `${d.day} ${MONTHS[d.month - 1]!.slice(0, 3)} ${d.year}`;
}

/**
 * A compact inclusive span of days: "18–24 Nov 2026", "26 Oct – 22 Nov 2026", "28 Dec 2025 – 3 Jan 2026". Both ends
 * are in one zone (every caller's are), so their calendar fields compare directly: luxon's hasSame converts zones
 * first, about 30 µs a call.
 */
function formatSpan(first: DateTime, last: DateTime): string {
  const sameYear = first.year === last.year;
  const sameMonth = sameYear && first.month === last.month;
  if (sameMonth && first.day === last.day) return formatDay(first);
  const mon = (d: DateTime) => MONTHS[d.month - 1]!.slice(0, 3);
  if (sameMonth) return `${first.day}–${last.day} ${mon(last)} ${last.year}`;
  if (sameYear) return `${first.day} ${mon(first)} – ${last.day} ${mon(last)} ${last.year}`;
  return `${formatDay(first)} – ${formatDay(last)}`;
}

/**
 * Calendar days from `first`'s date to `last`'s (negative when `last` is earlier). For two moments of one zone this
 * is luxon's `last.startOf('day').diff(first.startOf('day'), 'days')`, read off their date fields instead (the diff
 * takes about 30 µs); moments of different zones take luxon's way.
 */
export function calendarDaysBetween(first: DateTime, last: DateTime): number {
  if (first.zoneName !== last.zoneName)
    return Math.round(last.startOf('day').diff(first.startOf('day'), 'days').days);
  return dayNumber(last) - dayNumber(first);
}

/** Days since 1970-01-01 of a date's calendar fields (setUTCFullYear, unlike Date.UTC, keeps years 0-99). */
function dayNumber(d: DateTime): number {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day);
  return Math.round(t.getTime() / 86_400_000);
}

/** "6 Nov 2026, 09:21" (seconds only when there are some) */
function formatMoment(d: DateTime): string {
  return `${formatDay(d)}, ${d.toFormat(d.second === 0 ? 'HH:mm' : 'HH:mm:ss')}`;
}

/**
 * [start, end) for people: whole days as an inclusive span of days ("1–5 Nov 2026"), otherwise the two moments
 * ("1 Nov 2026, 00:00 – 6 Nov 2026, 09:21"), so that a window cut mid-day never reads as whole days. Both ends are
 * in one zone.
 */
export function formatInstantSpan(start: DateTime, end: DateTime): string {
  const midnight = (d: DateTime) => d.equals(d.startOf('day'));
  if (midnight(start) && midnight(end) && end > start) return formatSpan(start, lastDay(start, end));
  return `${formatMoment(start)} – ${formatMoment(end)}`;
}

/** The last calendar day included in [start, end). */
function lastDay(start: DateTime, end: DateTime): DateTime {
  return end > start ? end.minus({ milliseconds: 1 }).startOf('day') : start.startOf('day');
}

function unitName(start: DateTime, unit: Grain): string {
  switch (unit) {
    case 'day':
      return formatDay(start);
    case 'week':
      return formatSpan(start, start.plus({ days: 6 }));
    case 'month':
      return `${MONTHS[start.month - 1]} ${start.year}`;
    case 'quarter':
      return `Q${start.quarter} ${start.year}`;
    case 'year':
      return String(start.year);
  }
}

function periodUnit(p: Period): Grain {
  if (p.day !== undefined) return 'day';
  if (p.month !== undefined) return 'month';
  if (p.quarter !== undefined) return 'quarter';
  return 'year';
}

/** The start of `p` in `year`, or undefined when that day does not exist in that year (e.g. 29 Feb 2027). */
function periodStartIn(p: Period, year: number, zone: string): DateTime | undefined {
  const month = p.month ?? (p.quarter !== undefined ? (p.quarter - 1) * 3 + 1 : 1);
  const day = p.day ?? 1;
  const dt = DateTime.fromObject({ year, month, day }, { zone });
  return dt.isValid ? dt : undefined;
}

function periodLabel(p: Period, start: DateTime): string {
  return unitName(start, periodUnit(p));
}

/** [start, end) of a period; a period without a year is the latest one that has started (start <= now). */
export function resolvePeriod(p: Period, now: DateTime): { start: DateTime; end: DateTime; label: string } {
  const zone = now.zoneName ?? 'UTC';
  const unit = periodUnit(p);
  let start: DateTime | undefined;
  if (p.year !== undefined) {
    start = periodStartIn(p, p.year, zone);
    if (!start) {
      throw new Error(`not a calendar date: ${p.year}-${pad(p.month ?? 1)}-${pad(p.day ?? 1)}`);
    }
  } else {
    // the latest started one; up to 8 years back so that "29 February" finds a leap year
    for (let year = now.year; year >= now.year - 8 && !start; year--) {
      const candidate = periodStartIn(p, year, zone);
      if (candidate && candidate <= now) start = candidate;
    }
    if (!start) throw new Error(`not a calendar date: ${pad(p.month ?? 1)}-${pad(p.day ?? 1)}`);
  }
  const end = start.plus({ [unit]: 1 });
  return { start, end, label: periodLabel(p, start) };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function isoDay(s: string, zone: string): DateTime {
  const dt = DateTime.fromISO(s, { zone });
  if (!dt.isValid) throw new Error(`not a calendar date: ${s}`);
  return dt.startOf('day');
}

/** Where an open range starts: the earliest date every supported database stores (MySQL's DATETIME). */
const EARLIEST = DateTime.fromISO('1000-01-01T00:00:00', { zone: 'UTC' });

/**
 * Resolves a DateRange to [start, end) in `timeZone` at the instant `now`.
 * Throws a clear Error for an unknown zone, an invalid range or a date that does not exist (2025-02-30).
 * A range in the future still resolves (it simply selects no data).
 */
export function resolveDateRange(range: DateRange, now: Date, timeZone: string): ResolvedRange {
  const at = zonedNow(now, timeZone);
  const parsed = DateRange.safeParse(range);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'range'}: ${i.message}`).join('; ');
    throw new Error(`invalid date range ${JSON.stringify(range)}: ${why}`);
  }
  const r = parsed.data;
  switch (r.kind) {
    case 'current': {
      const start = startOfGrain(at, r.unit);
      if (r.unit === 'day') {
        return { start, end: start.plus({ days: 1 }), label: `today (${formatDay(start)})` };
      }
      return { start, end: at, label: `this ${r.unit} (${formatSpan(start, lastDay(start, at))})` };
    }
    case 'last': {
      const end = startOfGrain(at, r.unit);
      const start = end.minus({ [r.unit]: r.n });
      let label: string;
      if (r.n === 1) {
        label = r.unit === 'day' ? 'yesterday' : `last ${r.unit}`;
        label += ` (${unitName(start, r.unit)})`;
      } else {
        const last = lastDay(start, end);
        const span = r.unit === 'year' ? `${start.year}–${last.year}` : formatSpan(start, last);
        label = `the last ${plural(r.n, r.unit)} (${span})`;
      }
      return { start, end, label };
    }
    case 'period': {
      return resolvePeriod(r.period, at);
    }
    case 'since': {
      const p = resolvePeriod(r.period, at);
      // a period that starts in the future gives an empty range rather than an inverted one
      const end = DateTime.max(at, p.start);
      const detail =
        end > p.start ? formatSpan(p.start, lastDay(p.start, end)) : `starts ${formatDay(p.start)}`;
      return { start: p.start, end, label: `since ${p.label} (${detail})` };
    }
    case 'before': {
      const end = startOfGrain(at, r.unit);
      const label = r.unit === 'day' ? `before today (${formatDay(end)})` : `before this ${r.unit}`;
      return { start: EARLIEST.setZone(at.zoneName ?? timeZone, { keepLocalTime: true }), end, label };
    }
    case 'between': {
      let first = isoDay(r.from, at.zoneName ?? timeZone);
      let last = isoDay(r.to, at.zoneName ?? timeZone);
      // both ends are inclusive; a reversed pair is read in calendar order
      if (last < first) [first, last] = [last, first];
      const label = first.hasSame(last, 'day')
        ? formatDay(first)
        : `${formatDay(first)} – ${formatDay(last)}`;
      return { start: first, end: last.plus({ days: 1 }), label };
    }
    case 'span': {
      const zone = at.zoneName ?? timeZone;
      let start = DateTime.fromISO(r.from, { zone });
      let end = DateTime.fromISO(r.until, { zone });
      if (!start.isValid || !end.isValid) throw new Error(`not a calendar date-time: ${r.from} – ${r.until}`);
      if (end < start) [start, end] = [end, start];
      return { start, end, label: formatInstantSpan(start, end) };
    }
  }
}
