// Values named beside their column's word: the word picks the column and lets part of a value name it.
import { describe, expect, it } from 'vitest';
import { demoPlanOf, planDemo } from '../../../test/support/demo-planner.ts';

// "Brazil" is both a country and a product (a coffee); "Garden" is only part of values
const VALUES: Record<string, string[]> = {
  'users.country': ['Brazil', 'Canada', 'Japan'],
  'users.name': ['Hiro Sato', 'Ana Lima'],
  'products.category': ['Home & Garden', 'Books', 'Grocery'],
  'products.name': ['Brazil', 'Acme Lite Garden Rake', 'Acme Pro Garden Rake', 'Acme Lite Kettle'],
};
const planOf = (question: string) => demoPlanOf(question, [], VALUES);

describe('a value beside its column word', () => {
  it('takes the column the question names when several columns hold the value', async () => {
    const country = await planOf('takings from nation brazil during 2024');
    expect(country.filters).toContainEqual({ op: 'eq', field: 'users.country', value: 'Brazil' });
    const product = await planOf('units moved of the product called brazil');
    expect(product.filters).toContainEqual({ op: 'eq', field: 'products.name', value: 'Brazil' });
    expect(product.filters).not.toContainEqual(expect.objectContaining({ field: 'users.country' }));
  });

  it('reads the column word as part of the value, not as a column to list', async () => {
    const p = await planOf('purchases made from the country japan in 2024');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }], select: [] });
    expect(p.filters).toContainEqual({ op: 'eq', field: 'users.country', value: 'Japan' });
  });

  it('lets part of a value name it beside the column word, before or after it', async () => {
    for (const q of ['qty sold for department garden', 'qty sold for the garden department']) {
      expect((await planOf(q)).filters, q).toContainEqual({
        op: 'eq',
        field: 'products.category',
        value: 'Home & Garden',
      });
    }
  });

  it('reads a part several values share as any of them', async () => {
    const p = await planOf('income from the product garden rake');
    expect(p.filters).toContainEqual({
      op: 'in',
      field: 'products.name',
      values: ['Acme Lite Garden Rake', 'Acme Pro Garden Rake'],
    });
    const one = await planOf('income from the product kettle');
    expect(one.filters).toContainEqual({ op: 'eq', field: 'products.name', value: 'Acme Lite Kettle' });
  });

  it('leaves a part of a value without its column word unknown', async () => {
    const out = await planDemo('how much did rake bring in', [], VALUES);
    expect(out.kind).toBe('unanswerable');
  });
});
