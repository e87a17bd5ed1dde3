import { describe, expect, it } from 'vitest';
import { resolveDateRange } from '../dates/resolve.ts';
import { type DateRange, QueryPlan, type QueryPlanInput } from '../query/plan.ts';
import { likeForLikePlan } from './like-for-like.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const plan = (compare: NonNullable<QueryPlanInput['time']>['compare'], extra: Partial<QueryPlanInput> = {}) =>
  QueryPlan.parse({
    version: 1,
    table: 'orders',
    measures: [{ kind: 'count' }],
    time: { field: 'orders.created_at', compare },
    ...extra,
  });

describe('like-for-like comparisons', () => {
  it('cuts last quarter to the same elapsed time, to the instant (55 days 12 hours)', () => {
    const even = likeForLikePlan(
      plan([
        { label: 'this quarter', range: { kind: 'current', unit: 'quarter' } },
        { label: 'last quarter', range: { kind: 'last', unit: 'quarter', n: 1 } },
      ]),
      NOW,
      'UTC',
    );
    expect(even?.days).toBe(56);
    expect(even?.running).toBe('this quarter');
    expect(even?.window).toBe('1 Oct 2026, 00:00 – 25 Nov 2026, 12:00');
    expect(even?.cut).toEqual([{ label: 'last quarter', span: '1 Jul 2026, 00:00 – 25 Aug 2026, 12:00' }]);
    expect(even?.plan.time?.compare).toEqual([
      { label: 'this quarter', range: { kind: 'current', unit: 'quarter' } },
      {
        label: 'last quarter',
        range: { kind: 'span', from: '2026-07-01T00:00:00', until: '2026-08-25T12:00:00' },
      },
    ]);
  });

  it('ends last month where this month has got to: 6 Dec 09:21 matches 1 Nov 00:00 up to 6 Nov 09:21', () => {
    const even = likeForLikePlan(
      plan([
        { label: 'this month', range: { kind: 'current', unit: 'month' } },
        { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
      ]),
      new Date('2026-12-06T09:21:37Z'),
      'UTC',
    );
    expect(even?.window).toBe('1 Dec 2026, 00:00 – 6 Dec 2026, 09:21:37');
    expect(even?.cut).toEqual([{ label: 'last month', span: '1 Nov 2026, 00:00 – 6 Nov 2026, 09:21:37' }]);
    const range = even?.plan.time?.compare?.[1]?.range;
    expect(range).toEqual({ kind: 'span', from: '2026-11-01T00:00:00', until: '2026-11-06T09:21:37' });
    // the compiler's resolution of that range is the same window
    const resolved = resolveDateRange(range as DateRange, new Date('2026-12-06T09:21:37Z'), 'UTC');
    expect(resolved.start.toISO()).toBe('2026-11-01T00:00:00.000Z');
    expect(resolved.end.toISO()).toBe('2026-11-06T09:21:37.000Z');
  });

  it('does the same for weeks and years, in the agent time zone', () => {
    const at = new Date('2026-12-09T14:30:00Z'); // Wednesday 15:30 in Paris
    const week = likeForLikePlan(
      plan([
        { label: 'this week', range: { kind: 'current', unit: 'week' } },
        { label: 'last week', range: { kind: 'last', unit: 'week', n: 1 } },
      ]),
      at,
      'Europe/Paris',
    );
    expect(week?.cut).toEqual([{ label: 'last week', span: '30 Nov 2026, 00:00 – 2 Dec 2026, 15:30' }]);
    const year = likeForLikePlan(
      plan([
        { label: 'this year', range: { kind: 'current', unit: 'year' } },
        { label: 'last year', range: { kind: 'last', unit: 'year', n: 1 } },
      ]),
      at,
      'Europe/Paris',
    );
    expect(year?.cut).toEqual([{ label: 'last year', span: '1 Jan 2025, 00:00 – 9 Dec 2025, 15:30' }]);
  });

  it('reads whole days as days when the running period started exactly a whole number of days ago', () => {
    const even = likeForLikePlan(
      plan([
        { label: 'this month', range: { kind: 'current', unit: 'month' } },
        { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
      ]),
      new Date('2026-12-06T00:00:00Z'),
      'UTC',
    );
    expect(even?.cut).toEqual([{ label: 'last month', span: '1–5 Nov 2026' }]);
  });

  it('cuts the same month a year ago, and counts time in the agent time zone', () => {
    const even = likeForLikePlan(
      plan([
        { label: 'this month', range: { kind: 'current', unit: 'month' } },
        { label: 'November 2025', range: { kind: 'period', period: { year: 2025, month: 11 } } },
      ]),
      new Date('2026-11-30T23:30:00Z'),
      'Europe/Berlin', // already 1 December there: a new month of half an hour
    );
    expect(even?.days).toBe(1);
    expect(even?.cut).toEqual([{ label: 'November 2025', span: '1 Nov 2025, 00:00 – 1 Nov 2025, 00:30' }]);
  });

  it('leaves whole-period comparisons, other units and grouped comparisons alone', () => {
    const whole = plan([
      { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
      { label: 'October 2025', range: { kind: 'period', period: { year: 2025, month: 10 } } },
    ]);
    expect(likeForLikePlan(whole, NOW, 'UTC')).toBeUndefined();
    const otherUnit = plan([
      { label: 'this month', range: { kind: 'current', unit: 'month' } },
      { label: 'last 3 months', range: { kind: 'last', unit: 'month', n: 3 } },
    ]);
    expect(likeForLikePlan(otherUnit, NOW, 'UTC')).toBeUndefined();
    const byStatus = plan(
      [
        { label: 'this month', range: { kind: 'current', unit: 'month' } },
        { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
      ],
      { dimensions: [{ field: 'orders.status' }] },
    );
    expect(likeForLikePlan(byStatus, NOW, 'UTC')).toBeUndefined();
  });
});
