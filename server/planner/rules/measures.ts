// Measures as the planner handles them: their output names, narrowing one by a filter, the measure that fits a
// breakdown, the model measure behind a raw aggregate, and averages per thing.
import { type Filter, type Measure, measureName, parseFieldRef, tableOf } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import { fieldsOf } from './filters.ts';
import type { Match } from './lexicon.ts';
import { measureAlternatives, reachableToOne } from './model-helpers.ts';
import type { Reading } from './reading.ts';
import { stem } from './text.ts';

export function measureAlias(m: Measure, view: ModelView): string {
  if (m.as) return m.as;
  switch (m.kind) {
    case 'named':
      return view.measure(m.name).name;
    case 'count':
      return 'count';
    case 'ratio':
      return measureName(measureAlias(m.numerator, view), 'per', measureAlias(m.denominator, view));
    case 'difference':
    case 'running':
    case 'change':
    case 'shareOfTotal':
      throw new Error(`${m.kind} measures carry their alias (as)`);
    default:
      return `${m.kind === 'countDistinct' ? 'distinct' : m.kind}_${parseFieldRef(m.field).column}`;
  }
}

/** The same measure, counting only rows that match `filter` (named measures are expanded to keep their own filter). */
export function withFilter(m: Measure, filter: Filter, view: ModelView): Measure {
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

export function describeMeasure(m: Measure): string {
  return m.kind === 'named' ? parseFieldRef(m.name).column.replace(/_/g, ' ') : m.kind;
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

/**
 * A model measure that aggregates `field` the same way and whose own words (beyond the column's) the question
 * uses: "total quantity sold" is units sold (completed orders only), "total quantity" is every line's quantity.
 */
export function sameAggregate(
  view: ModelView,
  r: Reading,
  agg: string,
  field: string,
): { table: string; name: string } | undefined {
  const { table, column } = parseFieldRef(field);
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

export function averagePer(
  r: Reading,
  view: ModelView,
  base: string,
  measures: Measure[],
  used: Set<Match>,
): Measure | undefined {
  const avg = [...r.aggCues.entries()].find(([, a]) => a === 'avg');
  const only = measures[0];
  if (!avg || measures.length !== 1 || !only) return undefined;
  const perColumn = averagePerColumn(r, view, base, only, used);
  if (perColumn) return perColumn;
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
  if (perTable === base && numerator.kind !== 'named') {
    // "units in an order": the total over the rows of a table, per row of a table they belong to
    return undefined;
  }
  // "average revenue per order": a model measure spread over the rows it adds up (perTable is then the base)
  if (reachableToOne(view, base, perTable)) {
    try {
      view.field(`${perTable}.${pk}`);
    } catch {
      return undefined;
    }
    denominator = { kind: 'countDistinct', field: `${perTable}.${pk}` };
    // "spend per customer" spreads completed orders' money over the customers who have such orders, not over
    // everyone with an order of any status: the rows counted are the rows the measure adds up
    const own = numerator.kind === 'named' ? view.measure(numerator.name).definition.filter : undefined;
    if (own) denominator = { ...denominator, filter: own };
  } else return undefined;
  used.add(per);
  return { kind: 'ratio', numerator, denominator, as: measureName('average_per', perTable) };
}

/**
 * "average number of products per category": a count spread over the values of a text column of the counted rows
 * (a sum or a model measure "per category" stays a breakdown: "average revenue per category" shows each one).
 */
function averagePerColumn(
  r: Reading,
  view: ModelView,
  base: string,
  only: Measure,
  used: Set<Match>,
): Measure | undefined {
  if (only.kind !== 'count' || r.byCues.length !== 1) return undefined;
  const at = r.byCues[0] as number;
  if (r.tokens[at]?.text !== 'per') return undefined;
  const per = r.matches.find((m) => m.from === at + 1 && !used.has(m));
  if (per?.target.kind !== 'column' || view.field(per.target.field).type !== 'string') return undefined;
  if (!reachableToOne(view, base, tableOf(per.target.field))) return undefined;
  used.add(per);
  const column = parseFieldRef(per.target.field).column;
  return {
    kind: 'ratio',
    numerator: only,
    denominator: { kind: 'countDistinct', field: per.target.field },
    as: measureName('average_per', column),
  };
}

/** Whether the word right after "average" names the rows of `table` in the plural ("average orders per ..."). */
export function countsRowsOf(r: Reading, table: string): boolean {
  const avgAt = [...r.aggCues.entries()].find(([, a]) => a === 'avg')?.[0];
  const next = avgAt === undefined ? undefined : r.tokens[avgAt + 1];
  return (
    next !== undefined && next.text !== next.stem && next.text.endsWith('s') && next.stem === stem(table)
  );
}

/** The currency of a money column (a three-letter unit such as USD), if it is one. */
export function currencyOf(view: ModelView, field: string): string | undefined {
  try {
    const unit = view.field(field).unit;
    return unit && /^[A-Z]{3}$/.test(unit) ? unit : undefined;
  } catch {
    return undefined;
  }
}
