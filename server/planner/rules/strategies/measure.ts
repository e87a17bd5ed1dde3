// Strategies that find the measure: named, implied by a verb, a count (of a table, of days, of the rows conditions on
// their columns describe), an aggregate of a column or of a table's value, the money of a status, a count of what is
// ranked, or the rows the question is about. A file's own numbers: file-numbers.ts.
import { tableOf } from '../../../query/plan.ts';
import type { ModelView } from '../../../semantic/model-view.ts';
import type { PlannerOutcome } from '../../types.ts';
import { type Assembly, countedMatch, DISTINCT_WORDS, factTable, matchesOf } from '../assembly.ts';
import { columnComparisons } from '../column-comparisons.ts';
import { comparedColumn, yesNoOf, zeroColumns } from '../filters.ts';
import type { Match } from '../lexicon.ts';
import { currencyOf, sameAggregate } from '../measures.ts';
import {
  activityTable,
  isDate,
  isNumeric,
  moneyMeasure,
  reachableToOne,
  unitsMeasure,
  valueColumn,
} from '../model-helpers.ts';
import { type Reading, ROW_WORDS, targetTable } from '../reading.ts';
import { ACTIVITY } from '../verbs.ts';

const SOLD_MORE = new Set(['more', 'less', 'fewer', 'better', 'worse']);

/** The measures the question names, or implies by selling ("how many did we sell") or money ("how much did we make"). */
export function namedMeasures(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  for (const m of matchesOf(r, 'measure')) {
    a.addNamed(m.target.table, m.target.name, m);
    used.add(m);
  }
  // "how many items did we sell last month" is units; "how many products do we sell" is the catalogue
  const soldInThePast = r.dates.length > 0 || /\b(did|sold|have we sold|has been sold)\b/i.test(r.question);
  // "number of beauty products we sell" counts the catalogue's products (a value names which, not what was sold)
  const counted = countedMatch(r);
  const catalogue =
    !soldInThePast && counted?.target.kind === 'table' && counted.target.table !== unitsMeasure(view)?.table;
  const sellingUnits = r.countCue < 0 || soldInThePast || (matchesOf(r, 'value').length > 0 && !catalogue);
  // "how many distinct products sold" counts products, not units
  const countsDistinctThings = r.matches.some(
    (m) => m.target.kind === 'table' && m.from > r.countCue && distinctBefore(r, m),
  );
  if (
    measures.length === 0 &&
    r.selling &&
    sellingUnits &&
    !(r.countCue >= 0 && countsDistinctThings) &&
    (r.countCue >= 0 || r.topN || /\bhow much\b|\bunits?\b/i.test(r.question))
  ) {
    const units = unitsMeasure(view);
    if (units) a.addNamed(units.table, units.name);
  }
  // "did we sell more in Q3 or Q2", "are we selling less than last year": how much was sold is sales
  const sellsMore = r.selling && r.countCue < 0 && !r.topN && r.tokens.some((t) => SOLD_MORE.has(t.text));
  if (measures.length === 0 && (r.money || sellsMore)) {
    const money = moneyMeasure(view);
    if (money) a.addNamed(money.table, money.name);
  }
  return undefined;
}

/**
 * "how many items have a stock qty below their reorder level", "how many items have zero stock qty": columns
 * compared with each other or said to be nothing are conditions, never the figure; with nothing else named after
 * the cue, the rows they describe are what is counted.
 */
export function columnConditions(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  const comparisons = columnComparisons(r, view);
  for (const c of comparisons) {
    if (c.left) used.add(c.left);
    used.add(c.right);
  }
  const zeros = zeroColumns(r, view);
  for (const z of zeros) used.add(z.match);
  const first = comparisons[0]?.field ?? zeros[0]?.field;
  if (!first || measures.length > 0 || r.countCue < 0) return undefined;
  const named = r.matches.some(
    (m) => m.from > r.countCue && !used.has(m) && (m.target.kind === 'table' || m.target.kind === 'segment'),
  );
  const table = tableOf(first);
  if (!named && view.tables.get(table)?.access === 'queryable') {
    a.base = table;
    measures.push({ kind: 'count' });
  }
  return undefined;
}

/**
 * "on how many days did /pricing get over 400 visits", "how many rows have more than 8 signups": after the count cue,
 * days or rows of the one table the question's columns and values belong to. Days are the distinct values of its
 * one column that holds a day (an instant would first need cutting to its day); rows are its rows.
 */
export function countedDaysOrRows(a: Assembly): PlannerOutcome | undefined {
  const { r, view, measures } = a;
  if (measures.length > 0 || r.countCue < 0) return undefined;
  const at = r.tokens.findIndex(
    (t, i) => i > r.countCue && i <= r.countCue + 2 && (t.text === 'days' || ROW_WORDS.has(t.text)),
  );
  if (at < 0 || r.matches.some((m) => m.from <= at && at < m.to)) return undefined;
  const tables = new Set(
    r.matches
      .filter((m) => m.target.kind === 'column' || m.target.kind === 'value')
      .map((m) => targetTable(m.target)),
  );
  const [table] = tables;
  if (tables.size !== 1 || table === undefined || view.tables.get(table)?.access !== 'queryable')
    return undefined;
  if (r.tokens[at]?.text !== 'days') {
    a.base = table;
    measures.push({ kind: 'count' });
    return undefined;
  }
  const dayColumns = Object.entries(view.tables.get(table)?.columns ?? {}).filter(
    ([, c]) => c.type === 'date',
  );
  if (dayColumns.length !== 1) return undefined;
  a.base = table;
  measures.push({
    kind: 'countDistinct',
    field: `${table}.${(dayColumns[0] as [string, unknown])[0]}`,
    as: 'days',
  });
  return undefined;
}

/**
 * "how many X": count the table (or segment) named after the cue, or distinct values of a column; "what share of
 * orders ...": the same count, later divided by the whole.
 */
export function countedRows(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
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
      if (!distinctWord && yesNoOf(view, field) && view.tables.get(tableOf(field))?.access === 'queryable') {
        // "how many remote employees": the rows a yes/no column says yes for (the match stays free: the filter)
        a.base = tableOf(field);
        measures.push({ kind: 'count' });
      } else if (distinctWord || view.field(field).type === 'string') {
        a.base = tableOf(field);
        measures.push({ kind: 'countDistinct', field });
        used.add(subject);
      } else if (isDate(view, field) && view.tables.get(tableOf(field))?.access === 'queryable') {
        // "how many items were restocked last month": a date named by its event counts the rows it dates (the
        // match stays free: it is also the date the period applies to)
        a.base = tableOf(field);
        measures.push({ kind: 'count' });
      } else if (
        view.tables.get(tableOf(field))?.access === 'queryable' &&
        r.comparisons.some((c) => comparedColumn(r, view, c.at) === subject)
      ) {
        // "how many have an nps of 6 or below": the rows the comparison holds for (it stays free to be the filter)
        a.base = tableOf(field);
        measures.push({ kind: 'count' });
      }
    } else if (subject) {
      const table = targetTable(subject.target);
      // "how many different products sold last quarter": distinct things among the activity's rows
      const activity = distinctActivity(r, view, subject);
      if (activity) {
        a.base = activity.table;
        measures.push({ kind: 'countDistinct', field: activity.key });
        used.add(subject);
      } else if (view.tables.get(table)?.access === 'queryable') {
        a.base = table;
        measures.push({ kind: 'count' });
        if (subject.target.kind === 'table') used.add(subject);
      }
    } else {
      // "how many refunds": a status value names the rows it counts
      const value = r.matches.find((m) => m.from > cue && m.target.kind === 'value' && m.target.enumerated);
      const table = value ? targetTable(value.target) : undefined;
      if (table && view.tables.get(table)?.access === 'queryable') {
        a.base = table;
        measures.push({ kind: 'count' });
      }
    }
  }
  return undefined;
}

/** "average value of cancelled orders", "highest price": an aggregate word before a numeric column. */
export function columnAggregate(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (measures.length === 0) {
    const pairs = [...r.aggCues.entries()].flatMap(([at, agg]) => {
      const col = r.matches.find(
        (m) =>
          m.target.kind === 'column' && m.from > at && m.from - at <= 4 && isNumeric(view, m.target.field),
      );
      return col?.target.kind === 'column' ? [{ at, agg, col, field: col.target.field }] : [];
    });
    // "the lowest average nps": the aggregate is the word nearest its column; a superlative before it ranks
    const pair = pairs.sort((x, y) => x.col.from - y.col.from || y.at - x.at)[0];
    if (pair) {
      const { agg, col, field } = pair;
      // "total quantity sold" is the model's units sold when the question says what that measure adds
      const named = sameAggregate(view, r, agg, field);
      if (named) a.addNamed(named.table, named.name);
      else {
        measures.push({ kind: agg, field });
        a.base = tableOf(field);
      }
      used.add(col);
    }
  }
  return undefined;
}

/** "the sum of every order", "what's an order worth on average": the aggregate of a table's value column. */
export function tableValueAggregate(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
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
      if (named) a.addNamed(named.table, named.name);
      else {
        measures.push({ kind: agg, field: valueCol });
        a.base = tableOf(valueCol);
      }
      used.add(table);
      break;
    }
  }
  return undefined;
}

/** "amount refunded this year": money of the rows a status names is their total. */
export function statusMoney(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
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
    a.base = tableOf(moneyColumn.target.field);
    used.add(moneyColumn);
  }
  return undefined;
}

/** "who placed the most orders", "which members have the fewest purchases": the rows ranked by are counted. */
export function rankedByCount(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  const rankedBy = r.topN
    ? tables.find((t) => t.from > (r.topN?.at ?? 0) && t.from - (r.topN?.at ?? 0) <= 2 && !used.has(t))
    : undefined;
  if (measures.length === 0 && rankedBy && view.tables.get(rankedBy.target.table)?.access === 'queryable') {
    const entity = [...tables, ...segments].find(
      (m) => m !== rankedBy && m.target.table !== rankedBy.target.table,
    );
    // "which assignee solved the most tickets": a text column of the ranked rows groups them as an entity would
    const grouping = matchesOf(r, 'column').find(
      (m) =>
        !used.has(m) &&
        tableOf(m.target.field) === rankedBy.target.table &&
        view.field(m.target.field).type === 'string',
    );
    if (
      (entity && reachableToOne(view, rankedBy.target.table, entity.target.table)) ||
      (!entity && grouping)
    ) {
      a.base = rankedBy.target.table;
      measures.push({ kind: 'count' });
      used.add(rankedBy);
    }
  }
  return undefined;
}

/** "what was the busiest month": count the main activity of the model. */
export function busiestPeriod(a: Assembly): PlannerOutcome | undefined {
  const { r, view, measures } = a;
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  if (measures.length === 0 && r.rankGrain && tables.length === 0 && segments.length === 0) {
    const fact = factTable(view);
    if (fact) {
      a.base = fact;
      measures.push({ kind: 'count' });
    }
  }
  return undefined;
}

/** Nothing measurable named: count the table the question is about, if every word was understood. */
export function subjectCount(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  if (measures.length === 0) {
    // the head of the phrase: the first thing named ("repeat buyers (2 or more orders) per country" counts buyers)
    const subject = [...tables, ...segments]
      .sort((x, y) => x.from - y.from)
      .find((t) => view.tables.get(t.target.table)?.access === 'queryable');
    if (subject && !r.unknownMetric && r.unknownWords.length === 0) {
      a.base = subject.target.table;
      measures.push({ kind: 'count' });
      if (subject.target.kind === 'table') used.add(subject);
    }
  }
  return undefined;
}

/**
 * "different products sold", "unique products ordered": a thing's key counted once among the rows of its activity,
 * when the question says distinct and names the activity by its verb.
 */
function distinctActivity(
  r: Reading,
  view: ModelView,
  subject: Match,
): { table: string; key: string } | undefined {
  if (subject.target.kind !== 'table') return undefined;
  const verb = r.tokens.some((t, i) => i > subject.from && ACTIVITY.has(t.text));
  if (!distinctBefore(r, subject) || !verb) return undefined;
  const table = subject.target.table;
  const pk = view.tables.get(table)?.primaryKey;
  const rows = activityTable(view, table);
  if (!pk || !rows || !reachableToOne(view, rows, table)) return undefined;
  return { table: rows, key: `${table}.${pk}` };
}

/** "different products", "unique buyers": a word of distinctness right before the thing named. */
function distinctBefore(r: Reading, m: Match): boolean {
  return r.tokens.slice(Math.max(0, m.from - 2), m.from).some((t) => DISTINCT_WORDS.has(t.text));
}
