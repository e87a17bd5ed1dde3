import { describe, expect, it } from 'vitest';
import { planDemo } from '../../../test/support/demo-planner.ts';
import type { WordUse } from '../types.ts';

async function wordsOf(question: string): Promise<WordUse | undefined> {
  const outcome = await planDemo(question);
  if (outcome.kind !== 'plan') throw new Error(`"${question}" was not planned`);
  return outcome.words;
}

describe('what the embedded planner did with the words', () => {
  it('flags a word that narrows a thing named but that the plan ignores', async () => {
    expect((await wordsOf('turnover from our most important buyers during October'))?.unusedWords).toEqual([
      'important',
    ]);
    expect((await wordsOf('takings from young customers over the past 30 days'))?.unusedWords).toEqual([
      'young',
    ]);
  });

  it('flags a word the model knows when the plan leaves it out', async () => {
    // "order" names the orders table, but the period is read on the accounts' own sign-up date
    expect((await wordsOf('accounts whose latest order fell in the previous month'))?.unusedWords).toContain(
      'order',
    );
  });

  it('flags nothing in a question every word of which went into the plan', async () => {
    const words = await wordsOf('takings per product category since April');
    expect(words?.unusedWords).toEqual([]);
    expect(words?.measures).toEqual([
      { measure: 'order_items.product_revenue', words: 'takings', rivals: ['orders.revenue'] },
    ]);
  });

  it('names the measure the words named and the rival measures they could name', async () => {
    const words = await wordsOf('how much revenue came from France in the last 2 weeks');
    expect(words?.measures).toEqual([
      { measure: 'orders.revenue', words: 'revenue', rivals: ['order_items.product_revenue'] },
    ]);
  });

  it('counts a column as used when the measure the plan takes sums it, and a word of an unused phrase that names the rows', async () => {
    // revenue is the sum of total_amount; "avg orders" (average order value) was not taken, but orders are counted
    expect((await wordsOf('top 3 shoppers in Canada by total amount spent'))?.unusedWords).toEqual([]);
    expect((await wordsOf('avg orders per buyer in 2025'))?.unusedWords).toEqual([]);
  });
});
