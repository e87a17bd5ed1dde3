// "list the customers with more than 40 orders, with how many each", "customers in Spain and how many orders each
// has placed": the things listed, one row each, with a count of the rows they own. A "how many" that follows what
// is listed, after "with" or "and", asks for a column, not for the number of things.
import type { Filter, Measure, QueryPlan } from '../../query/plan.ts';
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import type { Clauses } from './clauses.ts';
import { anchoredAt } from './conditions.ts';
import { measureAlias } from './measures.ts';
import { entityDimensions, owns, reachableToOne } from './model-helpers.ts';
import type { Reading } from './reading.ts';

type Planned = Extract<PlannerOutcome, { kind: 'plan' }>;

// "with how many", "and the number of", "with their order count(s)"
const JOINERS = new Set(['with', 'and', 'plus', 'including']);

/** Where the question asks for a per-row count after naming what it lists (the token of "how"/"number"/"count"). */
function perRowCue(r: Reading): number | undefined {
  const words = r.tokens.map((t) => t.text);
  for (let i = 1; i < words.length; i += 1) {
    const w = words[i];
    const asks =
      (w === 'how' && words[i + 1] === 'many') ||
      (w === 'number' && words[i + 1] === 'of') ||
      w === 'count' ||
      w === 'counts';
    if (!asks) continue;
    // "with how many", "and the number of", "with their order counts"
    const lead = words.slice(Math.max(0, i - 3), i);
    const joined = lead.some((x) => JOINERS.has(x));
    const named = r.matches.some(
      (m) => (m.target.kind === 'table' || m.target.kind === 'segment') && m.to <= i - 1,
    );
    if (joined && named) return i;
  }
  return undefined;
}

/**
 * The plan turned into one row per thing of the plan's table with the count of its related rows: the rows named
 * after the cue ("how many orders each"), else the rows a clause counted ("more than 3 cancelled orders ... and how
 * many they cancelled"), with that clause's conditions on them.
 */
export function applyPerRowCount(
  outcome: Planned,
  r: Reading,
  clauses: Clauses,
  input: PlannerInput,
): Planned {
  const plan = outcome.plan;
  const listed = plan.select.length > 0 || (plan.measures.length === 1 && plan.measures[0]?.kind === 'count');
  if (!listed || plan.dimensions.length > 0 || plan.source !== 'database') return outcome;
  const cue = perRowCue(r);
  if (cue === undefined) return outcome;
  const view = input.view;
  const named = r.matches.flatMap((m) =>
    (m.target.kind === 'table' || m.target.kind === 'segment') && m.to <= cue - 1 ? [m.target.table] : [],
  );
  // what is listed: the plan's own rows when the question names them, else the nearest thing named
  const listedTable = named.includes(plan.table) ? plan.table : named.at(-1);
  if (listedTable && listedTable !== plan.table) {
    // "customers in Spain and how many orders each has placed" was read as a count of the orders: one per customer
    const dimensions = entityDimensions(view, listedTable);
    if (
      plan.measures.length !== 1 ||
      dimensions.length === 0 ||
      !reachableToOne(view, plan.table, listedTable)
    )
      return outcome;
    const by = measureAlias(plan.measures[0] as Measure, view);
    return {
      ...outcome,
      plan: { ...plan, dimensions, order: [{ by, direction: 'desc' }] },
      notes: [...outcome.notes, `one row per ${listedTable.replace(/_/g, ' ')}`],
    };
  }
  const entity = plan.table;
  const after = r.matches.find(
    (m) =>
      m.target.kind === 'table' &&
      m.from > cue &&
      m.from <= cue + 4 &&
      m.target.table !== entity &&
      owns(view, entity, m.target.table),
  );
  const counted = clauses.conditions
    .filter((c) => c.table === entity)
    .map((c) => c.filter)
    .find(
      (f): f is Extract<Filter, { op: 'related' }> =>
        f.op === 'related' && (after?.target.kind !== 'table' || f.table === after.target.table),
    );
  const table = after?.target.kind === 'table' ? after.target.table : counted?.table;
  const dimensions = entityDimensions(view, entity);
  if (!table || dimensions.length === 0 || !owns(view, entity, table)) return outcome;
  // the listed things' own conditions, said of them from their rows; the counted rows' own, on the rows
  const filters: Filter[] = plan.filters.map((f) => anchoredAt(f, entity));
  if (plan.time?.range) filters.push({ op: 'dateRange', field: plan.time.field, range: plan.time.range });
  if (counted?.table === table && counted.filter) filters.push(counted.filter);
  const next: QueryPlan = {
    version: 1,
    source: 'database',
    table,
    measures: [{ kind: 'count' }],
    dimensions,
    filters,
    select: [],
    order: [{ by: 'count', direction: 'desc' }],
    ...(plan.select.length > 0 && plan.limit ? { limit: plan.limit } : {}),
  };
  return {
    ...outcome,
    plan: next,
    notes: [...outcome.notes, `each ${entity.replace(/_/g, ' ')} row counts its ${table.replace(/_/g, ' ')}`],
  };
}
