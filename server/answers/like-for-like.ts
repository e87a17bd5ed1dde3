// Like-for-like comparisons: "this month vs last month" on 6 Dec at 09:21 compares 5 days and 9 hours with 30 days
// when each period is taken whole. The answer keeps the whole periods (the contract's date rules), and also compares
// the same elapsed time, to the instant: the running period so far against each earlier period of its unit from its
// start up to the same point (1 Nov 00:00 up to 6 Nov 09:21).
// This module only rewrites the plan's comparison ranges; the compiler builds the query as for any plan.
import type { DateTime } from 'luxon';
import { calendarDaysBetween, formatInstantSpan, resolveDateRange } from '../dates/resolve.ts';
import type { DateRange, QueryPlan } from '../query/plan.ts';

export interface LikeForLike {
  /** calendar days the running period has touched so far (today included), and the period's label ("this quarter") */
  days: number;
  running: string;
  /** the running period's window so far ("1 Dec 2026, 00:00 – 6 Dec 2026, 09:21") */
  window: string;
  /** the plan with each earlier period cut to the same elapsed time */
  plan: QueryPlan;
  /** per cut period: its label and the window it now covers ("1 Nov 2026, 00:00 – 6 Nov 2026, 09:21") */
  cut: Array<{ label: string; span: string }>;
}

function dayCount(first: DateTime, endExclusive: DateTime): number {
  return calendarDaysBetween(first, endExclusive.minus({ milliseconds: 1 })) + 1;
}

/** The plan's local-time form of a moment (seconds precision, as the databases store date-times). */
function localTime(d: DateTime): string {
  return d.toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/**
 * The like-for-like version of a comparison plan, or undefined when there is nothing to even out: no running
 * period (this week/month/quarter/year), or no earlier whole period of the same unit longer than its time so far.
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
  // calendar days and the time of day, so that a month cut at 09:21 on its 6th day ends at 09:21 on the 6th
  const elapsed = current.end.diff(current.start, ['days', 'hours', 'minutes', 'seconds', 'milliseconds']);
  const cut: LikeForLike['cut'] = [];
  const periods = compare.map((p) => {
    if (p === running) return p;
    const r = resolveDateRange(p.range, now, timeZone);
    const wholeUnit = r.start.plus({ [unit]: 1 }).equals(r.end);
    const end = r.start.plus(elapsed).set({ millisecond: 0 });
    if (!wholeUnit || r.end > current.start || end >= r.end) return p;
    cut.push({ label: p.label, span: formatInstantSpan(r.start, end) });
    const range: DateRange = { kind: 'span', from: localTime(r.start), until: localTime(end) };
    return { label: p.label, range };
  });
  if (cut.length === 0) return undefined;
  return {
    days: dayCount(current.start, current.end),
    running: running.label,
    window: formatInstantSpan(current.start, current.end.set({ millisecond: 0 })),
    plan: { ...plan, time: { ...plan.time, compare: periods } },
    cut,
  };
}
