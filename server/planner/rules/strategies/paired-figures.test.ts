// Two figures in one question: one measure per side of the "and"/"vs", over one table.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../../test/support/demo-planner.ts';

const VALUES: Record<string, string[]> = { 'users.country': ['Germany', 'France'] };
const planOf = (question: string) => demoPlanOf(question, [], VALUES);

describe('two figures in one question', () => {
  it('counts the rows and adds the measure named beside them', async () => {
    const p = await planOf('checkouts plus gmv during 2024');
    expect(p).toMatchObject({ table: 'orders', dimensions: [] });
    expect(p.measures).toEqual([{ kind: 'count' }, { kind: 'named', name: 'orders.revenue' }]);
    expect(p.time?.range).toEqual({ kind: 'period', period: { year: 2024 } });
  });

  it('narrows only its own figure by a status or a segment', async () => {
    const orders = await planOf('gmv and the count of refunded purchases in 2024');
    expect(orders.measures).toEqual([
      { kind: 'named', name: 'orders.revenue' },
      { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'refunded' } },
    ]);
    expect(orders.filters).toEqual([]);
    const people = await planOf('all members versus buyers');
    expect(people).toMatchObject({ table: 'users', filters: [] });
    expect(people.measures).toEqual([
      { kind: 'count' },
      { kind: 'count', filter: { op: 'segment', segment: 'users.customer' } },
    ]);
  });

  it('counts the distinct values of a text column on the other side', async () => {
    const p = await planOf('count of skus and count of departments');
    expect(p.measures).toEqual([{ kind: 'count' }, { kind: 'countDistinct', field: 'products.category' }]);
  });

  it('leaves two values of one column to a single figure', async () => {
    const p = await planOf('purchases from germany and france in 2024');
    expect(p.measures).toEqual([{ kind: 'count' }]);
    expect(p.filters).toContainEqual({ op: 'in', field: 'users.country', values: ['Germany', 'France'] });
  });
});

describe('two figures asked to be shown, period by period', () => {
  it('"show" with a model measure on one side asks for both figures, not for rows', async () => {
    const p = await planOf('display checkouts plus gmv during Q2 2024');
    expect(p.select).toEqual([]);
    expect(p.measures).toEqual([{ kind: 'count' }, { kind: 'named', name: 'orders.revenue' }]);
  });

  it('keeps both figures over a time grain', async () => {
    const p = await planOf('checkouts plus gmv monthly during 2024');
    expect(p.measures).toHaveLength(2);
    expect(p.time?.grain).toBe('month');
  });
});
