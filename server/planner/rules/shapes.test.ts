// The shape an answer takes: who ranks first, counts named after the thing ("order counts"), the values of a
// column, averages per thing. Every wording is written for this test and appears in no eval file.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';
import { parseConfig } from '../../config/load.ts';
import { MAX_NAME_LENGTH, QueryPlan } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { RulesPlanner } from './rules-planner.ts';

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

describe('running totals, growth and shares of the whole', () => {
  const units = { kind: 'named', name: 'order_items.units_sold' };

  it('adds a running total beside the figure, period by period', async () => {
    for (const q of [
      'units sold per week this quarter, cumulatively',
      'accumulated units sold each month in 2025',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.measures, q).toEqual([units, { kind: 'running', of: units, as: 'running_units_sold' }]);
      expect(p.time?.grain, q).toBeDefined();
    }
  });

  it('compares each period with the one before, in percent when asked', async () => {
    const p = await demoPlanOf(
      'weekly units sold over the last 8 weeks and how much they changed in percent',
    );
    expect(p.measures).toEqual([
      units,
      { kind: 'change', of: units, mode: 'percent', as: 'units_sold_change_pct' },
    ]);
    expect(p.time?.grain).toBe('week');
  });

  it('turns the growth between two named periods into one figure, earlier period first', async () => {
    const p = await demoPlanOf(
      'how much did units sold increase in percent from january 2026 to february 2026',
    );
    const jan = {
      op: 'dateRange',
      field: 'orders.created_at',
      range: { kind: 'period', period: { year: 2026, month: 1 } },
    };
    const feb = {
      op: 'dateRange',
      field: 'orders.created_at',
      range: { kind: 'period', period: { year: 2026, month: 2 } },
    };
    expect(p.time).toBeUndefined();
    expect(p.measures[0]).toMatchObject({ ...units, filter: jan });
    expect(p.measures[1]).toMatchObject({ ...units, filter: feb });
    expect(p.measures[2]).toMatchObject({ kind: 'ratio', numerator: { kind: 'difference' } });
  });

  it("keeps the names of the growth figures within the plan's name limit for a long measure name", async () => {
    // the demo model with units sold renamed to a name that is valid on its own, but not with "_change" added
    const long = `units_sold_${'x'.repeat(MAX_NAME_LENGTH - 'units_sold_'.length - 2)}`;
    const file = new URL('../../../parley.config.yaml', import.meta.url);
    const text = fs.readFileSync(file, 'utf8').replace(/^( +)units_sold:$/m, `$1${long}:`);
    const demo = parseConfig(text, file.pathname, {}).agents.get('demo');
    if (!demo) throw new Error('no demo agent');
    const out = await new RulesPlanner().plan({
      question: 'by how much did units sold increase from march 2026 to april 2026',
      view: new ModelView(demo.config, demo.model, { organisationId: 1 }),
      history: [],
      now: new Date('2026-11-25T12:00:00Z'),
      values: { values: async () => [] },
    });
    if (out.kind !== 'plan') throw new Error(`not planned: ${out.kind} ${out.message}`);
    const names = out.plan.measures.map((m) => m.as ?? '');
    expect(names).toHaveLength(3);
    expect(names[2]).toBe(`${long}_change`.slice(0, MAX_NAME_LENGTH));
    for (const name of names) expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(QueryPlan.safeParse(out.plan).success).toBe(true);
  });

  it("gives each group's share of the total", async () => {
    const p = await demoPlanOf('percentage of units sold per category in 2025');
    expect(p.dimensions).toEqual([{ field: 'products.category' }]);
    expect(p.measures).toEqual([units, { kind: 'shareOfTotal', of: units, as: 'share_of_units_sold' }]);
  });
});

describe('rankings and listings', () => {
  it('ranks the thing named before the rank word ("the 4 countries that ... the most")', async () => {
    const p = await demoPlanOf('the 4 countries whose members ordered the most units this year');
    expect(p.dimensions).toEqual([{ field: 'users.country' }]);
    expect(p.limit).toBe(4);
  });

  it('"best sellers" are the things sold', async () => {
    const p = await demoPlanOf('top 4 sellers by units sold in 2025');
    expect(p.dimensions).toEqual([{ field: 'products.id' }, { field: 'products.name' }]);
    expect(p.measures).toEqual([{ kind: 'named', name: 'order_items.units_sold' }]);
  });

  it('a status stands for the rows that have it ("the 3 latest cancellations")', async () => {
    const p = await demoPlanOf('list the 3 latest cancelled ones');
    expect(p).toMatchObject({
      table: 'orders',
      limit: 3,
      order: [{ by: 'orders.created_at', direction: 'desc' }],
    });
    expect(p.filters).toContainEqual({ op: 'eq', field: 'orders.status', value: 'cancelled' });
  });

  it('shows the columns a listing asks for', async () => {
    const p = await demoPlanOf('show pending orders from this week together with the member email');
    expect(p.select).toContain('users.email');
  });

  it('splits a share into the whole the subject names and the part the predicate names', async () => {
    const p = await demoPlanOf('what proportion of our canadian members are customers');
    expect(p.filters).toContainEqual({ op: 'eq', field: 'users.country', value: 'Canada' });
    expect(p.measures[0]).toMatchObject({
      kind: 'ratio',
      numerator: { kind: 'count', filter: { op: 'segment', segment: 'users.customer' } },
      denominator: { kind: 'count' },
    });
  });
});

describe('more kinds found by a fresh set of questions', () => {
  it('"rank X by Y" ranks, highest first unless it says otherwise', async () => {
    const high = await demoPlanOf('rank the books products by product revenue');
    expect(high.order).toEqual([{ by: 'product_revenue', direction: 'desc' }]);
    expect(high.dimensions).toEqual([{ field: 'products.id' }, { field: 'products.name' }]);
    const low = await demoPlanOf('rank members by revenue, lowest first');
    expect(low.order).toEqual([{ by: 'revenue', direction: 'asc' }]);
  });

  it('"who has the most <status> orders" ranks people; "at least" never ranks', async () => {
    const who = await demoPlanOf('who has the most cancelled orders this year');
    expect(who.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
    expect(who.limit).toBe(1);
    const atLeast = await demoPlanOf('how many members have at least 2 refunded orders');
    expect(atLeast.limit).toBeUndefined();
    expect(atLeast.filters).toContainEqual({
      op: 'related',
      table: 'orders',
      filter: { op: 'eq', field: 'orders.status', value: 'refunded' },
      count: { op: 'gte', value: 2 },
    });
  });

  it('"distinct products sold" counts products among the sold lines, not units', async () => {
    for (const q of [
      'how many unique products were sold in june',
      'number of distinct products ordered per category in 2025',
    ]) {
      const p = await demoPlanOf(q);
      expect([p.table, p.measures], q).toEqual([
        'order_items',
        [{ kind: 'countDistinct', field: 'products.id' }],
      ]);
    }
  });
});

describe('which of two periods', () => {
  it('"more in A or B", "higher in A than in B" compare the two periods', async () => {
    for (const q of ['did we sell more during june or july', 'were sign ups higher in q1 than in q4']) {
      expect((await demoPlanOf(q)).time?.compare?.length, q).toBe(2);
    }
  });

  it('"did we sell more" asks for sales', async () => {
    expect((await demoPlanOf('did we sell more during june or july')).measures).toEqual([
      { kind: 'named', name: 'orders.revenue' },
    ]);
  });

  it('growth "from 2023 to 2024" and "between 2023 and 2024" compares the two years, bare years too', async () => {
    for (const q of [
      'how much did sales grow from 2023 to 2024',
      'order growth between 2023 and 2024 in percent',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.measures.length, q).toBe(3);
      expect(p.time, q).toBeUndefined();
    }
  });
});
