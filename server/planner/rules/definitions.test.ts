// A measure asked of rows its definition leaves out. Every wording here is written for this test, in no eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';

describe('a measure asked of rows its own definition excludes', () => {
  it('gives the plain aggregate of those rows, not a zero', async () => {
    for (const q of [
      'turnover of the refunded orders in q1',
      'income we had from canceled orders this year',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.measures, q).toEqual([{ kind: 'sum', field: 'orders.total_amount' }]);
      expect(
        p.filters.find((f) => f.op === 'eq' && f.field === 'orders.status'),
        q,
      ).toBeDefined();
    }
  });

  it('keeps the measure when the rows asked for are the ones it counts', async () => {
    const p = await demoPlanOf('turnover of completed orders in q1');
    expect(p.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
  });
});
