// The plan's names: field references split at their table, and measure names that every dialect accepts.
import { describe, expect, it } from 'vitest';
import { Alias, MAX_NAME_LENGTH, measureName, parseFieldRef, tableOf } from './plan.ts';

describe('parseFieldRef', () => {
  it('splits table.column at the dot', () => {
    expect(parseFieldRef('orders.created_at')).toEqual({ table: 'orders', column: 'created_at' });
    expect(tableOf('order_items.quantity')).toBe('order_items');
  });

  it('reads a name without a table as a column (an output column, a bare measure)', () => {
    expect(parseFieldRef('revenue')).toEqual({ table: '', column: 'revenue' });
  });
});

describe('measureName', () => {
  it('joins its parts with underscores', () => {
    expect(measureName('revenue', 'per', 'count')).toBe('revenue_per_count');
  });

  it('stays within the longest alias MySQL takes (64) and that a plan accepts', () => {
    const long = measureName('share_of', 'x'.repeat(80));
    expect(long).toHaveLength(MAX_NAME_LENGTH);
    expect(long.length).toBeLessThan(65);
    expect(Alias.safeParse(long).success).toBe(true);
    expect(Alias.safeParse(`${long}x`).success).toBe(false);
  });
});
