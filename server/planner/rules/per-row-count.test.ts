// A per-row count asked after what is listed ("..., with how many each"), and conditions on the people of the rows
// counted ("orders of customers with 40+ orders"). Every wording here is written for this test and appears in no
// eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';

describe('a count per listed thing', () => {
  it('gives one row per person with the count of the rows the clause counted', async () => {
    for (const q of [
      'show me the members that have made over 12 orders, and how many they made',
      'give me users having at least 20 purchases along with how many',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('orders');
      expect(p.measures, q).toEqual([{ kind: 'count' }]);
      expect(
        p.dimensions.map((d) => d.field),
        q,
      ).toEqual(['users.id', 'users.name']);
      expect(
        p.filters.some((f) => f.op === 'related' && f.of === 'users' && f.table === 'orders' && f.count),
        q,
      ).toBe(true);
    }
  });

  it('counts only the rows the clause named when it named some ("cancelled")', async () => {
    const p = await demoPlanOf('members with 2 or more refunded orders and how many of those they have');
    expect(p.table).toBe('orders');
    expect(p.filters).toContainEqual({ op: 'eq', field: 'orders.status', value: 'refunded' });
  });

  it('groups a count of the rows by the people named before the cue', async () => {
    const p = await demoPlanOf('users in france plus the number of orders each one placed');
    expect(p.table).toBe('orders');
    expect(p.dimensions.map((d) => d.field)).toEqual(['users.id', 'users.name']);
    expect(p.filters).toContainEqual({ op: 'eq', field: 'users.country', value: 'France' });
  });
});

describe('a condition on the people behind the rows counted', () => {
  it('keeps a related-row condition about the buyers of the orders', async () => {
    for (const q of [
      'orders per member among members with more than 30 orders',
      'how many orders came from users with 5 or more refunds',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('orders');
      expect(
        p.filters.some((f) => f.op === 'related' && f.of === 'users'),
        q,
      ).toBe(true);
    }
  });
});
