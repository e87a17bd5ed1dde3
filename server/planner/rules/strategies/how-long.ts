// "how many days between a donation and its refund", "how long from start to completion, per team": in a file, the
// days from the date its rows begin with to a later event of the row (datasets/durations.ts makes them computed
// columns), averaged unless the question asks for the longest or shortest.
import { type Measure, parseFieldRef } from '../../../query/plan.ts';
import type { PlannerOutcome } from '../../types.ts';
import type { Assembly } from '../assembly.ts';
import { namesNoMeasures } from '../model-helpers.ts';
import { stem } from '../text.ts';

/** Words that ask how long something took: "how long", "how many days ... between / from / to / take". */
const HOW_LONG =
  /\bhow long\b|\b(?:how many|number of|avg|average|mean)\s+days?\b.*\b(?:between|from|to|until|till|take|takes|took|before)\b/i;

export function daysBetweenEvents(a: Assembly): PlannerOutcome | undefined {
  const { r, view, used, measures } = a;
  if (!namesNoMeasures(view) || measures.length > 0 || r.listing || !HOW_LONG.test(r.question))
    return undefined;
  // the file most of the question's words name first
  const votes = new Map<string, number>();
  for (const m of r.matches) {
    const table =
      m.target.kind === 'table'
        ? m.target.table
        : m.target.kind === 'column' || m.target.kind === 'value'
          ? parseFieldRef(m.target.field).table
          : undefined;
    if (table) votes.set(table, (votes.get(table) ?? 0) + 1);
  }
  const tables = [...votes.keys()].sort((x, y) => (votes.get(y) ?? 0) - (votes.get(x) ?? 0));
  const stems = new Set(r.tokens.map((t) => t.stem));
  for (const table of tables) {
    const computed = view.tables.get(table)?.computed ?? {};
    // the days from one date of the row to another: the end of each
    const durations = Object.keys(computed).flatMap((c) => {
      const expr = view.field(`${table}.${c}`).expr;
      return expr?.type === 'daysBetween' ? [{ column: c, end: expr.to }] : [];
    });
    // the one a column or a word of the question names the end of ("its refund"), or the file's only one
    const named = durations.filter(({ end }) => {
      const field = `${table}.${end}`;
      return (
        r.matches.some((m) => m.target.kind === 'column' && m.target.field === field) ||
        end.split('_').some((w) => w.length > 3 && stems.has(stem(w)))
      );
    });
    const only = table === tables[0] && durations.length === 1 ? durations[0] : undefined;
    const chosen = named.length === 1 ? named[0] : only;
    if (!chosen) continue;
    const agg = [...r.aggCues.values()].find((x) => x === 'min' || x === 'max');
    measures.push({ kind: agg ?? 'avg', field: `${table}.${chosen.column}` } satisfies Measure);
    a.base = table;
    // the dates the question named are the duration's ends, not conditions of the rows
    for (const m of r.matches)
      if (m.target.kind === 'column' && parseFieldRef(m.target.field).table === table) {
        const type = view.field(m.target.field).type;
        if (type === 'date' || type === 'datetime') used.add(m);
      }
    return undefined;
  }
  return undefined;
}
