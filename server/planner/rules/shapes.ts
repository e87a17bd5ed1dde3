// The shape an answer takes beyond its measure: a running total period by period, the growth against the period
// before (or between two named periods, as one figure), and each group's share of the whole.
import { findDateRanges } from '../../dates/phrases.ts';
import { resolveDateRange } from '../../dates/resolve.ts';
import { type DateRange, type Filter, type Measure, measureName, type QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import { nearestTimeField } from './model-helpers.ts';
import type { Reading } from './reading.ts';

type Planned = Extract<PlannerOutcome, { kind: 'plan' }>;

/** The plan with the running total, growth or share of the whole the question asks for. */
export function applyShapes(
  outcome: Planned,
  r: Reading,
  input: PlannerInput,
  alias: (m: Measure) => string,
): Planned {
  const plan = outcome.plan;
  const measure = plan.measures[0];
  if (plan.measures.length !== 1 || !measure || plan.select.length > 0) return outcome;
  if (r.growth) {
    const periods = comparedPeriods(plan, r, input);
    if (periods) return { ...outcome, plan: growthBetween(plan, measure, periods, r.share, alias, input) };
    if (plan.time?.grain) {
      const change: Measure = {
        kind: 'change',
        of: measure,
        mode: r.share ? 'percent' : 'difference',
        as: measureName(alias(measure), 'change', ...(r.share ? ['pct'] : [])),
      };
      return {
        ...outcome,
        plan: { ...plan, measures: [measure, change] },
        notes: [...outcome.notes, 'each period is compared with the one before it'],
      };
    }
  }
  if (r.running) {
    const timeField = plan.time?.field ?? nearestTimeField(input.view, plan.table);
    if (!timeField) return outcome;
    const time = { ...(plan.time ?? { field: timeField }), grain: plan.time?.grain ?? 'month' };
    const running: Measure = { kind: 'running', of: measure, as: measureName('running', alias(measure)) };
    return {
      ...outcome,
      plan: { ...plan, time, measures: [measure, running] },
      notes: [...outcome.notes, `the running total adds up each ${time.grain} from the start of the period`],
    };
  }
  if (r.share && plan.dimensions.length > 0 && isPlain(measure)) {
    const share: Measure = {
      kind: 'shareOfTotal',
      of: measure,
      as: measureName('share_of', alias(measure)),
    };
    return {
      ...outcome,
      plan: { ...plan, measures: [measure, share] },
      notes: [...outcome.notes, 'each share is of the total over all the rows shown'],
    };
  }
  return outcome;
}

function isPlain(m: Measure): boolean {
  return m.kind === 'named' || m.kind === 'count' || m.kind === 'sum' || m.kind === 'countDistinct';
}

interface Period {
  label: string;
  range: DateRange;
  start: number;
}

/**
 * The two periods a growth compares, earlier first: a comparison's periods ("2025 compared to 2024"), or the two
 * ends of "from Q2 to Q3".
 */
function comparedPeriods(plan: QueryPlan, r: Reading, input: PlannerInput): [Period, Period] | undefined {
  const at = (range: DateRange): number =>
    resolveDateRange(range, input.now, input.view.agent.timeZone).start.toMillis();
  let periods: Period[] = [];
  if (plan.time?.compare?.length === 2) {
    periods = plan.time.compare.map((p) => ({ label: p.label, range: p.range, start: at(p.range) }));
  } else {
    const span = r.dates[0];
    const ends =
      span &&
      (/^\s*from\s+(.+?)\s+to\s+(.+?)\s*$/i.exec(span.text) ??
        /^\s*between\s+(.+?)\s+and\s+(.+?)\s*$/i.exec(span.text));
    if (!ends) return undefined;
    for (const part of [ends[1] ?? '', ends[2] ?? '']) {
      const range = periodNamed(part.trim(), input);
      if (!range) return undefined;
      periods.push({ label: part.trim(), range, start: at(range) });
    }
  }
  if (periods.length !== 2) return undefined;
  periods.sort((a, b) => a.start - b.start);
  return [periods[0] as Period, periods[1] as Period];
}

/** The period a phrase names as a whole: "Q2", "March 2025", or a bare year ("2024" is read as "in 2024"). */
function periodNamed(text: string, input: PlannerInput): DateRange | undefined {
  for (const phrase of [text, `in ${text}`]) {
    const found = findDateRanges(phrase, input.now, input.view.agent.timeZone)[0];
    if (found && found.text.trim() === phrase) return found.range;
  }
  return undefined;
}

/** "By what percent did revenue grow from 2024 to 2025": both figures and the change, as one row. */
function growthBetween(
  plan: QueryPlan,
  measure: Measure,
  [earlier, later]: [Period, Period],
  percent: boolean,
  alias: (m: Measure) => string,
  input: PlannerInput,
): QueryPlan {
  const field = plan.time?.field ?? nearestTimeField(input.view, plan.table);
  const name = alias(measure);
  const inPeriod = (p: Period): Measure => {
    const filter: Filter = { op: 'dateRange', field: field as string, range: p.range };
    return { ...narrowed(measure, filter, input.view), as: measureName(name, slug(p.label)) };
  };
  const before = inPeriod(earlier);
  const after = inPeriod(later);
  const difference: Measure = {
    kind: 'difference',
    minuend: after,
    subtrahend: before,
    as: measureName(name, 'change'),
  };
  const change: Measure = percent
    ? { kind: 'ratio', numerator: difference, denominator: before, as: measureName(name, 'change_pct') }
    : difference;
  return {
    ...plan,
    time: undefined,
    dimensions: [],
    measures: [before, after, change],
    order: [],
    limit: undefined,
  };
}

/** The measure over only the rows of `filter` (a named measure keeps its own definition's filter). */
function narrowed(m: Measure, filter: Filter, _view: ModelView): Measure {
  switch (m.kind) {
    case 'named':
    case 'count':
    case 'countDistinct':
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return { ...m, filter: m.filter ? { op: 'and', filters: [m.filter, filter] } : filter };
    default:
      return m;
  }
}

function slug(label: string): string {
  return (
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'period'
  );
}
