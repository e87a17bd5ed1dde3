// Small facts about filters the planner builds: which fields a filter reads.
import type { Filter } from '../../query/plan.ts';

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
    default:
      return [f.field];
  }
}
