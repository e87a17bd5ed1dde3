import { describe, expect, it } from 'vitest';
import type { Presentation } from '../planner/types.ts';
import type { CellValue } from '../query/execute.ts';
import { analyseShape, chooseChart, type ShapeKind, specProblems, VEGA_LITE_SCHEMA } from './chart.ts';
import type { DisplayColumn } from './format.ts';

const month: DisplayColumn = {
  name: 'month',
  label: 'Month',
  type: 'date',
  role: 'dimension',
  grain: 'month',
  field: 'orders.created_at',
};
const week: DisplayColumn = { ...month, name: 'week', label: 'Week', grain: 'week' };
const quarter: DisplayColumn = { ...month, name: 'quarter', label: 'Quarter', grain: 'quarter' };
const category: DisplayColumn = {
  name: 'category',
  label: 'Category',
  type: 'string',
  role: 'dimension',
  field: 'products.category',
};
const country: DisplayColumn = {
  name: 'country',
  label: 'Country',
  type: 'string',
  role: 'dimension',
  field: 'users.country',
};
const period: DisplayColumn = {
  name: 'period',
  label: 'Period',
  type: 'string',
  role: 'dimension',
  field: 'orders.created_at',
};
const revenue: DisplayColumn = {
  name: 'revenue',
  label: 'Revenue',
  type: 'number',
  role: 'measure',
  unit: 'USD',
  currency: 'USD',
  style: 'money',
};
const aov: DisplayColumn = {
  ...revenue,
  name: 'average_order_value',
  label: 'Average order value',
  style: 'average',
};
const orders: DisplayColumn = {
  name: 'count',
  label: 'Orders',
  type: 'number',
  role: 'measure',
  style: 'count',
};
const cancelled: DisplayColumn = { ...orders, name: 'cancelled', label: 'Cancelled' };
const latest: DisplayColumn = {
  name: 'max_created_at',
  label: 'Latest created at',
  type: 'date',
  role: 'measure',
};
const id: DisplayColumn = { name: 'id', label: 'ID', type: 'number', role: 'field', field: 'orders.id' };
const total: DisplayColumn = {
  name: 'total_amount',
  label: 'Total amount',
  type: 'number',
  role: 'field',
  unit: 'USD',
};

const CATEGORIES = ['Electronics', 'Home & Garden', 'Clothing', 'Sports', 'Beauty', 'Books', 'Toys', 'Food'];
const series: CellValue[][] = [
  ['2026-01-01', 100],
  ['2026-02-01', 80],
  ['2026-03-01', 120],
];
const byCategory: CellValue[][] = CATEGORIES.slice(0, 5).map((c, i) => [c, 1000 - i * 100]);
const compareLabels = ['this month', 'last month'];

interface Case {
  name: string;
  columns: DisplayColumn[];
  rows: CellValue[][];
  shape: ShapeKind;
  /** expected type for auto, chart, table, text */
  types: [string, string, string, string];
  mark?: string;
  compare?: boolean;
}

const cases: Case[] = [
  { name: 'empty', columns: [orders], rows: [], shape: 'empty', types: ['text', 'text', 'text', 'text'] },
  {
    name: 'scalar',
    columns: [orders],
    rows: [[880]],
    shape: 'scalar',
    types: ['text', 'table', 'table', 'text'],
  },
  {
    name: 'several numbers',
    columns: [revenue, orders],
    rows: [[1000, 5]],
    shape: 'scalars',
    types: ['table', 'table', 'table', 'text'],
  },
  {
    name: 'listing',
    columns: [id, total],
    rows: [
      [1, 10.5],
      [2, 20],
    ],
    shape: 'listing',
    types: ['table', 'table', 'table', 'text'],
  },
  {
    name: 'series',
    columns: [month, revenue],
    rows: series,
    shape: 'series',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'line',
  },
  {
    name: 'weekly series',
    columns: [week, orders],
    rows: [
      ['2026-11-02', 10],
      ['2026-11-09', 12],
    ],
    shape: 'series',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'line',
  },
  {
    name: 'category',
    columns: [category, revenue],
    rows: byCategory,
    shape: 'category',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'bar',
  },
  {
    name: 'many categories',
    columns: [category, orders],
    rows: Array.from({ length: 60 }, (_, i) => [`c${i}`, 100 - i]),
    shape: 'category',
    types: ['table', 'chart', 'table', 'text'],
    mark: 'bar',
  },
  {
    name: 'compare periods',
    columns: [period, orders],
    rows: [
      ['this month', 908],
      ['last month', 880],
    ],
    shape: 'compare',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'bar',
    compare: true,
  },
  {
    name: 'compare periods by category',
    columns: [period, category, orders],
    rows: [
      ['this month', 'Books', 3],
      ['this month', 'Toys', 4],
      ['last month', 'Books', 5],
    ],
    shape: 'two-dims',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'bar',
    compare: true,
  },
  {
    name: 'time and category',
    columns: [quarter, category, orders],
    rows: [
      ['2026-01-01', 'Books', 3],
      ['2026-01-01', 'Toys', 4],
      ['2026-04-01', 'Books', 5],
    ],
    shape: 'two-dims',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'line',
  },
  {
    name: 'two categories',
    columns: [country, category, orders],
    rows: [
      ['Germany', 'Books', 3],
      ['Germany', 'Toys', 4],
      ['Italy', 'Books', 5],
    ],
    shape: 'two-dims',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'bar',
  },
  {
    name: 'two measures, one unit, comparable',
    columns: [category, orders, cancelled],
    rows: [
      ['Books', 30, 4],
      ['Toys', 20, 3],
    ],
    shape: 'multi-measure',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'bar',
  },
  {
    name: 'two measures over time',
    columns: [month, orders, cancelled],
    rows: [
      ['2026-01-01', 30, 4],
      ['2026-02-01', 20, 3],
    ],
    shape: 'multi-measure',
    types: ['chart', 'chart', 'table', 'text'],
    mark: 'line',
  },
  {
    name: 'two measures of different size',
    columns: [country, revenue, aov],
    rows: [
      ['Germany', 343818.9, 208.75],
      ['Italy', 100000, 190],
    ],
    shape: 'multi-measure',
    types: ['table', 'table', 'table', 'text'],
  },
  {
    name: 'two measures of different units',
    columns: [country, revenue, orders],
    rows: [
      ['Germany', 300, 208],
      ['Italy', 100, 190],
    ],
    shape: 'multi-measure',
    types: ['table', 'table', 'table', 'text'],
  },
  {
    name: 'a date measure',
    columns: [category, latest],
    rows: [['Books', '2026-11-25T11:34:33Z']],
    shape: 'category',
    types: ['table', 'table', 'table', 'text'],
  },
  {
    name: 'three dimensions',
    columns: [month, country, category, orders],
    rows: [['2026-01-01', 'Germany', 'Books', 3]],
    shape: 'other',
    types: ['table', 'table', 'table', 'text'],
  },
];

const PRESENTATIONS: Presentation[] = ['auto', 'chart', 'table', 'text'];

describe('chooseChart', () => {
  it.each(cases)('$name', (c) => {
    const options = c.compare ? { compareLabels } : {};
    expect(analyseShape(c.columns, c.rows, options.compareLabels).kind).toBe(c.shape);
    PRESENTATIONS.forEach((presentation, i) => {
      const choice = chooseChart(c.columns, c.rows, presentation, options);
      expect(choice.type, presentation).toBe(c.types[i]);
      if (choice.type !== 'chart') {
        expect(choice.spec).toBeUndefined();
        return;
      }
      const spec = choice.spec as Record<string, unknown>;
      expect(specProblems(spec)).toEqual([]);
      expect((spec.mark as { type: string }).type).toBe(c.mark);
    });
  });
});

function encodingOf(
  columns: DisplayColumn[],
  rows: CellValue[][],
  compare = false,
): Record<string, Record<string, unknown>> {
  const choice = chooseChart(columns, rows, 'auto', compare ? { compareLabels } : {});
  expect(choice.type).toBe('chart');
  return (choice.spec as { encoding: Record<string, Record<string, unknown>> }).encoding;
}

describe('specs', () => {
  it('draws a time series as a line over a temporal axis with the grain as time unit', () => {
    const choice = chooseChart([month, revenue], series, 'auto');
    const spec = choice.spec as Record<string, unknown>;
    expect(spec.$schema).toBe(VEGA_LITE_SCHEMA);
    expect(spec.data).toEqual({
      values: [
        { month: '2026-01-01', revenue: 100 },
        { month: '2026-02-01', revenue: 80 },
        { month: '2026-03-01', revenue: 120 },
      ],
    });
    const enc = (spec as { encoding: Record<string, Record<string, unknown>> }).encoding;
    expect(enc.x).toMatchObject({
      field: 'month',
      type: 'temporal',
      timeUnit: { unit: 'yearmonth', utc: true },
    });
    expect(enc.y).toMatchObject({ field: 'revenue', type: 'quantitative', title: 'Revenue (USD)' });
    expect(enc.tooltip).toHaveLength(2);
  });

  it.each([
    ['day', 'yearmonthdate'],
    ['month', 'yearmonth'],
    ['quarter', 'yearquarter'],
    ['year', 'year'],
  ] as const)('uses the %s grain as time unit %s', (grain, unit) => {
    const enc = encodingOf([{ ...month, grain }, orders], series);
    expect(enc.x?.timeUnit).toEqual({ unit, utc: true });
  });

  it('draws weeks on a temporal axis without a time unit', () => {
    const enc = encodingOf([week, orders], series);
    expect(enc.x).toMatchObject({ field: 'week', type: 'temporal' });
    expect(enc.x?.timeUnit).toBeUndefined();
  });

  it('sorts bars by value when the rows come that way, else keeps their order', () => {
    expect(encodingOf([category, revenue], byCategory).x).toMatchObject({ type: 'nominal', sort: '-y' });
    const alphabetical = [...byCategory].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(encodingOf([category, revenue], alphabetical).x).toMatchObject({ sort: null });
  });

  it('turns bars horizontal for more than 8 categories or long labels', () => {
    const nine = [...CATEGORIES, 'Garden'].map((c, i) => [c, 100 - i]);
    const enc = encodingOf([category, orders], nine);
    expect(enc.y).toMatchObject({ field: 'category', type: 'nominal', sort: '-x' });
    expect(enc.x).toMatchObject({ field: 'count', type: 'quantitative' });
    const long = encodingOf(
      [category, orders],
      [
        ['A rather long category name', 3],
        ['Short', 2],
      ],
    );
    expect(long.y).toMatchObject({ field: 'category' });
  });

  it('shows empty categories by name', () => {
    const spec = chooseChart(
      [category, orders],
      [
        ['Books', 3],
        [null, 2],
      ],
      'auto',
    ).spec as { data: { values: Array<Record<string, unknown>> } };
    expect(spec.data.values[1]).toEqual({ category: '(none)', count: 2 });
  });

  it('orders compared periods as the plan labelled them', () => {
    const enc = encodingOf(
      [period, orders],
      [
        ['last month', 880],
        ['this month', 908],
      ],
      true,
    );
    expect(enc.x).toMatchObject({ field: 'period', type: 'nominal', sort: compareLabels });
  });

  it('names compared periods on the axis without the question\'s "in" ("Q3", not "in Q3"), in the plan\'s order', () => {
    const choice = chooseChart(
      [period, orders],
      [
        ['in Q3', 102],
        ['Q2', 108],
      ],
      'auto',
      { compareLabels: ['in Q3', 'Q2'] },
    );
    const spec = choice.spec as {
      data: { values: Array<Record<string, unknown>> };
      encoding: { x: { sort: unknown } };
    };
    expect(spec.data.values.map((v) => v.period)).toEqual(['Q3', 'Q2']);
    expect(spec.encoding.x.sort).toEqual(['Q3', 'Q2']);
  });

  it('groups bars by the second dimension with xOffset and colour', () => {
    const enc = encodingOf(
      [country, category, orders],
      [
        ['Germany', 'Books', 3],
        ['Italy', 'Books', 5],
      ],
    );
    expect(enc.x).toMatchObject({ field: 'country' });
    expect(enc.xOffset).toMatchObject({ field: 'category' });
    expect(enc.color).toMatchObject({ field: 'category' });
  });

  it('puts compared periods side by side within each category', () => {
    const enc = encodingOf(
      [period, category, orders],
      [
        ['this month', 'Books', 3],
        ['last month', 'Books', 5],
      ],
      true,
    );
    expect(enc.x).toMatchObject({ field: 'category' });
    expect(enc.xOffset).toMatchObject({ field: 'period', sort: compareLabels });
  });

  it('colours a multi-line chart by the category', () => {
    const enc = encodingOf(
      [quarter, category, orders],
      [
        ['2026-01-01', 'Books', 3],
        ['2026-04-01', 'Books', 5],
      ],
    );
    expect(enc.x).toMatchObject({
      field: 'quarter',
      type: 'temporal',
      timeUnit: { unit: 'yearquarter', utc: true },
    });
    expect(enc.color).toMatchObject({ field: 'category', type: 'nominal' });
  });

  it('folds several measures of one unit into grouped bars with their labels', () => {
    const choice = chooseChart(
      [category, orders, cancelled],
      [
        ['Books', 30, 4],
        ['Toys', 20, 3],
      ],
      'auto',
    );
    const spec = choice.spec as {
      transform: Array<Record<string, unknown>>;
      encoding: Record<string, Record<string, unknown>>;
    };
    expect(spec.transform[0]).toEqual({ fold: ['count', 'cancelled'], as: ['measure', 'value'] });
    expect(spec.transform[1]?.calculate).toContain('"Orders"');
    expect(spec.encoding.xOffset).toMatchObject({ field: 'measure_label', sort: ['Orders', 'Cancelled'] });
    expect(spec.encoding.y).toMatchObject({ field: 'value', type: 'quantitative' });
  });

  it('formats shares as percentages on the axis', () => {
    const share: DisplayColumn = {
      name: 'share',
      label: 'Share of orders',
      type: 'number',
      role: 'measure',
      style: 'percent',
    };
    const enc = encodingOf([category, share], [['Books', 0.2]]);
    expect(enc.y).toMatchObject({ title: 'Share of orders (%)', axis: { format: '.1~%' } });
  });
});

describe('specProblems', () => {
  it('reports fields missing from the data and wrong schemas', () => {
    const problems = specProblems({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: [{ a: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'b', type: 'nominal' }, y: { field: 'a', type: 'quantitative' } },
    });
    expect(problems).toEqual([
      '$schema is https://vega.github.io/schema/vega-lite/v5.json',
      'x.field b is not in the data',
    ]);
  });
});
