// The conditions clauses read (clauses.ts) applied to an assembled plan: on its rows, on rows they belong to, or
// as the rows' own dates and values when the plan is over the activity itself.
import { resolveDateRange } from '../../dates/resolve.ts';
import { type DateRange, type Filter, tableOf } from '../../query/plan.ts';
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import type { Clauses } from './clauses.ts';
import { fieldsOf, namedDateField } from './filters.ts';
import { fitMeasure, measureAlias, withFilter } from './measures.ts';
import { isDate, nearestTimeField, owns, reachableToOne } from './model-helpers.ts';
import { unanswerable } from './outcomes.ts';
import type { DatedPhrase, Reading } from './reading.ts';
import { predicateStart } from './share.ts';
import { AGENT_NOUNS } from './verbs.ts';

/** The reading without what its clauses took: their dates and the values and nouns inside them. */
export function withoutClauses(r: Reading, clauses: Clauses): Reading {
  const taken = new Set(clauses.conditions.flatMap((c) => c.matches));
  // a verb a clause explains ("have not ordered since January") is not also a segment word ("ordered")
  const verbs = new Set(
    clauses.conditions.map((c) => c.at).filter((at) => !AGENT_NOUNS.has(r.tokens[at]?.text ?? '')),
  );
  for (const m of r.matches) {
    // (a one-word table match is the verb itself, "went on to order"; "signed up" still names the sign-ups)
    const explained = m.target.kind === 'segment' || (m.target.kind === 'table' && m.to - m.from === 1);
    if (explained && [...verbs].some((v) => v >= m.from && v < m.to)) taken.add(m);
  }
  const counted = new Set(clauses.conditions.flatMap((c) => c.comparisons ?? []));
  const dates = clauses.freeDates.flatMap((d) => (d.match ? [d.match] : []));
  const amount = clauses.conditions.some((c) => c.amount);
  return {
    ...r,
    ...(amount ? { money: false, selling: false } : {}),
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
export function applyConditions(
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
    } else if (reachableToOne(view, plan.table, c.table)) {
      // "orders of customers with more than 40 orders": a related-row condition about the rows the plan's reach
      filters = [anchoredAt(c.filter, c.table)];
    } else {
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

/**
 * "orders before 2025", "revenue after March": an open-ended bound that no clause's verb took bounds the plan's own
 * date (without this it was dropped, and every row was counted). Rows with no date cannot be bounded: refused.
 */
export function applyFreeBounds(
  outcome: Extract<PlannerOutcome, { kind: 'plan' }>,
  clauses: Clauses,
  r: Reading,
  input: PlannerInput,
): PlannerOutcome {
  const bounds = clauses.freeDates.filter((d) => d.side);
  if (bounds.length === 0) return outcome;
  const plan = structuredClone(outcome.plan);
  // "customers whose last purchase date is before 2025": the date the question names, else the rows' own
  const field =
    plan.time?.field ?? namedDateField(r, input.view, plan.table) ?? nearestTimeField(input.view, plan.table);
  if (!field) {
    const said = bounds.map((d) => `${d.side} ${d.text}`).join(' and ');
    const rows = plan.table.replace(/_/g, ' ');
    return unanswerable(input.view, `The ${rows} have no date, so I can't tell which are ${said}.`);
  }
  for (const d of bounds) plan.filters.push(...dateFilter(field, d, input));
  return { ...outcome, plan };
}

/**
 * "projects past their due date", "contracts past the renewal date": a date of the rows after "past" is before today
 * (it was left out, and the answer counted every row). Not when that date is already the plan's period.
 */
export function applyPastDates(
  outcome: Extract<PlannerOutcome, { kind: 'plan' }>,
  r: Reading,
  input: PlannerInput,
): PlannerOutcome {
  const plan = outcome.plan;
  const fields = r.tokens.flatMap((t, i) => {
    if (t.text !== 'past') return [];
    const at = ['its', 'their', 'the'].includes(r.tokens[i + 1]?.text ?? '') ? i + 2 : i + 1;
    const m = r.matches.find((x) => x.from === at && x.target.kind === 'column');
    const field = m?.target.kind === 'column' ? m.target.field : undefined;
    const own =
      field && isDate(input.view, field) && tableOf(field) === plan.table && plan.time?.field !== field;
    return own ? [field] : [];
  });
  if (fields.length === 0) return outcome;
  const today: DatedPhrase = {
    range: { kind: 'current', unit: 'day' },
    text: 'today',
    token: 0,
    side: 'before',
  };
  const filters = [...plan.filters, ...fields.flatMap((f) => dateFilter(f, today, input))];
  return { ...outcome, plan: { ...plan, filters } };
}

/** A condition on rows of `table`, made to say so when it counts related rows (the plan's rows are others). */
export function anchoredAt(filter: Filter, table: string): Filter {
  switch (filter.op) {
    case 'related':
      return { ...filter, of: filter.of ?? table };
    case 'not':
      return { op: 'not', filter: anchoredAt(filter.filter, table) };
    case 'and':
    case 'or':
      return { op: filter.op, filters: filter.filters.map((f) => anchoredAt(f, table)) };
    default:
      return filter;
  }
}

export function dateFilter(field: string, d: DatedPhrase, input: PlannerInput): Filter[] {
  if (!d.side) return [{ op: 'dateRange', field, range: d.range }];
  const resolved = resolveDateRange(d.range, input.now, input.view.agent.timeZone);
  const at = d.side === 'before' ? resolved.start : resolved.end;
  return [{ op: d.side === 'after' ? 'gte' : 'lt', field, value: at.toISO() ?? '' }];
}

/** The date ranges a filter requires of its rows (through "and" only): [field, range] pairs. */
function requiredRanges(f: Filter): Array<{ field: string; range: DateRange }> {
  if (f.op === 'dateRange') return [{ field: f.field, range: f.range }];
  return f.op === 'and' ? f.filters.flatMap(requiredRanges) : [];
}

/** The filter without its required ranges on `field` (undefined when nothing is left of it). */
function withoutRanges(f: Filter, field: string): Filter | undefined {
  if (f.op === 'dateRange') return f.field === field ? undefined : f;
  if (f.op !== 'and') return f;
  const kept = f.filters.flatMap((x) => withoutRanges(x, field) ?? []);
  return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { op: 'and', filters: kept };
}

/**
 * "how many signed up in 2025 vs this year": two periods of one date that do not overlap, each a condition of the
 * rows, can hold no row, so the answer would be a confident 0. Compared, they are the two periods of a comparison;
 * otherwise the question is refused, naming both.
 */
export function applyDisjointPeriods(
  outcome: Extract<PlannerOutcome, { kind: 'plan' }>,
  r: Reading,
  input: PlannerInput,
): PlannerOutcome {
  const plan = outcome.plan;
  const ranges = [
    ...(plan.time?.range ? [{ field: plan.time.field, range: plan.time.range }] : []),
    ...plan.filters.flatMap(requiredRanges),
  ];
  if (ranges.length < 2) return outcome;
  const zone = input.view.agent.timeZone;
  const resolved = ranges.map((x) => ({ ...x, at: resolveDateRange(x.range, input.now, zone) }));
  for (const [i, a] of resolved.entries()) {
    const b = resolved
      .slice(i + 1)
      .find((y) => y.field === a.field && !(a.at.start < y.at.end && y.at.start < a.at.end));
    if (!b) continue;
    const onField = resolved.filter((x) => x.field === a.field);
    if (r.compare && onField.length === 2 && !plan.time?.grain && plan.dimensions.length === 0) {
      return {
        ...outcome,
        plan: {
          ...plan,
          filters: plan.filters.flatMap((f) => withoutRanges(f, a.field) ?? []),
          time: {
            field: a.field,
            compare: [a, b]
              .sort((x, y) => x.at.start.toMillis() - y.at.start.toMillis())
              .map((x) => ({ label: x.at.label.slice(0, 64), range: x.range })),
          },
        },
      };
    }
    return unanswerable(
      input.view,
      `The question names two periods that do not overlap (${a.at.label} and ${b.at.label}), so no row is in both: ask for one, or compare them.`,
    );
  }
  return outcome;
}
