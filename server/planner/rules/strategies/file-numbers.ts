// Strategies for a table without named measures (an uploaded file): its numbers are its measures, one divided by
// another or by its visits ("signup rate"), and its rows counted: by a text column when the question calls them by a
// word the file does not have, or by the value a ranking asks for ("which coupon was used most").
import { type Measure, measureName, parseFieldRef, tableOf } from '../../../query/plan.ts';
import type { PlannerOutcome } from '../../types.ts';
import { type Assembly, type MatchOf, matchesOf } from '../assembly.ts';
import { numberAfter, saysEventHappened } from '../filters.ts';
import { isNumeric, namesNoMeasures } from '../model-helpers.ts';
import { GRAMMAR_WORDS, ROW_WORDS } from '../reading.ts';
import { GIFT_VERBS, MONEY_WORDS } from '../text.ts';

/**
 * Numbers that stand for a level, not an amount: their figure over many rows is an average ("price by region",
 * "satisfaction per channel"), where an amount's is a total ("units by region").
 */
const LEVEL_WORDS =
  /(^|_)(price|prices|rate|rates|ratio|score|scores|rating|ratings|satisfaction|percent|percentage|pct|age|minutes|hours|seconds|days|duration|time|temperature|margin)($|_)/;

/** Of the level words, the ones of a duration: an amount of time when a ratio adds them up. */
const DURATION_WORDS = /(^|_)(minutes|hours|seconds|days|duration|time)($|_)/;

/**
 * Between two numbers, the words that divide the first by the second: "signups / visits", "signups per visit",
 * "discounts as a percentage of subtotals", "fees as a share of the totals".
 */
const DIVIDED_BY =
  /^(?:\/|÷|over|per|divided\s+by(?:\s+the)?(?:\s+total)?|for\s+(?:each|every)|(?:as|in)\s+(?:an?\s+)?(?:percentage|percent|%|share|fraction|proportion)\s+of(?:\s+(?:the|our|all))?)$/;

/**
 * "signups / visits", "signups per visit", "the ratio of signups to visits": two numbers of a table without
 * named measures (a file), the first one’s figure over the second one’s. Read as one number, the other was lost.
 * ("revenue divided by orders" over the database stays refused: reading.ts understands "divided by" only here)
 */
export function ratioOfNumbers(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || r.listing) return undefined;
  const numbers = matchesOf(r, 'column').filter(
    (m) =>
      !used.has(m) &&
      isNumeric(view, m.target.field) &&
      view.tables.get(tableOf(m.target.field))?.access === 'queryable',
  );
  for (const [k, top] of numbers.entries()) {
    const bottom = numbers[k + 1];
    if (!bottom || tableOf(bottom.target.field) !== tableOf(top.target.field)) continue;
    // the text between the two, punctuation and all ("/" is no word of its own), up to the rows the second is of
    // ("as a share of order totals")
    const from = r.tokens[top.to - 1]?.end ?? 0;
    let to = bottom.from;
    while (r.matches.some((m) => m.target.kind === 'table' && m.to === to && m.from < to))
      to = r.matches.find((m) => m.target.kind === 'table' && m.to === to)?.from ?? to;
    const between = r.question
      .slice(from, r.tokens[to]?.start ?? from)
      .trim()
      .toLowerCase();
    const ratioWord =
      r.tokens.slice(Math.max(0, top.from - 3), top.from).some((t) => t.text === 'ratio') ||
      r.tokens[bottom.to]?.text === 'ratio';
    if (!DIVIDED_BY.test(between) && !(between === 'to' && ratioWord)) continue;
    const [over, under] = [top.target.field, bottom.target.field];
    measures.push({
      kind: 'ratio',
      numerator: figureOfRatio(over),
      denominator: figureOfRatio(under),
      as: measureName(parseFieldRef(over).column, 'per', parseFieldRef(under).column),
    });
    a.base = tableOf(over);
    used.add(top);
    used.add(bottom);
    // "cost per click (spend divided by clicks)": the numbers before the brackets only name what they define
    const defined = r.ratioDefinition;
    if (defined && top.from >= defined.from && bottom.to <= defined.to) {
      for (const m of numbers) if (m.to <= defined.from) used.add(m);
      // ("revenue per rental day (...)": what it is per is part of the name)
      for (const m of matchesOf(r, 'table'))
        if (m.to <= defined.from && r.tokens[m.from - 1]?.text === 'per') used.add(m);
    }
    return undefined;
  }
  rateOfNumber(a, numbers);
  return undefined;
}

/** What a file's events are a rate of, first found first: "signup rate" is signups per visit. */
const EXPOSURES = ['visits', 'sessions', 'visitors', 'views', 'pageviews', 'page_views', 'impressions'];

/**
 * "signup rate", "click through rate": a number of a file said with "rate" is that number over the file's visits
 * (or sessions, views, impressions), the measure the rate is conventionally of. The answer names both.
 */
function rateOfNumber(a: Assembly, numbers: Array<MatchOf<'column'>>): void {
  const { r, view, used, measures } = a;
  for (const m of numbers) {
    const next = r.tokens[m.to]?.text === 'through' ? m.to + 1 : m.to;
    if (r.tokens[next]?.text !== 'rate' || r.matches.some((x) => x.from === next)) continue;
    const table = tableOf(m.target.field);
    const columns = Object.keys(view.tables.get(table)?.columns ?? {});
    const exposure = EXPOSURES.map((e) => columns.find((c) => c.toLowerCase() === e)).find(
      (c) => c !== undefined && `${table}.${c}` !== m.target.field && isNumeric(view, `${table}.${c}`),
    );
    if (!exposure) continue;
    const under = `${table}.${exposure}`;
    measures.push({
      kind: 'ratio',
      numerator: figureOfRatio(m.target.field),
      denominator: figureOfRatio(under),
      as: measureName(parseFieldRef(m.target.field).column, 'per', exposure),
    });
    a.base = table;
    used.add(m);
    return;
  }
}

/**
 * A number's figure in a ratio of totals, or counted ("how many hours"): hours logged and days rented are amounts
 * here ("budget divided by hours logged" is budget per hour); only a level such as a price or a score is averaged.
 */
function figureOfRatio(field: string): Measure {
  const column = parseFieldRef(field).column.toLowerCase();
  return { kind: LEVEL_WORDS.test(column) && !DURATION_WORDS.test(column) ? 'avg' : 'sum', field };
}

/** A level word beside one of these is what a row came to: "price_paid", "total_price", "amount_rate" are money. */
const AMOUNT_WORDS = /(^|_)(paid|total|amount|amounts)($|_)/;
/**
 * Time put in, not how long something took: a timesheet's "Hours", "hours_logged", "days worked" add up over rows
 * ("hours by client"), where "minutes_to_first_reply" or "duration_minutes" is a level of each row.
 */
const TIME_PUT_IN =
  /^(hours|hrs|minutes|mins|days)$|(^|_)(logged|worked|spent|billed|billable|labour|labor|work)($|_)/;
/** Words for money taken or given: what they name is added up ("revenue by course" of a price paid). */
const MONEY_SAID: ReadonlySet<string> = new Set(['money', ...MONEY_WORDS, ...GIFT_VERBS]);

/**
 * A number's figure over many rows: a level (a price, a rate) is averaged, an amount totalled; a number called by a
 * word for money is the money taken, totalled.
 */
function figureOfNumber(field: string, said: string): Measure {
  const column = parseFieldRef(field).column.toLowerCase();
  const putIn = DURATION_WORDS.test(column) && TIME_PUT_IN.test(column);
  const level = LEVEL_WORDS.test(column) && !AMOUNT_WORDS.test(column) && !MONEY_SAID.has(said) && !putIn;
  return { kind: level ? 'avg' : 'sum', field };
}

/**
 * "units by region", "how many units did we ship": a table without named measures (an uploaded file) is measured by
 * the numbers the question names, totalled, or averaged when the number is a level (a price, a score).
 */
export function numberOfUnmeasuredTable(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || r.listing) return undefined;
  const named = r.matches.find((m) => {
    if (used.has(m) || m.target.kind !== 'column' || !isNumeric(view, m.target.field)) return false;
    // "tickets with satisfaction over 3", "more than 20 signups": a number compared is a condition, not the figure
    if (r.tokens.slice(m.to, m.to + 4).some((t) => t.num !== undefined)) return false;
    if (r.comparisons.some((c) => numberAfter(r, view, c.at) === m)) return false;
    return view.tables.get(tableOf(m.target.field))?.access === 'queryable';
  });
  if (named?.target.kind !== 'column') return undefined;
  const field = named.target.field;
  // "the price of the Enterprise plan": a value only one row holds names that row, whose number is looked up
  if (namesOneRow(a, tableOf(field))) return undefined;
  // "how many hours have we logged": a duration counted is added up, as in a ratio
  const counted = r.countCue >= 0 && named.from > r.countCue && named.from - r.countCue <= 2;
  measures.push(counted ? figureOfRatio(field) : figureOfNumber(field, named.text));
  a.base = tableOf(field);
  used.add(named);
  return undefined;
}

/**
 * "refunds by campaign", "completions per instructor", "the cancellation rate": in a table without named measures (a
 * file), a date's event said as a plural noun, or as a rate, is what happened to the rows; those rows are counted
 * (filters.ts keeps the ones it happened to, and a rate divides them by all of them).
 */
export function countedEvents(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || r.listing) return undefined;
  const event = matchesOf(r, 'column').find(
    (m) =>
      !used.has(m) &&
      (!/ed$/.test(r.tokens[m.from]?.text ?? '') || r.share) &&
      // "cancellations in 2026": the period dates the event (breakdown.ts), which is then had
      saysEventHappened(r, view, tableOf(m.target.field), m, { withPeriod: true }),
  );
  return event ? countRowsOf(a, tableOf(event.target.field)) : undefined;
}

/** The question names a value of a column with as many values as the file has rows: one row, by its name. */
function namesOneRow(a: Assembly, table: string): boolean {
  const rows = a.input.datasets?.datasets.find((d) => d.table === table)?.rows;
  if (rows === undefined) return false;
  return matchesOf(a.r, 'value').some((v) => {
    if (tableOf(v.target.field) !== table) return false;
    const column = v.target.field.slice(table.length + 1);
    return a.view.tables.get(table)?.columns[column]?.values?.length === rows;
  });
}

/**
 * "which category has the fewest items", "which warehouse holds the most items under their reorder level": in a table
 * without named measures (a file), a plural word after the rank word that names nothing is what its rows are called:
 * the rows are counted, grouped by the text column named before the rank word.
 */
export function rankedUnnamedRows(a: Assembly): PlannerOutcome | undefined {
  const { r, view, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || !r.topN) return undefined;
  const at = r.topN.at;
  const next = r.tokens[at + 1];
  const named = r.matches.some((m) => m.from <= at + 1 && at + 1 < m.to);
  const rowWord = ROW_WORDS.has(next?.text ?? '');
  if (!next || named || next.num !== undefined) return undefined;
  if (!rowWord && (GRAMMAR_WORDS.has(next.text) || !next.text.endsWith('s'))) return undefined;
  const grouping = freeTextColumns(a).find((m) => m.to <= at);
  return grouping ? countRowsOf(a, tableOf(grouping.target.field)) : undefined;
}

/**
 * "which coupon was used most often", "the most common payment method": in a table without named measures (a file),
 * a text column ranked with no number to rank it by is ranked by how many rows hold each of its values.
 */
export function mostCommonValue(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || !r.topN || r.countCue >= 0) return undefined;
  if (matchesOf(r, 'column').some((m) => !used.has(m) && isNumeric(view, m.target.field))) return undefined;
  const texts = freeTextColumns(a);
  const only = texts.length === 1 ? texts[0] : undefined;
  return only ? countRowsOf(a, tableOf(only.target.field)) : undefined;
}

/**
 * "items restocked in 2026 by category", "records per warehouse": in a table without named measures (a file), a
 * plural noun the file does not know, before everything the question names of one file, is what its rows are
 * called: they are counted.
 */
export function countedUnnamedRows(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || r.countCue >= 0 || r.listing) return undefined;
  const first = r.matches[0];
  if (!first || r.matches.some((m) => m.target.kind !== 'column' && m.target.kind !== 'value'))
    return undefined;
  const tables = new Set(r.matches.map((m) => tableOf((m.target as { field: string }).field)));
  const table = [...tables][0];
  if (tables.size !== 1 || !table || view.tables.get(table)?.access !== 'queryable') return undefined;
  if (r.matches.some((m) => !used.has(m) && m.target.kind === 'column' && isNumeric(view, m.target.field)))
    return undefined;
  const noun = r.tokens
    .slice(0, first.from)
    .some(
      (t) =>
        ROW_WORDS.has(t.text) || (t.text.length >= 4 && t.text.endsWith('s') && !GRAMMAR_WORDS.has(t.text)),
    );
  return noun ? countRowsOf(a, table) : undefined;
}

/** The question's text columns, of tables that can be queried, that no strategy has taken yet. */
function freeTextColumns(a: Assembly): Array<MatchOf<'column'>> {
  return matchesOf(a.r, 'column').filter(
    (m) =>
      !a.used.has(m) &&
      a.view.field(m.target.field).type === 'string' &&
      a.view.tables.get(tableOf(m.target.field))?.access === 'queryable',
  );
}

/** The strategies' last step: the rows of `table` are counted (the breakdown then groups and filters them). */
function countRowsOf(a: Assembly, table: string): undefined {
  a.base = table;
  a.measures.push({ kind: 'count' });
  return undefined;
}
