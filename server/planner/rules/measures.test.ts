// Averages per thing: the figure spread over the things it is about, counted over the same rows.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { QueryPlan } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { RulesPlanner } from './rules-planner.ts';

const FILE = new URL('../../../parley.config.yaml', import.meta.url);
const demo = parseConfig(fs.readFileSync(FILE, 'utf8'), FILE.pathname, {}).agents.get('demo');
if (!demo) throw new Error('no demo agent');
const planner = new RulesPlanner(demo.model);
const view = new ModelView(demo.config, demo.model, { organisationId: 1 });

async function planOf(question: string): Promise<QueryPlan> {
  const out = await planner.plan({
    question,
    view,
    history: [],
    now: new Date('2026-11-25T12:00:00Z'),
    values: { values: async () => [] },
  });
  if (out.kind !== 'plan') throw new Error(`"${question}" was not planned: ${out.kind} ${out.message}`);
  return out.plan;
}

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
