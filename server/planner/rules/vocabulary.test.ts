// Words the planner must understand, or must admit it does not: country names, emails, typos of its own words,
// and business terms the model does not have. Every wording is written for this test, in no eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf, planDemo } from '../../../test/support/demo-planner.ts';
import { ValueIndex } from './lexicon.ts';

describe('values named the way people say them', () => {
  it('reads demonyms and plurals of them as the country', async () => {
    for (const [q, country] of [
      ['revenue from canadian members in 2025', 'Canada'],
      ['how many japanese shoppers signed up this year', 'Japan'],
      ['order count of Americans last quarter', 'United States'],
    ] as const) {
      expect((await demoPlanOf(q)).filters, q).toContainEqual({
        op: 'eq',
        field: 'users.country',
        value: country,
      });
    }
  });

  it('finds one person by their email, however many people there are', async () => {
    const p = await demoPlanOf('total spend of noah.martin@acme.example in 2026');
    expect(p.filters).toContainEqual({ op: 'eq', field: 'users.email', value: 'noah.martin@acme.example' });
  });

  it('reads "outside" as not', async () => {
    expect((await demoPlanOf('number of members living outside canada')).filters).toContainEqual({
      op: 'neq',
      field: 'users.country',
      value: 'Canada',
    });
  });

  it('corrects a misspelt word of its own grammar, but not a real word into one', async () => {
    const p = await demoPlanOf('how many distnct categories are there');
    expect(p.measures).toEqual([{ kind: 'countDistinct', field: 'products.category' }]);
    expect((await planDemo('total shipping charges in march')).kind).toBe('unanswerable');
  });
});

describe('refusing what the model does not have', () => {
  it('names the words it does not know instead of answering the rest of the question', async () => {
    for (const [q, word] of [
      ['what is the average packaging cost per order', 'packaging'],
      ['how many returns did members file in may', 'returns'],
      ['freight expenses by category last year', 'freight'],
    ] as const) {
      const out = await planDemo(q);
      expect(out.kind, q).toBe('unanswerable');
      if (out.kind === 'unanswerable') expect(out.message, q).toContain(word);
    }
  });
});

describe('the refusal of unknown words', () => {
  it('agrees in number with the words it names', async () => {
    const one = await planDemo('What is our employee count?');
    const several = await planDemo('What is our profit margin by region?');
    expect(one.kind === 'unanswerable' && one.message).toMatch(/what "employee" means in this data/);
    expect(several.kind === 'unanswerable' && several.message).toMatch(/ and "[a-z]+" mean in this data/);
  });
});

describe('words that say which rows count', () => {
  it('reads "only counting" and "considering only" as the filter that follows', async () => {
    for (const q of [
      'mean order total in 2026 only counting orders over 250',
      'order count this quarter considering only orders above 40 dollars',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.filters, q).toContainEqual(
        expect.objectContaining({ op: 'gt', field: 'orders.total_amount' }),
      );
    }
  });
});

describe('products we sell, counted', () => {
  it('counts the catalogue when the count names products, in the present tense', async () => {
    for (const q of [
      'number of electronics products we sell',
      'count of beauty products that we sell under 50 dollars',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('products');
      expect(p.measures, q).toEqual([{ kind: 'count' }]);
    }
  });

  it('counts units when it asks what was sold', async () => {
    const p = await demoPlanOf('how many electronics products did we sell in october');
    expect(p.measures).toEqual([{ kind: 'named', name: 'order_items.units_sold' }]);
  });
});

describe('a product named without its brand', () => {
  it('finds the one product whose name ends that way', async () => {
    for (const q of ['units of classic pyjamas sold in 2025', 'revenue from the compact tablet this year']) {
      const p = await demoPlanOf(q);
      expect(
        p.filters.some(
          (f) => f.op === 'eq' && f.field === 'products.name' && String(f.value).startsWith('Acme '),
        ),
        q,
      ).toBe(true);
    }
  });
});

it('does not guess between two products that end the same way', async () => {
  const { ValueIndex } = await import('./lexicon.ts');
  const index = new ValueIndex();
  index.addField('products.name', ['Acme Compact Tablet', 'Globex Compact Tablet', 'Acme Eco Yoga Mat']);
  expect(index.lookup('compact tablet', 'compact tablet')).toEqual([]);
  expect(index.lookup('eco yoga mat', 'eco yoga mat')).toEqual([
    { field: 'products.name', value: 'Acme Eco Yoga Mat' },
  ]);
});

it('knows how long a value starting with a word can be, by its text or its stem', () => {
  const index = new ValueIndex();
  index.addField('products.category', ['Home & Garden', 'Toys']);
  index.addField('products.name', ['Acme Eco Yoga Mat']);
  // "home garden" and, without the brand, "eco yoga mat"
  expect(index.longestFrom('home', 'home')).toBe(2);
  expect(index.longestFrom('eco', 'eco')).toBe(3);
  expect(index.longestFrom('acme', 'acm')).toBe(4);
  // "toy" is no value's text, but its stem starts "Toys"
  expect(index.longestFrom('toy', 'toi')).toBe(1);
  expect(index.longestFrom('how', 'how')).toBe(0);
});
