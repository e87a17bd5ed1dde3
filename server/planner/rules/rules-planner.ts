// The embedded planner: the grammar of analytic questions over the semantic model, with no LLM.
// It reads a question into cues (how many, by, top N, dates, values) and assembles a QueryPlan from them.
import { findDateRanges, findGrain } from '../../dates/phrases.ts';
import type { Dimension, Filter, Grain, Measure, QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { Planner, PlannerInput, PlannerOutcome, Presentation } from '../planner.ts';
import { applyFollowUp, isFollowUp } from './followups.ts';
import { lexiconFor, type Match, type Target, ValueIndex } from './lexicon.ts';
import { type Token, tokenize } from './text.ts';
import {
  defaultListing,
  labelField,
  measureAlternatives,
  nearestTimeField,
  reachableToOne,
  valueColumn,
} from './model-helpers.ts';

type Agg = 'sum' | 'avg' | 'min' | 'max';

/** What a question says, before it becomes a plan. */
export interface Reading {
  tokens: Token[];
  matches: Match[];
  dates: ReturnType<typeof findDateRanges>;
  grain?: Grain;
  countCue: number;
  aggCues: Map<number, Agg>;
  byCues: number[];
  topN?: { n: number; direction: 'asc' | 'desc'; at: number };
  listing: boolean;
  recency?: 'desc' | 'asc';
  compare: boolean;
  presentation: Presentation;
  negated: Set<number>;
  comparisons: Array<{ op: 'gt' | 'gte' | 'lt' | 'lte'; value: number; at: number }>;
  whichAt: number;
  unknownMetric?: string;
}

// metrics people ask for that a model may simply not have; naming one without a match is a refusal, not a guess
const METRIC_WORDS = new Set(
  `profit profits margin margins cost costs expense expenses salary salaries payroll employee employees staff headcount
  weather churn retention inventory stock warehouse shipping shipment shipments tax taxes vat discount discounts coupon
  coupons return returns visit visits visitor visitors traffic session sessions pageview pageviews conversion conversions
  rating ratings review reviews nps satisfaction invoice invoices budget budgets forecast target targets commission
  clicks impressions ads advertising marketing campaign campaigns ebitda refund-rate lifetime ltv cac mrr arr churned
  subscriptions subscription plan plans tickets ticket complaints supplier suppliers vendor vendors`.split(/\s+/),
);

const STOP = new Set(
  `a an the of in on for to from and or is are was were be been do does did have has had we our us i me my you your it its
  this that these those what which who whom how many much show list give get tell all any each every per by with at as
  there their they them than then so please can could would will should just only also about into over under
  number count total sum average avg mean overall across compared compare vs versus against same time
  most least top bottom best worst highest lowest largest smallest biggest fewest more less greater fewer
  latest recent newest oldest earliest first last next previous ago since until between during
  see look find know want need display break down split group grouped broken breakdown chart graph plot table
  make made get got did done happen happened currently current now today yesterday week month year day quarter
  weekly monthly daily yearly quarterly annually trend trends over time value values amount`.split(/\s+/),
);

const AGG_WORDS: Record<string, Agg> = {
  total: 'sum',
  sum: 'sum',
  overall: 'sum',
  average: 'avg',
  avg: 'avg',
  mean: 'avg',
  typical: 'avg',
  highest: 'max',
  largest: 'max',
  biggest: 'max',
  maximum: 'max',
  max: 'max',
  priciest: 'max',
  lowest: 'min',
  smallest: 'min',
  minimum: 'min',
  min: 'min',
  cheapest: 'min',
};

export class RulesPlanner implements Planner {
  readonly name = 'rules';

  constructor(private readonly modelKey: object) {}

  async plan(input: PlannerInput): Promise<PlannerOutcome> {
    const question = input.question.trim();
    if (question === '') return unanswerable(input.view, 'Ask a question about your data.');
    const values = await loadValues(input);
    const reading = read(question, input, values, this.modelKey);
    const previous = [...input.history].reverse().find((t) => t.plan)?.plan;
    if (previous && isFollowUp(reading, question)) {
      return applyFollowUp(previous, reading, input, question);
    }
    return assemble(reading, input.view, question);
  }
}

async function loadValues(input: PlannerInput): Promise<ValueIndex> {
  const index = new ValueIndex();
  const fields: string[] = [];
  for (const [tableName, table] of input.view.tables) {
    if (table.access !== 'queryable') continue;
    for (const [col, def] of Object.entries(table.columns)) {
      if (def.type === 'string' && !def.values) fields.push(`${tableName}.${col}`);
    }
  }
  const lists = await Promise.all(fields.map((f) => input.values.values(f, 5000).catch(() => [] as string[])));
  fields.forEach((f, i) => index.addField(f, lists[i] ?? []));
  return index;
}

export function read(question: string, input: PlannerInput, values: ValueIndex, modelKey: object): Reading {
  const view = input.view;
  const dates = findDateRanges(question, input.now, view.agent.timeZone);
  const grainHit = findGrain(question);
  let masked = question;
  const blank = (start: number, end: number): void => {
    masked = masked.slice(0, start) + ' '.repeat(end - start) + masked.slice(end);
  };
  for (const d of dates) blank(d.start, d.end);
  if (grainHit) blank(grainHit.start, grainHit.end);
  const tokens = tokenize(masked);
  const lex = lexiconFor(view, modelKey);
  const words = tokens.map((t) => t.text);
  const has = (i: number, ...seq: string[]): boolean => seq.every((w, k) => words[i + k] === w);

  // -- vocabulary matches, longest first; tenant values compete with model phrases
  const matches: Match[] = [];
  for (let i = 0; i < tokens.length; ) {
    let best: { target: Target; length: number } | undefined;
    for (let len = Math.min(values.maxWords, tokens.length - i); len >= 1; len -= 1) {
      const key = words.slice(i, i + len).join(' ');
      const hits = values.lookup(key);
      const usable = hits.filter((h) => len > 1 || acceptSingleWordValue(words[i] ?? '', h.field, values));
      if (usable[0]) {
        best = { target: { kind: 'value', field: usable[0].field, value: usable[0].value, enumerated: false }, length: len };
        break;
      }
    }
    const lexHit = lex.at(tokens, i)[0];
    if (lexHit && (!best || lexHit.length > best.length || (lexHit.length === best.length && lexHit.target.kind === 'measure'))) {
      best = lexHit;
    }
    if (best && !(best.length === 1 && STOP.has(words[i] ?? '') && best.target.kind !== 'value')) {
      matches.push({ target: best.target, from: i, to: i + best.length, text: words.slice(i, i + best.length).join(' ') });
      i += best.length;
    } else i += 1;
  }

  // -- cues
  let countCue = -1;
  const aggCues = new Map<number, Agg>();
  const byCues: number[] = [];
  const negated = new Set<number>();
  const comparisons: Reading['comparisons'] = [];
  let topN: Reading['topN'];
  let listing = false;
  let recency: Reading['recency'];
  let compare = false;
  let presentation: Presentation = 'auto';
  let whichAt = -1;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i] ?? '';
    const next = tokens[i + 1];
    if (countCue < 0 && (has(i, 'how', 'many') || has(i, 'number', 'of') || has(i, 'count', 'of') || w === 'count' || has(i, 'amount', 'of'))) {
      countCue = i;
    }
    if (Object.hasOwn(AGG_WORDS, w)) aggCues.set(i, AGG_WORDS[w] as Agg);
    if (has(i, 'most', 'expensive')) aggCues.set(i, 'max');
    if (has(i, 'least', 'expensive')) aggCues.set(i, 'min');
    if (w === 'by' || w === 'per' || w === 'across' || (w === 'each' && words[i - 1] !== 'for') || (w === 'for' && words[i + 1] === 'each') || w === 'every') {
      if (!(w === 'by' && words[i - 1] === 'sort')) byCues.push(i);
    }
    if ((w === 'top' || w === 'best' || w === 'highest' || w === 'largest' || w === 'biggest') && next?.num !== undefined) {
      topN = { n: next.num, direction: 'desc', at: i };
    } else if ((w === 'bottom' || w === 'worst' || w === 'lowest' || w === 'smallest') && next?.num !== undefined) {
      topN = { n: next.num, direction: 'asc', at: i };
    } else if (tokens[i]?.num !== undefined && ['most', 'best', 'top', 'highest', 'largest', 'biggest'].includes(words[i + 1] ?? '')) {
      topN = { n: tokens[i]?.num as number, direction: 'desc', at: i };
    } else if (tokens[i]?.num !== undefined && ['least', 'fewest', 'worst', 'lowest', 'smallest'].includes(words[i + 1] ?? '')) {
      topN = { n: tokens[i]?.num as number, direction: 'asc', at: i };
    } else if (!topN && (w === 'top' || w === 'most' || w === 'best' || w === 'highest')) {
      topN = { n: 0, direction: 'desc', at: i };
    } else if (!topN && (w === 'fewest' || w === 'least' || w === 'worst' || w === 'bottom')) {
      topN = { n: 0, direction: 'asc', at: i };
    }
    if (['show', 'list', 'display', 'see'].includes(w) || has(i, 'give', 'me') || has(i, 'what', 'are') || has(i, 'which', 'are')) {
      listing = true;
    }
    if (['latest', 'newest', 'recent'].includes(w) || has(i, 'most', 'recent')) recency = 'desc';
    if (['oldest', 'earliest'].includes(w)) recency = 'asc';
    if (['vs', 'versus', 'against'].includes(w) || has(i, 'compared') || has(i, 'compare') || has(i, 'comparison')) compare = true;
    if (['chart', 'graph', 'plot', 'visualise', 'visualize', 'visualization', 'visualisation', 'trend'].includes(w)) presentation = 'chart';
    if (w === 'table' && (words[i - 1] === 'a' || words[i - 1] === 'as')) presentation = 'table';
    if (['not', 'never', 'without', 'excluding', 'except', 'non'].includes(w) || has(i, 'other', 'than') || w.endsWith("n't")) {
      for (let k = i + 1; k < Math.min(words.length, i + 4); k += 1) negated.add(k);
    }
    if ((w === 'which' || w === 'what') && whichAt < 0) whichAt = i;
    const cmp = comparisonAt(words, tokens, i);
    if (cmp) comparisons.push(cmp);
  }
  if (dates.length >= 2 && dates.some((d, k) => k > 0 && /\b(vs|versus|compared|against|and)\b/i.test(question.slice(dates[k - 1]?.end, d.start)))) {
    compare = true;
  }
  const matchedWords = new Set<number>();
  for (const m of matches) for (let k = m.from; k < m.to; k += 1) matchedWords.add(k);
  const unknownMetric = words.find((w, i) => !matchedWords.has(i) && METRIC_WORDS.has(w));
  return {
    tokens,
    matches,
    dates,
    grain: grainHit?.grain ?? dates.find((d) => d.grain)?.grain,
    countCue,
    aggCues,
    byCues,
    topN,
    listing,
    recency,
    compare,
    presentation,
    negated,
    comparisons,
    whichAt,
    unknownMetric,
  };
}

function comparisonAt(words: string[], tokens: Token[], i: number): Reading['comparisons'][number] | undefined {
  const w = words[i];
  const pairs: Array<[string[], 'gt' | 'gte' | 'lt' | 'lte']> = [
    [['more', 'than'], 'gt'],
    [['greater', 'than'], 'gt'],
    [['over'], 'gt'],
    [['above'], 'gt'],
    [['at', 'least'], 'gte'],
    [['less', 'than'], 'lt'],
    [['fewer', 'than'], 'lt'],
    [['under'], 'lt'],
    [['below'], 'lt'],
    [['at', 'most'], 'lte'],
  ];
  for (const [seq, op] of pairs) {
    if (seq[0] !== w || !seq.every((s, k) => words[i + k] === s)) continue;
    const numTok = tokens[i + seq.length];
    if (numTok?.num !== undefined) return { op, value: numTok.num, at: i };
  }
  return undefined;
}

/** A one-word value ("Germany", "Books") counts when its column is small and the word is not everyday English. */
function acceptSingleWordValue(word: string, field: string, values: ValueIndex): boolean {
  if (STOP.has(word) || word.length < 3) return false;
  return values.fieldSize(field) <= 300;
}

// ---------------------------------------------------------------------------------------------------------------

export function assemble(r: Reading, view: ModelView, question: string): PlannerOutcome {
  const notes: string[] = [];
  const matchesOf = <K extends Target['kind']>(kind: K) =>
    r.matches.filter((m): m is Match & { target: Extract<Target, { kind: K }> } => m.target.kind === kind);
  const afterBy = (m: Match): boolean => r.byCues.some((b) => b < m.from && m.from - b <= 3 && !r.matches.some((o) => o.from > b && o.from < m.from && o.target.kind !== 'column'));

  // ---- the measure ----------------------------------------------------------------------------
  const measures: Measure[] = [];
  let base: string | undefined;
  let rankingMeasure: Measure | undefined;
  const used = new Set<Match>();

  for (const m of matchesOf('measure')) {
    const named: Measure = { kind: 'named', name: `${m.target.table}.${m.target.name}` };
    if (afterBy(m) && r.topN) rankingMeasure = named;
    measures.push(named);
    base ??= m.target.table;
    used.add(m);
    const def = view.table(m.target.table).measures[m.target.name];
    if (def?.description) notes.push(`"${m.text}" is ${m.target.name.replace(/_/g, ' ')}: ${def.description}`);
  }

  // "how many X": count the table (or segment) named after the cue
  if (measures.length === 0 && r.countCue >= 0) {
    const subject = r.matches.find((m) => m.from > r.countCue && (m.target.kind === 'table' || m.target.kind === 'segment'));
    const columnSubject = r.matches.find((m) => m.from > r.countCue && m.target.kind === 'column');
    if (subject) {
      const table = subject.target.kind === 'table' || subject.target.kind === 'segment' ? subject.target.table : undefined;
      if (table && view.tables.get(table)?.access === 'queryable') {
        base = table;
        measures.push({ kind: 'count' });
        used.add(subject);
      }
    } else if (columnSubject && columnSubject.target.kind === 'column' && columnSubject.from - r.countCue <= 3) {
      const field = columnSubject.target.field;
      base = field.split('.')[0];
      measures.push({ kind: 'countDistinct', field });
      used.add(columnSubject);
    }
  }

  // "average order total", "highest price": an aggregate word before a numeric column
  if (measures.length === 0) {
    for (const [at, agg] of r.aggCues) {
      const col = r.matches.find(
        (m) => m.target.kind === 'column' && m.from > at && m.from - at <= 3 && isNumeric(view, m.target.field),
      );
      if (col && col.target.kind === 'column') {
        const field = col.target.field;
        measures.push({ kind: agg, field });
        base = field.split('.')[0];
        used.add(col);
        break;
      }
    }
  }

  const tables = matchesOf('table');
  const segments = matchesOf('segment');

  // "largest order", "cheapest products": rank rows of a table by its value column
  if (measures.length === 0 && r.countCue < 0) {
    const superlative = [...r.aggCues.entries()].find(([, agg]) => agg === 'max' || agg === 'min');
    const entity = tables[0] ?? segments[0];
    if (superlative && entity) {
      const table = entity.target.table;
      const valueCol = valueColumn(view, table);
      if (valueCol) {
        return planOutcome(
          {
            version: 1,
            table,
            measures: [],
            dimensions: [],
            filters: collectFilters(r, view, table, used, notes),
            select: defaultListing(view, table),
            order: [{ by: valueCol, direction: superlative[1] === 'max' ? 'desc' : 'asc' }],
            limit: r.topN?.n || (isPluralAt(r, entity) ? 10 : 1),
          },
          r,
          notes,
        );
      }
    }
  }

  // a listing: "show the 10 most recent orders", "list our products"
  const entity = tables.find((t) => !used.has(t)) ?? segments.find((s) => !used.has(s));
  const wantsListing =
    measures.length === 0 && r.countCue < 0 && (r.listing || r.recency !== undefined) && r.byCues.length === 0 && entity;
  if (wantsListing && entity) {
    const table = entity.target.table;
    if (view.tables.get(table)?.access !== 'queryable') return unanswerable(view, `I can't list ${entity.text} directly.`);
    used.add(entity);
    const timeField = nearestTimeField(view, table);
    const n = r.topN?.n || r.tokens.find((t) => t.num !== undefined && t.num <= 1000)?.num;
    const order =
      r.recency && timeField ? [{ by: timeField, direction: r.recency }] : r.topN && valueColumn(view, table) ? [{ by: valueColumn(view, table) as string, direction: r.topN.direction }] : [];
    const time = timeRangeFilter(r, view, table, notes);
    return planOutcome(
      {
        version: 1,
        table,
        measures: [],
        dimensions: [],
        filters: [...collectFilters(r, view, table, used, notes), ...(entity.target.kind === 'segment' ? [segmentFilter(entity)] : []), ...time],
        select: defaultListing(view, table),
        order,
        limit: n ?? (r.recency ? 10 : undefined),
      },
      r,
      notes,
    );
  }

  // nothing measurable named: fall back to counting the table the question is about
  if (measures.length === 0) {
    const subject = tables.find((t) => view.tables.get(t.target.table)?.access === 'queryable') ?? segments[0];
    if (subject && !r.unknownMetric) {
      base = subject.target.table;
      measures.push({ kind: 'count' });
      used.add(subject);
    }
  }

  if (r.unknownMetric && (measures.length === 0 || r.countCue >= 0 || measures.every((m) => m.kind === 'count'))) {
    return unanswerable(view, `I can't find anything about "${r.unknownMetric}" in this data.`);
  }
  if (measures.length === 0 || base === undefined) {
    return unanswerable(view, "I couldn't match that question to anything in this data.");
  }

  // ---- dimensions -----------------------------------------------------------------------------
  const dimensions: Dimension[] = [];
  const addDim = (field: string): void => {
    if (!dimensions.some((d) => d.field === field)) dimensions.push({ field });
  };
  for (const m of r.matches) {
    if (used.has(m)) continue;
    const byThis = afterBy(m);
    const which = r.whichAt >= 0 && m.from > r.whichAt && m.from - r.whichAt <= 3 && m.from < (r.matches.find((x) => x.target.kind === 'measure')?.from ?? 99);
    const ranked = r.topN && m.from > r.topN.at && m.from - r.topN.at <= 4;
    if (!(byThis || which || ranked)) continue;
    if (m.target.kind === 'column') {
      addDim(m.target.field);
      used.add(m);
    } else if (m.target.kind === 'table' || m.target.kind === 'segment') {
      const label = labelField(view, m.target.table);
      if (label && m.target.table !== base) {
        addDim(label);
        used.add(m);
      } else if (label && (which || ranked)) {
        addDim(label);
        used.add(m);
      }
    }
  }

  // ---- measure fit: "revenue by category" needs the measure that lives on the items ---------
  let planMeasures = measures;
  const neededFields = dimensions.map((d) => d.field);
  const filters = collectFilters(r, view, base, used, notes);
  const filterFields = filters.flatMap(fieldsOf);
  if (planMeasures.length === 1 && planMeasures[0]?.kind === 'named') {
    const current = planMeasures[0];
    const needs = [...neededFields, ...filterFields];
    if (needs.some((f) => !reachableToOne(view, base as string, f.split('.')[0] as string))) {
      const alt = measureAlternatives(view, current.name).find((a) => needs.every((f) => reachableToOne(view, a.table, f.split('.')[0] as string)));
      if (alt) {
        notes.push(`used ${alt.name.replace(/_/g, ' ')} (${alt.description ?? alt.name}) because the question breaks it down by ${needs.join(', ')}`);
        planMeasures = [{ kind: 'named', name: `${alt.table}.${alt.name}` }];
        base = alt.table;
      }
    }
  }

  // segments not used as dimensions filter the base ("customers in Germany")
  for (const s of segments) {
    if (used.has(s)) {
      if (measures[0]?.kind === 'count' && s.target.table === base) filters.push(segmentFilter(s));
      continue;
    }
    if (reachableToOne(view, base, s.target.table) || s.target.table === base) filters.push(segmentFilter(s));
  }

  // ---- time -----------------------------------------------------------------------------------
  const timeField = nearestTimeField(view, base, r.tokens);
  let time: QueryPlan['time'];
  if (r.dates.length > 0 || r.grain) {
    if (!timeField) return unanswerable(view, `I can't tell which date to use for ${base.replace(/_/g, ' ')}.`);
    if (r.compare && r.dates.length >= 2) {
      time = { field: timeField, compare: r.dates.slice(0, 6).map((d) => ({ label: cleanLabel(d.text), range: d.range })) };
    } else if (r.compare && r.dates.length === 1 && r.dates[0]) {
      // "revenue this month compared to last month" with one phrase elided is rare; treat as a single range
      time = { field: timeField, range: r.dates[0].range };
    } else if (r.dates[0]) {
      time = { field: timeField, range: r.dates[0].range };
    } else time = { field: timeField };
    if (r.grain) time = { ...time, grain: r.grain };
  }

  // ---- order and limit ------------------------------------------------------------------------
  const order: QueryPlan['order'] = [];
  let limit: number | undefined;
  if (r.topN && dimensions.length > 0) {
    const by = rankingMeasure ?? planMeasures[0];
    if (by) {
      order.push({ by: measureAlias(by, view), direction: r.topN.direction });
      const pluralWhich = r.whichAt >= 0 && isPluralDimension(r);
      limit = r.topN.n || (pluralWhich ? undefined : r.whichAt >= 0 ? 1 : undefined);
    }
  }

  return planOutcome(
    {
      version: 1,
      table: base,
      measures: planMeasures,
      dimensions,
      time,
      filters,
      select: [],
      order,
      limit,
    },
    r,
    notes,
  );
}

function planOutcome(plan: QueryPlan, r: Reading, notes: string[]): PlannerOutcome {
  return { kind: 'plan', plan, presentation: r.presentation, notes };
}

export function unanswerable(view: ModelView, message: string): PlannerOutcome {
  const suggestions: string[] = [];
  for (const [name, table] of view.tables) {
    for (const m of Object.keys(table.measures)) suggestions.push(m.replace(/_/g, ' '));
    if (table.access === 'queryable') suggestions.push(`number of ${name.replace(/_/g, ' ')}`);
  }
  const list = suggestions.slice(0, 8).join(', ');
  return {
    kind: 'unanswerable',
    message: `${message} I can answer questions about ${list}.`,
    suggestions: suggestions.slice(0, 8),
  };
}

function segmentFilter(m: Match): Filter {
  const t = m.target as { table: string; name: string };
  return { op: 'segment', segment: `${t.table}.${t.name}` };
}

/** Value matches become filters; several values of one column become IN; negation flips them. */
export function collectFilters(r: Reading, view: ModelView, base: string, used: Set<Match>, notes: string[]): Filter[] {
  const byField = new Map<string, { values: Array<string | number>; negated: boolean }>();
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'value') continue;
    const { field, value } = m.target;
    const table = field.split('.')[0] as string;
    try {
      view.path(base, table);
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
    if (values.length === 1) filters.push({ op: negated ? 'neq' : 'eq', field, value: values[0] as string | number });
    else filters.push({ op: negated ? 'notIn' : 'in', field, values });
    notes.push(`${field} ${negated ? 'is not' : 'is'} ${values.join(' or ')}`);
  }
  for (const c of r.comparisons) {
    const valueCol = valueColumn(view, base);
    if (valueCol) filters.push({ op: c.op, field: valueCol, value: c.value });
  }
  return filters;
}

function timeRangeFilter(r: Reading, view: ModelView, table: string, _notes: string[]): Filter[] {
  const timeField = nearestTimeField(view, table, r.tokens);
  const first = r.dates[0];
  if (!timeField || !first) return [];
  return [{ op: 'dateRange', field: timeField, range: first.range }];
}

export function fieldsOf(f: Filter): string[] {
  switch (f.op) {
    case 'and':
    case 'or':
      return f.filters.flatMap(fieldsOf);
    case 'not':
      return fieldsOf(f.filter);
    case 'segment':
      return [];
    default:
      return [f.field];
  }
}

function isNumeric(view: ModelView, field: string): boolean {
  try {
    const f = view.field(field);
    return f.type === 'integer' || f.type === 'number';
  } catch {
    return false;
  }
}

export function measureAlias(m: Measure, view: ModelView): string {
  if (m.as) return m.as;
  switch (m.kind) {
    case 'named':
      return view.measure(m.name).name;
    case 'count':
      return 'count';
    case 'ratio':
      return `${measureAlias(m.numerator, view)}_per_${measureAlias(m.denominator, view)}`.slice(0, 63);
    default:
      return `${m.kind === 'countDistinct' ? 'distinct' : m.kind}_${m.field.split('.')[1]}`;
  }
}

function isPluralAt(r: Reading, m: Match): boolean {
  const last = r.tokens[m.to - 1];
  return last !== undefined && last.text.endsWith('s') && !last.text.endsWith('ss');
}

/** "which categories ..." asks for a ranked list, "which category ..." for the single top one. */
function isPluralDimension(r: Reading): boolean {
  const subject = r.matches.find((m) => m.from > r.whichAt && m.from - r.whichAt <= 3);
  return subject !== undefined && isPluralAt(r, subject);
}

function cleanLabel(text: string): string {
  return text.replace(/^(in|during|for|over|the|of)\s+/i, '').trim().slice(0, 64) || text.slice(0, 64);
}
