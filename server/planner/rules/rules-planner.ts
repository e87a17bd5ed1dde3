// The embedded planner: the grammar of analytic questions over the semantic model, with no LLM.
// reading.ts turns a question into cues; this module assembles a QueryPlan from them, or refuses.
import { resolveDateRange } from '../../dates/resolve.ts';
import type { DateRange, Dimension, Filter, Measure, QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { Planner, PlannerInput, PlannerOutcome } from '../planner.ts';
import { type Clauses, readClauses } from './clauses.ts';
import { planWithDatasets } from './datasets.ts';
import { fieldsOf } from './filters.ts';
import { applyFollowUp, isFollowUp, SHIFT, shiftRange } from './followups.ts';
import { type Match, type Target, ValueIndex } from './lexicon.ts';
import {
  defaultListing,
  entityDimensions,
  labelField,
  measureAlternatives,
  moneyMeasure,
  nearestTimeField,
  reachableToOne,
  unitsMeasure,
  valueColumn,
} from './model-helpers.ts';
import { type DatedPhrase, type Reading, read, targetTable } from './reading.ts';
import { applyShapes } from './shapes.ts';
import { expandShorthand } from './shorthand.ts';
import { stem } from './text.ts';

export class RulesPlanner implements Planner {
  readonly name = 'rules';

  constructor(private readonly modelKey: object) {}

  async plan(input: PlannerInput): Promise<PlannerOutcome> {
    const question = expandShorthand(input.question.trim());
    if (question === '') return unanswerable(input.view, 'Ask a question about your data.');
    const values = await loadValues(input);
    const reading = read(question, input, values, this.modelKey);
    const previous = [...input.history].reverse().find((t) => t.plan)?.plan;
    // follow-ups edit database plans; a question after a dataset answer is read afresh
    if (previous && previous.source === 'database' && !previous.blend && isFollowUp(reading, question)) {
      return applyFollowUp(previous, reading, input, question);
    }
    const context = input.datasets;
    if (!context) return assemble(reading, input);
    const dsInput: PlannerInput = { ...input, view: context.view, values: context.values, history: [] };
    const dsValues = await loadValues(dsInput);
    const dsReading = read(question, dsInput, dsValues, context);
    // words the user's files explain ("targets", "plan") are not unknown to either side of a blend
    const inFiles = new Set(dsReading.matches.flatMap((m) => m.text.split(' ')));
    const dbReading = { ...reading, unknownWords: reading.unknownWords.filter((w) => !inFiles.has(w)) };
    const inDatabase = new Set(reading.matches.flatMap((m) => m.text.split(' ')));
    const filesReading = {
      ...dsReading,
      unknownWords: dsReading.unknownWords.filter((w) => !inDatabase.has(w)),
    };
    return planWithDatasets(
      question,
      { reading: dbReading, outcome: assemble(dbReading, input), view: input.view },
      { reading: filesReading, input: dsInput, values: dsValues },
      context,
      assemble,
    );
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
  const lists = await Promise.all(
    fields.map((f) => input.values.values(f, 5000).catch(() => [] as string[])),
  );
  for (const [i, f] of fields.entries()) index.addField(f, lists[i] ?? []);
  return index;
}

type Kind = Target['kind'];
type MatchOf<K extends Kind> = Match & { target: Extract<Target, { kind: K }> };

function matchesOf<K extends Kind>(r: Reading, kind: K): Array<MatchOf<K>> {
  return r.matches.filter((m): m is MatchOf<K> => m.target.kind === kind);
}

/** A match within a few words after a "by/per/each" cue, with nothing but column words in between. */
function afterBy(r: Reading, m: Match): boolean {
  // "ranked by number of completed orders": after a count cue it is what is counted, not a breakdown
  return r.byCues.some(
    (b) =>
      b < m.from &&
      m.from - b <= 3 &&
      !r.matches.some((o) => o.from > b && o.from < m.from) &&
      !(r.countCue > b && r.countCue < m.from),
  );
}

export function assemble(reading: Reading, input: PlannerInput): PlannerOutcome {
  const clauses = readClauses(reading, input.view, input.now);
  const r = withoutClauses(reading, clauses);
  const outcome = assembleReading(r, input);
  if (outcome.kind !== 'plan') return outcome;
  const shaped = applyShapes(outcome, r, input, (m) => measureAlias(m, input.view));
  return applyConditions(shaped, clauses, reading, input);
}

/** The reading without what its clauses took: their dates and the values and nouns inside them. */
function withoutClauses(r: Reading, clauses: Clauses): Reading {
  const taken = new Set(clauses.conditions.flatMap((c) => c.matches));
  const counted = new Set(clauses.conditions.flatMap((c) => c.comparisons ?? []));
  const dates = clauses.freeDates.flatMap((d) => (d.match ? [d.match] : []));
  return {
    ...r,
    dates,
    dated: clauses.freeDates,
    matches: r.matches.filter((m) => !taken.has(m)),
    comparisons: r.comparisons.filter((c) => !counted.has(c.at)),
  };
}

/**
 * Adds the clauses' conditions to a plan: on its own rows, on rows it belongs to, or (an activity of the rows'
 * owner, such as "customers who ordered last month" on a plan over orders) as the rows' own dates and values.
 * In a share ("what % of buyers came back") the conditions after the subject describe the part, not the whole.
 */
function applyConditions(
  outcome: Extract<PlannerOutcome, { kind: 'plan' }>,
  clauses: Clauses,
  r: Reading,
  input: PlannerInput,
): PlannerOutcome {
  if (clauses.conditions.length === 0) return outcome;
  const view = input.view;
  const plan = structuredClone(outcome.plan);
  const notes = [...outcome.notes];
  // "what % of our buyers came back": a share whose part only the clauses name is made here
  const only = plan.measures.length === 1 ? plan.measures[0] : undefined;
  const predicate = predicateStart(r);
  if (
    r.share &&
    !r.growth &&
    only &&
    only.kind !== 'ratio' &&
    plan.dimensions.length === 0 &&
    clauses.conditions.some((c) => c.table === plan.table && c.at >= predicate)
  ) {
    plan.measures = [{ kind: 'ratio', numerator: only, denominator: only, as: 'share' }];
  }
  const share =
    plan.measures.length === 1 && plan.measures[0]?.kind === 'ratio' ? plan.measures[0] : undefined;
  const splitAt = share ? predicate : Number.POSITIVE_INFINITY;
  const timeField = plan.time?.field ?? nearestTimeField(view, plan.table);
  const seen = new Set<string>();
  // "in 2025 how many customers placed more than 3 orders": with no word of joining, a date the plan gave to the
  // people's own date belongs to what they did
  const ownTime = `${plan.table}.${view.tables.get(plan.table)?.timeColumn ?? ''}`;
  const joining =
    clauses.conditions.some((c) => !c.redate && c.table === plan.table) ||
    r.tokens.some((t) => t.text === 'new' || t.text === 'newly');
  const freeRange = clauses.freeDates.find((d) => d.match && !d.side);
  const adopter = clauses.conditions.find((c) => c.table === plan.table && c.redate);
  if (adopter?.redate && freeRange && !joining && plan.time?.field === ownTime && plan.time.range) {
    const redated = adopter.redate([freeRange]);
    if (redated) {
      adopter.filter = redated;
      plan.time = plan.time.grain ? { field: plan.time.field, grain: plan.time.grain } : undefined;
    }
  }
  for (const c of clauses.conditions) {
    let filters: Filter[] = [];
    if (c.table === plan.table) filters = [c.filter];
    else if (
      c.activity &&
      (c.activity.relatedTable === plan.table || owns(view, plan.table, c.activity.relatedTable))
    ) {
      // the plan counts or sums the activity itself: its dates date the rows, its values filter them
      filters = [...c.activity.values];
      for (const d of c.activity.dates) {
        if (!d.side && d.match && timeField && !plan.time?.range && !plan.time?.compare) {
          plan.time = { ...(plan.time ?? { field: timeField }), range: d.range };
        } else if (timeField) filters.push(...dateFilter(timeField, d, input));
      }
    } else if (
      c.filter.op !== 'related' &&
      c.filter.op !== 'not' &&
      reachableToOne(view, plan.table, c.table)
    )
      filters = [c.filter];
    else {
      notes.push(
        `left out a condition on ${c.table.replace(/_/g, ' ')} that does not apply to ${plan.table}`,
      );
      continue;
    }
    // two clauses may say the same ("came back and ordered a second time")
    filters = filters.filter((f) => {
      const key = JSON.stringify(f);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (share && share.kind === 'ratio' && c.at >= splitAt) {
      for (const f of filters) share.numerator = withFilter(share.numerator, f, view);
      continue;
    }
    for (const f of filters) {
      // a range on the plan's own date is its time slot (follow-ups shift it, explanations name it)
      if (f.op === 'dateRange' && f.field === timeField && !plan.time?.range && !plan.time?.compare) {
        plan.time = { ...(plan.time ?? { field: timeField }), range: f.range };
      } else plan.filters.push(f);
    }
  }
  // "how much they spent on Electronics": a filter on the measure's many side needs the measure that lives there
  const fitted = fitMeasure(view, plan.table, plan.measures, plan.filters.flatMap(fieldsOf));
  if (fitted) {
    notes.push(fitted.note);
    const aliasBefore = plan.measures[0] ? measureAlias(plan.measures[0], view) : undefined;
    plan.table = fitted.table;
    plan.measures = [fitted.measure];
    const aliasAfter = measureAlias(fitted.measure, view);
    plan.order = plan.order.map((o) => (o.by === aliasBefore ? { ...o, by: aliasAfter } : o));
  }
  return { ...outcome, plan, notes };
}

/** Whether rows of `table` own rows of `other` (one-to-many on the way): an order owns its lines. */
function owns(view: ModelView, table: string, other: string): boolean {
  try {
    return view.path(table, other).some((s) => s.kind === 'one-to-many');
  } catch {
    return false;
  }
}

/**
 * A model measure that aggregates `field` the same way and whose own words (beyond the column's) the question
 * uses: "total quantity sold" is units sold (completed orders only), "total quantity" is every line's quantity.
 */
function sameAggregate(
  view: ModelView,
  r: Reading,
  agg: string,
  field: string,
): { table: string; name: string } | undefined {
  const [table, column] = field.split('.') as [string, string];
  const said = new Set(r.tokens.map((t) => t.stem));
  const columnWords = new Set(column.split('_').map((w) => stem(w)));
  // "average value of cancelled orders": a measure defined over completed orders cannot answer for other statuses
  const valueFields = new Set(r.matches.flatMap((m) => (m.target.kind === 'value' ? [m.target.field] : [])));
  for (const [name, def] of Object.entries(view.tables.get(table)?.measures ?? {})) {
    if (def.aggregate !== agg || def.column !== column) continue;
    if (def.filter && fieldsOf(def.filter).some((f) => valueFields.has(f))) continue;
    const words = [name, ...def.synonyms]
      .flatMap((p) => p.split(/[\s_]+/))
      .map((w) => stem(w.toLowerCase()))
      .filter((w) => !columnWords.has(w));
    if (words.some((w) => said.has(w))) return { table, name };
  }
  return undefined;
}

/** A listing's columns plus those the question names ("along with the customer's email"), if each row has one. */
function withAskedColumns(
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

/** Where in the question a filter was named (every place its words stand). */
function filterAt(r: Reading, f: Filter): number[] {
  switch (f.op) {
    case 'eq':
    case 'neq':
    case 'in':
    case 'notIn':
      return r.matches
        .filter((x) => x.target.kind === 'value' && x.target.field === f.field)
        .map((x) => x.from);
    case 'segment':
      return r.matches
        .filter((x) => x.target.kind === 'segment' && `${x.target.table}.${x.target.name}` === f.segment)
        .map((x) => x.from);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return r.comparisons.filter((c) => c.value === f.value).map((c) => c.at);
    default:
      return [];
  }
}

/** The share word that opens "<share> of <subject>", else the first share word. */
function shareCue(r: Reading): number {
  const withOf = r.tokens.findIndex((t, i) => SHARE_WORDS.has(t.text) && r.tokens[i + 1]?.text === 'of');
  return withOf >= 0 ? withOf : r.tokens.findIndex((t) => SHARE_WORDS.has(t.text));
}

/** Where the predicate of "what share of <subject> <predicate>" starts: the first verb after the subject. */
function predicateStart(r: Reading): number {
  const cue = shareCue(r);
  for (let i = Math.max(0, cue) + 1; i < r.tokens.length; i += 1) {
    if (PREDICATE_WORDS.has(r.tokens[i]?.text ?? '')) return i;
  }
  return Number.POSITIVE_INFINITY;
}

const SHARE_WORDS = new Set(['percentage', 'percent', 'share', 'proportion', 'fraction', 'ratio', 'rate']);
const PREDICATE_WORDS = new Set([
  'are',
  'is',
  'were',
  'was',
  'have',
  'has',
  'had',
  'did',
  'do',
  'does',
  'who',
  'that',
  'which',
  'came',
  'ended',
  'got',
  'became',
  'went',
  'bought',
  'ordered',
  'placed',
  'purchased',
  'made',
]);

function dateFilter(field: string, d: DatedPhrase, input: PlannerInput): Filter[] {
  if (!d.side) return [{ op: 'dateRange', field, range: d.range }];
  const resolved = resolveDateRange(d.range, input.now, input.view.agent.timeZone);
  const at = d.side === 'before' ? resolved.start : resolved.end;
  return [{ op: d.side === 'after' ? 'gte' : 'lt', field, value: at.toISO() ?? '' }];
}

function assembleReading(r: Reading, input: PlannerInput): PlannerOutcome {
  const view = input.view;
  const notes: string[] = [];
  const used = new Set<Match>();

  // ---- refusals that no figure can answer ------------------------------------------------------
  if (r.future) {
    return unanswerable(
      view,
      'I can report what has happened, but I cannot forecast or predict future figures.',
    );
  }
  if (r.unknownName) return unanswerable(view, `I don't have any data about "${r.unknownName}".`);
  // a word nothing explains may be the whole point ("shipping costs", "customer acquisition cost"): answering the
  // rest of the question would answer another question
  if (r.unknownWords.length > 0) {
    const words = r.unknownWords.map((w) => `"${w}"`).join(', ');
    return unanswerable(
      view,
      `I don't know what ${words} means in this data, so I can't answer that reliably.`,
    );
  }
  if (/\b(day of (the )?week|weekday|hour of (the )?day|time of day)\b/i.test(r.question)) {
    return unanswerable(
      view,
      'I can group by calendar days, weeks, months, quarters and years, but not by weekday or hour.',
    );
  }

  // ---- the measure ------------------------------------------------------------------------------
  const measures: Measure[] = [];
  let base: string | undefined;
  let rankingMeasure: Measure | undefined;
  const addNamed = (table: string, name: string, m?: Match): void => {
    const named: Measure = { kind: 'named', name: `${table}.${name}` };
    if (m && afterBy(r, m) && r.topN) rankingMeasure = named;
    if (!measures.some((x) => JSON.stringify(x) === JSON.stringify(named))) measures.push(named);
    base ??= table;
    const def = view.table(table).measures[name];
    if (def?.description)
      notes.push(`${m ? `"${m.text}" is ` : ''}${name.replace(/_/g, ' ')}: ${def.description}`);
  };

  // "sales" naming two measures, and the model not saying which: ask, don't guess
  const ambiguous = matchesOf(r, 'measure').find((m) => (m.alternatives?.length ?? 0) > 0);
  if (ambiguous) return clarify(view, ambiguous, r.question);

  for (const m of matchesOf(r, 'measure')) {
    addNamed(m.target.table, m.target.name, m);
    used.add(m);
  }
  // "how many items did we sell last month" is units; "how many products do we sell" is the catalogue
  const soldInThePast = r.dates.length > 0 || /\b(did|sold|have we sold|has been sold)\b/i.test(r.question);
  const sellingUnits = r.countCue < 0 || soldInThePast || matchesOf(r, 'value').length > 0;
  if (
    measures.length === 0 &&
    r.selling &&
    sellingUnits &&
    (r.countCue >= 0 || r.topN || /\bhow much\b|\bunits?\b/i.test(r.question))
  ) {
    const units = unitsMeasure(view);
    if (units) addNamed(units.table, units.name);
  }
  if (measures.length === 0 && r.money) {
    const money = moneyMeasure(view);
    if (money) addNamed(money.table, money.name);
  }

  // "when was our first order": the earliest or latest time of the subject
  if (measures.length === 0 && r.when) {
    const subject = matchesOf(r, 'table')[0] ?? matchesOf(r, 'segment')[0];
    const table = subject ? subject.target.table : undefined;
    const timeField = table ? nearestTimeField(view, table) : undefined;
    if (table && timeField && view.tables.get(table)?.access === 'queryable') {
      if (subject) used.add(subject);
      return planOutcome(
        {
          version: 1,
          table,
          measures: [{ kind: r.when, field: timeField }],
          dimensions: [],
          filters: [
            ...collectFilters(r, view, table, used, notes),
            ...segmentFilters(r, view, table, used),
            ...dateFilters(r, view, table),
          ],
          select: [],
          order: [],
        },
        r,
        notes,
      );
    }
  }

  // "how many X": count the table (or segment) named after the cue, or distinct values of a column;
  // "what share of orders ...": the same count, later divided by the whole
  if (measures.length === 0 && (r.countCue >= 0 || r.share)) {
    const cue = r.countCue >= 0 ? r.countCue : -1;
    const subject =
      r.countSubject ??
      r.matches.find(
        (m) =>
          m.from > cue &&
          (m.target.kind === 'table' ||
            m.target.kind === 'segment' ||
            (m.target.kind === 'column' && r.countCue >= 0)),
      );
    if (subject && subject.target.kind === 'column') {
      const field = subject.target.field;
      const distinctWord = /\b(different|distinct|unique|separate)\b/i.test(r.question);
      if (distinctWord || view.field(field).type === 'string') {
        base = field.split('.')[0];
        measures.push({ kind: 'countDistinct', field });
        used.add(subject);
      }
    } else if (subject) {
      const table = targetTable(subject.target);
      if (view.tables.get(table)?.access === 'queryable') {
        base = table;
        measures.push({ kind: 'count' });
        if (subject.target.kind === 'table') used.add(subject);
      }
    } else {
      // "how many refunds": a status value names the rows it counts
      const value = r.matches.find((m) => m.from > cue && m.target.kind === 'value' && m.target.enumerated);
      const table = value ? targetTable(value.target) : undefined;
      if (table && view.tables.get(table)?.access === 'queryable') {
        base = table;
        measures.push({ kind: 'count' });
      }
    }
  }

  // "average value of cancelled orders", "highest price": an aggregate word before a numeric column
  if (measures.length === 0) {
    for (const [at, agg] of [...r.aggCues.entries()].sort((a, b) => a[0] - b[0])) {
      const col = r.matches.find(
        (m) =>
          m.target.kind === 'column' && m.from > at && m.from - at <= 4 && isNumeric(view, m.target.field),
      );
      if (col && col.target.kind === 'column') {
        // "total quantity sold" is the model's units sold when the question says what that measure adds
        const named = sameAggregate(view, r, agg, col.target.field);
        if (named) addNamed(named.table, named.name);
        else {
          measures.push({ kind: agg, field: col.target.field });
          base = col.target.field.split('.')[0];
        }
        used.add(col);
        break;
      }
    }
  }

  // "the sum of every order", "what's an order worth on average": the aggregate of a table's value column
  const worthWords = r.tokens.some((t) => ['sum', 'worth', 'value', 'size'].includes(t.text));
  if (measures.length === 0 && r.countCue < 0) {
    for (const [at, agg] of [...r.aggCues.entries()].sort((a, b) => a[0] - b[0])) {
      if (!(agg === 'avg' || (agg === 'sum' && worthWords))) continue;
      const table = r.matches.find(
        (m) => !used.has(m) && m.target.kind === 'table' && Math.abs(m.from - at) <= 4,
      );
      const valueCol = table?.target.kind === 'table' ? valueColumn(view, table.target.table) : undefined;
      if (!table || !valueCol || view.tables.get(tableOf(valueCol))?.access !== 'queryable') continue;
      const named = sameAggregate(view, r, agg, valueCol);
      if (named) addNamed(named.table, named.name);
      else {
        measures.push({ kind: agg, field: valueCol });
        base = tableOf(valueCol);
      }
      used.add(table);
      break;
    }
  }

  // "amount refunded this year": money of the rows a status names is their total
  const moneyColumn = matchesOf(r, 'column').find(
    (m) => !used.has(m) && Boolean(currencyOf(view, m.target.field)),
  );
  const statuses = matchesOf(r, 'value');
  if (
    measures.length === 0 &&
    r.countCue < 0 &&
    !r.listing &&
    moneyColumn &&
    statuses.length > 0 &&
    statuses.every(
      (v) => v.target.enumerated && tableOf(v.target.field) === tableOf(moneyColumn.target.field),
    )
  ) {
    measures.push({ kind: 'sum', field: moneyColumn.target.field });
    base = tableOf(moneyColumn.target.field);
    used.add(moneyColumn);
  }

  // "largest order", "priciest book", "3 biggest orders last month": rank rows by the table's value column
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  if (measures.length === 0 && r.countCue < 0 && r.byCues.length === 0) {
    const superlative = [...r.aggCues.entries()].find(([, agg]) => agg === 'max' || agg === 'min');
    const entity = tables[0] ?? segments[0] ?? matchesOf(r, 'value')[0];
    const entityTable = entity ? targetTable(entity.target) : undefined;
    const label = entityTable ? labelField(view, entityTable) : undefined;
    const money = moneyMeasure(view);
    if (
      superlative &&
      entity &&
      entityTable &&
      !valueColumn(view, entityTable) &&
      label &&
      money &&
      reachableToOne(view, money.table, entityTable)
    ) {
      // "our biggest customer": the one with the most money against their name
      used.add(entity);
      notes.push(`ranked by ${money.name.replace(/_/g, ' ')}: ${money.description ?? ''}`.trim());
      const named: Measure = { kind: 'named', name: `${money.table}.${money.name}` };
      return planOutcome(
        {
          version: 1,
          table: money.table,
          measures: [named],
          dimensions: entityDimensions(view, entityTable),
          time: dateTime(r, view, money.table),
          filters: collectFilters(r, view, money.table, used, notes),
          select: [],
          order: [{ by: measureAlias(named, view), direction: superlative[1] === 'max' ? 'desc' : 'asc' }],
          limit: r.topN?.n || numberBefore(r, superlative[0]) || (isPluralAt(r, entity) ? 10 : 1),
        },
        r,
        notes,
      );
    }
    if (superlative && entity) {
      const table = targetTable(entity.target);
      const valueCol = valueColumn(view, table);
      if (valueCol && view.tables.get(table)?.access === 'queryable') {
        if (entity.target.kind !== 'value') used.add(entity);
        return planOutcome(
          {
            version: 1,
            table,
            measures: [],
            dimensions: [],
            filters: [
              ...collectFilters(r, view, table, used, notes),
              ...segmentFilters(r, view, table, used),
              ...dateFilters(r, view, table),
            ],
            select: defaultListing(view, table),
            order: [{ by: valueCol, direction: superlative[1] === 'max' ? 'desc' : 'asc' }],
            limit:
              r.topN?.n ||
              numberBefore(r, superlative[0]) ||
              (isPluralAt(r, entity) && entity.target.kind !== 'value' ? 10 : 1),
          },
          r,
          notes,
        );
      }
    }
  }

  // "who placed the most orders", "which members have the fewest purchases": the rows ranked by are counted
  const rankedBy = r.topN
    ? tables.find((t) => t.from > (r.topN?.at ?? 0) && t.from - (r.topN?.at ?? 0) <= 2 && !used.has(t))
    : undefined;
  if (measures.length === 0 && rankedBy && view.tables.get(rankedBy.target.table)?.access === 'queryable') {
    const entity = [...tables, ...segments].find(
      (m) => m !== rankedBy && m.target.table !== rankedBy.target.table,
    );
    if (entity && reachableToOne(view, rankedBy.target.table, entity.target.table)) {
      base = rankedBy.target.table;
      measures.push({ kind: 'count' });
      used.add(rankedBy);
    }
  }

  // the values a column takes: "what categories do we have", "which countries are our customers in"
  const distinct = distinctValuesPlan(r, view, used, measures.length);
  if (distinct) return planOutcome(distinct, r, notes);

  // a listing: "show the 10 most recent orders", "which grocery products cost more than 20 dollars?"
  const entity =
    tables.find((t) => !used.has(t)) ?? segments.find((s) => !used.has(s)) ?? enumeratedEntity(r, used);
  // "which grocery products ...": the first thing named after "which", past any value words
  const afterWhich =
    r.whichAt >= 0 ? r.matches.find((m) => m.from > r.whichAt && m.target.kind !== 'value') : undefined;
  const whichEntity = entity !== undefined && afterWhich === entity && entity.from - r.whichAt <= 4;
  const wantsListing =
    measures.length === 0 &&
    r.countCue < 0 &&
    r.byCues.length === 0 &&
    !r.grain &&
    !r.share &&
    afterWhich?.target.kind !== 'column' &&
    (r.listing || r.recency !== undefined || whichEntity || (r.topN?.n ?? 0) > 0);
  if (wantsListing && entity) {
    const table = targetTable(entity.target);
    if (view.tables.get(table)?.access !== 'queryable')
      return unanswerable(view, `I can't list ${entity.text} on their own.`);
    // a status that stands for its rows still filters them
    if (entity.target.kind !== 'value') used.add(entity);
    const timeField = nearestTimeField(view, table);
    const n =
      r.topN?.n ||
      r.tokens.find(
        (t) =>
          t.num !== undefined &&
          Number.isInteger(t.num) &&
          t.num <= 1000 &&
          !r.comparisons.some((c) => c.value === t.num),
      )?.num;
    const valueCol = valueColumn(view, table);
    const order: QueryPlan['order'] =
      r.recency && timeField
        ? [{ by: timeField, direction: r.recency }]
        : r.topN && valueCol
          ? [{ by: valueCol, direction: r.topN.direction }]
          : [];
    return planOutcome(
      {
        version: 1,
        table,
        measures: [],
        dimensions: [],
        filters: [
          ...collectFilters(r, view, table, used, notes),
          ...segmentFilters(r, view, table, used, entity),
          ...dateFilters(r, view, table),
        ],
        select: withAskedColumns(view, table, defaultListing(view, table), r, used),
        order,
        limit: n ?? (r.recency ? 10 : undefined),
      },
      r,
      notes,
    );
  }

  // a lookup: "what's the price of the Enterprise plan", "what is Emma Taylor's email"
  const lookupColumns = matchesOf(r, 'column').filter((m) => !used.has(m));
  const lookupValues = matchesOf(r, 'value');
  if (
    measures.length === 0 &&
    r.countCue < 0 &&
    !r.share &&
    lookupColumns.length > 0 &&
    r.byCues.length === 0 &&
    !r.grain &&
    (lookupValues.length > 0 || r.dates.length > 0)
  ) {
    const table = tableOf(lookupColumns[0]?.target.field ?? '');
    if (
      view.tables.get(table)?.access === 'queryable' &&
      lookupValues.every((v) => reachableToOne(view, table, tableOf(v.target.field)))
    ) {
      const label = labelField(view, table);
      const select = [
        ...new Set([
          ...(label ? [label] : []),
          ...lookupValues.map((v) => v.target.field),
          ...lookupColumns.map((c) => c.target.field),
        ]),
      ];
      for (const c of lookupColumns) used.add(c);
      // nothing asked beyond what filters the rows ("how much does the Starter plan cost"): show whole rows
      const filtered = new Set(lookupValues.map((v) => v.target.field));
      const asked = select.filter((f) => f !== label && !filtered.has(f));
      const shown = asked.length > 0 ? select : defaultListing(view, table);
      return planOutcome(
        {
          version: 1,
          table,
          measures: [],
          dimensions: [],
          filters: [...collectFilters(r, view, table, used, notes), ...dateFilters(r, view, table)],
          select: shown.filter((f) => reachableToOne(view, table, tableOf(f))),
          order: [],
          limit: 50,
        },
        r,
        notes,
      );
    }
  }

  // "what was the busiest month": count the main activity of the model
  if (measures.length === 0 && r.rankGrain && tables.length === 0 && segments.length === 0) {
    const fact = factTable(view);
    if (fact) {
      base = fact;
      measures.push({ kind: 'count' });
    }
  }

  // nothing measurable named: count the table the question is about, if every word was understood
  if (measures.length === 0) {
    // the head of the phrase: the first thing named ("repeat buyers (2 or more orders) per country" counts buyers)
    const subject = [...tables, ...segments]
      .sort((a, b) => a.from - b.from)
      .find((t) => view.tables.get(t.target.table)?.access === 'queryable');
    if (subject && !r.unknownMetric && r.unknownWords.length === 0) {
      base = subject.target.table;
      measures.push({ kind: 'count' });
      if (subject.target.kind === 'table') used.add(subject);
    }
  }

  // a metric word the model lacks wins over any measure that was only inferred from a verb or a count
  const namedExplicitly = matchesOf(r, 'measure').length > 0;
  if (r.unknownMetric && (measures.length === 0 || !namedExplicitly)) {
    return unanswerable(view, `I can't find anything about "${r.unknownMetric}" in this data.`);
  }
  if (measures.length === 0 || base === undefined) {
    const unknown =
      r.unknownWords.length > 0 ? ` I don't know what "${r.unknownWords.join(' ')}" refers to.` : '';
    return unanswerable(view, `I couldn't match that question to anything in this data.${unknown}`);
  }

  // "average number of items per order", "average revenue per customer": a total divided by a count of another table
  const averaged = averagePer(r, view, base, measures, used);
  if (averaged) {
    // what the replaced measure's words were read as no longer holds
    if (averaged.kind === 'ratio' && averaged.numerator.kind === 'count' && measures[0]?.kind === 'named')
      notes.length = 0;
    measures.splice(0, measures.length, averaged);
  }

  // ---- dimensions -------------------------------------------------------------------------------
  const dimensions: Dimension[] = [];
  const filters: Filter[] = [];
  const addDim = (field: string): void => {
    if (!dimensions.some((d) => d.field === field)) dimensions.push({ field });
  };
  const firstMeasureAt = r.matches.find((x) => x.target.kind === 'measure')?.from ?? Number.POSITIVE_INFINITY;
  const cued = (m: Match): { byThis: boolean; which: boolean; ranked: boolean } => ({
    byThis: afterBy(r, m),
    which: r.whichAt >= 0 && m.from >= r.whichAt && m.from - r.whichAt <= 3 && m.from < firstMeasureAt,
    ranked:
      r.topN !== undefined &&
      ((m.from > r.topN.at && m.from - r.topN.at <= 4) || m.from === r.topN.subjectAt),
  });
  // "top 3 countries by number of customers": what is counted is the measure, never a breakdown
  const countSubject = countedMatch(r);
  if (countSubject && countSubject.target.kind !== 'value' && measures[0]?.kind === 'count')
    used.add(countSubject);
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column') continue;
    // "top 3 by amount spent": a number to rank by is the measure, not a breakdown
    if (r.topN && measures.length > 0 && isNumeric(view, m.target.field)) continue;
    const c = cued(m);
    if (c.byThis || c.which || c.ranked) {
      addDim(m.target.field);
      used.add(m);
    }
  }
  for (const m of r.matches) {
    if (used.has(m)) continue;
    const { byThis, which, ranked } = cued(m);
    if (!(byThis || which || ranked)) continue;
    if (m.target.kind === 'table' || m.target.kind === 'segment') {
      // the counted table itself is a breakdown only when nothing else is ("top 5 customers by revenue")
      const label = labelField(view, m.target.table);
      if (
        label &&
        (byThis || m.target.table !== base || dimensions.length === 0) &&
        !(m.target.table === base && measures[0]?.kind === 'count' && !byThis)
      ) {
        for (const d of entityDimensions(view, m.target.table)) addDim(d.field);
        used.add(m);
      }
    } else if (m.target.kind === 'value' && byThis) {
      // "for each toy": the rows of that kind, one per item
      const label = labelField(view, targetTable(m.target));
      if (label) {
        filters.push({ op: 'eq', field: m.target.field, value: m.target.value });
        addDim(label);
        used.add(m);
      }
    }
  }

  // ---- filters ----------------------------------------------------------------------------------
  filters.push(...collectFilters(r, view, base, used, notes));
  const compareField = valueComparisonField(r, filters);
  if (compareField) addDim(compareField);

  // ---- measure fit: "revenue by category" needs the measure that lives on the items ---------------
  let planMeasures = measures;
  const fitted = fitMeasure(view, base, measures, [
    ...dimensions.map((d) => d.field),
    ...filters.flatMap(fieldsOf),
  ]);
  if (fitted) {
    notes.push(fitted.note);
    if (rankingMeasure === measures[0]) rankingMeasure = fitted.measure;
    planMeasures = [fitted.measure];
    base = fitted.table;
  }
  filters.push(...segmentFilters(r, view, base, used));

  // ---- shares: "what percentage of orders were cancelled" ---------------------------------------
  // "what % of our Italian accounts are customers": what the subject says narrows both, the predicate the part
  if (r.share && !r.growth && filters.length > 0 && planMeasures.length === 1 && planMeasures[0]) {
    const cue = shareCue(r);
    const split = predicateStart(r);
    const inSubject = (f: Filter): boolean => filterAt(r, f).some((at) => at > cue && at < split);
    const wholeFilters = filters.filter(inSubject);
    const partFilters = filters.filter((f) => !inSubject(f));
    const whole = planMeasures[0];
    const part = partFilters.length === 1 ? partFilters[0] : { op: 'and' as const, filters: partFilters };
    if (part && partFilters.length > 0) {
      planMeasures = [
        { kind: 'ratio', numerator: withFilter(whole, part, view), denominator: whole, as: 'share' },
      ];
      notes.push(`the share is ${describeMeasure(whole)} matching the filters, divided by all of them`);
      filters.splice(0, filters.length, ...wholeFilters);
    }
  }

  // ---- time -------------------------------------------------------------------------------------
  const timeField = nearestTimeField(view, base);
  let time: QueryPlan['time'];
  const grain = r.grain ?? r.rankGrain?.grain;
  if (r.dates.length > 0 || grain) {
    if (!timeField)
      return unanswerable(view, `I can't tell which date to use for ${base.replace(/_/g, ' ')}.`);
    const first = r.dates[0];
    const shift = SHIFT.exec(r.question);
    if (r.compare && r.dates.length >= 2) {
      time = {
        field: timeField,
        compare: withSharedYear(r.dates.slice(0, 6)).map((d) => ({
          label: cleanLabel(d.text),
          range: d.range,
        })),
      };
    } else if (first && shift) {
      // "last month vs the month before": the named period against the one just before it
      time = {
        field: timeField,
        compare: [
          { label: cleanLabel(first.text), range: first.range },
          { label: shift[0].trim().slice(0, 64), range: shiftRange(first.range, input) },
        ],
      };
    } else if (first) {
      time = { field: timeField, range: first.range };
    } else time = { field: timeField };
    if (grain) time = { ...time, grain };
  }

  // ---- order and limit ------------------------------------------------------------------------
  const order: QueryPlan['order'] = [];
  let limit: number | undefined;
  const ranked = r.topN && (dimensions.length > 0 || r.rankGrain);
  if (ranked && r.topN) {
    const by = rankingMeasure ?? planMeasures[0];
    if (by) {
      order.push({ by: measureAlias(by, view), direction: r.topN.direction });
      const singularWhich = r.whichAt >= 0 && !isPluralDimension(r);
      limit = r.topN.n || (singularWhich ? 1 : undefined);
    }
  }

  return planOutcome(
    { version: 1, table: base, measures: planMeasures, dimensions, time, filters, select: [], order, limit },
    r,
    notes,
  );
}

/**
 * The same measure on another table when the plan's breakdowns or filters are on the many side of the measure's
 * own table ("revenue by category" -> product revenue on the order lines).
 */
export function fitMeasure(
  view: ModelView,
  base: string,
  measures: readonly Measure[],
  needs: readonly string[],
): { measure: Measure; table: string; note: string } | undefined {
  const current = measures[0];
  if (measures.length !== 1 || current?.kind !== 'named') return undefined;
  if (needs.every((f) => reachableToOne(view, base, tableOf(f)))) return undefined;
  const alt = measureAlternatives(view, current.name).find((a) =>
    needs.every((f) => reachableToOne(view, a.table, tableOf(f))),
  );
  if (!alt) return undefined;
  return {
    measure: { kind: 'named', name: `${alt.table}.${alt.name}` },
    table: alt.table,
    note: `used ${alt.name.replace(/_/g, ' ')} (${alt.description ?? alt.name}) because the question breaks it down by ${needs.join(', ')}`,
  };
}

/** Plans are assembled for the database; the datasets path re-labels its plans afterwards. */
function planOutcome(plan: Omit<QueryPlan, 'source'>, r: Reading, notes: string[]): PlannerOutcome {
  return { kind: 'plan', plan: { ...plan, source: 'database' }, presentation: r.presentation, notes };
}

function clarify(view: ModelView, m: Match, question: string): PlannerOutcome {
  const choices = [m.target, ...(m.alternatives ?? [])].flatMap((t) => {
    if (t.kind !== 'measure') return [];
    const def = view.table(t.table).measures[t.name];
    const name = t.name.replace(/_/g, ' ');
    return [
      {
        label: def?.description ? `${name} (${def.description})` : name,
        question: replaceWords(question, m.text, name),
      },
    ];
  });
  return {
    kind: 'clarify',
    message: `"${m.text}" could mean more than one thing here. Which did you mean?`,
    choices,
  };
}

/** The question with the words that matched replaced, however they were cased. */
function replaceWords(question: string, words: string, by: string): string {
  const pattern = new RegExp(
    `\\b${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}\\b`,
    'i',
  );
  return pattern.test(question) ? question.replace(pattern, by) : `${question} (${by})`;
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

/** Segment words become filters ("customers in Germany"); after "never"/"not" they are negated. */
function segmentFilters(
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

/**
 * "what categories do we have", "list the order statuses", "which countries are our customers in": the values of
 * one text column, with how many rows have each (the rows of the thing named, if any: customers, not users).
 */
function distinctValuesPlan(
  r: Reading,
  view: ModelView,
  used: Set<Match>,
  measureCount: number,
): Omit<QueryPlan, 'source'> | undefined {
  if (measureCount > 0 || r.countCue >= 0 || r.grain || r.topN || r.share) return undefined;
  if (!(r.whichAt >= 0 || r.listing) || r.comparisons.length > 0) return undefined;
  const columns = matchesOf(r, 'column').filter((m) => !used.has(m));
  const column = columns[0];
  if (columns.length !== 1 || !column || matchesOf(r, 'value').length > 0) return undefined;
  // "show every order status": "every" picks the column itself, it does not break anything down
  if (r.byCues.some((b) => !(b < column.from && column.from - b <= 2))) return undefined;
  const field = column.target.field;
  if (view.field(field).type !== 'string') return undefined;
  const owner = tableOf(field);
  const named = [...matchesOf(r, 'table'), ...matchesOf(r, 'segment')].find((m) =>
    reachableToOne(view, m.target.table, owner),
  );
  const table = named?.target.table ?? owner;
  if (view.tables.get(table)?.access !== 'queryable') return undefined;
  used.add(column);
  if (named) used.add(named);
  return {
    version: 1,
    table,
    measures: [{ kind: 'count' }],
    dimensions: [{ field }],
    time: dateTime(r, view, table),
    filters: segmentFilters(r, view, table, used, named),
    select: [],
    order: [{ by: field, direction: 'asc' }],
  };
}

/**
 * The thing a count cue counts: named before it ("order counts"), or the first thing named within a few words
 * after it, past any values ("number of completed orders" counts orders).
 */
function countedMatch(r: Reading): Match | undefined {
  if (r.countSubject) return r.countSubject;
  if (r.countCue < 0) return undefined;
  const near = r.matches.filter((m) => m.from > r.countCue && m.from - r.countCue <= 4);
  return near.find((m) => m.target.kind !== 'value') ?? near[0];
}

/** "the five most recent refunds": a status value stands for the rows that have it, when nothing else is named. */
function enumeratedEntity(r: Reading, used: Set<Match>): Match | undefined {
  return r.matches.find((m) => !used.has(m) && m.target.kind === 'value' && m.target.enumerated);
}

/** The table of events: queryable, dated, and belonging to the most other tables (orders, in a shop). */
function factTable(view: ModelView): string | undefined {
  let best: { table: string; score: number } | undefined;
  for (const [name, t] of view.tables) {
    if (t.access !== 'queryable' || !t.timeColumn) continue;
    const score = Object.values(t.relations).filter((rel) => rel.kind === 'many-to-one').length;
    if (!best || score > best.score) best = { table: name, score };
  }
  return best?.table;
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
  for (const c of r.comparisons) {
    // the numeric column named just before "more than", else the table's value column
    const named = [...r.matches]
      .reverse()
      .find(
        (m) =>
          m.target.kind === 'column' && m.to <= c.at && c.at - m.to <= 3 && isNumeric(view, m.target.field),
      );
    const field = named?.target.kind === 'column' ? named.target.field : valueColumn(view, base);
    if (named) used.add(named);
    if (field) filters.push({ op: c.op, field, value: c.value });
  }
  return filters;
}

/** "Germany vs France": two values of one column compared become a breakdown by that column. */
function valueComparisonField(r: Reading, filters: Filter[]): string | undefined {
  if (!r.compare || r.dates.length >= 2) return undefined;
  const multi = filters.find((f) => f.op === 'in');
  return multi && multi.op === 'in' ? multi.field : undefined;
}

function dateTime(r: Reading, view: ModelView, table: string): QueryPlan['time'] {
  const timeField = nearestTimeField(view, table);
  const first = r.dates[0];
  return timeField && first ? { field: timeField, range: first.range } : undefined;
}

function dateFilters(r: Reading, view: ModelView, table: string): Filter[] {
  const timeField = nearestTimeField(view, table);
  const first = r.dates[0];
  if (!timeField || !first) return [];
  return [{ op: 'dateRange', field: timeField, range: first.range }];
}

/** The same measure, counting only rows that match `filter` (named measures are expanded to keep their own filter). */
function withFilter(m: Measure, filter: Filter, view: ModelView): Measure {
  switch (m.kind) {
    case 'count':
      return { kind: 'count', filter: m.filter ? { op: 'and', filters: [m.filter, filter] } : filter };
    case 'named': {
      const named = view.measure(m.name);
      const def = named.definition;
      const combined: Filter = def.filter ? { op: 'and', filters: [def.filter, filter] } : filter;
      if (def.aggregate === 'count') return { kind: 'count', filter: combined };
      return { kind: def.aggregate, field: `${named.table}.${def.column}`, filter: combined };
    }
    case 'ratio':
    case 'difference':
    case 'running':
    case 'change':
    case 'shareOfTotal':
      return m;
    default:
      return { ...m, filter: m.filter ? { op: 'and', filters: [m.filter, filter] } : filter };
  }
}

function describeMeasure(m: Measure): string {
  return m.kind === 'named' ? (m.name.split('.').pop()?.replace(/_/g, ' ') ?? m.name) : m.kind;
}

function tableOf(field: string): string {
  return field.split('.')[0] as string;
}

/** The currency of a money column (a three-letter unit such as USD), if it is one. */
function currencyOf(view: ModelView, field: string): string | undefined {
  try {
    const unit = view.field(field).unit;
    return unit && /^[A-Z]{3}$/.test(unit) ? unit : undefined;
  } catch {
    return undefined;
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
    case 'difference':
    case 'running':
    case 'change':
    case 'shareOfTotal':
      throw new Error(`${m.kind} measures carry their alias (as)`);
    default:
      return `${m.kind === 'countDistinct' ? 'distinct' : m.kind}_${m.field.split('.')[1]}`;
  }
}

function isPluralAt(r: Reading, m: Match): boolean {
  const last = r.tokens[m.to - 1];
  return last?.text.endsWith('s') === true && !last.text.endsWith('ss');
}

/** "which categories ..." asks for a ranked list, "which category ..." for the single top one. */
function isPluralDimension(r: Reading): boolean {
  if (r.rankGrain) return r.tokens[r.rankGrain.at]?.text.endsWith('s') ?? false;
  const subject = r.matches.find((m) => m.from > r.whichAt && m.from - r.whichAt <= 3);
  return subject !== undefined && isPluralAt(r, subject);
}

function averagePer(
  r: Reading,
  view: ModelView,
  base: string,
  measures: Measure[],
  used: Set<Match>,
): Measure | undefined {
  const avg = [...r.aggCues.entries()].find(([, a]) => a === 'avg');
  const only = measures[0];
  if (!avg || measures.length !== 1 || !only) return undefined;
  // "per customer", "does a buyer place", "in an order", "for each account": the thing the total is spread over
  const per = r.matches.find(
    (m) =>
      !used.has(m) &&
      (m.target.kind === 'table' || m.target.kind === 'segment') &&
      r.tokens
        .slice(Math.max(0, m.from - 2), m.from)
        .some((t) => ['per', 'a', 'an', 'one', 'each', 'every'].includes(t.text)),
  );
  if (!per || (per.target.kind !== 'table' && per.target.kind !== 'segment')) return undefined;
  let numerator: Measure | undefined;
  if (only.kind === 'count') numerator = only;
  else if (only.kind === 'named') {
    const def = view.measure(only.name).definition;
    if (def.aggregate === 'sum') numerator = only;
    // "average orders per customer": the measure's words named the rows to count ("average order" is another thing)
    else if (countsRowsOf(r, base)) numerator = { kind: 'count' };
  }
  if (!numerator) return undefined;
  const perTable = per.target.table;
  const pk = view.tables.get(perTable)?.primaryKey;
  if (!pk) return undefined;
  let denominator: Measure;
  if (perTable === base) {
    // "units in an order": the total over the rows of a table, per row of a table they belong to
    return undefined;
  }
  if (reachableToOne(view, base, perTable)) {
    try {
      view.field(`${perTable}.${pk}`);
    } catch {
      return undefined;
    }
    denominator = { kind: 'countDistinct', field: `${perTable}.${pk}` };
  } else return undefined;
  used.add(per);
  return { kind: 'ratio', numerator, denominator, as: `average_per_${perTable}`.slice(0, 63) };
}

/** Whether the word right after "average" names the rows of `table` in the plural ("average orders per ..."). */
function countsRowsOf(r: Reading, table: string): boolean {
  const avgAt = [...r.aggCues.entries()].find(([, a]) => a === 'avg')?.[0];
  const next = avgAt === undefined ? undefined : r.tokens[avgAt + 1];
  return (
    next !== undefined && next.text !== next.stem && next.text.endsWith('s') && next.stem === stem(table)
  );
}

/** "Q2 and Q3 2025": a period without a year takes the year written on its neighbour. */
function withSharedYear<T extends { range: DateRange }>(dates: T[]): T[] {
  const year = dates
    .map((d) => (d.range.kind === 'period' ? d.range.period.year : undefined))
    .find((y) => y !== undefined);
  if (year === undefined) return dates;
  const shared = dates.map((d) =>
    d.range.kind === 'period' && d.range.period.year === undefined
      ? { ...d, range: { kind: 'period' as const, period: { ...d.range.period, year } } }
      : d,
  );
  // "October vs October last year": the same month twice is two years, not one
  const keys = shared.map((d) => {
    const p = d.range.kind === 'period' ? d.range.period : undefined;
    return p ? `${p.year}-${p.quarter}-${p.month}-${p.day}` : JSON.stringify(d.range);
  });
  return new Set(keys).size < keys.length ? dates : shared;
}

/** "5 most expensive": a count written just before the superlative. */
function numberBefore(r: Reading, at: number): number | undefined {
  for (const k of [at - 1, at - 2]) {
    const n = r.tokens[k]?.num;
    if (n !== undefined && Number.isInteger(n) && n > 0 && n <= 1000) return n;
  }
  return undefined;
}

function cleanLabel(text: string): string {
  return (
    text
      .replace(/^(in|during|for|over|the|of)\s+/i, '')
      .trim()
      .slice(0, 64) || text.slice(0, 64)
  );
}
