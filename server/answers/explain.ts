// The plain account of how an answer was computed, built only from the plan and the compiled query:
// what was counted or summed, over which dates (with their exact resolved bounds), grouped by what, which filters,
// the order and limit, tenant scoping (named, never valued) and the row cap. Also the filter and field wording
// that answer messages share.

import { MONTHS } from '../dates/resolve.ts';
import type { CompiledQuery, ResolvedTimeRange } from '../query/compile.ts';
import {
  type CountCondition,
  type DateRange,
  type Filter,
  type Measure,
  type Period,
  parseFieldRef,
  type QueryPlan,
  type Scalar,
} from '../query/plan.ts';
import {
  capitalise,
  type DisplayColumn,
  formatCount,
  formatDateTime,
  formatDay,
  formatNumber,
  formatRangeBounds,
  humanise,
  listWords,
  lowerFirst,
  plural,
  singular,
} from './format.ts';

export interface WordsContext {
  /** the plan's base table */
  base: string;
  /** a table's name for people, plural ("orders", "order items") */
  tableLabel: (table: string) => string;
  /** the agent's time zone, for range bounds */
  timeZone: string;
  /** a segment's description ("Users who have ordered at least once"), when known */
  describeSegment?: (segment: string) => string | undefined;
  /** resolved ranges of the plan's dateRange filters, by filter object */
  ranges: ReadonlyMap<Filter, ResolvedTimeRange>;
  /** what the model says of a field ("When the order was placed", synonyms), for words about it */
  describeField?: (ref: string) => FieldFacts | undefined;
  /** a named measure's definition in the model, so that the account can say what it computes */
  namedMeasure?: (name: string) => NamedMeasureFacts | undefined;
  /** the segment that names the rows ("customers"), said by its noun rather than as a filter (rowsSegment) */
  rowsSegment?: Filter;
}

export interface FieldFacts {
  description?: string;
  synonyms?: readonly string[];
  /** the field's type in the model ("date", "number"...) */
  type?: string;
}

export interface NamedMeasureFacts {
  table: string;
  aggregate: 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';
  column?: string;
  filter?: Filter;
}

// ---- fields -------------------------------------------------------------------------------------

const LABEL_COLUMNS = new Set(['name', 'title', 'label']);
const GENERIC_COLUMNS = new Set([
  'id',
  'created_at',
  'updated_at',
  'deleted_at',
  'status',
  'type',
  'email',
  'description',
  'date',
  'code',
]);

/** A field in words: "status", "category"; fields of other tables say whose when needed ("product", "user email"). */
export function fieldWords(ref: string, ctx: Pick<WordsContext, 'base' | 'tableLabel'>): string {
  const { table, column } = parseFieldRef(ref);
  if (!table || table === ctx.base) return humanise(column);
  const owner = singular(ctx.tableLabel(table));
  if (LABEL_COLUMNS.has(column)) return owner;
  if (GENERIC_COLUMNS.has(column)) return `${owner} ${humanise(column)}`;
  return humanise(column);
}

/**
 * A date column in words, as people say it: the participle the model gives ("When the order was placed", or a
 * synonym "placed") or the name's own ("created_at" -> "created", "signed_up_on" -> "signed up"); otherwise the
 * humanised name as a noun ("order date"). `verb` reads before a period ("placed in November 2026"), `noun` after
 * a grain or "by" ("month placed", "date placed", "month of order date").
 */
export interface DateWords {
  verb?: string;
  noun: string;
}

const PARTICIPLE = /^[a-z]+(?:ed|en|t)(?: (?:up|in|out|on|off|back|down))?$/;

function participleOf(text: string): string | undefined {
  const t = text.trim().replace(/\.$/, '').toLowerCase();
  // "When the order was placed", "Date the user signed up", "when it was last updated"
  const m =
    /^(?:when|date|time|the date|the time|the moment|day)\b.*?\b(?:was|were|is|are|got|has been|have been|first|last)\s+((?:first |last )?[a-z]+(?: (?:up|in|out|on|off|back|down))?)$/.exec(
      t,
    );
  const candidate = m?.[1]?.replace(/^(?:first|last) /, '');
  if (candidate && PARTICIPLE.test(candidate)) return candidate;
  const plain =
    /^when (?:the |a |an |it |they )?(?:[a-z]+ )?([a-z]+ed(?: (?:up|in|out|on|off|back|down))?)$/.exec(t);
  return plain?.[1];
}

export function dateFieldWords(
  ref: string,
  ctx: Pick<WordsContext, 'base' | 'tableLabel' | 'describeField'>,
): DateWords {
  const facts = ctx.describeField?.(ref);
  const { table, column } = parseFieldRef(ref);
  const fromModel =
    (facts?.description ? participleOf(facts.description) : undefined) ??
    facts?.synonyms?.map((x) => x.trim().toLowerCase()).find((x) => PARTICIPLE.test(x) && /ed\b/.test(x));
  const stem = /^(.+?)_(?:at|on|date|time|datetime|timestamp)$/.exec(column)?.[1];
  const fromName = stem && /ed$/.test(stem.split('_').pop() ?? '') ? humanise(stem) : undefined;
  const verb = fromModel ?? fromName;
  if (!verb) return { noun: fieldWords(ref, ctx) };
  const owner = table && table !== ctx.base ? singular(ctx.tableLabel(table)) : undefined;
  return owner
    ? { verb: `${owner} ${verb}`, noun: `date the ${owner} was ${verb}` }
    : { verb, noun: `date ${verb}` };
}

/** "placed in November 2026", "created last month (November 2026)": a date column before a period's words. */
export function datedWords(
  ref: string,
  period: string,
  ctx: Pick<WordsContext, 'base' | 'tableLabel' | 'describeField'>,
): string {
  const words = dateFieldWords(ref, ctx);
  // "placed this year", "placed yesterday", "placed since March": relative periods read without "in"
  if (words.verb && /^(?:this |last |today|yesterday|since )/.test(period)) return `${words.verb} ${period}`;
  const day = /^\d{1,2} [A-Z][a-z]{2} \d{4}$/;
  if (day.test(period)) return `${words.verb ?? words.noun} on ${period}`;
  const span = /^(\d{1,2} [A-Z][a-z]{2} \d{4}) – (\d{1,2} [A-Z][a-z]{2} \d{4})$/.exec(period);
  if (span) return `${words.verb ?? words.noun} from ${span[1]} to ${span[2]}`;
  return `${words.verb ?? words.noun} in ${period}`;
}

/** "month placed", "month of order date": a time grouping in words. */
export function grainWords(
  grain: string,
  ref: string,
  ctx: Pick<WordsContext, 'base' | 'tableLabel' | 'describeField'>,
): string {
  const { table } = parseFieldRef(ref);
  const words = dateFieldWords(ref, ctx);
  if (!words.verb) return `${grain} of ${words.noun}`;
  // "month placed"; of another table's date, "month the order was placed"
  return table && table !== ctx.base
    ? `${grain} ${words.noun.replace(/^date /, '')}`
    : `${grain} ${words.verb}`;
}

/** "customer" -> "customers": a segment named by its own noun. */
export function segmentNoun(segment: string): string {
  return plural(humanise(segment.includes('.') ? parseFieldRef(segment).column : segment));
}

/**
 * The segment that names the plan's rows: users in the customer segment are "customers". Only a single segment on
 * the plan's own table; several, or one of another table, stay filters.
 */
export function rowsSegment(plan: Pick<QueryPlan, 'table' | 'filters'>): Filter | undefined {
  const own = plan.filters.filter(
    (f) => f.op === 'segment' && (!f.segment.includes('.') || parseFieldRef(f.segment).table === plan.table),
  );
  return own.length === 1 && plan.filters.filter((f) => f.op === 'segment').length === 1 ? own[0] : undefined;
}

/** What one row of a grouping by this field is, plural: "categories", "products", "countries". */
export function fieldNounPlural(ref: string, ctx: Pick<WordsContext, 'base' | 'tableLabel'>): string {
  const { table, column } = parseFieldRef(ref);
  if (table && (LABEL_COLUMNS.has(column) || column === 'id')) return plural(singular(ctx.tableLabel(table)));
  return plural(humanise(column));
}

// ---- values and filters -------------------------------------------------------------------------

function valueWords(value: Scalar, field: string): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    return formatNumber(value, /(^|\.|_)id$/.test(field) ? 'identifier' : 'number');
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDay(value);
  // a bound at the start of a day, in the agent's own zone ("before 2024"): the day says it
  const midnight = /^(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (midnight) return formatDay(midnight[1] as string);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return formatDateTime(value);
  return value;
}

function isDateValue(value: Scalar): boolean {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value);
}

function periodWords(p: Period): string {
  const year = p.year === undefined ? '' : ` ${p.year}`;
  if (p.quarter !== undefined) return `Q${p.quarter}${year}`;
  if (p.month !== undefined) {
    const month = MONTHS[p.month - 1] ?? `month ${p.month}`;
    return p.day !== undefined ? `${p.day} ${month}${year}` : `${month}${year}`;
  }
  return String(p.year ?? '');
}

/** A date range as the plan states it, before resolution: "last month", "the last 3 weeks", "Q3 2025". */
export function describeDateRange(range: DateRange): string {
  switch (range.kind) {
    case 'current':
      return range.unit === 'day' ? 'today' : `this ${range.unit}`;
    case 'last':
      if (range.n === 1) return range.unit === 'day' ? 'yesterday' : `last ${range.unit}`;
      return `the last ${range.n} ${plural(range.unit)}`;
    case 'period':
      return periodWords(range.period);
    case 'since':
      return `since ${periodWords(range.period)}`;
    case 'before':
      return range.unit === 'day' ? 'before today' : `before this ${range.unit}`;
    case 'between':
      return `${formatDay(range.from)} – ${formatDay(range.to)}`;
    case 'span':
      // local times of the agent's zone
      return `${formatDay(range.from)}, ${range.from.slice(11, 16)} up to ${formatDay(range.until)}, ${range.until.slice(11, 16)}`;
    default:
      return 'a date range';
  }
}

/**
 * A resolved range, its period said once: "placed last month (1 Oct 2026 – 31 Oct 2026)", "placed this year
 * (1 Jan 2026, 00:00 up to 6 Dec 2026, 09:17 UTC)": the label's own dates give way to the exact bounds.
 */
export function rangeWords(
  field: string,
  resolved: ResolvedTimeRange | undefined,
  range: DateRange,
  ctx: WordsContext,
): string {
  if (!resolved) return datedWords(field, describeDateRange(range), ctx);
  // an open start has no bound worth saying ("before today (25 Nov 2026)", not "1 Jan 1000 – 24 Nov 2026")
  if (range.kind === 'before') return datedWords(field, resolved.label, ctx);
  const bounds = formatRangeBounds(resolved, ctx.timeZone);
  const label = resolved.label.replace(/\s*\([^()]*\)$/, '');
  if (bounds === label || bounds === resolved.label) return datedWords(field, bounds, ctx);
  return `${datedWords(field, label, ctx)} (${bounds})`;
}

/**
 * A filter tree in words: "status is completed", "category is one of Books and Toys",
 * "customer: users who have ordered at least once". `message` mode is terser (segments, dates without bounds).
 */
export function describeFilter(
  filter: Filter,
  ctx: WordsContext,
  mode: 'explain' | 'message' = 'explain',
): string {
  const nested = (f: Filter): string => {
    const text = describeFilter(f, ctx, mode);
    return f.op === 'and' || f.op === 'or' ? `(${text})` : text;
  };
  switch (filter.op) {
    case 'and':
      return filter.filters.map(nested).join(' and ');
    case 'or':
      return filter.filters.map(nested).join(' or ');
    case 'not':
      return `not (${describeFilter(filter.filter, ctx, mode)})`;
    case 'segment': {
      const name = humanise(
        filter.segment.includes('.') ? parseFieldRef(filter.segment).column : filter.segment,
      );
      if (mode === 'message') return `in the ${name} segment`;
      const description = ctx.describeSegment?.(filter.segment);
      return description
        ? `${name}: ${lowerFirst(description.replace(/\.$/, ''))}`
        : `in the ${name} segment`;
    }
    case 'related':
      return relatedWords(filter, ctx, mode);
    case 'dateRange': {
      const resolved = ctx.ranges.get(filter);
      if (mode === 'message')
        return datedWords(filter.field, resolved?.label ?? describeDateRange(filter.range), ctx);
      return rangeWords(filter.field, resolved, filter.range, ctx);
    }
    default:
      break;
  }
  const field = fieldWords(filter.field, ctx);
  switch (filter.op) {
    case 'eq':
      return `${field} is ${valueWords(filter.value, filter.field)}`;
    case 'neq':
      return `${field} is not ${valueWords(filter.value, filter.field)}`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const dates = isDateValue(filter.value);
      const op = dates
        ? { gt: 'is after', gte: 'is on or after', lt: 'is before', lte: 'is on or before' }[filter.op]
        : { gt: 'is more than', gte: 'is at least', lt: 'is less than', lte: 'is at most' }[filter.op];
      return `${field} ${op} ${valueWords(filter.value, filter.field)}`;
    }
    case 'in':
    case 'notIn': {
      const values = filter.values.map((v) => valueWords(v, filter.field));
      if (values.length === 1) return `${field} is ${filter.op === 'in' ? '' : 'not '}${values[0]}`;
      if (mode === 'message')
        return `${field} is ${filter.op === 'in' ? '' : 'not '}${listWords(values, filter.op === 'in' ? 'or' : 'nor')}`;
      return `${field} is ${filter.op === 'in' ? '' : 'not '}one of ${values.join(', ')}`;
    }
    case 'contains':
      return `${field} contains "${filter.value}"`;
    case 'startsWith':
      return `${field} starts with "${filter.value}"`;
    case 'isNull':
      return `${field} is empty`;
    case 'isNotNull':
      return `${field} is set`;
    case 'compareFields': {
      const type = ctx.describeField?.(filter.field)?.type;
      // two dates of a row: "returned on is after due on"
      const dated = type === 'date' || type === 'datetime';
      const op =
        dated && (filter.cmp === 'gt' || filter.cmp === 'lt')
          ? { gt: 'is after', lt: 'is before' }[filter.cmp]
          : {
              eq: 'is the same as',
              neq: 'is not the same as',
              gt: 'is more than',
              gte: 'is at least',
              lt: 'is less than',
              lte: 'is at most',
            }[filter.cmp];
      return `${field} ${op} ${fieldWords(filter.other, ctx)}`;
    }
    default:
      return `${field} matches a condition`;
  }
}

const COUNT_WORDS: Record<CountCondition['op'], string> = {
  eq: 'exactly',
  neq: 'other than',
  gt: 'more than',
  gte: 'at least',
  lt: 'fewer than',
  lte: 'at most',
};

/** "has at least 5 orders where status is completed", "has orders where created at in last month" */
function relatedWords(
  filter: Extract<Filter, { op: 'related' }>,
  ctx: WordsContext,
  mode: 'explain' | 'message',
): string {
  const rows = ctx.tableLabel(filter.table);
  const where = filter.filter ? ` where ${describeFilter(filter.filter, ctx, mode)}` : '';
  if (!filter.count) return `has ${rows}${where}`;
  const what = filter.count.distinct ? `distinct ${fieldWords(filter.count.distinct, ctx)} of ${rows}` : rows;
  return `has ${COUNT_WORDS[filter.count.op]} ${filter.count.value} ${what}${where}`;
}

// ---- resolved ranges ----------------------------------------------------------------------------

export interface RangeAttribution {
  /** the time slot's range, or its compared periods in order */
  time: ResolvedTimeRange[];
  /** dateRange filters of the plan (in measures and filters) with their resolved range */
  leaves: Map<Filter, ResolvedTimeRange>;
  /** resolved ranges that could not be tied to a filter of the plan (segments, model measures) */
  other: ResolvedTimeRange[];
}

function dateLeaves(filter: Filter | undefined, out: Filter[]): boolean {
  if (!filter) return true;
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.map((f) => dateLeaves(f, out)).every(Boolean);
    case 'not':
      return dateLeaves(filter.filter, out);
    case 'segment':
      return false; // defined in the model: may hold date ranges we cannot see
    case 'dateRange':
      out.push(filter);
      return true;
    case 'related':
      return dateLeaves(filter.filter, out);
    default:
      return true;
  }
}

function measureLeaves(measure: Measure, out: Filter[]): boolean {
  switch (measure.kind) {
    case 'named':
      return false;
    case 'ratio':
      return [measureLeaves(measure.numerator, out), measureLeaves(measure.denominator, out)].every(Boolean);
    case 'difference':
      return [measureLeaves(measure.minuend, out), measureLeaves(measure.subtrahend, out)].every(Boolean);
    case 'running':
    case 'change':
    case 'shareOfTotal':
      return measureLeaves(measure.of, out);
    default:
      return dateLeaves(measure.filter, out);
  }
}

/**
 * Ties the compiled query's resolved ranges to the plan. The compiler resolves them in a fixed order (time slot,
 * measure filters, plan filters, each depth-first), so when the counts agree they pair one to one; otherwise the
 * time slot (always first) and the plan's own filters (always last, unless a segment may add some) still pair.
 */
export function attributeRanges(compiled: Pick<CompiledQuery, 'plan' | 'ranges'>): RangeAttribution {
  const { plan, ranges } = compiled;
  const k = plan.time?.range ? 1 : (plan.time?.compare?.length ?? 0);
  const time = ranges.slice(0, k);
  const rest = ranges.slice(k);
  const leaves = new Map<Filter, ResolvedTimeRange>();
  const inMeasures: Filter[] = [];
  const inFilters: Filter[] = [];
  for (const m of plan.measures) measureLeaves(m, inMeasures);
  let filtersKnown = true;
  for (const f of plan.filters) if (!dateLeaves(f, inFilters)) filtersKnown = false;

  const pair = (filters: Filter[], resolved: ResolvedTimeRange[]): boolean => {
    const ok = filters.every((f, i) => f.op === 'dateRange' && resolved[i]?.field === f.field);
    if (ok) for (const [i, f] of filters.entries()) leaves.set(f, resolved[i] as ResolvedTimeRange);
    return ok;
  };
  const all = [...inMeasures, ...inFilters];
  if (!(all.length === rest.length && pair(all, rest)) && filtersKnown && inFilters.length <= rest.length) {
    pair(inFilters, rest.slice(rest.length - inFilters.length));
  }
  const used = new Set(leaves.values());
  return { time, leaves, other: rest.filter((r) => !used.has(r)) };
}

// ---- measures -----------------------------------------------------------------------------------

/** Whether a description reads as words for people: no column names, dotted fields, formulas or SQL calls. */
export function readsAsWords(text: string): boolean {
  return !/[A-Za-z0-9]_[A-Za-z0-9]|\b\w+\.\w+\b|[*/+=<>`]|\b[A-Z]{2,}\(/.test(text);
}

/** "the total amount of orders", "the average total amount of orders", "the number of distinct user ids of orders" */
function aggregateWords(
  aggregate: NamedMeasureFacts['aggregate'],
  field: string | undefined,
  table: string,
  ctx: WordsContext,
): string {
  const rows = ctx.tableLabel(table);
  const col = field ? fieldWords(field, { ...ctx, base: table }) : '';
  switch (aggregate) {
    case 'count':
      return `the number of ${rows}`;
    case 'countDistinct':
      return `the number of distinct ${col} values of ${rows}`;
    case 'sum':
      return /^total\b/.test(col) ? `the ${col} of ${rows}` : `the total ${col} of ${rows}`;
    case 'avg':
      return `the average ${col} of ${rows}`;
    case 'min':
      return `the smallest ${col} of ${rows}`;
    default:
      return `the largest ${col} of ${rows}`;
  }
}

/**
 * What a measure computes, with its own filter: "the number of orders where status is cancelled", "the total
 * amount of orders where status is completed". Said from the plan and the model's definition, never from the
 * model's description: the account tells what ran, and a description is prose nothing checks against the
 * definition (it may name columns, or drift). A named measure the words context cannot look up falls back to its
 * description when that reads as words, else to its humanised name.
 */
export function measureDefinition(
  measure: Measure,
  column: DisplayColumn | undefined,
  ctx: WordsContext,
): string {
  const filters = (...fs: Array<string | undefined>): string => {
    const said = fs.filter((f): f is string => f !== undefined && f !== '');
    return said.length > 0 ? ` where ${said.join(' and ')}` : '';
  };
  const where = (f: Filter | undefined): string => filters(f ? describeFilter(f, ctx) : undefined);
  switch (measure.kind) {
    case 'count':
      return `the number of ${ctx.tableLabel(ctx.base)}${where(measure.filter)}`;
    case 'ratio': {
      const share = column?.style === 'percent' ? ' (shown as a percentage)' : '';
      const num = measureDefinition(measure.numerator, undefined, ctx);
      const den = measureDefinition(measure.denominator, undefined, ctx);
      return `${num}, divided by ${den}${share}`;
    }
    case 'difference':
      return `${measureDefinition(measure.minuend, undefined, ctx)}, minus ${measureDefinition(measure.subtrahend, undefined, ctx)}`;
    case 'running':
      return `the running total of ${measureDefinition(measure.of, undefined, ctx)}, period by period`;
    case 'change':
      return measure.mode === 'percent'
        ? `the change of ${measureDefinition(measure.of, undefined, ctx)} against the period before, in percent`
        : `the change of ${measureDefinition(measure.of, undefined, ctx)} against the period before, as a difference`;
    case 'shareOfTotal':
      return `each row's share of the total of ${measureDefinition(measure.of, undefined, ctx)}`;
    case 'named': {
      const facts = ctx.namedMeasure?.(measure.name);
      if (facts) {
        const own = facts.filter ? describeFilter(facts.filter, { ...ctx, base: facts.table }) : undefined;
        const field = facts.column ? `${facts.table}.${facts.column}` : undefined;
        const plan = measure.filter ? describeFilter(measure.filter, ctx) : undefined;
        return `${aggregateWords(facts.aggregate, field, facts.table, ctx)}${filters(own, plan)}`;
      }
      const described = column?.definition && readsAsWords(column.definition) ? column.definition : undefined;
      return `${described ?? humanise(parseFieldRef(measure.name).column || measure.name)}${where(measure.filter)}`;
    }
    default: {
      const { table } = parseFieldRef(measure.field);
      return `${aggregateWords(measure.kind, measure.field, table || ctx.base, ctx)}${where(measure.filter)}`;
    }
  }
}

// ---- the explanation ----------------------------------------------------------------------------

export interface ExplainInput {
  compiled: CompiledQuery;
  /** the columns as shown (labels, styles), in result order */
  columns: DisplayColumn[];
  rowCount: number;
  truncated: boolean;
  notes?: string[];
  ctx: WordsContext;
  attribution: RangeAttribution;
}

/** "organisationId" -> "organisation", "teamIds" -> "teams", "tenant_id" -> "tenant" */
function scopeNoun(field: string): string {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .trim()
    .split(/\s+/);
  const last = words[words.length - 1];
  if (words.length > 1 && (last === 'id' || last === 'ids' || last === 'key' || last === 'keys')) {
    words.pop();
    if (last?.endsWith('s')) words[words.length - 1] = plural(words[words.length - 1] ?? '');
  }
  return words.join(' ') || 'account';
}

/** "for your organisation only", from "orders.organisation_id = userContext.organisationId" (no values). */
export function scopeWords(contextFilters: readonly string[]): string | undefined {
  const nouns: string[] = [];
  for (const f of contextFilters) {
    const m = /userContext\.([A-Za-z0-9_]+)/.exec(f);
    const noun = m?.[1] ? scopeNoun(m[1]) : 'account';
    if (!nouns.includes(noun)) nouns.push(noun);
  }
  if (nouns.length === 0) return undefined;
  return `for your ${listWords(nouns)} only`;
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? capitalise(t) : `${capitalise(t)}.`;
}

function directionWords(kind: 'date' | 'number' | 'string' | 'boolean', direction: 'asc' | 'desc'): string {
  if (kind === 'date') return direction === 'desc' ? 'newest first' : 'oldest first';
  if (kind === 'string') return direction === 'desc' ? 'Z to A' : 'A to Z';
  return direction === 'desc' ? 'highest first' : 'lowest first';
}

function looksLikeDate(ref: string): boolean {
  return /(_at|_on|date|time|day)$/.test(ref);
}

export function explainAnswer(input: ExplainInput): string {
  const { compiled, columns, ctx, attribution } = input;
  const { plan } = compiled;
  const out: string[] = [];
  const measures = columns.filter((c) => c.role === 'measure');
  const isListing = columns.some((c) => c.role === 'field');

  // what was computed
  if (isListing) {
    const labels = columns.filter((c) => c.role === 'field').map((c) => lowerFirst(c.label));
    out.push(`Listed ${ctx.tableLabel(plan.table)} with ${listWords(labels)}`);
  }
  measures.forEach((column, i) => {
    const measure = plan.measures[i];
    const definition = measure
      ? measureDefinition(measure, column, ctx)
      : (column.definition ?? column.label);
    out.push(`${column.label} = ${definition}`);
  });

  // dates
  if (plan.time?.range) {
    const r = attribution.time[0];
    out.push(`Dates: ${rangeWords(plan.time.field, r, plan.time.range, ctx)}`);
  }
  if (plan.time?.compare) {
    const periods = plan.time.compare.map((p, i) => {
      const r = attribution.time[i];
      return `${p.label} (${r ? formatRangeBounds(r, ctx.timeZone) : describeDateRange(p.range)})`;
    });
    out.push(`Compared ${listWords(periods, 'with')}, by ${dateFieldWords(plan.time.field, ctx).noun}`);
  }
  const topDates = plan.filters.filter((f) => f.op === 'dateRange');
  for (const f of topDates) out.push(`Dates: ${describeFilter(f, ctx)}`);
  for (const r of attribution.other) {
    out.push(
      `Also limited to ${datedWords(r.field, r.label.replace(/\s*\([^()]*\)$/, ''), ctx)} (${formatRangeBounds(r, ctx.timeZone)})`,
    );
  }

  // grouping
  const groups = columns
    .filter((c) => c.role === 'dimension' && !(plan.time?.compare && c.name === 'period'))
    .map((c) => {
      if (!c.field) return lowerFirst(c.label);
      return c.grain ? grainWords(c.grain, c.field, ctx) : fieldWords(c.field, ctx);
    });
  if (groups.length > 0) out.push(`Grouped by ${listWords(groups)}`);

  // filters
  const others = plan.filters.filter((f) => f.op !== 'dateRange').map((f) => describeFilter(f, ctx));
  if (others.length > 0) out.push(`Filters: ${others.join('; ')}`);

  // order and limit
  const order = orderWords(input);
  if (order) out.push(order);

  const scope = scopeWords(compiled.contextFilters);
  if (scope) out.push(`Data is ${scope}`);
  if (input.truncated) {
    out.push(
      `The result reached the row cap: only the first ${formatCount(input.rowCount)} ${input.rowCount === 1 ? 'row is' : 'rows are'} shown`,
    );
  }

  const text = out.map(sentence).join(' ');
  const notes = (input.notes ?? [])
    .map((n) => n.trim().replace(/\.$/, ''))
    .filter((n) => n !== '' && !text.toLowerCase().includes(n.toLowerCase()) && !restatesDefinition(n, text));
  return notes.length > 0 ? `${text} ${sentence(`Read as: ${notes.join('; ')}`)}` : text;
}

/** A planner note like '"revenue" is revenue: <definition>' adds nothing when the definition is already given. */
function restatesDefinition(note: string, text: string): boolean {
  const m = /^"([^"]+)" is ([^:]+): (.+)$/.exec(note);
  // the measure is defined in the text already ("Revenue = the total amount of …"), in the plan's words
  if (m === null || m[1]?.toLowerCase() !== m[2]?.toLowerCase()) return false;
  return text.includes(m[3] ?? '\u0000') || text.toLowerCase().includes(`${m[2]?.toLowerCase()} = `);
}

function orderWords(input: ExplainInput): string | undefined {
  const { compiled, columns, ctx } = input;
  const { plan } = compiled;
  const isListing = columns.some((c) => c.role === 'field');
  const parts: string[] = [];
  for (const o of plan.order) {
    const col = columns.find((c) => c.name === o.by || c.field === o.by);
    const name = col
      ? lowerFirst(col.label)
      : looksLikeDate(o.by)
        ? dateFieldWords(o.by, ctx).noun
        : fieldWords(o.by, ctx);
    const kind = col ? col.type : looksLikeDate(o.by) ? 'date' : 'number';
    parts.push(`${name}, ${directionWords(kind, o.direction)}`);
  }
  let text: string | undefined;
  if (parts.length > 0) text = `${isListing ? 'Sorted' : 'Ordered'} by ${parts.join(', then ')}`;
  else if (!isListing) {
    const dims = columns.filter((c) => c.role === 'dimension');
    const first = columns.find((c) => c.role === 'measure');
    if (plan.time?.compare) text = undefined;
    else if (dims.some((d) => d.grain)) text = 'In date order';
    else if (dims.length > 0 && first) text = `Ordered by ${lowerFirst(first.label)}, highest first`;
  }
  if (plan.limit !== undefined && plan.limit <= compiled.limit) {
    const n = formatCount(plan.limit);
    const limit = `limited to ${plan.limit === 1 ? 'one row' : `${n} rows`}`;
    text = text ? `${text}; ${limit}` : capitalise(limit);
  }
  return text;
}
