// Recognising date phrases in English questions, for the rules-based planner (no LLM).
// Our own grammar decides the range semantics (the contract's date rules); chrono-node is only a fallback for
// absolute calendar dates in formats the grammar does not know ("20.11.2026", "20-Nov-2026", "11/20/26").
import * as chrono from 'chrono-node';
import type { DateTime } from 'luxon';
import type { DateRange, Grain, Period } from '../query/plan.ts';
import { startOfGrain, zonedNow } from './resolve.ts';

export interface DateMatch {
  range: DateRange;
  /** char offsets of the phrase in the text (end exclusive); the phrase includes a leading "in", "during", ... */
  start: number;
  end: number;
  text: string;
  /** when the phrase also implies a grain: "for each of the last 6 months" -> month */
  grain?: Grain;
}

// ---------------------------------------------------------------------------------------------------------------
// Grammar fragments (regular-expression source, used case-insensitively)

/** token start / token end: not inside a word, a number or a hyphenated token ("2025-03-01", "Q3-model") */
const B = String.raw`(?<![\w-])`;
const E = String.raw`(?![\w]|-\w)`;

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MON =
  '(?:january|february|march|april|may|june|july|august|september|october|november|december|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)(?![a-z])';
/** month names that are also common English words ("may I see", "march"): need clear date context */
const WEAK_MONTH = /^(?:may|march|mar)$/i;
/** full month names that can stand alone as a month ("January revenue") */
const LONE_MONTH = '(?:january|february|april|june|july|august|september|october|november|december)(?![a-z])';
const STRONG_MON =
  '(?:january|february|april|june|july|august|september|october|november|december|sept|jan|feb|apr|jun|jul|aug|sep|oct|nov|dec)(?![a-z])';
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const DAYNUM = String.raw`(?:3[01]|[12]\d|0?[1-9])(?!\d)(?:st|nd|rd|th)?`;
const YEAR = String.raw`(?:19|20|21)\d\d(?!\d)`;
const YEAR_REL = String.raw`(?:this|last|previous|next)\s+year`;
/** a year attached to a month, quarter or half: " 2025", ", 2025", " of 2025", " last year", "'25" */
const YEAR_SUF = String.raw`(?:,?\s+(?:of\s+|in\s+)?(?:${YEAR}|${YEAR_REL})|\s?['’]\d\d(?!\d))`;
const QUARTER = String.raw`(?:q[1-4]|(?:the\s+)?(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)`;

const DAY_ISO = String.raw`${YEAR}[-/](?:1[0-2]|0?[1-9])[-/](?:3[01]|[12]\d|0?[1-9])(?!\d)`;
const DAY_SLASH = String.raw`(?:3[01]|[12]\d|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])/${YEAR}`;
const DAY_MDY = String.raw`(?:${WEEKDAY},?\s+)?${MON}\.?\s+${DAYNUM}(?:,?\s+${YEAR})?`;
const DAY_DMY = String.raw`(?:${WEEKDAY},?\s+)?(?:the\s+)?${DAYNUM}\s+(?:of\s+)?${MON}\.?(?:,?\s+${YEAR})?`;
const DAY_DMY_Y = String.raw`(?:${WEEKDAY},?\s+)?(?:the\s+)?${DAYNUM}\s+(?:of\s+)?${MON}\.?,?\s+${YEAR}`;
const DAY_DMY_OF = String.raw`(?:the\s+)?(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\s+of\s+${MON}`;
const DAY_ANY = `(?:${DAY_ISO}|${DAY_SLASH}|${DAY_MDY}|${DAY_DMY})`;

/** anything that names a calendar point: a day, a month, a quarter, a half or a year */
const POINT = String.raw`(?:${DAY_ANY}|${YEAR}[\s-]?q[1-4]|${QUARTER}(?:${YEAR_SUF})?|h[12](?:${YEAR_SUF})?|(?:the\s+month\s+of\s+)?${MON}\.?(?:${YEAR_SUF})?|(?:the\s+year\s+)?${YEAR})`;
/** a point that is clearly a date even without a leading "from" or "between" */
const POINT_STRONG = String.raw`(?:${DAY_ISO}|${DAY_SLASH}|${DAY_MDY}|${DAY_DMY_Y}|${YEAR}[\s-]?q[1-4]|q[1-4](?:${YEAR_SUF})?|${MON}\.?${YEAR_SUF}|${STRONG_MON}|${YEAR})`;

const NUM = String.raw`(?:\d{1,4}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|ten|one|two|three|four|five|six|seven|eight|nine|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?dozen|(?:a\s+)?hundred)(?![a-z])`;
const UNIT = '(?:days?|weeks?|wks?|months?|mos?|quarters?|qtrs?|years?|yrs?)(?![a-z])';
const WHOLE = String.raw`(?:(?:full|complete|whole|calendar)\s+)?`;

/** optional words before a relative phrase: "in the last 7 days", "over the past year", "for this month" */
const LEAD_REL = String.raw`(?:(?:in|during|for|over|within|throughout|from|of|on)\s+)?(?:the\s+)?`;
/** optional words before a named period: "in March 2026", "during Q3", "for 2025" */
const LEAD_P = String.raw`(?:(?:in|during|for|from|of|throughout|within|on)\s+)?`;
/** required words before a bare month name or year: "in March", "for 2025" */
const LEAD_REQ = String.raw`(?:in|during|for|from|of|throughout|within)\s+`;
/** comparisons: the compared period stands alone ("2025 vs 2024"); the planner handles the comparison itself */
const VS = String.raw`(?:vs\.?|versus|compared\s+(?:to|with)|against)`;
const AFTER_VS = String.raw`(?<=\b(?:${VS}|compare)\s+)`;
const BEFORE_VS = String.raw`(?=\s+${VS}\s)`;

// ---------------------------------------------------------------------------------------------------------------
// Small parsers

/** Number words people write ("last three months", "top five"). */
export const SMALL_NUMBERS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

function parseNumber(s: string): number | undefined {
  const t = s.toLowerCase().trim().replace(/\s+/g, ' ');
  if (/^\d+$/.test(t)) return Number(t);
  if (/couple/.test(t)) return 2;
  if (/dozen/.test(t)) return 12;
  if (/hundred/.test(t)) return 100;
  let total = 0;
  for (const w of t.split(/[\s-]+/)) {
    const v = SMALL_NUMBERS[w];
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}

function parseUnit(s: string): Grain {
  const t = s.toLowerCase();
  if (t.startsWith('d')) return 'day';
  if (t.startsWith('w')) return 'week';
  if (t.startsWith('q')) return 'quarter';
  if (t.startsWith('y')) return 'year';
  return 'month';
}

function monthNumber(s: string): number | undefined {
  const t = s.toLowerCase().slice(0, 3);
  const i = MONTH_NAMES.findIndex((m) => m.startsWith(t));
  return i < 0 ? undefined : i + 1;
}

const ORDINAL_WORDS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4 };

function ordinal(s: string): number | undefined {
  const t = s.toLowerCase();
  return ORDINAL_WORDS[t] ?? (/^\d/.test(t) ? Number.parseInt(t, 10) : undefined);
}

/** A year written after a month/quarter: "2025", ", 2025", " of 2025", " last year", "'25". */
function parseYearSuffix(s: string, now: DateTime): number | undefined {
  const t = s.toLowerCase();
  const full = /((?:19|20|21)\d\d)/.exec(t);
  if (full) return Number(full[1]);
  const short = /['’](\d\d)/.exec(t);
  if (short) return 2000 + Number(short[1]);
  if (/this\s+year/.test(t)) return now.year;
  if (/(?:last|previous)\s+year/.test(t)) return now.year - 1;
  if (/next\s+year/.test(t)) return now.year + 1;
  return undefined;
}

function daysInMonth(month: number, year?: number): number {
  if (month === 2)
    return year === undefined || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

interface Day {
  year?: number;
  month: number;
  day: number;
  /** written with an ordinal suffix ("3rd") or a year: clearly a date */
  explicit: boolean;
}

/** Parses one calendar day in any of the grammar's day forms; undefined when it is not a real date. */
function parseDay(s: string): Day | undefined {
  const t = s.toLowerCase().trim();
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  let explicit = true;
  const iso = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(t);
  const slash = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (iso) {
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (slash) {
    // US order (month/day/year) unless the first number cannot be a month
    const [a, b] = [Number(slash[1]), Number(slash[2])];
    [year, month, day] = a > 12 ? [Number(slash[3]), b, a] : [Number(slash[3]), a, b];
  } else {
    const body = t.replace(new RegExp(`^${WEEKDAY},?\\s+`), '');
    const mon = new RegExp(MON).exec(body);
    const num = /(?<!\d)(\d{1,2})(st|nd|rd|th)?(?!\d)/.exec(body);
    const yr = new RegExp(`(?<!\\d)(${YEAR})`).exec(body);
    if (!mon || !num) return undefined;
    month = monthNumber(mon[0]);
    day = Number(num[1]);
    year = yr ? Number(yr[1]) : undefined;
    explicit = year !== undefined || num[2] !== undefined || /\bof\b/.test(body);
  }
  if (month === undefined || day === undefined || month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(month, year)) return undefined;
  return { year, month, day, explicit };
}

/** A calendar point named in a range: a day, a month, a quarter, a half-year or a year (year may be missing). */
interface Point {
  unit: 'day' | 'month' | 'quarter' | 'half' | 'year';
  year?: number;
  /** first month of the point (day/month/quarter/half) */
  month: number;
  day: number;
  /** months covered (1, 3, 6, 12) for non-day points */
  months: number;
}

function parsePoint(s: string, now: DateTime): Point | undefined {
  const t = s.toLowerCase().trim().replace(/\s+/g, ' ');
  if (new RegExp(`^${DAY_ANY}$`).test(t)) {
    const d = parseDay(t);
    return d && { unit: 'day', year: d.year, month: d.month, day: d.day, months: 0 };
  }
  let m = new RegExp(`^(${YEAR})[\\s-]?q([1-4])$`).exec(t);
  if (m) return quarterPoint(Number(m[2]), Number(m[1]));
  m = new RegExp(`^(${QUARTER})(${YEAR_SUF})?$`).exec(t);
  if (m) {
    const q = /^q([1-4])/.exec(m[1]!)
      ? Number(m[1]!.slice(1))
      : ordinal(m[1]!.replace(/^the\s+/, '').split(' ')[0]!);
    return q === undefined ? undefined : quarterPoint(q, m[2] ? parseYearSuffix(m[2], now) : undefined);
  }
  m = new RegExp(`^h([12])(${YEAR_SUF})?$`).exec(t);
  if (m) {
    const year = m[2] ? parseYearSuffix(m[2], now) : undefined;
    return { unit: 'half', year, month: m[1] === '1' ? 1 : 7, day: 1, months: 6 };
  }
  m = new RegExp(`^(?:the month of )?(${MON})\\.?(${YEAR_SUF})?$`).exec(t);
  if (m) {
    const year = m[2] ? parseYearSuffix(m[2], now) : undefined;
    return { unit: 'month', year, month: monthNumber(m[1]!)!, day: 1, months: 1 };
  }
  m = new RegExp(`^(?:the year )?(${YEAR})$`).exec(t);
  if (m) return { unit: 'year', year: Number(m[1]), month: 1, day: 1, months: 12 };
  return undefined;
}

function quarterPoint(q: number, year: number | undefined): Point {
  return { unit: 'quarter', year, month: (q - 1) * 3 + 1, day: 1, months: 3 };
}

function pointStart(p: Point, year: number, now: DateTime): DateTime | undefined {
  const dt = now.set({ year, month: p.month, day: 1 }).startOf('day');
  if (p.unit !== 'day') return dt;
  return p.day <= dt.daysInMonth! ? dt.set({ day: p.day }) : undefined;
}

/** the last day included in the point */
function pointLastDay(p: Point, year: number, now: DateTime): DateTime | undefined {
  const start = pointStart(p, year, now);
  if (!start) return undefined;
  return p.unit === 'day' ? start : start.plus({ months: p.months }).minus({ days: 1 });
}

/** the year of the latest started occurrence of a point without a year */
function latestStartedYear(p: Point, now: DateTime): number {
  for (let year = now.year; year > now.year - 8; year--) {
    const start = pointStart(p, year, now);
    if (start && start <= now) return year;
  }
  return now.year;
}

function isoDate(dt: DateTime): string {
  return dt.toISODate()!;
}

function between(from: DateTime, to: DateTime): DateRange {
  return from <= to
    ? { kind: 'between', from: isoDate(from), to: isoDate(to) }
    : { kind: 'between', from: isoDate(to), to: isoDate(from) };
}

function validYear(y: number | undefined): boolean {
  return y === undefined || (y >= 1900 && y <= 2200);
}

/** A point as a Period (halves have no Period form). */
function pointPeriod(p: Point): Period | undefined {
  if (!validYear(p.year)) return undefined;
  const year = p.year === undefined ? {} : { year: p.year };
  switch (p.unit) {
    case 'day':
      return { ...year, month: p.month, day: p.day };
    case 'month':
      return { ...year, month: p.month };
    case 'quarter':
      return { ...year, quarter: (p.month - 1) / 3 + 1 };
    case 'year':
      return { ...year };
    case 'half':
      return undefined;
  }
}

/** "from X to Y" / "between X and Y": both inclusive; a missing year is taken from the other end, else latest. */
function rangeOf(a: Point, b: Point, now: DateTime): DateRange | undefined {
  const key = (p: Point) => p.month * 32 + p.day;
  let ya = a.year;
  let yb = b.year;
  if (ya === undefined && yb === undefined) ya = latestStartedYear(a, now);
  if (ya === undefined) ya = key(a) <= key(b) ? yb! : yb! - 1;
  if (yb === undefined) yb = key(b) >= key(a) ? ya : ya + 1;
  if (!validYear(ya) || !validYear(yb)) return undefined;
  const from = pointStart(a, ya, now);
  const to = pointLastDay(b, yb, now);
  return from && to ? between(from, to) : undefined;
}

/** "since X": a period start until now; a day (or half-year) is an explicit range up to today. */
function sinceOf(p: Point, now: DateTime): DateRange | undefined {
  if (p.unit === 'day' || p.unit === 'half') {
    const from = pointStart(p, p.year ?? latestStartedYear(p, now), now);
    if (!from || !validYear(from.year)) return undefined;
    if (from <= now) return between(from, now);
    // a day after today: [that day, now) is empty, which only the 'since' form can say
    if (p.unit === 'day')
      return { kind: 'since', period: { year: from.year, month: from.month, day: from.day } };
    return { kind: 'since', period: { year: from.year, month: from.month } };
  }
  const period = pointPeriod(p);
  return period && { kind: 'since', period };
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

/** `half`: which half-year the phrase names and the year it says, if any ("H1" alone says none) */
type Built = { range: DateRange; grain?: Grain; half?: { h: 1 | 2; year?: number } } | undefined;
interface Rule {
  re: RegExp;
  build: (m: RegExpExecArray, now: DateTime) => Built;
}

function rule(source: string, build: Rule['build']): Rule {
  return { re: new RegExp(source, 'gi'), build };
}

const range = (r: DateRange | undefined): Built => (r ? { range: r } : undefined);

function periodOf(p: Point | undefined): Built {
  const period = p && pointPeriod(p);
  return period ? { range: { kind: 'period', period } } : undefined;
}

function lastN(nText: string, unitText: string): Built {
  const n = parseNumber(nText);
  if (n === undefined || n < 1 || n > 1000) return undefined;
  return { range: { kind: 'last', unit: parseUnit(unitText), n } };
}

/** the whole unit `n` units before the current one, as an absolute range ("3 days ago", "2 weeks ago") */
function unitAgo(unit: Grain, n: number, now: DateTime): DateRange | undefined {
  const start = startOfGrain(now, unit).minus({ [unit]: n });
  if (!validYear(start.year)) return undefined;
  switch (unit) {
    case 'day':
      return between(start, start);
    case 'week':
      return between(start, start.plus({ days: 6 }));
    case 'month':
      return { kind: 'period', period: { year: start.year, month: start.month } };
    case 'quarter':
      return { kind: 'period', period: { year: start.year, quarter: start.quarter } };
    case 'year':
      return { kind: 'period', period: { year: start.year } };
  }
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

const RULES: Rule[] = [
  // --- relative days
  rule(`${B}(?:so\\s+far\\s+)?(?:(?:for|on|of|during|from)\\s+)?today${E}`, () =>
    range({ kind: 'current', unit: 'day' }),
  ),
  rule(`${B}(?:(?:for|on|of|during|from)\\s+)?yesterday${E}`, () =>
    range({ kind: 'last', unit: 'day', n: 1 }),
  ),
  rule(`${B}(?:on\\s+)?the\\s+day\\s+before\\s+yesterday${E}`, (_m, now) => range(unitAgo('day', 2, now))),
  rule(`${B}(?:(?:for|on)\\s+)?tomorrow${E}`, (_m, now) => {
    const d = now.startOf('day').plus({ days: 1 });
    return range(between(d, d));
  }),
  // --- this week / the current month / this year so far
  rule(
    `${B}(?:so\\s+far\\s+)?(?:(?:in|during|for|over|within|throughout|from|of|on)\\s+)?(?:this|the\\s+current|current)\\s+(?:calendar\\s+)?(week|month|quarter|year)(?:\\s+(?:so\\s+far|to\\s+date))?${E}`,
    (m) => range({ kind: 'current', unit: parseUnit(m[1]!) }),
  ),
  // --- year to date, YTD, month-to-date, MTD, QTD, WTD
  rule(`${B}${LEAD_REL}(?:(year|quarter|month|week)[\\s-]to[\\s-]date|(ytd|qtd|mtd|wtd))${E}`, (m) =>
    range({ kind: 'current', unit: parseUnit(m[1] ?? m[2]!) }),
  ),
  // --- last week / the previous month / past quarter / last year (one whole unit); not "last week of March"
  rule(
    `${B}${LEAD_REL}(?:last|previous|prior|past|preceding|this\\s+past)\\s+${WHOLE}(week|month|quarter|year)${E}(?!\\s+of\\b)`,
    (m) => range({ kind: 'last', unit: parseUnit(m[1]!), n: 1 }),
  ),
  // "the previous day" (but not "the last day", which usually means the last day of something)
  rule(`${B}${LEAD_REL}(?:previous|prior|past|preceding)\\s+day${E}(?!\\s+of\\b)`, () =>
    range({ kind: 'last', unit: 'day', n: 1 }),
  ),
  // --- last N days / past three months / the trailing 12 months
  rule(
    `${B}${LEAD_REL}(?:last|past|previous|prior|trailing|rolling|preceding)\\s+(${NUM})\\s+${WHOLE}(${UNIT})${E}`,
    (m) => lastN(m[1]!, m[2]!),
  ),
  // --- for each of the last 6 months: a range and a grain
  rule(
    `${B}(?:(?:for|in|over|during)\\s+)?(?:each|every)\\s+of\\s+the\\s+(?:last|past|previous|prior|trailing)\\s+(${NUM})\\s+${WHOLE}(${UNIT})${E}`,
    (m) => {
      const built = lastN(m[1]!, m[2]!);
      return built && { ...built, grain: parseUnit(m[2]!) };
    },
  ),
  // --- 3 days ago (that day), 2 weeks ago (that ISO week), a month ago (that month), a year ago (that year)
  rule(`${B}${LEAD_P}(${NUM}|an?)\\s+(${UNIT})\\s+ago${E}`, (m, now) => {
    const n = parseNumber(m[1]!);
    return n === undefined || n < 1 || n > 1000 ? undefined : range(unitAgo(parseUnit(m[2]!), n, now));
  }),
  // --- next week / next month (future periods resolve to empty data, but are still ranges)
  rule(`${B}${LEAD_REL}next\\s+(week|month|quarter|year)${E}(?!\\s+of\\b)`, (m, now) => {
    const unit = parseUnit(m[1]!);
    return range(unitAgo(unit, -1, now));
  }),
  // --- this month last year / the same quarter last year
  rule(`${B}${LEAD_REL}(?:this|same)\\s+(month|quarter)\\s+(?:of\\s+)?last\\s+year${E}`, (m, now) => {
    const year = now.year - 1;
    return range(
      m[1]!.toLowerCase() === 'month'
        ? { kind: 'period', period: { year, month: now.month } }
        : { kind: 'period', period: { year, quarter: now.quarter } },
    );
  }),
  // --- last Monday: the latest Monday before today
  rule(`${B}${LEAD_P}(?:last|previous|this\\s+past)\\s+(${WEEKDAY})${E}`, (m, now) => {
    const want = WEEKDAYS.indexOf(m[1]!.toLowerCase()) + 1;
    const today = now.startOf('day');
    const back = (today.weekday - want + 7) % 7 || 7;
    const d = today.minus({ days: back });
    return range(between(d, d));
  }),

  // --- years: in 2025, during 2024, for the year 2025, calendar year 2025, "2025 vs 2024", "in 2024 and 2025"
  rule(`${B}(${LEAD_REQ})?(?:the\\s+)?(?:calendar\\s+)?(?:(year)\\s+)?(${YEAR})${E}`, (m, now) => {
    if (!m[1] && !m[2]) return undefined; // a bare number is not a year
    const year = Number(m[3]);
    // "for 2000 orders": a count, not a year (unless it says "year 2000" or is close to the current year)
    const after = m.input.slice(m.index + m[0].length);
    if (!m[2] && Math.abs(year - now.year) > 20 && /^\s+[a-z]+s\b/i.test(after)) return undefined;
    return range({ kind: 'period', period: { year } });
  }),
  // a year before a noun, as an adjective: "our 2025 orders", "2025 revenue by month" (near today, not "2000 orders")
  rule(`(?:^\\s*|(?<=\\b(?:our|the|their|my|all|of|your)\\s+))(${YEAR})(?=\\s+[a-z])`, (m, now) => {
    const year = Number(m[1]);
    return Math.abs(year - now.year) <= 20 ? range({ kind: 'period', period: { year } }) : undefined;
  }),
  rule(`${AFTER_VS}(${YEAR})${E}`, (m) => range({ kind: 'period', period: { year: Number(m[1]) } })),
  rule(`${B}(${YEAR})${E}${BEFORE_VS}`, (m) => range({ kind: 'period', period: { year: Number(m[1]) } })),
  rule(`(?<=(?:19|20|21)\\d\\d\\s*(?:,|and|or|&)\\s*)(${YEAR})${E}`, (m) =>
    range({ kind: 'period', period: { year: Number(m[1]) } }),
  ),

  // --- quarters: Q3 2025, Q3 of 2025, the third quarter of 2025, 2025-Q3, Q3 last year, in Q3, third quarter
  rule(`${B}${LEAD_P}(?:the\\s+)?(${QUARTER}${YEAR_SUF}?)${E}`, (m, now) => {
    return periodOf(parsePoint(m[1]!, now));
  }),
  rule(`${B}${LEAD_P}(${YEAR}[\\s-]?q[1-4])${E}`, (m, now) => {
    return periodOf(parsePoint(m[1]!, now));
  }),
  rule(`${AFTER_VS}(${QUARTER})${E}`, (m, now) => periodOf(parsePoint(m[1]!, now))),
  rule(`${B}(${QUARTER})${E}${BEFORE_VS}`, (m, now) => periodOf(parsePoint(m[1]!, now))),

  // --- halves: H1 2025, the first half of 2025, the second half of the year, in H2 (latest started half)
  rule(
    `${B}${LEAD_P}(?:the\\s+)?(?:h([12])|(first|second|1st|2nd)\\s+half)(?:\\s+of\\s+the\\s+year|(${YEAR_SUF}))${E}`,
    (m, now) => {
      const h = m[1] ? Number(m[1]) : /^(first|1st)$/i.test(m[2]!) ? 1 : 2;
      const year = m[3] ? parseYearSuffix(m[3], now) : now.year;
      const p: Point = { unit: 'half', year, month: h === 1 ? 1 : 7, day: 1, months: 6 };
      const built = range(validYear(year) ? rangeOf(p, p, now) : undefined);
      return built && m[3] ? { ...built, half: { h: h === 1 ? 1 : 2, year } } : built;
    },
  ),
  // "in H2", "or the second half": a half without its year (the latest started, unless a neighbour gives one)
  rule(`${B}${LEAD_P}(?:the\\s+)?(?:h([12])|(first|second|1st|2nd)\\s+half(?!\\s+of\\b))${E}`, (m, now) => {
    const h = m[1] ? Number(m[1]) : /^(first|1st)$/i.test(m[2]!) ? 1 : 2;
    const p: Point = { unit: 'half', month: h === 1 ? 1 : 7, day: 1, months: 6 };
    const built = range(rangeOf(p, p, now));
    return built && { ...built, half: { h: h === 1 ? 1 : 2 } };
  }),

  // --- months: March 2026, Mar 2026, in March of last year, in March, the month of May, January, "vs March"
  rule(`${B}${LEAD_P}(?:the\\s+month\\s+of\\s+)?(${MON}\\.?${YEAR_SUF})${E}`, (m, now) => {
    return periodOf(parsePoint(m[1]!, now));
  }),
  rule(`${B}(?:(${LEAD_REQ})(?:the\\s+month\\s+of\\s+)?|the\\s+month\\s+of\\s+)(${MON})${E}`, (m) => {
    // "of march" / "of may" read like words ("the march of time"); "in March", "the month of May" do not
    if (m[1] && /^of\s/i.test(m[1]) && WEAK_MONTH.test(m[2]!) && !/month\s+of/i.test(m[0])) return undefined;
    return range({ kind: 'period', period: { month: monthNumber(m[2]!)! } });
  }),
  rule(`${B}(${LONE_MONTH})${E}`, (m) => range({ kind: 'period', period: { month: monthNumber(m[1]!)! } })),
  rule(`${AFTER_VS}(${MON})${E}`, (m) => range({ kind: 'period', period: { month: monthNumber(m[1]!)! } })),
  // "in jan or feb", "march and apr": a month right after another month and "or"/"and" is a month too
  rule(`(?<=\\b${MON}\\.?,?\\s+(?:or|and)\\s+)(${MON})${E}`, (m) =>
    range({ kind: 'period', period: { month: monthNumber(m[1]!)! } }),
  ),
  // "this month vs last", "this year or the previous": the unit said once, for both periods
  rule(
    `(?<=\\bthis\\s+(week|month|quarter|year)\\s+(?:${VS}|or|and)\\s+)(?:the\\s+)?(?:last|previous|prior)(?:\\s+one)?(?!\\s+(?:\\d+\\s+)?(?:days?|weeks?|months?|quarters?|years?)\\b)${E}`,
    (m) => range({ kind: 'last', unit: m[1]!.toLowerCase() as 'week' | 'month' | 'quarter' | 'year', n: 1 }),
  ),
  rule(`${B}(${MON})${E}${BEFORE_VS}`, (m) =>
    range({ kind: 'period', period: { month: monthNumber(m[1]!)! } }),
  ),
  // last March (the latest March before the current month), this March, next March
  rule(`${B}${LEAD_P}(?:the\\s+)?(last|previous|this|next)\\s+(${MON})${E}`, (m, now) => {
    const which = m[1]!.toLowerCase();
    const month = monthNumber(m[2]!)!;
    if (which === 'this' && WEAK_MONTH.test(m[2]!)) return undefined; // "this may take"
    let year = now.year;
    if ((which === 'last' || which === 'previous') && month >= now.month) year -= 1;
    if (which === 'next' && month <= now.month) year += 1;
    return range({ kind: 'period', period: { year, month } });
  }),

  // --- single days: on 2026-11-20, on November 20, 2026, 20 Nov 2026, Nov 20, the 3rd of March
  rule(`${B}(?:on|for|of|during|from|in)\\s+(?:the\\s+)?(${DAY_ANY})${E}`, (m) => {
    const d = parseDay(m[1]!);
    return d && validYear(d.year) ? { range: { kind: 'period', period: dayPeriod(d) } } : undefined;
  }),
  rule(`${B}(${DAY_ISO}|${DAY_SLASH}|${DAY_MDY}|${DAY_DMY_Y}|${DAY_DMY_OF})${E}`, (m) => {
    const d = parseDay(m[1]!);
    if (!d || !validYear(d.year)) return undefined;
    // "may 3" / "march 5" without a year or an ordinal: too likely to be words
    const mon = /^[a-z]+/i.exec(m[1]!.replace(new RegExp(`^${WEEKDAY},?\\s+`, 'i'), ''));
    if (!d.explicit && mon && WEAK_MONTH.test(mon[0])) return undefined;
    return { range: { kind: 'period', period: dayPeriod(d) } };
  }),

  // --- day spans inside one month: March 1-5, between 1 and 5 March 2025, from the 3rd to the 10th of May
  rule(
    `${B}(?:between\\s+(?:the\\s+)?|from\\s+(?:the\\s+)?)?(${DAYNUM})(?:\\s+(?:and|to|until|till|through|thru)\\s+(?:the\\s+)?|\\s*[-–]\\s*)(${DAYNUM})\\s+(?:of\\s+)?(${MON})\\.?(?:,?\\s+(${YEAR}))?${E}`,
    (m, now) => daySpan(m[3]!, m[1]!, m[2]!, m[4], now),
  ),
  rule(
    `${B}(?:between\\s+|from\\s+)?(${MON})\\.?\\s+(${DAYNUM})(?:\\s+(?:and|to|until|till|through|thru)\\s+|\\s*[-–]\\s*)(${DAYNUM})(?:,?\\s+(${YEAR}))?${E}`,
    (m, now) => daySpan(m[1]!, m[2]!, m[3]!, m[4], now),
  ),

  // --- since March, since March 2025, since 2025, since Q3, since 1 March 2025, since 2025-03-01
  rule(`${B}since\\s+(?:the\\s+)?(${POINT})${E}`, (m, now) => {
    const p = parsePoint(m[1]!, now);
    return range(p && sinceOf(p, now));
  }),
  // from March onwards, starting March 2025, from 2025 until now, beginning in Q3
  rule(
    `${B}(?:from|starting(?:\\s+(?:in|from|on))?|beginning(?:\\s+(?:in|from|on))?)\\s+(?:the\\s+)?(${POINT})\\s+(?:on(?:wards?)?|forwards?|(?:until|till|to)\\s+(?:now|today|date|the\\s+present))${E}`,
    (m, now) => {
      const p = parsePoint(m[1]!, now);
      return range(p && sinceOf(p, now));
    },
  ),
  rule(`${B}(?:starting|beginning)(?:\\s+(?:in|from|on))?\\s+(?:the\\s+)?(${POINT})${E}`, (m, now) => {
    const p = parsePoint(m[1]!, now);
    return range(p && sinceOf(p, now));
  }),
  rule(`${B}(${POINT})\\s+onwards?${E}`, (m, now) => {
    const p = parsePoint(m[1]!, now);
    return range(p && sinceOf(p, now));
  }),
  // since the start of the year / the beginning of this month: the current unit
  rule(
    `${B}since\\s+the\\s+(?:start|beginning)\\s+of\\s+(?:the|this)\\s+(week|month|quarter|year)${E}`,
    (m) => range({ kind: 'current', unit: parseUnit(m[1]!) }),
  ),
  // since last month (its start until now), since last week, since yesterday
  rule(
    `${B}since\\s+(?:the\\s+(?:start|beginning)\\s+of\\s+)?(?:the\\s+)?(?:(last|previous|past|prior)\\s+(week|month|quarter|year)|(yesterday))${E}`,
    (m, now) => {
      if (m[3]) {
        const d = now.startOf('day').minus({ days: 1 });
        return range(between(d, now));
      }
      const unit = parseUnit(m[2]!);
      const start = startOfGrain(now, unit).minus({ [unit]: 1 });
      if (unit === 'week') return range(between(start, now));
      const period: Period =
        unit === 'month'
          ? { year: start.year, month: start.month }
          : unit === 'quarter'
            ? { year: start.year, quarter: start.quarter }
            : { year: start.year };
      return range({ kind: 'since', period });
    },
  ),

  // --- between X and Y, from X to Y (both inclusive, as explicit dates)
  rule(`${B}between\\s+(?:the\\s+)?(${POINT})\\s+and\\s+(?:the\\s+)?(${POINT})${E}`, (m, now) => {
    const a = parsePoint(m[1]!, now);
    const b = parsePoint(m[2]!, now);
    return range(a && b && rangeOf(a, b, now));
  }),
  rule(
    `${B}(?:from|for|in|during)\\s+(?:the\\s+)?(${POINT})(?:\\s+(?:to|until|till|through|thru)\\s+|\\s*[-–—]\\s*)(?:the\\s+)?(${POINT})${E}`,
    (m, now) => {
      const a = parsePoint(m[1]!, now);
      const b = parsePoint(m[2]!, now);
      return range(a && b && rangeOf(a, b, now));
    },
  ),
  rule(
    `${B}(${POINT_STRONG})(?:\\s+(?:to|until|till|through|thru)\\s+|\\s*[-–—]\\s*)(${POINT_STRONG})${E}`,
    (m, now) => {
      const a = parsePoint(m[1]!, now);
      const b = parsePoint(m[2]!, now);
      return range(a && b && rangeOf(a, b, now));
    },
  ),
];

/** "March 1-5 (2025)": both days inclusive, in one month; a missing year is the latest started one. */
function daySpan(
  monText: string,
  fromText: string,
  toText: string,
  yearText: string | undefined,
  now: DateTime,
): Built {
  const month = monthNumber(monText)!;
  const [a, b] = [Number.parseInt(fromText, 10), Number.parseInt(toText, 10)];
  const year = yearText ? Number(yearText) : undefined;
  if (a > b || b > daysInMonth(month, year)) return undefined;
  const p: Point = { unit: 'day', year, month, day: a, months: 0 };
  const q: Point = { ...p, day: b };
  return range(rangeOf(p, q, now));
}

function dayPeriod(d: Day): Period {
  return d.year === undefined ? { month: d.month, day: d.day } : { year: d.year, month: d.month, day: d.day };
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

interface Candidate extends DateMatch {
  priority: number;
  /** after "before", "as of", ...: takes its place in the text (so no shorter phrase inside it matches), then is dropped */
  bound: boolean;
  half?: { h: 1 | 2; year?: number };
}

/**
 * "H1 vs H2 2025", "the first half of 2025 or the second half": a half-year without its year is in the year the
 * other half names (when the halves name one year between them), not in the latest started one.
 */
function withHalvesYear(ranges: Candidate[], now: DateTime): Candidate[] {
  const years = new Set(ranges.flatMap((c) => (c.half?.year !== undefined ? [c.half.year] : [])));
  if (years.size !== 1) return ranges;
  const year = [...years][0] as number;
  return ranges.map((c) => {
    if (!c.half || c.half.year !== undefined) return c;
    const p: Point = { unit: 'half', year, month: c.half.h === 1 ? 1 : 7, day: 1, months: 6 };
    const range = rangeOf(p, p, now);
    return range ? { ...c, range, half: { h: c.half.h, year } } : c;
  });
}

/**
 * "before March", "after 2024", "until June", "as of last month": open-ended bounds and points in time have no
 * DateRange form, so the phrase after them is not matched (a wrong whole-period filter would be worse).
 */
const OPEN_BOUND =
  /\b(?:before|after|until|till|through|thru|prior\s+to|up\s+to|earlier\s+than|later\s+than|older\s+than|newer\s+than|as\s+(?:of|at))\s+(?:the\s+)?$/i;

function isOpenBound(head: string, phrase: string): boolean {
  // the phrase may have taken the "of" of "as of" as its own leading word
  return OPEN_BOUND.test(head) || (/\bas\s+$/i.test(head) && /^of\s/i.test(phrase));
}

/** A date phrase after "before", "after", "until", ...: one side of an open-ended range. */
export interface DateBound extends DateMatch {
  /** before: earlier than the period's start; after: from the period's end on; until: up to the period's end */
  side: 'before' | 'after' | 'until';
  /** char offset of the bound word ("before") */
  wordStart: number;
}

const BOUND_WORD =
  /\b(before|prior\s+to|earlier\s+than|older\s+than|after|later\s+than|newer\s+than|until|till|through|thru|up\s+to)\s+(?:the\s+)?$/i;

const BARE_AFTER_BOUND = new RegExp(
  String.raw`(\b(?:before|prior\s+to|earlier\s+than|after|later\s+than|until|till|through|thru|up\s+to)\s+(?:the\s+(?:end|start|beginning)\s+of\s+)?)(?:(${MON})\.?(?:,?\s+(${YEAR}))?|(${YEAR}))${E}`,
  'gi',
);

function boundSide(word: string): DateBound['side'] {
  const w = word.toLowerCase();
  if (/^(after|later|newer)/.test(w)) return 'after';
  if (/^(until|till|through|thru|up)/.test(w)) return 'until';
  return 'before';
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * All non-overlapping date-range phrases in `text`, in order. Where phrases overlap the longest wins
 * ("from January to March 2025" over "March 2025"). Relative phrases ("last month") become relative ranges;
 * phrases that only make sense at the moment of asking ("3 days ago", "last Monday") become explicit dates.
 */
export function findDateRanges(text: string, now: Date, timeZone: string): DateMatch[] {
  return findDates(text, now, timeZone).ranges;
}

/** The open-ended bounds of a text ("registered before 2025", "orders after March"), which findDateRanges leaves out. */
export function findDateBounds(text: string, now: Date, timeZone: string): DateBound[] {
  return findDates(text, now, timeZone).bounds;
}

/**
 * Every match of a global regex in `text`, found with the regex itself: String.prototype.matchAll copies the regex
 * first, a new RegExp set up again for each of the rules on every question (2% of an answer's CPU).
 */
function matchesOf(re: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m);
    if (m[0] === '') re.lastIndex += 1; // an empty match would be found again at the same place
  }
  re.lastIndex = 0;
  return out;
}

/** findDateRanges and findDateBounds from one scan of the text (the scan is most of a question's reading time). */
export function findDates(
  text: string,
  now: Date,
  timeZone: string,
): { ranges: DateMatch[]; bounds: DateBound[] } {
  const at = zonedNow(now, timeZone);
  const candidates: Candidate[] = [];
  RULES.forEach((r, priority) => {
    for (const m of matchesOf(r.re, text)) {
      const built = r.build(m, at);
      if (!built) continue;
      const start = m.index;
      const end = start + m[0].length;
      const bound = isOpenBound(text.slice(0, start), m[0]);
      const c: Candidate = { range: built.range, start, end, text: m[0], priority, bound };
      if (built.grain) c.grain = built.grain;
      if (built.half) c.half = built.half;
      candidates.push(c);
    }
  });
  candidates.sort(
    (a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start || a.priority - b.priority,
  );
  const taken: Candidate[] = [];
  for (const c of candidates) {
    if (!taken.some((x) => overlaps(x, c))) taken.push(c);
  }
  for (const c of chronoDates(text, at)) {
    if (!taken.some((x) => overlaps(x, c))) {
      taken.push({ ...c, priority: -1, bound: isOpenBound(text.slice(0, c.start), c.text) });
    }
  }
  const chosen = withHalvesYear(
    taken.filter((c) => !c.bound),
    at,
  ).map(({ priority: _p, bound: _b, half: _h, ...match }): DateMatch => match);
  const bounds: DateBound[] = [];
  for (const { priority: _p, bound, ...match } of taken) {
    if (!bound) continue;
    const head = BOUND_WORD.exec(text.slice(0, match.start));
    if (head) bounds.push({ ...match, side: boundSide(head[1] ?? ''), wordStart: head.index });
  }
  // after a bound word a bare year or month is a date ("registered before 2025", "orders after March")
  for (const m of matchesOf(BARE_AFTER_BOUND, text)) {
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    const end = (m.index ?? 0) + m[0].length;
    if (taken.some((x) => overlaps(x, { start, end }))) continue;
    const year = m[3] ? Number(m[3]) : m[4] ? Number(m[4]) : undefined;
    const month = m[2] ? MONTH_NAMES.findIndex((n) => n.startsWith(m[2]!.toLowerCase().slice(0, 3))) + 1 : 0;
    if (year !== undefined && !validYear(year)) continue;
    const period: Period = month > 0 ? { month, ...(year ? { year } : {}) } : { year: year as number };
    bounds.push({
      range: { kind: 'period', period },
      start,
      end,
      text: text.slice(start, end),
      side: boundSide(m[1]?.trim().split(/\s+/)[0] ?? ''),
      wordStart: m.index ?? 0,
    });
  }
  const ranges = chosen.sort((a, b) => a.start - b.start);
  // "joined last month and ordered in that same month": the period named before, again
  for (const m of matchesOf(SAME_PERIOD, text)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (taken.some((x) => overlaps(x, { start, end }))) continue;
    const before = ranges.filter((r) => r.end <= start).at(-1);
    if (!before) continue;
    ranges.push({ range: before.range, start, end, text: m[0] });
  }
  return {
    ranges: ranges.sort((a, b) => a.start - b.start),
    bounds: bounds.sort((a, b) => a.start - b.start),
  };
}

const SAME_PERIOD =
  /\b(?:(?:in|during|within|on)\s+)?(?:that|the)\s+(?:very\s+)?same\s+(?:day|week|month|quarter|year|period|time)\b/gi;

/** Absolute calendar dates (day, month and year all written) in formats the grammar above does not cover. */
function chronoDates(text: string, now: DateTime): DateMatch[] {
  const out: DateMatch[] = [];
  // a certain year is one written in digits (chrono's year pattern has no words): without a digit there is nothing
  // to find, and chrono's few dozen parsers cost more than the rest of the scan
  if (!/\d/.test(text)) return out;
  let results: chrono.ParsedResult[];
  try {
    results = chrono.strict.parse(text, now.toJSDate());
  } catch {
    return out;
  }
  const certainDay = (c: chrono.ParsedComponents) =>
    c.isCertain('year') && c.isCertain('month') && c.isCertain('day') && !c.tags().has('result/relativeDate');
  for (const r of results) {
    if (!certainDay(r.start) || r.tags().has('result/relativeDate')) continue;
    const day = (c: chrono.ParsedComponents) =>
      now.set({ year: c.get('year')!, month: c.get('month')!, day: c.get('day')! }).startOf('day');
    const from = day(r.start);
    if (!from.isValid || !validYear(from.year)) continue;
    let found: DateRange = { kind: 'period', period: { year: from.year, month: from.month, day: from.day } };
    if (r.end) {
      if (!certainDay(r.end)) continue;
      const to = day(r.end);
      if (!to.isValid || !validYear(to.year)) continue;
      found = between(from, to);
    }
    out.push({ range: found, start: r.index, end: r.index + r.text.length, text: r.text });
  }
  return out;
}

const GRAIN_STOP = String.raw`(?!\s+(?:plans?|subscriptions?|billing|prices?|pricing|fees?|recurring|active|memberships?|contracts?|tiers?|cycles?|intervals?|rates?|budgets?|quotas?|limits?|caps?|payments?|charges?|users?)\b)`;
const NOT_SORT = String.raw`(?<!\b(?:sort|sorted|order|ordered|rank|ranked)\s+)`;
const NOT_CYCLE = String.raw`(?!\s+of\s+(?:the\s+)?(?:week|month|year)\b)`;

const GRAIN_RULES: Array<{ grain: Grain; re: RegExp }> = (
  [
    [
      'day',
      String.raw`daily${GRAIN_STOP}|days?[\s-]by[\s-]days?|day[\s-]over[\s-]day|${NOT_SORT}(?:per|by|each|every)\s+(?:day|date)${NOT_CYCLE}`,
    ],
    [
      'week',
      String.raw`weekly${GRAIN_STOP}|weeks?[\s-]by[\s-]weeks?|week[\s-]over[\s-]week|wow(?=\s+growth)|${NOT_SORT}(?:per|by|each|every)\s+(?:calendar\s+)?week${NOT_CYCLE}`,
    ],
    [
      'month',
      String.raw`monthly${GRAIN_STOP}|months?[\s-]by[\s-]months?|month[\s-]over[\s-]month|${NOT_SORT}(?:per|by|each|every)\s+(?:calendar\s+)?month${NOT_CYCLE}`,
    ],
    [
      'quarter',
      String.raw`quarterly${GRAIN_STOP}|quarters?[\s-]by[\s-]quarters?|quarter[\s-]over[\s-]quarter|qoq|${NOT_SORT}(?:per|by|each|every)\s+(?:calendar\s+)?quarter${NOT_CYCLE}`,
    ],
    [
      'year',
      String.raw`(?:yearly|annually)${GRAIN_STOP}|years?[\s-]by[\s-]years?|year[\s-]over[\s-]year|yoy|per\s+annum|${NOT_SORT}(?:per|by|each|every)\s+(?:calendar\s+)?year${NOT_CYCLE}`,
    ],
  ] as const
).map(([grain, src]) => ({ grain, re: new RegExp(`${B}(?:${src})${E}`, 'gi') }));

/**
 * The time grain a question asks for ("monthly", "per month", "by month", "each week", "daily", "quarterly",
 * "yearly", "annually", "month by month", "month over month", "YoY"): the leftmost one, or undefined.
 * Vague phrases ("over time", "trend") give undefined; "monthly plan", "sort by date", "by day of week" are not grains.
 */
export function findGrain(text: string): { grain: Grain; start: number; end: number } | undefined {
  let best: { grain: Grain; start: number; end: number } | undefined;
  for (const { grain, re } of GRAIN_RULES) {
    re.lastIndex = 0;
    const m = re.exec(text);
    if (!m) continue;
    const hit = { grain, start: m.index, end: m.index + m[0].length };
    if (!best || hit.start < best.start || (hit.start === best.start && hit.end > best.end)) best = hit;
  }
  return best;
}
