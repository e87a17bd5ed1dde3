// The composer's part for blends that compare: totals, difference, percentage and the periods over and under,
// periods without a database figure named, a Total line, and a chart of both series.
import { describe, expect, it } from 'vitest';
import type { BlendComparison } from '../query/blend.ts';
import type { CellValue } from '../query/execute.ts';
import { specProblems } from './chart.ts';
import { composeComparison } from './compose-blend.ts';
import type { DisplayColumn } from './format.ts';

const columns = (): DisplayColumn[] => [
  { name: 'month', label: 'Month', type: 'date', role: 'dimension', grain: 'month' },
  {
    name: 'revenue',
    label: 'Revenue',
    type: 'number',
    role: 'measure',
    unit: 'USD',
    style: 'money',
    currency: 'USD',
  },
  { name: 'target', label: 'Target', type: 'number', role: 'measure', unit: 'USD', currency: 'USD' },
  { name: 'difference', label: 'Difference', type: 'number', role: 'measure', unit: 'USD', currency: 'USD' },
  { name: 'percent_of_target', label: '% of target', type: 'number', role: 'measure', unit: 'percent' },
  { name: 'over_under', label: 'Over/under target', type: 'string', role: 'field' },
];
const AT: BlendComparison = { key: 0, actual: 1, target: 2, difference: 3, percent: 4, status: 5 };
const ROWS: CellValue[][] = [
  ['2026-07-01', 120, 100, 20, 120, 'over'],
  ['2026-08-01', 80, 100, -20, 80, 'under'],
  ['2026-09-01', 95, 100, -5, 95, 'under'],
  ['2026-12-01', null, 100, null, null, null],
];

describe('composeComparison', () => {
  it('says the totals, the difference and percentage, which months were over and under, and what was not compared', () => {
    const parts = composeComparison(AT, columns(), ROWS, 'auto', 'UTC', '');
    expect(parts.message).toBe(
      'Revenue against target by month: $295.00 in total against $300.00, $5.00 under target (98.33% of target). ' +
        'Over in 1 of 3 months (Jul 2026); under in 2 of 3 months (Aug 2026 and Sep 2026). ' +
        'No revenue yet for Dec 2026: not compared.',
    );
    expect(parts.totalRow).toEqual(['Total', '$295.00', '$300.00', '-$5.00', '98.33%', 'under']);
  });

  it('charts both series over time, and leaves the chart out when asked for a table', () => {
    const parts = composeComparison(AT, columns(), ROWS, 'auto', 'UTC', '');
    expect(parts.type).toBe('chart');
    expect(specProblems(parts.spec ?? {})).toEqual([]);
    expect((parts.spec?.transform as Array<{ fold?: string[] }> | undefined)?.[0]?.fold).toEqual([
      'revenue',
      'target',
    ]);
    expect(composeComparison(AT, columns(), ROWS, 'table', 'UTC', '').type).toBe('table');
  });

  it('says when no period has both figures', () => {
    const parts = composeComparison(AT, columns(), [ROWS[3] as CellValue[]], 'auto', 'UTC', '');
    expect(parts.message).toMatch(/no month has both figures, so there is nothing to compare/);
  });
});
