// The shape an answer takes: who ranks first, counts named after the thing ("order counts"), the values of a
// column, averages per thing. Every wording is written for this test and appears in no eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';

describe('people named without a word of the model', () => {
  it('"who" ranks people, by key and name', async () => {
    const p = await demoPlanOf('who bought the most orders in june');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }], limit: 1 });
    expect(p.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
  });

  it('"spenders" are people ranked by the money they spent', async () => {
    const p = await demoPlanOf('our 4 largest spenders in canada');
    expect(p.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(p.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
    expect(p.limit).toBe(4);
    expect(p.filters).toContainEqual({ op: 'eq', field: 'users.country', value: 'Canada' });
  });
});

describe('counts named after the thing counted', () => {
  it('"<thing> count(s)" and "<thing> numbers" count the thing', async () => {
    for (const [q, table] of [
      ['product count per category', 'products'],
      ['member numbers for 2025 by country', 'users'],
      ['monthly order counts in 2024', 'orders'],
    ] as const) {
      const p = await demoPlanOf(q);
      expect([p.table, p.measures], q).toEqual([table, [{ kind: 'count' }]]);
    }
  });

  it('"how many have ..." after a subject counts that subject', async () => {
    const p = await demoPlanOf('among members from japan, how many have more than 2 orders');
    expect(p.table).toBe('users');
    expect(p.filters).toContainEqual({ op: 'related', table: 'orders', count: { op: 'gt', value: 2 } });
  });
});

describe('the values of a column', () => {
  it('lists them, with how many rows have each', async () => {
    for (const [q, field, table] of [
      ['which product categories exist', 'products.category', 'products'],
      ['what countries are our shoppers from', 'users.country', 'users'],
      ['show every order status', 'orders.status', 'orders'],
    ] as const) {
      const p = await demoPlanOf(q);
      expect([p.table, p.dimensions, p.measures], q).toEqual([table, [{ field }], [{ kind: 'count' }]]);
    }
  });
});

describe('averages per thing', () => {
  it('divides a count by the number of things it is spread over', async () => {
    for (const q of [
      'average orders per member in 2025',
      'on average, how many orders does one shopper make',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.measures, q).toEqual([
        {
          kind: 'ratio',
          numerator: { kind: 'count' },
          denominator: { kind: 'countDistinct', field: 'users.id' },
          as: 'average_per_users',
        },
      ]);
    }
  });
});
