// Averages per thing: the figure spread over the things it is about, counted over the same rows.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';

const planOf = (question: string) => demoPlanOf(question, [], {});

const COMPLETED = { op: 'eq', field: 'orders.status', value: 'completed' };

describe('an average per thing of a measure with its own filter', () => {
  it('counts only the things among the rows the measure adds up', async () => {
    const money = await planOf('mean takings per buyer during 2024');
    expect(money.measures).toEqual([
      {
        kind: 'ratio',
        numerator: { kind: 'named', name: 'orders.revenue' },
        denominator: { kind: 'countDistinct', field: 'users.id', filter: COMPLETED },
        as: 'average_per_users',
      },
    ]);
    const units = await planOf('mean units sold per checkout during 2024');
    expect(units.measures[0]).toMatchObject({
      numerator: { kind: 'named', name: 'order_items.units_sold' },
      denominator: { kind: 'countDistinct', field: 'orders.id', filter: COMPLETED },
    });
  });

  it('counts every thing when the figure is a plain count', async () => {
    const p = await planOf('mean number of checkouts per member');
    expect(p.measures[0]).toMatchObject({
      numerator: { kind: 'count' },
      denominator: { kind: 'countDistinct', field: 'users.id' },
    });
    expect(p.measures[0]).not.toHaveProperty('denominator.filter');
  });
});

describe('an average count per value of a column', () => {
  it('spreads the count over the distinct values of the column', async () => {
    const p = await planOf('mean count of skus per department');
    expect(p).toMatchObject({ table: 'products', dimensions: [] });
    expect(p.measures).toEqual([
      {
        kind: 'ratio',
        numerator: { kind: 'count' },
        denominator: { kind: 'countDistinct', field: 'products.category' },
        as: 'average_per_category',
      },
    ]);
  });

  it('keeps a money measure per column value a breakdown', async () => {
    const p = await planOf('mean turnover per department during 2024');
    expect(p.dimensions).toEqual([{ field: 'products.category' }]);
  });
});

describe('an average of a model measure per row of its own table', () => {
  it('spreads the measure over the rows it adds up, not a breakdown by row', async () => {
    const p = await planOf('mean gmv for each checkout during 2024');
    expect(p.dimensions).toEqual([]);
    expect(p.measures[0]).toMatchObject({
      kind: 'ratio',
      numerator: { kind: 'named', name: 'orders.revenue' },
      denominator: { kind: 'countDistinct', field: 'orders.id', filter: COMPLETED },
    });
  });
});
