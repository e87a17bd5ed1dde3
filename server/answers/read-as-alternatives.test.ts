import { describe, expect, it } from 'vitest';
import { DEMO_NOW, DEMO_VALUES, demoPlanner, demoView, planDemo } from '../../test/support/demo-planner.ts';
import type { PlannedTurn } from '../planner/types.ts';
import type { ReadAsChip } from './read-as.ts';
import { attachAlternatives, findAlternatives } from './read-as-alternatives.ts';

const values = { values: async (field: string) => DEMO_VALUES[field] ?? [] };

/** The chips of a question's answer (as read-as.ts orders them: measures, period, filters, grain), with alternatives. */
async function chipsOf(question: string, history: PlannedTurn[] = []): Promise<ReadAsChip[]> {
  const outcome = await planDemo(question, history);
  if (outcome.kind !== 'plan' || !outcome.words) throw new Error(`"${question}" was not planned`);
  const { plan } = outcome;
  const chips: ReadAsChip[] = plan.measures.map((_, i) => ({ kind: 'measure', text: `measure ${i}` }));
  if (plan.time?.range) chips.push({ kind: 'period', text: 'the period' });
  for (const f of plan.filters) chips.push({ kind: f.op === 'dateRange' ? 'period' : 'filter', text: f.op });
  if (plan.time?.grain) chips.push({ kind: 'grouping', text: `By ${plan.time.grain}` });
  const found = await findAlternatives({
    question,
    plan,
    presentation: outcome.presentation,
    words: outcome.words,
    planner: demoPlanner,
    input: { view: demoView, history, now: DEMO_NOW, values },
  });
  return attachAlternatives(chips, plan, found);
}

const questionsOf = (chip: ReadAsChip | undefined) => chip?.alternatives?.map((a) => a.question) ?? [];

describe('"Read as" alternatives', () => {
  it('offers the other measure the same word names, as a question the planner answers with it', async () => {
    const chips = await chipsOf('What did revenue come to in Germany during the last quarter?');
    const measure = chips.find((c) => c.kind === 'measure');
    expect(measure?.alternatives).toEqual([
      {
        label: 'Product revenue',
        question: 'What did product revenue come to in Germany during the last quarter?',
      },
    ]);
    const picked = await planDemo(questionsOf(measure)[0] as string);
    expect(picked.kind === 'plan' && picked.plan.measures).toEqual([
      { kind: 'named', name: 'order_items.product_revenue' },
    ]);
    expect(picked.kind === 'plan' && picked.plan.filters).toEqual([
      { op: 'eq', field: 'users.country', value: 'Germany' },
    ]);
  });

  it('offers the related rows’ date for a count of accounts over a period', async () => {
    const chips = await chipsOf('count the accounts from the previous month');
    const period = chips.find((c) => c.kind === 'period');
    expect(period?.alternatives).toEqual([
      {
        label: 'Dated by when the order was placed',
        question: 'count the accounts with orders from the previous month',
      },
    ]);
    const picked = await planDemo('count the accounts with orders from the previous month');
    expect(picked.kind === 'plan' && picked.plan.time).toBeUndefined();
  });

  it('offers the other calendar units of a breakdown over time that split its period', async () => {
    // January to 25 November: more than one week or quarter, but days would be hundreds of rows and a year is one
    const chips = await chipsOf('chart units sold per month since January');
    const grouping = chips.find((c) => c.kind === 'grouping');
    expect(grouping?.alternatives).toEqual([
      { label: 'By week', question: 'chart units sold per week since January' },
      { label: 'By quarter', question: 'chart units sold per quarter since January' },
    ]);
    const weekly = await chipsOf('what were order counts weekly during October');
    expect(weekly.find((c) => c.kind === 'grouping')?.alternatives?.map((a) => a.label)).toEqual(['By day']);
  });

  it('offers the year before for a month named without a year, written with its year', async () => {
    // on 25 November 2026 "in December" is December 2025
    const chips = await chipsOf('takings in December from buyers in France');
    const period = chips.find((c) => c.kind === 'period');
    expect(period?.alternatives).toEqual([
      { label: 'December 2024', question: 'takings in December 2024 from buyers in France' },
    ]);
    const picked = await planDemo('takings in December 2024 from buyers in France');
    expect(picked.kind === 'plan' && picked.plan.time?.range).toEqual({
      kind: 'period',
      period: { month: 12, year: 2024 },
    });
  });

  it('offers nothing where no other reading is answered differently', async () => {
    // an average has no rival measure; orders have no related rows with dates of their own
    const chips = await chipsOf('what was the average basket over the past 7 days');
    expect(chips.every((c) => c.alternatives === undefined)).toBe(true);
  });

  it('offers the whole table for a segment when the answer counts the segment itself', async () => {
    const chips = await chipsOf('how many buyers are based in Canada');
    const segment = chips.find((c) => c.kind === 'filter' && c.text === 'segment');
    expect(segment?.alternatives).toEqual([
      { label: 'All users', question: 'how many users are based in Canada' },
    ]);
    // money from customers is money from the users who ordered: the segment changes nothing there
    const revenue = await chipsOf('takings from buyers in Canada during the previous quarter');
    const revenueSegment = revenue.find((c) => c.kind === 'filter' && c.text === 'segment');
    expect(revenueSegment).toBeDefined();
    expect(revenueSegment?.alternatives).toBeUndefined();
  });
});
