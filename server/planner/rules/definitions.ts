// A measure defined over some rows, asked of others: "revenue from cancelled orders" asks for the money of cancelled
// orders, while revenue counts completed ones only, so the two together are always zero. The question names the rows;
// the answer is the measure's own aggregate over them, and says that it is not the measure.
import { type Filter, type Measure, parseFieldRef } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { PlannerOutcome } from '../types.ts';
import { measureAlias } from './measures.ts';

type Planned = Extract<PlannerOutcome, { kind: 'plan' }>;

/** The plan with each named measure whose own filter the plan's filters contradict made its plain aggregate. */
export function applyDefinitionConflicts(outcome: Planned, view: ModelView): Planned {
  const plan = outcome.plan;
  if (plan.source !== 'database') return outcome;
  const notes = [...outcome.notes];
  let changed = false;
  const measures = plan.measures.map((m): Measure => {
    if (m.kind !== 'named') return m;
    const { table, name, definition: def } = view.measure(m.name);
    const own = def.filter;
    if (!own || !contradicts(own, plan.filters)) return m;
    const field = def.column ? `${table}.${def.column}` : undefined;
    const plain: Measure =
      def.aggregate === 'count' || !field
        ? { kind: 'count', ...(m.filter ? { filter: m.filter } : {}) }
        : { kind: def.aggregate, field, ...(m.filter ? { filter: m.filter } : {}) };
    changed = true;
    notes.push(
      `${name.replace(/_/g, ' ')} counts ${def.description ? `only what its definition says (${def.description})` : 'other rows'}; ` +
        `this is the ${describe(plain)} of the rows asked for instead`,
    );
    return plain;
  });
  if (!changed) return outcome;
  const renamed = new Map(
    plan.measures.map((m, i) => [measureAlias(m, view), measureAlias(measures[i] as Measure, view)]),
  );
  const order = plan.order.map((o) => ({ ...o, by: renamed.get(o.by) ?? o.by }));
  return { ...outcome, plan: { ...plan, measures, order }, notes };
}

function describe(m: Measure): string {
  if (m.kind === 'count') return 'number';
  if (m.kind === 'named' || !('field' in m)) return 'value';
  const column = parseFieldRef(m.field).column.replace(/_/g, ' ');
  const word = {
    sum: 'sum',
    avg: 'average',
    min: 'lowest',
    max: 'highest',
    countDistinct: 'number of different',
  }[m.kind];
  return `${word} of ${column}`;
}

/**
 * Whether a measure's own equality on a column ("status is completed") cannot hold together with the plan's
 * filters on that column ("status is cancelled", "status in refunded, cancelled").
 */
function contradicts(own: Filter, filters: Filter[]): boolean {
  if (own.op !== 'eq') return false;
  return filters.some(
    (f) =>
      (f.op === 'eq' && f.field === own.field && f.value !== own.value) ||
      (f.op === 'in' && f.field === own.field && !f.values.includes(own.value)),
  );
}
