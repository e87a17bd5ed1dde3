// Two figures asked for in one question: "orders and revenue last month", "total accounts vs customers", "how many
// products and how many categories": one measure per side of the "and"/"vs", over one table, in one answer.
import { type Filter, type Measure, tableOf } from '../../../query/plan.ts';
import type { PlannerOutcome } from '../../types.ts';
import { type Assembly, afterBy, type MatchOf } from '../assembly.ts';
import type { Match } from '../lexicon.ts';
import { isNumeric } from '../model-helpers.ts';

const JOINS = new Set(['and', 'vs', 'versus', 'plus']);

interface Figure {
  measure: Measure;
  table: string;
  /** the matches the figure is made of */
  parts: Match[];
  /** a model measure, added through the assembly so its meaning is noted */
  named?: { table: string; name: string; match: Match };
}

/** Adds both figures when each side of one "and"/"vs" names one over the same table; else leaves the question. */
export function pairedFigures(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (measures.length === 0 && twoAggregatesOfOneNumber(a)) return undefined;
  // (a breakdown may need another table for one of the figures: "orders and revenue by category" is left alone)
  if (measures.length > 0 || r.topN || r.share || r.byCues.length > 0) return undefined;
  if (r.whichAt >= 0 || r.rankGrain || r.dates.length > 1) return undefined;
  const words = r.tokens.map((t) => t.text);
  const joins = words.flatMap((w, i) =>
    JOINS.has(w) || (w === 'compared' && ['to', 'with'].includes(words[i + 1] ?? '')) ? [i] : [],
  );
  if (joins.length !== 1) return undefined;
  const at = joins[0] as number;
  const left = figureIn(a, 0, at);
  const right = figureIn(a, at + 1, words.length);
  if (!left || !right || left.table !== right.table) return undefined;
  // "show orders and revenue": a figure beside the rows makes both figures; "show orders and customers" lists
  if (r.listing && !left.named && !right.named) return undefined;
  if (JSON.stringify(left.measure) === JSON.stringify(right.measure)) return undefined;
  if (view.tables.get(left.table)?.access !== 'queryable') return undefined;
  for (const f of [left, right]) {
    if (f.named) a.addNamed(f.named.table, f.named.name, f.named.match);
    else measures.push(f.measure);
    for (const p of f.parts) used.add(p);
  }
  a.base = left.table;
  return undefined;
}

/** The one figure the words in [from, to) name: a model measure, a count of a table or segment, or of a column's values. */
function figureIn(a: Assembly, from: number, to: number): Figure | undefined {
  const { r, view } = a;
  const inside = r.matches.filter((m) => m.from >= from && m.to <= to && !afterBy(r, m));
  const head = inside.find((m) => m.target.kind !== 'value');
  if (!head) return undefined;
  const t = head.target;
  if (t.kind === 'measure') {
    const named: Measure = { kind: 'named', name: `${t.table}.${t.name}` };
    return {
      measure: named,
      table: t.table,
      parts: [head],
      named: { table: t.table, name: t.name, match: head },
    };
  }
  if (t.kind === 'table' || t.kind === 'segment') {
    // "completed orders": a status word of the counted rows narrows this figure only
    const statuses = inside.filter(
      (m): m is MatchOf<'value'> =>
        m.target.kind === 'value' && m.target.enumerated && tableOf(m.target.field) === t.table,
    );
    const filters: Filter[] = [
      ...(t.kind === 'segment' ? [{ op: 'segment', segment: `${t.table}.${t.name}` } as const] : []),
      ...statuses.map((m) => ({ op: 'eq', field: m.target.field, value: m.target.value }) as const),
    ];
    const filter: Filter | undefined =
      filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : { op: 'and', filters };
    return {
      measure: filter ? { kind: 'count', filter } : { kind: 'count' },
      table: t.table,
      parts: [head, ...statuses],
    };
  }
  // "how many categories": the distinct values of a text column
  if (t.kind === 'column' && view.field(t.field).type === 'string')
    return { measure: { kind: 'countDistinct', field: t.field }, table: tableOf(t.field), parts: [head] };
  return undefined;
}

/**
 * "lowest and highest pay", "the minimum and maximum salary", "average and max price": two aggregates joined by
 * "and" before one number are two figures of it (the second one alone was answered, the first lost).
 */
function twoAggregatesOfOneNumber(a: Assembly): boolean {
  const { r, view, used, measures } = a;
  for (const [at, first] of r.aggCues) {
    const second = r.aggCues.get(at + 2);
    if (second === undefined || second === first || !JOINS.has(r.tokens[at + 1]?.text ?? '')) continue;
    // (past the thing the number is of: "lowest and highest product price")
    const next = r.matches.find((m) => m.from === at + 3);
    const column =
      next?.target.kind === 'table' ? r.matches.find((m) => m.from === next.to && !used.has(m)) : next;
    if (column?.target.kind !== 'column' || !isNumeric(view, column.target.field)) continue;
    if (view.tables.get(tableOf(column.target.field))?.access !== 'queryable') continue;
    measures.push({ kind: first, field: column.target.field }, { kind: second, field: column.target.field });
    used.add(column);
    if (next && next !== column) used.add(next);
    a.base = tableOf(column.target.field);
    return true;
  }
  return false;
}
