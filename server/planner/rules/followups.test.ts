// When a question continues the previous one (and keeps its filters) and when it asks afresh; what a kept filter
// tells the user. Every wording here is written for this test and appears in no eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf, planDemo } from '../../../test/support/demo-planner.ts';
import type { QueryPlan } from '../../query/plan.ts';
import type { PlannedTurn } from '../types.ts';

const CANCELLED = { op: 'eq', field: 'orders.status', value: 'cancelled' };
const CANADA = { op: 'eq', field: 'users.country', value: 'Canada' };

async function conversation(...questions: string[]): Promise<PlannedTurn[]> {
  const history: PlannedTurn[] = [];
  for (const question of questions) {
    const out = await planDemo(question, history);
    history.push({ question, plan: out.kind === 'plan' ? out.plan : undefined });
  }
  return history;
}

async function notesOf(question: string, history: PlannedTurn[]): Promise<string[]> {
  const out = await planDemo(question, history);
  if (out.kind !== 'plan') throw new Error(`"${question}" was not planned: ${out.message}`);
  return out.notes;
}

describe('a complete question of its own does not keep the previous filters', () => {
  it('names its measure by its verb and its own periods ("were we selling more in May or in June")', async () => {
    const history = await conversation('how many orders were cancelled in October');
    const plan = await demoPlanOf('were we selling more in May or in June?', history);
    expect(plan.filters).toEqual([]);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(plan.time?.compare?.length).toBe(2);
  });

  it('after a refused question in between as well', async () => {
    const history = await conversation(
      'how many orders were cancelled in October',
      'how many ad clicks did we get',
    );
    expect(history[1]?.plan).toBeUndefined();
    const plan = await demoPlanOf('were we selling better in March or April?', history);
    expect(plan.filters).toEqual([]);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
  });

  it('"how much did we sell" is its own question after a country', async () => {
    const history = await conversation('orders placed from Canada in 2026');
    const plan = await demoPlanOf('how much did we sell in 2025?', history);
    expect(plan.filters).toEqual([]);
  });

  it('a model word for the measure, with no word pointing back, starts afresh too', async () => {
    const history = await conversation('how many orders were cancelled in October');
    expect((await demoPlanOf('what was turnover in 2025?', history)).filters).toEqual([]);
  });
});

describe('an elliptical or pointing-back question keeps them', () => {
  it('"and in June?" keeps the status and says so', async () => {
    const history = await conversation('how many orders were cancelled in May');
    const plan = await demoPlanOf('and in June?', history);
    expect(plan.filters).toEqual([CANCELLED]);
    expect(await notesOf('and in June?', history)).toContain(
      'kept from your previous question: status is cancelled',
    );
  });

  it('"how much did they spend?" is the money of the same orders', async () => {
    const history = await conversation('orders placed from Canada in 2026');
    const plan: QueryPlan = await demoPlanOf('how much did they spend?', history);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(plan.filters).toEqual([CANADA]);
  });

  it('"and how much money was that?" keeps the country and moves to the money', async () => {
    const history = await conversation('orders placed from Canada in 2026');
    const plan = await demoPlanOf('and how much money was that?', history);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(plan.filters).toEqual([CANADA]);
  });

  it('"of those, how many ..." narrows the previous rows', async () => {
    const history = await conversation('how many orders came from Canada in 2025');
    const plan = await demoPlanOf('of those, how many got refunded?', history);
    expect(plan.filters).toEqual([CANADA, { op: 'eq', field: 'orders.status', value: 'refunded' }]);
    expect(plan.time?.range).toEqual({ kind: 'period', period: { year: 2025 } });
  });

  it('a model measure "of those" is measured over the previous rows', async () => {
    const history = await conversation('orders placed from Canada in 2026');
    const plan = await demoPlanOf('what was the average order value of those?', history);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.average_order_value' }]);
    expect(plan.filters).toEqual([CANADA]);
  });

  it('"those who ..." opens a clause of its own and points at nothing before', async () => {
    const history = await conversation('orders placed from Canada in 2026');
    const plan = await demoPlanOf('revenue from those who signed up in 2025', history);
    expect(plan.filters).not.toContainEqual(CANADA);
  });

  it('"each of them" after a thing the question names points within the question', async () => {
    const history = await conversation('how many orders were cancelled in October');
    const plan = await demoPlanOf('products in Books and the units sold for each of them', history);
    expect(plan.filters).not.toContainEqual(CANCELLED);
  });

  it('quotes the question it continues when a refused one came in between', async () => {
    const history = await conversation(
      'how many orders were cancelled in May',
      'how many ad clicks did we get',
    );
    expect(await notesOf('and in June?', history)).toEqual([
      'read as a follow-up to the last question that was answered',
      'kept from your earlier question "how many orders were cancelled in May": status is cancelled',
    ]);
  });

  it('says nothing was kept when the previous question had no filter', async () => {
    const history = await conversation('turnover in September');
    const notes = await notesOf('and in August?', history);
    expect(notes.some((n) => n.startsWith('kept from'))).toBe(false);
  });

  it('a filter the follow-up names again is its own, not kept', async () => {
    const history = await conversation('how many orders were cancelled in May');
    const notes = await notesOf('and cancelled ones in June?', history);
    expect(notes.some((n) => n.startsWith('kept from'))).toBe(false);
  });
});

describe('a word that only acknowledges the answer does not stop a follow-up', () => {
  it('"thanks, and the top 3 by revenue?" after the best products ranks the products by their revenue', async () => {
    const history = await conversation('best 3 products by units sold in October');
    const plan = await demoPlanOf('thanks, and the top 3 by revenue?', history);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'order_items.product_revenue' }]);
    expect(plan.dimensions.map((d) => d.field)).toContain('products.name');
    expect(plan.limit).toBe(3);
    expect(JSON.stringify(plan)).toContain('"month":10');
  });

  it('"great, and the revenue?" keeps the country and the month', async () => {
    const history = await conversation('orders placed from Canada in May');
    const plan = await demoPlanOf('great, and the revenue?', history);
    expect(plan.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(plan.filters).toEqual([CANADA]);
    expect(JSON.stringify(plan.time)).toContain('"month":5');
  });
});
