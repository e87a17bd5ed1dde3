// Like-for-like comparisons: "this quarter vs last quarter" on day 67 compares 67 days with 92 when each period is
// taken whole. The answer keeps the whole periods (the contract's date rules), and also compares the same number
// of elapsed days: the running period so far against the first as many days of each earlier period of its unit.
// This module only rewrites the plan's comparison ranges; the compiler builds the query as for any plan.
import type { DateTime } from 'luxon';
import { formatDay, resolveDateRange } from '../dates/resolve.ts';
import type { DateRange, QueryPlan } from '../query/plan.ts';

export interface LikeForLike {
  /** the days of the running period so far (today included), and the period's label ("this quarter") */
  days: number;
  running: string;
  /** the plan with each earlier period cut to its first `days` days */
  plan: QueryPlan;
  /** per cut period: its label and the days it now covers ("1 Jul 2026 – 5 Sep 2026") */
  cut: Array<{ label: string; span: string }>;
}

function dayCount(first: DateTime, endExclusive: DateTime): number {
  const last = endExclusive.minus({ milliseconds: 1 }).startOf('day');
  return Math.round(last.diff(first.startOf('day'), 'days').days) + 1;
}

/**
 * The like-for-like version of a comparison plan, or undefined when there is nothing to even out: no running
 * period (this week/month/quarter/year), or no earlier whole period of the same unit longer than its days so far.
 * Only plain comparisons (no grain, no other grouping), where one figure per period is compared.
 */
export function likeForLikePlan(plan: QueryPlan, now: Date, timeZone: string): LikeForLike | undefined {
  const compare = plan.time?.compare;
  if (!plan.time || !compare || plan.time.grain || plan.dimensions.length > 0) return undefined;
  const running = compare.find(
    (p): p is { label: string; range: Extract<DateRange, { kind: 'current' }> } =>
      p.range.kind === 'current' && p.range.unit !== 'day',
  );
  if (!running) return undefined;
  const unit = running.range.unit;
  const current = resolveDateRange(running.range, now, timeZone);
  const days = dayCount(current.start, current.end);
  const cut: LikeForLike['cut'] = [];
  const periods = compare.map((p) => {
    if (p === running) return p;
    const r = resolveDateRange(p.range, now, timeZone);
    const wholeUnit = r.start.plus({ [unit]: 1 }).equals(r.end);
    if (!wholeUnit || r.end > current.start || dayCount(r.start, r.end) <= days) return p;
    const last = r.start.plus({ days: days - 1 });
    cut.push({ label: p.label, span: `${formatDay(r.start)} – ${formatDay(last)}` });
    const range: DateRange = {
      kind: 'between',
      from: r.start.toFormat('yyyy-MM-dd'),
      to: last.toFormat('yyyy-MM-dd'),
    };
    return { label: p.label, range };
  });
  if (cut.length === 0) return undefined;
  return { days, running: running.label, plan: { ...plan, time: { ...plan.time, compare: periods } }, cut };
}
