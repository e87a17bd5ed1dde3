import { describe, expect, it } from 'vitest';
import { QueryPlan, type QueryPlanInput } from '../query/plan.ts';
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
  it('cuts last quarter to the days this quarter has run (56 of 92)', () => {
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
    expect(even?.cut).toEqual([{ label: 'last quarter', span: '1 Jul 2026 – 25 Aug 2026' }]);
    expect(even?.plan.time?.compare).toEqual([
      { label: 'this quarter', range: { kind: 'current', unit: 'quarter' } },
      { label: 'last quarter', range: { kind: 'between', from: '2026-07-01', to: '2026-08-25' } },
    ]);
  });

  it('cuts the same month a year ago, and counts days in the agent time zone', () => {
    const even = likeForLikePlan(
      plan([
        { label: 'this month', range: { kind: 'current', unit: 'month' } },
        { label: 'November 2025', range: { kind: 'period', period: { year: 2025, month: 11 } } },
      ]),
      new Date('2026-11-30T23:30:00Z'),
      'Europe/Berlin', // already 1 December there: a new month of 1 day
    );
    expect(even?.days).toBe(1);
    expect(even?.cut).toEqual([{ label: 'November 2025', span: '1 Nov 2025 – 1 Nov 2025' }]);
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
