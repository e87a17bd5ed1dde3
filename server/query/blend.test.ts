// Blending rows of the database and of a file: a full or dataset-keyed join on the output columns, and the
// comparison (difference, percent of target, over/under) when one figure meets one figure.
import { describe, expect, it } from 'vitest';
import { type BlendedQuery, blendResults, type QueryOutcome } from './blend.ts';
import type { CompiledQuery, OutputColumn } from './compile.ts';
import type { CellValue } from './execute.ts';
import type { QueryPlan } from './plan.ts';

const month: OutputColumn = {
  name: 'month',
  label: 'Month',
  type: 'date',
  role: 'dimension',
  grain: 'month',
};
const revenue: OutputColumn = {
  name: 'revenue',
  label: 'Revenue',
  type: 'number',
  role: 'measure',
  unit: 'USD',
};
const target: OutputColumn = { name: 'target', label: 'Target', type: 'number', role: 'measure' };

function outcome(columns: OutputColumn[], rows: CellValue[][]): QueryOutcome {
  const compiled = {
    plan: {} as QueryPlan,
    sql: { text: 'SELECT 1', bindings: [] },
    columns,
    limit: 1000,
    capped: false,
    ranges: [],
    contextFilters: [],
  } satisfies CompiledQuery;
  return { compiled, result: { columns, rows, truncated: false, durationMs: 1 } };
}

const plan = (keep: 'all' | 'dataset') =>
  ({ blend: { plan: {}, on: [{ left: 'month', right: 'month' }], keep } }) as unknown as QueryPlan;

describe('blendResults', () => {
  it('keeps the file’s periods and compares each: difference, percent of target, over/under', () => {
    const left = outcome(
      [month, revenue],
      [
        ['2026-06-01', 90],
        ['2026-07-01', 120],
        ['2026-08-01T00:00:00Z', 80],
      ],
    );
    const right = outcome(
      [month, target],
      [
        ['2026-07-01', 100],
        ['2026-08-01', 100],
        ['2026-09-01', 100],
        ['2026-10-01', 0],
      ],
    );
    const { compiled, result } = blendResults(plan('dataset'), left, right);
    expect(result.columns.map((c) => c.name)).toEqual([
      'month',
      'revenue',
      'target',
      'difference',
      'percent_of_target',
      'over_under',
    ]);
    expect(result.rows).toEqual([
      ['2026-07-01', 120, 100, 20, 120, 'over'],
      ['2026-08-01T00:00:00Z', 80, 100, -20, 80, 'under'],
      // a period of the file without a database figure is not compared
      ['2026-09-01', null, 100, null, null, null],
      ['2026-10-01', null, 0, null, null, null],
    ]);
    // the file's figure takes the database figure's unit; the comparison says where its columns are
    expect(result.columns[2]?.unit).toBe('USD');
    expect((compiled as BlendedQuery).comparison).toEqual({
      key: 0,
      actual: 1,
      target: 2,
      difference: 3,
      percent: 4,
      status: 5,
    });
  });

  it('does not compare when the file brings more than one figure', () => {
    const extra: OutputColumn = { name: 'stretch', label: 'Stretch', type: 'number', role: 'measure' };
    const { compiled, result } = blendResults(
      plan('all'),
      outcome([month, revenue], [['2026-07-01', 1]]),
      outcome([month, target, extra], [['2026-07-01', 2, 3]]),
    );
    expect((compiled as BlendedQuery).comparison).toBeUndefined();
    expect(result.rows).toEqual([['2026-07-01', 1, 2, 3]]);
  });
});
