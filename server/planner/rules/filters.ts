// Filters the planner builds from a reading (values, comparisons, segments, dates) and facts about filters.
import { type Filter, type QueryPlan, tableOf } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import { countedMatch, matchesOf } from './assembly.ts';
import { columnComparisons } from './column-comparisons.ts';
import type { Match } from './lexicon.ts';
import {
  isDate,
  isNumeric,
  namesNoMeasures,
  nearestTimeField,
  reachableToOne,
  valueColumn,
} from './model-helpers.ts';
import type { Reading } from './reading.ts';
import { SHARE_WORDS } from './share.ts';
import { LEAVING } from './text.ts';

/** The `table.column` fields a filter reads on its own rows (segments and related rows are read elsewhere). */
export function fieldsOf(f: Filter): string[] {
  switch (f.op) {
    case 'and':
    case 'or':
      return f.filters.flatMap(fieldsOf);
    case 'not':
      return fieldsOf(f.filter);
    case 'segment':
    case 'related':
      return [];
    case 'compareFields':
      return [f.field, f.other];
    default:
      return [f.field];
  }
}

/** Value matches become filters; several values of one column become IN; negation flips them. */
export function collectFilters(
  r: Reading,
  view: ModelView,
  base: string,
  used: Set<Match>,
  notes: string[],
): Filter[] {
  const byField = new Map<string, { values: Array<string | number>; negated: boolean }>();
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'value') continue;
    // "entries with no approved": "no" before a column says it is empty, it is not a Yes/No column's No
    if (m.text === 'no' && r.matches.some((c) => c.from === m.to && c.target.kind === 'column')) {
      used.add(m);
      continue;
    }
    const { field, value } = m.target;
    try {
      view.path(base, tableOf(field));
    } catch {
      continue;
    }
    const entry = byField.get(field) ?? { values: [], negated: r.negated.has(m.from) };
    if (!entry.values.includes(value)) entry.values.push(value);
    byField.set(field, entry);
    used.add(m);
  }
  const filters: Filter[] = [];
  for (const [field, { values, negated }] of byField) {
    if (values.length === 1)
      filters.push({ op: negated ? 'neq' : 'eq', field, value: values[0] as string | number });
    else filters.push({ op: negated ? 'notIn' : 'in', field, values });
    notes.push(`${field} ${negated ? 'is not' : 'is'} ${values.join(' or ')}`);
  }
  // "items with zero stock qty", "pages with no signups": a number of the row that is nothing
  for (const z of zeroColumns(r, view)) {
    if (!reachableToOne(view, base, tableOf(z.field))) continue;
    const zero: Filter = { op: 'eq', field: z.field, value: 0 };
    filters.push(z.orEmpty ? { op: 'or', filters: [zero, { op: 'isNull', field: z.field }] } : zero);
    used.add(z.match);
  }
  // "tickets with no assignee", "without a due date", "that don't have an owner", "where approved is blank",
  // "nothing in the Approved column": the column is empty; "with a referral source filled in": it is not
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column') continue;
    const before = emptyBefore(r, m.from);
    const after = fillAfter(r, m.to);
    if (!before && after === undefined) continue;
    try {
      view.path(base, tableOf(m.target.field));
    } catch {
      continue;
    }
    // "no referral source filled in" is empty once, not filled
    const empty = before || after === 'empty';
    filters.push({ op: empty ? 'isNull' : 'isNotNull', field: m.target.field });
    used.add(m);
  }
  // "responses that would recommend us", "did not contact support": a yes/no column named alone is its yes rows
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column') continue;
    const answers = yesNoOf(view, m.target.field);
    if (!answers || !reachableToOne(view, base, tableOf(m.target.field))) continue;
    const negated = r.negated.has(m.from);
    filters.push({ op: 'eq', field: m.target.field, value: negated ? answers.no : answers.yes });
    used.add(m);
  }
  // "projects that aren't finished yet", "rentals not returned": in a file, a date named by its event after a "not"
  // is empty; with a period too, which then dates the rows by another date ("raised this year, excluding refunded")
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column' || !namesNoMeasures(view)) continue;
    if (!isDate(view, m.target.field) || !r.negated.has(m.from) || tableOf(m.target.field) !== base) continue;
    filters.push({ op: 'isNull', field: m.target.field });
    used.add(m);
  }
  // "refunded donations", "completed enrolments", "refunds by campaign": in a file, a date named by its event and
  // said of the rows, or as their plural (what happened), is filled (with a period, the period dates the event)
  for (const m of r.matches) {
    if (used.has(m) || !saysEventHappened(r, view, base, m) || m.target.kind !== 'column') continue;
    filters.push({ op: 'isNotNull', field: m.target.field });
    used.add(m);
  }
  // "current employees", "who still work here": in a file, the rows whose leaving date is empty
  const leaving = stillThere(r, view, base);
  if (leaving) filters.push({ op: 'isNull', field: leaving });
  // "stock qty below their reorder level": one column against another of the same rows
  for (const c of columnComparisons(r, view)) {
    if (!reachableToOne(view, base, tableOf(c.field))) continue;
    filters.push({ op: 'compareFields', field: c.field, cmp: c.cmp, other: c.other });
    if (c.left) used.add(c.left);
    used.add(c.right);
  }
  for (const c of r.comparisons) {
    // the number compared, else the table's value column
    const named = comparedColumn(r, view, c.at);
    const field = named?.target.kind === 'column' ? named.target.field : valueColumn(view, base);
    if (named) used.add(named);
    if (field) filters.push({ op: c.op, field, value: c.value });
  }
  return filters;
}

/** Words that make a date's event word name the date itself: "by date refunded", "refunded on", "completed at". */
const DATE_BEFORE = new Set(['by', 'per', 'each', 'date', 'day', 'when', 'week', 'month', 'year']);
/** The verbs that say a participle of the rows: "were refunded", "got cancelled". */
const BE = new Set(['is', 'are', 'was', 'were', 'been', 'be', 'got', 'get', 'gets', 'being']);
const DATE_AFTER = new Set(['date', 'day', 'on', 'at', 'time', 'when', 'week', 'month', 'year']);

/**
 * Whether a match is a file's date said as what happened to its rows ("refunded donations", "refunds"): a condition
 * that the date is filled, never a breakdown by it nor the thing counted. Without a period: with one, the period
 * dates the event.
 */
export function saysEventHappened(
  r: Reading,
  view: ModelView,
  base: string,
  m: Match,
  options: { withPeriod?: boolean } = {},
): boolean {
  if (m.target.kind !== 'column' || !namesNoMeasures(view)) return false;
  if (r.dated.length > 0 && !options.withPeriod) return false;
  if (!isDate(view, m.target.field) || r.negated.has(m.from) || tableOf(m.target.field) !== base)
    return false;
  return eventOfRows(r, m, base);
}

/** Whether nothing but "and"/"or"/"but" or the question's end follows a match in the question as asked. */
function endsClause(r: Reading, m: Match): boolean {
  const end = r.tokens[m.to - 1]?.end ?? 0;
  return /^[\s?.!,]*(?:$|(?:and|or|but)\b)/i.test(r.question.slice(end));
}

/**
 * Whether a one-word event match says what happened to the rows: a participle before their noun ("refunded
 * donations", "completed ones") or the event as a plural noun ("refunds by campaign", "how many completions").
 */
function eventOfRows(r: Reading, m: Match, base: string): boolean {
  if (m.to - m.from !== 1) return false;
  const word = r.tokens[m.from]?.text ?? '';
  const before = r.tokens[m.from - 1]?.text ?? '';
  const after = r.tokens[m.to]?.text ?? '';
  if (DATE_BEFORE.has(before) || DATE_AFTER.has(after)) return false;
  // "the completion rate", "refund percentage": the share of the rows it happened to (breakdown.ts)
  if (SHARE_WORDS.has(after)) return true;
  // "were completed", "got refunded", ending the clause (not "were opened last month", "delivered late")
  if (/ed$/.test(word) && BE.has(before) && endsClause(r, m)) return true;
  if (/ed$/.test(word))
    return (
      after === 'ones' ||
      r.matches.some((t) => t.target.kind === 'table' && t.target.table === base && t.from === m.to)
    );
  return /[^s]s$/.test(word);
}

/** Segment words become filters ("customers in Germany"); after "never"/"not" they are negated. */
export function segmentFilters(
  r: Reading,
  view: ModelView,
  base: string,
  used: Set<Match>,
  subject?: Match,
): Filter[] {
  const out: Filter[] = [];
  const countSubject = countedMatch(r);
  for (const s of matchesOf(r, 'segment')) {
    if (used.has(s) && s !== subject && s !== countSubject) continue;
    const table = s.target.table;
    // a segment describes rows of its own table: it filters that table or one the base belongs to, never children
    if (!reachableToOne(view, base, table)) continue;
    const filter: Filter = { op: 'segment', segment: `${table}.${s.target.name}` };
    const wanted: Filter = r.negated.has(s.from) ? { op: 'not', filter } : filter;
    if (!out.some((f) => JSON.stringify(f) === JSON.stringify(wanted))) out.push(wanted);
    used.add(s);
  }
  return out;
}

/** "Germany vs France": two values of one column compared become a breakdown by that column. */
export function valueComparisonField(r: Reading, filters: Filter[]): string | undefined {
  if (!r.compare || r.dates.length >= 2) return undefined;
  const multi = filters.find((f) => f.op === 'in');
  return multi && multi.op === 'in' ? multi.field : undefined;
}

/** The date of `table` a question names by its event ("campaigns that ended last month", "who left this year"). */
export function namedDateField(
  r: Reading,
  view: ModelView,
  table: string,
  taken?: Set<Match>,
): string | undefined {
  // ("excluding donations that got refunded this year": a date said not to be there dates nothing)
  const named = r.matches.find(
    (m) =>
      !taken?.has(m) &&
      !r.negated.has(m.from) &&
      m.target.kind === 'column' &&
      tableOf(m.target.field) === table &&
      isDate(view, m.target.field),
  );
  return named?.target.kind === 'column' ? named.target.field : undefined;
}

/** The date a question's period is of: the one it names by its event, else the table's own. */
function periodField(r: Reading, view: ModelView, table: string): string | undefined {
  return namedDateField(r, view, table) ?? nearestTimeField(view, table);
}

export function dateTime(r: Reading, view: ModelView, table: string): QueryPlan['time'] {
  const timeField = periodField(r, view, table);
  const first = r.dates[0];
  return timeField && first ? { field: timeField, range: first.range } : undefined;
}

export function dateFilters(r: Reading, view: ModelView, table: string): Filter[] {
  const timeField = periodField(r, view, table);
  const first = r.dates[0];
  if (!timeField || !first) return [];
  return [{ op: 'dateRange', field: timeField, range: first.range }];
}

/** A listing's columns plus those the question names ("along with the customer's email"), if each row has one. */
export function withAskedColumns(
  view: ModelView,
  table: string,
  listed: string[],
  r: Reading,
  used: Set<Match>,
): string[] {
  const out = [...listed];
  for (const m of matchesOf(r, 'column')) {
    if (used.has(m) || out.includes(m.target.field)) continue;
    if (!reachableToOne(view, table, tableOf(m.target.field))) continue;
    out.push(m.target.field);
    used.add(m);
  }
  return out;
}

const NONE = new Set(['no', 'without', 'missing', 'lacking']);
const NOT_HAVE = new Set(["don't", 'dont', "doesn't", 'doesnt', "didn't", 'didnt', 'not', 'never']);
/** Verbs of having a thing: "have", "use", "get", "include". */
const HAVING = new Set(
  'have has had use used uses using get got gets receive received include included includes apply applied'.split(
    ' ',
  ),
);

/**
 * The numeric column a comparison starting at `at` compares: the one named just before "more than", else just after
 * its number ("more than 20 signups").
 */
export function comparedColumn(r: Reading, view: ModelView, at: number): Match | undefined {
  return (
    [...r.matches]
      .reverse()
      .find(
        (m) => m.target.kind === 'column' && m.to <= at && at - m.to <= 3 && isNumeric(view, m.target.field),
      ) ?? numberAfter(r, view, at)
  );
}

/** "more than 20 signups": the numeric column right after the number of a comparison that starts at `at`. */
export function numberAfter(r: Reading, view: ModelView, at: number): Match | undefined {
  const value = r.tokens.findIndex((t, i) => i > at && t.num !== undefined);
  if (value < 0 || value - at > 3) return undefined;
  return r.matches.find(
    (m) => m.from === value + 1 && m.target.kind === 'column' && isNumeric(view, m.target.field),
  );
}

/** Words between a number's column and the zero it is said to be: "a stock qty of 0", "signups at zero". */
const ZERO_LINKS = new Set(['of', 'is', 'are', 'was', 'were', 'at', 'equals', 'equal', 'to']);

export interface ZeroColumn {
  match: Match;
  field: string;
  /** "no signups", "out of stock": nothing, whether written as 0 or left empty */
  orEmpty: boolean;
}

/**
 * The numbers of a row the question says are nothing: "zero stock qty", "a stock qty of 0", "stock qty 0" (exactly
 * zero), "no signups", "out of stock" (zero or empty). A condition of the rows, never the figure asked for.
 */
export function zeroColumns(r: Reading, view: ModelView): ZeroColumn[] {
  const zero = (k: number) => r.tokens[k]?.text === 'zero' || r.tokens[k]?.num === 0;
  const out: ZeroColumn[] = [];
  for (const m of r.matches) {
    if (m.target.kind !== 'column' || !isNumeric(view, m.target.field)) continue;
    let after = m.to;
    while (after < m.to + 2 && ZERO_LINKS.has(r.tokens[after]?.text ?? '')) after += 1;
    const outOf = r.tokens[m.from - 2]?.text === 'out' && r.tokens[m.from - 1]?.text === 'of';
    if (zero(m.from - 1) || zero(after)) out.push({ match: m, field: m.target.field, orEmpty: false });
    else if (outOf || emptyBefore(r, m.from)) out.push({ match: m, field: m.target.field, orEmpty: true });
  }
  return out;
}

/**
 * "current staff", "people who still work here": in a table without named measures (a file) whose rows can leave,
 * the date of leaving they do not have. Undefined when the question says neither or the rows cannot leave.
 */
function stillThere(r: Reading, view: ModelView, base: string): string | undefined {
  if (!namesNoMeasures(view) || !r.tokens.some((t) => ['current', 'currently', 'still'].includes(t.text)))
    return undefined;
  const columns = Object.keys(view.tables.get(base)?.columns ?? {});
  const leaving = columns.filter((c) => LEAVING.test(c.toLowerCase()) && isDate(view, `${base}.${c}`));
  return leaving.length === 1 ? `${base}.${leaving[0]}` : undefined;
}

/** A column of yes and no (a boolean, or text spelt yes/no, y/n, true/false): the value of each, as stored. */
export function yesNoOf(
  view: ModelView,
  field: string,
): { yes: string | boolean; no: string | boolean } | undefined {
  const column = view.field(field);
  if (column.type === 'boolean') return { yes: true, no: false };
  const values = view.tables.get(column.table)?.columns[column.column]?.values ?? [];
  if (values.length !== 2) return undefined;
  const spelt = (words: string[]) => values.find((v) => words.includes(String(v).toLowerCase()));
  const yes = spelt(['yes', 'y', 'true']);
  const no = spelt(['no', 'n', 'false']);
  return typeof yes === 'string' && typeof no === 'string' ? { yes, no } : undefined;
}

/**
 * The words before a column say it has nothing: "no", "without", "missing", "don't have", "nothing in", with an
 * article between.
 */
function emptyBefore(r: Reading, at: number): boolean {
  const before = r.tokens.slice(Math.max(0, at - 4), at).map((t) => t.text);
  while (before.length > 0 && ['a', 'an', 'any', 'the'].includes(before.at(-1) as string)) before.pop();
  const last = before.at(-1);
  if (last !== undefined && NONE.has(last)) return true;
  if (last === 'in' && ['nothing', 'blank', 'empty'].includes(before.at(-2) ?? '')) return true;
  // "don't have an owner", "did not use a coupon", "never got a rating"
  return last !== undefined && HAVING.has(last) ? NOT_HAVE.has(before.at(-2) ?? '') : false;
}

/** Words after a column that say it holds nothing ("approved is blank", "left empty"). */
const EMPTY_WORDS = new Set(['blank', 'empty', 'null', 'unset', 'missing', 'unknown']);
/** Verbs that say a column was filled: "referral source filled in". */
const FILLED_WORDS = new Set(['filled']);
const IS_WORDS = new Set([
  'is',
  'are',
  'was',
  'were',
  'left',
  'been',
  'be',
  'column',
  'field',
  'columns',
  'fields',
]);

/**
 * The words after a column say it is empty ("approved is blank", "the notes column is empty", "referral source
 * not filled in") or filled ("with a referral source filled in"); undefined when they say neither.
 */
function fillAfter(r: Reading, at: number): 'empty' | 'filled' | undefined {
  let i = at;
  while (IS_WORDS.has(r.tokens[i]?.text ?? '')) i += 1;
  const not = ['not', "isn't", 'isnt', "aren't", 'arent', "wasn't", 'never'].includes(
    r.tokens[i]?.text ?? '',
  );
  if (not) i += 1;
  const word = r.tokens[i]?.text ?? '';
  if (r.matches.some((m) => m.from <= i && i < m.to)) return undefined;
  if (EMPTY_WORDS.has(word)) return not ? 'filled' : 'empty';
  if (FILLED_WORDS.has(word)) return not ? 'empty' : 'filled';
  return undefined;
}
