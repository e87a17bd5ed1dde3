// What a question says about the things it is about, clause by clause: "people who JOINED in 2025" dates the
// account, "people who BOUGHT something in March" dates their orders, "customers with 5 or more orders" counts
// their orders, "products nobody ordered last month" has none. The verb decides which event a date belongs to;
// the thing before the verb decides whose event it is. Dates no clause takes belong to the measure.
import pluralize from 'pluralize';
import { resolveDateRange } from '../../dates/resolve.ts';
import { type CountCondition, type Filter, tableOf } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import { fieldsOf } from './filters.ts';
import type { Match } from './lexicon.ts';
import {
  activityTable,
  isDate,
  moneyMeasure,
  nearestTimeField,
  owns,
  personTable,
  reachableToOne,
  unitsMeasure,
} from './model-helpers.ts';
import type { DatedPhrase, Reading } from './reading.ts';
import { ACTIVITY, AGENT_NOUNS, BOUNDARY, CREATION, HAVING, NONE, REPEAT, TIMES } from './verbs.ts';

/** A condition on the rows of `table`, read from one clause of the question. */
export interface Condition {
  /** the table whose rows it describes: its filter's fields are reachable from it (a related filter is relative to it) */
  table: string;
  filter: Filter;
  /** token index where the clause starts (its verb or "with") */
  at: number;
  /** the vocabulary matches it used */
  matches: Match[];
  /** token positions of the numeric comparisons it used ("more than 5 orders") */
  comparisons?: number[];
  /** the same condition over other dates ("in 2025 how many customers placed 3+ orders" dates the orders) */
  redate?: (dates: DatedPhrase[]) => Filter | undefined;
  /**
   * an activity of `table` without a count or a negation ("customers who ordered last month"): when the plan's
   * own table is the activity (`relatedTable`), its dates and values apply to those rows directly
   */
  activity?: { relatedTable: string; dates: DatedPhrase[]; values: Filter[] };
  /** an amount of the verb's measure compared ("spent over 10k"): the verb's money or units are taken by it */
  amount?: boolean;
}

export interface Clauses {
  conditions: Condition[];
  /** the date phrases no clause took, in question order: they date the measure */
  freeDates: DatedPhrase[];
}

interface Verb {
  at: number;
  kind: 'creation' | 'activity' | 'having';
  /** the clause's last token (exclusive) */
  end: number;
}

/**
 * "whose last purchase was last week", "by last order date": the word is part of the name of a date column other
 * than its table's own time ("last purchase" is users.last_order_at), so it names that column, not an event of its
 * own; a period said of it dates that column (namedDateField). The table's own time ("joined", "signup date") is
 * the event that creates its rows, which the creation clauses read as before.
 */
function namesDateColumn(r: Reading, view: ModelView, at: number): boolean {
  return r.matches.some((m) => {
    if (m.target.kind !== 'column' || at < m.from || at >= m.to || !isDate(view, m.target.field))
      return false;
    const table = tableOf(m.target.field);
    return m.target.field !== `${table}.${view.tables.get(table)?.timeColumn}`;
  });
}

/** Reads the clauses of a question; `subject` is the thing counted or listed, when the caller knows it. */
export function readClauses(r: Reading, view: ModelView, now: Date): Clauses {
  const words = r.tokens.map((t) => t.text);
  const verbs: Verb[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i] ?? '';
    const kind: Verb['kind'] | undefined = CREATION.has(w)
      ? 'creation'
      : ACTIVITY.has(w) || AGENT_NOUNS.has(w)
        ? 'activity'
        : HAVING.has(w)
          ? 'having'
          : undefined;
    // "gone on to order", "did not order": the noun's word used as a verb
    const orderVerb =
      w === 'order' && ['to', 'not', "n't", 'never', 'did'].some((x) => (words[i - 1] ?? '').endsWith(x));
    if (!kind && !orderVerb) continue;
    if (namesDateColumn(r, view, i)) continue;
    // "sign" needs its "up"; "came"/"come" only as "came back"; "have" only before a quantity or a related noun
    if ((w === 'sign' || w === 'signed') && words[i + 1] !== 'up') continue;
    if ((w === 'came' || w === 'come' || w === 'returned') && words[i + 1] !== 'back' && w !== 'returned')
      continue;
    verbs.push({ at: i, kind: kind ?? 'activity', end: words.length });
  }
  for (const [k, v] of verbs.entries()) {
    const next = verbs[k + 1]?.at ?? words.length;
    let end = next;
    for (let j = v.at + 1; j < next; j += 1) {
      // "6 or more", "100 and up", "twice or more" join a number to its comparison, not two clauses
      const joinsNumber =
        r.tokens[j - 1]?.num !== undefined ||
        r.tokens[j + 1]?.num !== undefined ||
        (orMore(words, j) !== undefined &&
          (words[j - 1] === 'times' || Object.hasOwn(TIMES, words[j - 1] ?? '')));
      // (a boundary right after the verb only counts when a date stood between them: "ordered in May and ...")
      const apart = j > v.at + 1 || r.dated.some((d) => d.token === j);
      if (BOUNDARY.has(words[j] ?? '') && apart && !joinsNumber) {
        end = j;
        break;
      }
    }
    v.end = end;
  }

  const conditions: Condition[] = [];
  const takenDates = new Set<DatedPhrase>();
  for (const v of verbs) {
    // nobody named ("everyone who signed up", "how many joined"): people are who joins and buys
    const nobodyNamed = v.kind === 'creation' || AGENT_NOUNS.has(words[v.at] ?? '');
    const actor = actorBefore(r, v.at) ?? (nobodyNamed ? personTable(view) : undefined);
    if (!actor) continue;
    const dates = r.dated.filter((d) => !takenDates.has(d) && d.token >= v.at && d.token <= v.end);
    const values = r.matches.filter(
      (m) =>
        m.from > v.at && m.from < v.end && m.target.kind === 'value' && tableOf(m.target.field) !== actor,
    );
    const negated = isNegated(r, v);
    // "never placed a single order" is none, not one
    const read = countIn(r, v, view, actor);
    const counted =
      (read?.bare && negated ? undefined : read) ??
      (v.kind !== 'creation' ? amountIn(r, v, view) : undefined);
    const count = counted?.count;
    // "placed their very first order this month", "bought for the first time in May"
    const first = words.slice(Math.max(0, v.at - 2), v.end).includes('first');
    const build = (on: DatedPhrase[]) =>
      v.kind === 'creation'
        ? creation(view, actor, on, now)
        : v.kind === 'activity'
          ? activity(
              view,
              actor,
              statesExistence(r, v),
              on,
              values,
              count,
              negated,
              now,
              verbDefinition(view, words[v.at] ?? ''),
            )
          : having(view, actor, r, v, on, values, count, negated, now);
    let built = build(dates);
    if (built && first && v.kind !== 'creation') built = firstTime(view, built, now);
    // "placed their last order before this year": when the actor's last such row was, as the model keeps it
    const last = words.slice(v.at, v.end).some((w, k) => w === 'last' && namesTable(r, v.at + k + 1));
    if (built && last && v.kind !== 'creation' && values.length === 0)
      built = lastTime(view, actor, built, now);
    if (!built) continue;
    for (const d of built.dates) takenDates.add(d);
    const comparisons = counted?.at !== undefined && built.condition.filter ? [counted.at] : [];
    // "placed more than 40 orders": the counted rows are the clause's, not a second subject of the question
    const noun = counted && 'noun' in counted ? counted.noun : undefined;
    const matches =
      noun && !built.condition.matches.includes(noun)
        ? [...built.condition.matches, noun]
        : built.condition.matches;
    const condition: Condition = { ...built.condition, matches, at: v.at, comparisons };
    // "customers who spent over 10k": the spending is the condition, not also the figure asked for
    if (count?.sum) condition.amount = true;
    if (v.kind !== 'creation' && built.condition.filter.op !== 'and') {
      // (only when the clause's rows can be dated: a product has no date of its own)
      condition.redate = (on) => {
        const again = build(on);
        return again && again.dates.length > 0 ? again.condition.filter : undefined;
      };
    }
    conditions.push(condition);
    // "ordered in October and again in November": a date after the clause, with no verb of its own, repeats it
    for (const d of r.dated) {
      if (takenDates.has(d) || v.kind === 'creation' || d.token <= v.end) continue;
      const between = words.slice(v.end, Math.max(v.end, d.token - 1));
      if (between.some((w) => !ELLIPSIS.has(w)) || verbs.some((o) => o.at > v.at && o.at < d.token)) continue;
      const again = build([d]);
      if (!again) continue;
      takenDates.add(d);
      conditions.push({ ...again.condition, at: v.at, comparisons: [] });
    }
  }
  return { conditions, freeDates: r.dated.filter((d) => !takenDates.has(d)) };
}

// the words between a clause and a date that repeats it ("and then again in", "and also in")
const ELLIPSIS = new Set([
  'and',
  'then',
  'also',
  'again',
  'as',
  'well',
  'plus',
  'but',
  'or',
  'in',
  'during',
  'too',
]);

/** The table the nearest thing named before token `at` belongs to (skipping values), if any. */
function actorBefore(r: Reading, at: number): string | undefined {
  for (let k = r.matches.length - 1; k >= 0; k -= 1) {
    const m = r.matches[k] as Match;
    if (m.from >= at) continue;
    if (m.target.kind === 'table' || m.target.kind === 'segment') return m.target.table;
  }
  return undefined;
}

/** A dated table that belongs to someone (an order has its user): its own date is its event. */
function isEventTable(view: ModelView, table: string): boolean {
  const t = view.tables.get(table);
  if (!t?.timeColumn) return false;
  return Object.values(t.relations).some((rel) => rel.kind === 'many-to-one');
}

function dateFilters(field: string, dates: DatedPhrase[], now: Date, view: ModelView): Filter[] {
  return dates.map((d) => {
    if (!d.side) return { op: 'dateRange', field, range: d.range };
    const resolved = resolveDateRange(d.range, now, view.agent.timeZone);
    const at = d.side === 'before' ? resolved.start : resolved.end;
    return { op: d.side === 'after' ? 'gte' : 'lt', field, value: at.toISO() ?? '' } as Filter;
  });
}

function creation(
  view: ModelView,
  actor: string,
  dates: DatedPhrase[],
  now: Date,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } | undefined {
  const own = view.tables.get(actor)?.timeColumn;
  if (!own || dates.length === 0) return undefined;
  const filters = dateFilters(`${actor}.${own}`, dates, now, view);
  return { condition: { table: actor, filter: all(filters), matches: [] }, dates };
}

function activity(
  view: ModelView,
  actor: string,
  existence: boolean,
  dates: DatedPhrase[],
  values: Match[],
  count: CountCondition | undefined,
  negated: boolean,
  now: Date,
  definedBy?: Filter,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } | undefined {
  if (isEventTable(view, actor)) {
    // "orders placed last week": the rows' own date
    const own = view.tables.get(actor)?.timeColumn as string;
    if (dates.length === 0) return undefined;
    return {
      condition: { table: actor, filter: all(dateFilters(`${actor}.${own}`, dates, now, view)), matches: [] },
      dates,
    };
  }
  const related = activityTable(view, actor);
  if (!related) return undefined;
  return relatedCondition(view, actor, related, existence, dates, values, count, negated, now, definedBy);
}

/**
 * What a verb's measure counts as done: "sold" is what units sold counts (completed orders), "spent" what revenue
 * counts; "bought" and "ordered" are any order (the contract's definitions live in the model's measures).
 */
export function verbDefinition(view: ModelView, verb: string): Filter | undefined {
  const measure = SELL_VERBS.has(verb)
    ? unitsMeasure(view)
    : SPEND_VERBS.has(verb)
      ? moneyMeasure(view)
      : undefined;
  return measure ? view.tables.get(measure.table)?.measures[measure.name]?.filter : undefined;
}

const SELL_VERBS = new Set(['sold', 'sell', 'sells', 'selling']);
const SPEND_VERBS = new Set(['spent', 'spend', 'spends', 'spending', 'spender', 'spenders']);

function having(
  view: ModelView,
  actor: string,
  r: Reading,
  v: Verb,
  dates: DatedPhrase[],
  values: Match[],
  count: CountCondition | undefined,
  negated: boolean,
  now: Date,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } | undefined {
  // "with/have <quantity> <rows it owns>": the rows named after the verb must belong to the actor
  const noun = r.matches.find(
    (m) => m.from > v.at && m.from < v.end && m.target.kind === 'table' && m.target.table !== actor,
  );
  // "with 5 or more refunds": a value that names rows ("refunds" are orders refunded) names them as a table would
  const valueNoun = noun ? undefined : rowsNamedByValue(r, view, actor, v.at, v.end);
  if (valueNoun)
    return having(view, actor, withTableMatch(r, valueNoun), v, dates, values, count, negated, now);
  // "orders that had more than 5 units": an amount of the actor's own rows, added up (amountIn)
  if (!noun && count?.sum) {
    const summed = tableOf(count.sum);
    if (!owns(view, actor, summed)) return undefined;
    return relatedCondition(view, actor, summed, true, dates, values, count, negated, now);
  }
  if (noun?.target.kind !== 'table') return undefined;
  // "who has the most refunded orders" ranks people by them; it is not a condition
  if (r.topN && r.topN.at > v.at && r.topN.at < noun.from) return undefined;
  const owned = noun.target.table;
  if (!owns(view, actor, owned)) return undefined;
  const explicitNone = r.tokens.slice(v.at + 1, noun.from).some((t) => NONE.has(t.text));
  if (!count && !negated && !explicitNone && dates.length === 0 && values.length === 0) return undefined;
  const built = relatedCondition(
    view,
    actor,
    owned,
    true,
    dates,
    values,
    count,
    negated || explicitNone,
    now,
  );
  if (built) built.condition.matches.push(noun);
  return built;
}

/**
 * "spent over 10k", "sold fewer than 50 units": an amount of the verb's measure (revenue for spending, units for
 * selling) compared, as a sum over the actor's related rows; a comparison followed by rows ("over 500 orders",
 * "orders over 500") is not one.
 */
function amountIn(
  r: Reading,
  v: Verb,
  view: ModelView,
): { count: CountCondition; at: number; noun?: Match } | undefined {
  const verb = r.tokens[v.at]?.text ?? '';
  const c = r.comparisons.find((x) => x.at > v.at && x.at < v.end);
  if (!c) return undefined;
  const measure = SPEND_VERBS.has(verb)
    ? moneyMeasure(view)
    : SELL_VERBS.has(verb)
      ? unitsMeasure(view)
      : unitNamedAfter(r, view, c.at);
  const def = measure ? view.tables.get(measure.table)?.measures[measure.name] : undefined;
  if (!measure || !def?.column || def.aggregate !== 'sum') return undefined;
  // ("100 units" may name the measure's own rows: those are what is added up)
  const rows = r.matches.some(
    (m) =>
      m.target.kind === 'table' &&
      m.target.table !== measure.table &&
      m.from > v.at &&
      Math.abs(m.from - c.at) <= 4,
  );
  if (rows) return undefined;
  // "fewer than 50 units": the unit word names the amount, it is not also the figure asked for
  const unit = r.matches.find(
    (m) =>
      m.target.kind === 'measure' &&
      m.target.table === measure.table &&
      m.target.name === measure.name &&
      m.from > c.at &&
      m.from <= c.at + 3,
  );
  // ("sell for under 20 bucks" is a price: an amount sold needs its unit, "sold over 100 units")
  if (SELL_VERBS.has(verb) && !unit) return undefined;
  const count: CountCondition = { op: c.op, value: c.value, sum: `${measure.table}.${def.column}` };
  return { count, at: c.at, ...(unit ? { noun: unit } : {}) };
}

/**
 * "had more than 5 units", "bought over 20 units": a measure that adds up a column, named right after a comparison's
 * number, is the amount compared (of any verb but creating; spending and selling name their own measure).
 */
function unitNamedAfter(
  r: Reading,
  view: ModelView,
  at: number,
): { table: string; name: string } | undefined {
  const unit = r.matches.find((m) => m.target.kind === 'measure' && m.from > at + 1 && m.from <= at + 3);
  if (unit?.target.kind !== 'measure') return undefined;
  const def = view.tables.get(unit.target.table)?.measures[unit.target.name];
  return def?.aggregate === 'sum' && def.column
    ? { table: unit.target.table, name: unit.target.name }
    : undefined;
}

/** Whether the actor owns the rows a match names (a customer's orders), through a one-to-many relation. */
function ownsRows(view: ModelView, actor: string, m: Match): boolean {
  const table =
    m.target.kind === 'table'
      ? m.target.table
      : m.target.kind === 'value'
        ? tableOf(m.target.field)
        : undefined;
  return table !== undefined && owns(view, actor, table);
}

/** A value right in the clause whose rows the actor owns ("refunds", "cancellations"): it names those rows. */
function rowsNamedByValue(
  r: Reading,
  view: ModelView,
  actor: string,
  from: number,
  to: number,
): Match | undefined {
  return r.matches.find((m) => {
    if (m.target.kind !== 'value' || m.from <= from || m.from >= to) return false;
    return owns(view, actor, tableOf(m.target.field));
  });
}

/** The reading with a value match also read as its table, at the same words. */
function withTableMatch(r: Reading, m: Match): Reading {
  if (m.target.kind !== 'value') return r;
  const table = tableOf(m.target.field);
  const asTable: Match = { ...m, target: { kind: 'table', table } };
  return { ...r, matches: [...r.matches, asTable] };
}

function relatedCondition(
  view: ModelView,
  actor: string,
  noun: string,
  existence: boolean,
  dates: DatedPhrase[],
  values: Match[],
  count: CountCondition | undefined,
  negated: boolean,
  now: Date,
  definedBy?: Filter,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } | undefined {
  const timeField = nearestTimeField(view, noun);
  // "orders with books last month": rows with no date of their own (a product) leave the period to the asker's
  // rows, rather than taking it and dropping it
  if (!timeField) dates = [];
  const inner: Filter[] = timeField ? dateFilters(timeField, dates, now, view) : [];
  const usedValues: Match[] = [];
  const valueFilters: Filter[] = [];
  // values of the related rows ("completed orders", "bought Beauty products"), reachable from the deepest table
  let table = noun;
  for (const m of values) {
    if (m.target.kind !== 'value') continue;
    const owner = tableOf(m.target.field);
    const from = reachableToOne(view, table, owner) ? table : deeperOwner(view, actor, table, owner);
    if (!from) continue;
    table = from;
    valueFilters.push({ op: 'eq', field: m.target.field, value: m.target.value });
    usedValues.push(m);
  }
  inner.push(...valueFilters);
  // "customers who bought more than 20 units": the units are added up over the rows that hold them
  const summed = count?.sum ? tableOf(count.sum) : undefined;
  if (summed && summed !== table && owns(view, table, summed)) table = summed;
  // the verb's own definition ("sold" = in a completed order), when the related rows can see its fields
  if (definedBy && fieldsOf(definedBy).every((f) => reachableToOne(view, table, tableOf(f)))) {
    inner.push(definedBy);
  }
  const filter = inner.length === 0 ? undefined : all(inner);
  let countCond = count;
  if (countCond && !countCond.sum && table !== noun) {
    const pk = view.tables.get(noun)?.primaryKey;
    if (pk) countCond = { ...countCond, distinct: `${noun}.${pk}` };
  }
  const none =
    (negated && !countCond) ||
    (!countCond?.sum &&
      ((countCond?.op === 'eq' && countCond.value === 0) ||
        (countCond?.op === 'lt' && countCond.value === 1)));
  const related: Filter = { op: 'related', table, ...(filter ? { filter } : {}) };
  const condition: Omit<Condition, 'at'> = {
    table: actor,
    filter: none
      ? { op: 'not', filter: related }
      : countCond
        ? { ...related, count: countCond }
        : negated
          ? { op: 'not', filter: related }
          : related,
    matches: usedValues,
  };
  if (!countCond && !negated) {
    // (the verb's own definition goes with the values: "sold" on the sold rows themselves is "completed")
    const defined = definedBy && inner.includes(definedBy) ? [definedBy] : [];
    condition.activity = { relatedTable: table, dates, values: [...valueFilters, ...defined] };
    // "customers who ordered" says something; "products we sell", "buyers in Germany" name the rows, no more
    if (!existence && dates.length === 0 && valueFilters.length === 0) return undefined;
  }
  return { condition, dates };
}

/**
 * "their first order this month": the activity in the period and none before it (the period's first date is then
 * the first time).
 */
function firstTime(
  view: ModelView,
  built: { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] },
  now: Date,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } | undefined {
  const related = built.condition.filter;
  const range = built.dates.find((d) => !d.side);
  if (related.op !== 'related' || related.count || !range) return built;
  const timeField = nearestTimeField(view, related.table);
  if (!timeField) return built;
  const before = dateFilters(timeField, [{ ...range, side: 'before' }], now, view);
  const earlier: Filter = { op: 'related', table: related.table, filter: all(before) };
  return {
    ...built,
    condition: {
      ...built.condition,
      filter: { op: 'and', filters: [related, { op: 'not', filter: earlier }] },
      activity: undefined,
    },
  };
}

/** Whether the words at token `at` name a table ("their last order"). */
function namesTable(r: Reading, at: number): boolean {
  return r.matches.some((m) => m.from === at && m.target.kind === 'table');
}

/**
 * The dates of a clause about the actor's last related row ("placed their last order before this year") on the
 * actor's own column for it (users.last_order_at); without one, the clause stays as read.
 */
function lastTime(
  view: ModelView,
  actor: string,
  built: { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] },
  now: Date,
): { condition: Omit<Condition, 'at'>; dates: DatedPhrase[] } {
  const related = built.condition.filter;
  if (related.op !== 'related' || related.count || built.dates.length === 0) return built;
  const one = pluralize.singular(related.table);
  const column = Object.entries(view.tables.get(actor)?.columns ?? {}).find(
    ([name, c]) =>
      (c.type === 'date' || c.type === 'datetime') &&
      [`last_${one}`, `last_${one}_at`, `last_${one}_date`, `last_${one}_on`].includes(name),
  )?.[0];
  if (!column) return built;
  const filter = all(dateFilters(`${actor}.${column}`, built.dates, now, view));
  return { ...built, condition: { ...built.condition, filter, activity: undefined } };
}

/** A table owned by `actor` below `from` from which both stay reachable to-one (order lines for "bought Beauty"). */
function deeperOwner(view: ModelView, actor: string, from: string, owner: string): string | undefined {
  for (const [name] of view.tables) {
    if (name === from || name === actor) continue;
    if (!reachableToOne(view, name, from) || !reachableToOne(view, name, owner)) continue;
    if (owns(view, actor, name)) return name;
  }
  return undefined;
}

/** "5 or more orders", "more than twice", "exactly once", "a second time", "again": a count of the activity. */
function countIn(
  r: Reading,
  v: Verb,
  view: ModelView,
  actor: string,
): { count: CountCondition; at?: number; noun?: Match; bare?: boolean } | undefined {
  const words = r.tokens.map((t) => t.text);
  for (const c of r.comparisons) {
    if (c.at < v.at || c.at >= v.end) continue;
    const after = words.slice(c.at, c.at + 6);
    const times = after.includes('times') || after.some((w) => Object.hasOwn(TIMES, w));
    const noun =
      r.matches.find((m) => m.from > c.at && m.from <= c.at + 5 && m.target.kind === 'table') ??
      rowsNamedByValue(r, view, actor, c.at, c.at + 6);
    if (!times && !noun) continue;
    if (noun?.target.kind === 'table' && !owns(view, actor, noun.target.table)) continue;
    return { count: { op: c.op, value: c.value }, at: c.at, ...(noun ? { noun } : {}) };
  }
  for (let i = v.at; i < v.end; i += 1) {
    const w = words[i] ?? '';
    if (Object.hasOwn(TIMES, w)) {
      const n = TIMES[w] as number;
      const before = words.slice(Math.max(v.at, i - 3), i);
      const cmp = r.comparisons.find((c) => c.at >= i - 3 && c.at < i);
      if (before.includes('than') && (before.includes('more') || before.includes('over')))
        return { count: { op: 'gt', value: n }, at: cmp?.at };
      if (before.includes('least')) return { count: { op: 'gte', value: n }, at: cmp?.at };
      return { count: { op: orMore(words, i + 1) ?? 'eq', value: n } };
    }
    if (
      r.tokens[i]?.num !== undefined &&
      words[i + 1] === 'times' &&
      !r.comparisons.some((c) => c.at < i && c.at >= i - 3)
    )
      return { count: { op: orMore(words, i + 2) ?? 'eq', value: r.tokens[i]?.num as number } };
    if ((w === 'second' && words[i + 1] === 'time') || REPEAT.has(w))
      return { count: { op: 'gte', value: 2 } };
  }
  // "have just one order", "with 2 orders", "made only a single purchase": that many, no more
  for (let i = v.at + 1; i < v.end; i += 1) {
    const n =
      r.tokens[i]?.num ??
      (words[i] === 'single' && ['a', 'one'].includes(words[i - 1] ?? '') ? 1 : undefined);
    if (n === undefined || !Number.isInteger(n) || r.comparisons.some((c) => c.at >= i - 3 && c.at <= i))
      continue;
    const noun =
      r.matches.find((m) => m.from > i && m.from <= i + 2 && m.target.kind === 'table') ??
      rowsNamedByValue(r, view, actor, i, i + 3);
    if (!noun || !ownsRows(view, actor, noun)) continue;
    return { count: { op: 'eq', value: n }, noun, bare: true };
  }
  return undefined;
}

/** "twice or more", "3 times or fewer", "once and up": the bound written after how often. */
function orMore(words: string[], at: number): 'gte' | 'lte' | undefined {
  if (!['or', 'and'].includes(words[at] ?? '')) return undefined;
  const bound = words[at + 1] ?? '';
  if (['more', 'over', 'above', 'up', 'greater'].includes(bound)) return 'gte';
  if (['less', 'fewer', 'under', 'below'].includes(bound)) return 'lte';
  return undefined;
}

/**
 * Whether the verb says its rows did it ("customers who ordered", "users that have bought"), rather than naming
 * them ("products we sell", "buyers"): a verb, with the thing right before it and no "we"/"you" as its subject.
 */
function statesExistence(r: Reading, v: Verb): boolean {
  const words = r.tokens.map((t) => t.text);
  if (AGENT_NOUNS.has(words[v.at] ?? '')) return false;
  const before = words.slice(Math.max(0, v.at - 3), v.at);
  if (before.some((w) => ['we', 'i', 'you', 'us', 'they'].includes(w))) return false;
  const named = r.matches.some(
    (m) => (m.target.kind === 'table' || m.target.kind === 'segment') && m.to <= v.at && v.at - m.to <= 3,
  );
  // "of the users who signed up in 2025, how many have gone on to order": the counted ones did it
  const counted = r.countSubject !== undefined && r.countCue >= 0 && r.countCue < v.at;
  return named || counted;
}

/** "never ordered", "didn't buy", "nobody bought", "no orders", "haven't placed a single order". */
function isNegated(r: Reading, v: Verb): boolean {
  for (let i = Math.max(0, v.at - 5); i < Math.min(r.tokens.length, v.at + 3); i += 1) {
    const w = r.tokens[i]?.text ?? '';
    if (NONE.has(w) || w === 'not' || /n['’]t$/.test(w) || w === 'didnt' || w === 'havent' || w === 'hasnt') {
      // further back only through the clause's own small words ("have not made a single purchase")
      const between = r.tokens.slice(i + 1, v.at).map((t) => t.text);
      if (v.at - i > 3 && !between.every((x) => NEGATED_GAP.has(x))) continue;
      if (i < v.at || w === 'no' || w === 'zero') return true;
    }
  }
  return false;
}

// the words that may stand between a negation and its verb ("not made a single purchase", "never even once bought")
const NEGATED_GAP = new Set([
  'made',
  'make',
  'a',
  'single',
  'one',
  'even',
  'once',
  'yet',
  'ever',
  'been',
  'have',
  'has',
  'had',
  'done',
  'actually',
]);

function all(filters: Filter[]): Filter {
  return filters.length === 1 ? (filters[0] as Filter) : { op: 'and', filters };
}
