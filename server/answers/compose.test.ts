import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';
import type { Presentation } from '../planner/types.ts';
import { type AgentModel, type CompiledQuery, compileQueryPlan } from '../query/compile.ts';
import type { CellValue, QueryResult } from '../query/execute.ts';
import type { QueryPlanInput } from '../query/plan.ts';
import { ModelView } from '../semantic/model-view.ts';
import { specProblems } from './chart.ts';
import { type ComposedAnswer, composeAnswer, composeClarification, periodPhrase } from './compose.ts';
import { likeForLikePlan } from './like-for-like.ts';
import { modelWords } from './model-words.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const ORG = 1234;
const config = parseConfig(
  readFileSync(new URL('../../parley.config.yaml', import.meta.url), 'utf8'),
  'parley.config.yaml',
  {},
);
const demo = config.agents.get('demo');
if (!demo) throw new Error('the demo agent is missing from parley.config.yaml');
const agent: AgentModel = { ...demo.config, model: demo.model };
// the model's words (field descriptions, measure definitions) as the engine passes them
const words = modelWords(new ModelView(demo.config, demo.model, { organisationId: 1 }));

function compile(plan: QueryPlanInput, maxRows?: number): CompiledQuery {
  return compileQueryPlan(plan, agent, { organisationId: ORG }, { dialect: 'sqlite', now: NOW, maxRows });
}

function resultOf(compiled: CompiledQuery, rows: CellValue[][], truncated = false): QueryResult {
  return { columns: compiled.columns, rows, truncated, durationMs: 1 };
}

const segments: Record<string, string> = { customer: 'Users who have ordered at least once' };

function compose(
  plan: QueryPlanInput,
  rows: CellValue[][],
  options: { presentation?: Presentation; truncated?: boolean; maxRows?: number; notes?: string[] } = {},
): ComposedAnswer {
  const compiled = compile(plan, options.maxRows);
  return composeAnswer({
    compiled,
    result: resultOf(compiled, rows, options.truncated),
    presentation: options.presentation ?? 'auto',
    question: 'a question',
    notes: options.notes,
    describeSegment: (s) => segments[s],
    ...words,
  });
}

const lastMonth = { kind: 'last', unit: 'month', n: 1 } as const;
const thisMonth = { kind: 'current', unit: 'month' } as const;
const thisYear = { kind: 'current', unit: 'year' } as const;
const compareMonths = [
  { label: 'this month', range: thisMonth },
  { label: 'last month', range: lastMonth },
];

interface Case {
  name: string;
  plan: QueryPlanInput;
  rows: CellValue[][];
  truncated?: boolean;
  maxRows?: number;
  presentation?: Presentation;
  type: ComposedAnswer['type'];
  message: string;
  head: string[];
  firstRow?: string[];
  mark?: string;
  explanation?: string[];
}

const cases: Case[] = [
  {
    name: 'scalar count',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', range: lastMonth },
    },
    rows: [[880]],
    type: 'text',
    message: '880 orders in October 2026.',
    head: ['Orders'],
    firstRow: ['880'],
    explanation: ['Orders = the number of orders.', '1 Oct 2026 – 31 Oct 2026'],
  },
  {
    name: 'scalar money',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      time: { field: 'orders.created_at', range: thisYear },
    },
    rows: [[123456.78]],
    type: 'text',
    message: 'Revenue was $123,456.78 this year (1 Jan – 25 Nov 2026).',
    head: ['Revenue'],
    firstRow: ['$123,456.78'],
    explanation: [
      'Revenue = the total amount of orders where status is completed.',
      '1 Jan 2026, 00:00 up to 25 Nov 2026, 12:00 UTC',
    ],
  },
  {
    name: 'scalar in units with a filter',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'units_sold' }],
      filters: [{ op: 'eq', field: 'products.category', value: 'Books' }],
      time: { field: 'orders.created_at', range: { kind: 'period', period: { year: 2025, quarter: 3 } } },
    },
    rows: [[4321]],
    type: 'text',
    message: 'Units sold was 4,321 units in Q3 2025, for order items where category is Books.',
    head: ['Units sold'],
    firstRow: ['4,321'],
    explanation: ['Filters: category is Books.', '1 Jul 2025 – 30 Sep 2025'],
  },
  {
    name: 'scalar count of a segment',
    plan: {
      version: 1,
      table: 'users',
      measures: [{ kind: 'count' }],
      filters: [{ op: 'segment', segment: 'customer' }],
    },
    rows: [[3375]],
    type: 'text',
    message: '3,375 customers.',
    head: ['Customers'],
    explanation: ['Filters: customer: users who have ordered at least once.'],
  },
  {
    name: 'scalar with no value',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'average_order_value' }],
      time: { field: 'orders.created_at', range: { kind: 'period', period: { year: 2019 } } },
    },
    rows: [[null]],
    type: 'text',
    message: 'There is no average order value in 2019: no orders matched.',
    head: ['Average order value'],
    firstRow: ['—'],
  },
  {
    name: 'share',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'ratio',
          numerator: { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'cancelled' } },
          denominator: { kind: 'count' },
        },
      ],
      time: { field: 'orders.created_at', range: lastMonth },
    },
    rows: [[0.0667]],
    type: 'text',
    message: 'Share of orders (status is cancelled) was 6.7% in October 2026.',
    head: ['Share of orders (status is cancelled)'],
    firstRow: ['6.7%'],
  },
  {
    name: 'several numbers',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'named', name: 'revenue' },
        { kind: 'named', name: 'average_order_value' },
      ],
      time: { field: 'orders.created_at', range: lastMonth },
    },
    rows: [[98765.4, 201.5]],
    type: 'table',
    message: 'Revenue: $98,765.40; average order value: $201.50 in October 2026.',
    head: ['Revenue', 'Average order value'],
    firstRow: ['$98,765.40', '$201.50'],
  },
  {
    name: 'time series',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      time: { field: 'orders.created_at', grain: 'month', range: thisYear },
    },
    rows: [
      ['2026-01-01', 92354.49],
      ['2026-02-01', 76783.97],
      ['2026-03-01', 101225.39],
    ],
    type: 'chart',
    mark: 'line',
    message:
      'Revenue by month this year (1 Jan – 25 Nov 2026): highest in Mar 2026 ($101,225.39), lowest in Feb 2026 ($76,783.97).',
    head: ['Month', 'Revenue'],
    firstRow: ['Jan 2026', '$92,354.49'],
    explanation: ['Grouped by month placed.', 'In date order.'],
  },
  {
    name: 'weekly counts',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', grain: 'week', range: { kind: 'last', unit: 'week', n: 2 } },
    },
    rows: [
      ['2026-11-09', 210],
      ['2026-11-16', 198],
    ],
    type: 'chart',
    mark: 'line',
    message:
      'Orders by week in the last 2 weeks (9–22 Nov 2026): highest in week of 9 Nov 2026 (210 orders), lowest in week of 16 Nov 2026 (198 orders).',
    head: ['Week', 'Orders'],
    firstRow: ['Week of 9 Nov 2026', '210'],
  },
  {
    name: 'daily counts',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', grain: 'day', range: { kind: 'last', unit: 'day', n: 3 } },
    },
    rows: [['2026-11-22', 30]],
    type: 'chart',
    mark: 'line',
    message: 'Orders by day in the last 3 days (22–24 Nov 2026): 30 orders on 22 Nov 2026.',
    head: ['Day', 'Orders'],
    firstRow: ['22 Nov 2026', '30'],
  },
  {
    name: 'explicit dates as a filter',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      filters: [
        {
          op: 'dateRange',
          field: 'orders.created_at',
          range: { kind: 'between', from: '2026-11-01', to: '2026-11-10' },
        },
      ],
    },
    rows: [[300]],
    type: 'text',
    message: '300 orders from 1 Nov 2026 to 10 Nov 2026.',
    head: ['Orders'],
    explanation: ['Dates: placed from 1 Nov 2026 to 10 Nov 2026. '],
  },
  {
    name: 'revenue per order',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'ratio', numerator: { kind: 'named', name: 'revenue' }, denominator: { kind: 'count' } },
      ],
    },
    rows: [[123.456]],
    type: 'text',
    message: 'Revenue per order was 123.46.',
    head: ['Revenue per order'],
    explanation: [
      'Revenue per order = the total amount of orders where status is completed, divided by the number of orders.',
    ],
  },
  {
    name: 'by a numeric category',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'sum', field: 'order_items.quantity' }],
      dimensions: [{ field: 'order_items.quantity' }],
    },
    rows: [
      [1, 500],
      [2, 300],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Quantity 1 had the most total quantity: 500, of 2 quantities.',
    head: ['Quantity', 'Total quantity'],
  },
  {
    name: 'by category',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'product_revenue' }],
      dimensions: [{ field: 'products.category' }],
    },
    rows: [
      ['Electronics', 1257519.9],
      ['Home & Garden', 669361.2],
      ['Clothing', 401115.43],
      ['Sports', 212573.48],
      ['Beauty', 144568.34],
      ['Books', 98000],
      ['Toys', 87000.5],
      ['Food', 12000],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Electronics had the highest product revenue: $1,257,519.90, of 8 categories.',
    head: ['Category', 'Product revenue'],
    firstRow: ['Electronics', '$1,257,519.90'],
    explanation: ['Grouped by category.', 'Ordered by product revenue, highest first.'],
  },
  {
    name: 'count by category',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'products.category' }],
    },
    rows: [
      ['Clothing', 5562],
      ['Home & Garden', 5138],
      [null, 12],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Clothing had the most orders: 5,562 orders, of 3 categories.',
    head: ['Category', 'Orders'],
  },
  {
    name: 'top N',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'product_revenue' }],
      dimensions: [{ field: 'products.name' }],
      time: { field: 'orders.created_at', range: lastMonth },
      limit: 3,
    },
    rows: [
      ['Acme E-Reader', 71040.47],
      ['Acme Basket', 20157.95],
      ['Acme Dumbbells', 11794.4],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Top 3 products by revenue in October 2026: Acme E-Reader leads with $71,040.47.',
    head: ['Product', 'Product revenue'],
    explanation: ['limited to 3 rows'],
  },
  {
    name: 'bottom N',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'units_sold' }],
      dimensions: [{ field: 'products.name' }],
      order: [{ by: 'units_sold', direction: 'asc' }],
      limit: 2,
    },
    rows: [
      ['Acme Lamp', 3],
      ['Acme Mug', 7],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Bottom 2 products by units sold: Acme Lamp has the fewest units sold, 3 units.',
    head: ['Product', 'Units sold'],
    explanation: ['Ordered by units sold, lowest first; limited to 2 rows.'],
  },
  {
    name: 'ranked by a lowest value',
    plan: {
      version: 1,
      table: 'products',
      measures: [{ kind: 'min', field: 'products.price' }],
      dimensions: [{ field: 'products.category' }],
      order: [{ by: 'min_price', direction: 'asc' }],
      limit: 1,
    },
    rows: [['Beauty', 5]],
    type: 'chart',
    mark: 'bar',
    message: 'Beauty had the lowest price: $5.00.',
    head: ['Category', 'Lowest price'],
  },
  {
    name: 'time and category',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'units_sold' }],
      dimensions: [{ field: 'products.category' }],
      time: { field: 'orders.created_at', grain: 'quarter', range: thisYear },
    },
    rows: [
      ['2026-01-01', 'Books', 319],
      ['2026-01-01', 'Clothing', 702],
      ['2026-04-01', 'Books', 288],
      ['2026-04-01', 'Clothing', 1153],
    ],
    type: 'chart',
    mark: 'line',
    message:
      'Units sold by quarter and category this year (1 Jan – 25 Nov 2026): the largest is 1,153 units (Q2 2026, Clothing), across 4 rows.',
    head: ['Quarter', 'Category', 'Units sold'],
    firstRow: ['Q1 2026', 'Books', '319'],
  },
  {
    name: 'two categories',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'users.country' }, { field: 'orders.status' }],
    },
    rows: [
      ['Germany', 'completed', 800],
      ['Germany', 'cancelled', 50],
      ['Italy', 'completed', 600],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Orders by country and status: the largest is 800 orders (Germany, completed), across 3 rows.',
    head: ['Country', 'Status', 'Orders'],
  },
  {
    name: 'compared periods',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', compare: compareMonths },
    },
    rows: [
      ['this month', 908],
      ['last month', 880],
    ],
    type: 'chart',
    mark: 'bar',
    message: 'Orders: 908 this month vs 880 last month (+3.2%).',
    head: ['Period', 'Orders'],
    explanation: [
      'Compared this month (1 Nov 2026, 00:00 up to 25 Nov 2026, 12:00 UTC) with last month (1 Oct 2026 – 31 Oct 2026)',
    ],
  },
  {
    name: 'compared periods, one without data',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      time: { field: 'orders.created_at', compare: compareMonths },
    },
    rows: [['this month', 5000]],
    type: 'chart',
    mark: 'bar',
    message: 'Revenue: $5,000.00 this month vs no data for last month.',
    head: ['Period', 'Revenue'],
  },
  {
    name: 'compared periods by category',
    plan: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'units_sold' }],
      dimensions: [{ field: 'products.category' }],
      time: { field: 'orders.created_at', compare: compareMonths },
    },
    rows: [
      ['this month', 'Books', 171],
      ['this month', 'Clothing', 424],
      ['last month', 'Books', 150],
      ['last month', 'Clothing', 448],
    ],
    type: 'chart',
    mark: 'bar',
    message:
      'Units sold by period and category: the largest is 448 units (last month, Clothing), across 4 rows.',
    head: ['Period', 'Category', 'Units sold'],
  },
  {
    name: 'several measures by category (different sizes: a table)',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'named', name: 'revenue' },
        { kind: 'named', name: 'average_order_value' },
      ],
      dimensions: [{ field: 'users.country' }],
    },
    rows: [
      ['United States', 859300.26, 201.62],
      ['Germany', 343818.9, 208.75],
    ],
    type: 'table',
    message:
      'Revenue and average order value by country: United States has the highest revenue ($859,300.26), of 2 countries.',
    head: ['Country', 'Revenue', 'Average order value'],
    firstRow: ['United States', '$859,300.26', '$201.62'],
    explanation: [
      'Revenue = the total amount of orders where status is completed.',
      'Average order value = the average total amount of orders where status is completed.',
    ],
  },
  {
    name: 'several counts by month',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'count', as: 'all_orders' },
        { kind: 'count', as: 'completed', filter: { op: 'eq', field: 'orders.status', value: 'completed' } },
      ],
      time: { field: 'orders.created_at', grain: 'month', range: { kind: 'last', unit: 'month', n: 2 } },
    },
    rows: [
      ['2026-09-01', 850, 600],
      ['2026-10-01', 880, 640],
    ],
    type: 'chart',
    mark: 'line',
    message:
      'All orders and completed by month in the last 2 months (1 Sep – 31 Oct 2026): the most all orders was in Oct 2026 (880).',
    head: ['Month', 'All orders', 'Completed'],
    explanation: ['Completed = the number of orders where status is completed.'],
  },
  {
    name: 'several measures of very different sizes',
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'count', as: 'all_orders' },
        { kind: 'count', as: 'cancelled', filter: { op: 'eq', field: 'orders.status', value: 'cancelled' } },
      ],
      dimensions: [{ field: 'orders.status' }],
    },
    rows: [
      ['completed', 850, 0],
      ['cancelled', 60, 60],
    ],
    type: 'table',
    message: 'All orders and cancelled by status: completed has the most all orders (850), of 2 statuses.',
    head: ['Status', 'All orders', 'Cancelled'],
  },
  {
    name: 'listing',
    plan: {
      version: 1,
      table: 'orders',
      select: ['orders.id', 'orders.created_at', 'users.name', 'orders.total_amount', 'orders.status'],
      order: [{ by: 'orders.created_at', direction: 'desc' }],
      limit: 3,
    },
    rows: [
      [21098, '2026-11-25T11:34:33Z', 'Haruto Yamamoto', 147.49, 'pending'],
      [21097, '2026-11-25T11:25:38Z', 'Alice Ferrari', 10.99, 'pending'],
      [21096, '2026-11-25T11:21:41Z', null, 16.49, 'completed'],
    ],
    type: 'table',
    message: 'Here are the 3 most recent orders.',
    head: ['ID', 'Date placed', 'User', 'Total amount', 'Status'],
    firstRow: ['21098', '25 Nov 2026, 11:34 UTC', 'Haruto Yamamoto', '$147.49', 'pending'],
    explanation: [
      'Listed orders with ID, date placed, user, total amount and status.',
      'Sorted by date placed, newest first',
    ],
  },
  {
    name: 'listing with a date filter and values',
    plan: {
      version: 1,
      table: 'users',
      select: ['users.name', 'users.country'],
      filters: [
        { op: 'in', field: 'users.country', values: ['Germany', 'Italy'] },
        { op: 'dateRange', field: 'users.created_at', range: { kind: 'last', unit: 'week', n: 1 } },
      ],
      order: [{ by: 'users.created_at', direction: 'desc' }],
    },
    rows: [
      ['Jonas Weber', 'Germany'],
      ['Leonardo Colombo', 'Italy'],
    ],
    type: 'table',
    message:
      'Here are the 2 most recent users where country is Germany or Italy, last week (16–22 Nov 2026).',
    head: ['Name', 'Country'],
    explanation: ['Dates: created last week (16 Nov 2026 – 22 Nov 2026).'],
  },
  {
    name: 'listing by value',
    plan: {
      version: 1,
      table: 'orders',
      select: ['orders.id', 'orders.total_amount'],
      order: [{ by: 'orders.total_amount', direction: 'desc' }],
      limit: 1,
    },
    rows: [[77, 4999.99]],
    type: 'table',
    message: 'Here is the order with the highest total amount.',
    head: ['ID', 'Total amount'],
  },
  {
    name: 'empty grouped result',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'orders.status' }],
      filters: [{ op: 'eq', field: 'orders.status', value: 'lost' }],
      time: { field: 'orders.created_at', range: lastMonth },
    },
    rows: [],
    type: 'text',
    message: 'Nothing matched: no orders where status is lost, in October 2026.',
    head: ['Status', 'Orders'],
  },
  {
    name: 'empty listing',
    plan: {
      version: 1,
      table: 'users',
      select: ['users.name'],
      filters: [{ op: 'eq', field: 'users.country', value: 'Atlantis' }],
    },
    rows: [],
    type: 'text',
    message: 'Nothing matched: no users where country is Atlantis.',
    head: ['Name'],
  },
  {
    name: 'truncated listing',
    plan: { version: 1, table: 'orders', select: ['orders.id', 'orders.total_amount'] },
    rows: [
      [1, 10],
      [2, 20],
      [3, 30],
    ],
    truncated: true,
    maxRows: 3,
    type: 'table',
    message: 'Here are 3 orders. Showing the first 3 rows; more matched.',
    head: ['ID', 'Total amount'],
    explanation: ['The result reached the row cap: only the first 3 rows are shown.'],
  },
  {
    name: 'truncated categories',
    plan: {
      version: 1,
      table: 'users',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'users.country' }],
    },
    rows: [
      ['Germany', 40],
      ['Italy', 30],
    ],
    truncated: true,
    maxRows: 2,
    type: 'chart',
    mark: 'bar',
    message: 'Germany had the most users: 40 users. Showing the first 2 rows; more matched.',
    head: ['Country', 'Users'],
  },
  {
    name: 'a chart forced to a table',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      time: { field: 'orders.created_at', grain: 'month', range: thisYear },
    },
    rows: [
      ['2026-01-01', 100],
      ['2026-02-01', 200],
    ],
    presentation: 'table',
    type: 'table',
    message:
      'Revenue by month this year (1 Jan – 25 Nov 2026): highest in Feb 2026 ($200.00), lowest in Jan 2026 ($100.00).',
    head: ['Month', 'Revenue'],
  },
  {
    name: 'categories forced to text',
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'orders.status' }],
    },
    rows: [
      ['completed', 700],
      ['pending', 100],
    ],
    presentation: 'text',
    type: 'text',
    message: 'Completed had the most orders: 700 orders, of 2 statuses.',
    head: ['Status', 'Orders'],
  },
];

describe('composeAnswer', () => {
  it.each(cases)('$name', (c) => {
    const answer = compose(c.plan, c.rows, {
      presentation: c.presentation,
      truncated: c.truncated,
      maxRows: c.maxRows,
    });
    expect(answer.type).toBe(c.type);
    expect(answer.message).toBe(c.message);
    expect(answer.table?.head).toEqual(c.head);
    expect(answer.table?.body).toHaveLength(c.rows.length);
    for (const row of answer.table?.body ?? []) for (const cell of row) expect(typeof cell).toBe('string');
    if (c.firstRow) expect(answer.table?.body[0]).toEqual(c.firstRow);

    // the typed data straight from the result
    expect(answer.data?.rows).toBe(c.rows);
    expect(answer.data?.columns.map((col) => col.name)).toHaveLength(c.head.length);
    expect(answer.data?.truncated).toBe(c.truncated ? true : undefined);
    expect(answer.plan?.table).toBe(c.plan.table);
    expect(answer.sql?.bindings).toContain(ORG);

    if (c.type === 'chart') {
      const spec = answer.spec as Record<string, unknown>;
      expect(specProblems(spec)).toEqual([]);
      expect((spec.mark as { type: string }).type).toBe(c.mark);
      expect(answer.table).toBeDefined();
      expect(answer.data).toBeDefined();
    } else expect(answer.spec).toBeUndefined();

    for (const part of c.explanation ?? []) expect(answer.explanation).toContain(part);
    expect(answer.explanation).toContain('for your organisation only');
    // the tenant's id is only ever a binding
    for (const text of [answer.message, answer.explanation ?? '', JSON.stringify(answer.table)]) {
      expect(text).not.toContain(String(ORG));
      expect(text).not.toContain('1,234');
    }
  });

  it('puts the exact formatted figure of the table into the message', () => {
    for (const c of cases.filter((x) => x.rows.length === 1 && x.head.length === 1)) {
      const answer = compose(c.plan, c.rows);
      const cell = answer.table?.body[0]?.[0] as string;
      if (cell !== '—') expect(answer.message).toContain(cell);
    }
  });

  it('adds the planner notes to the explanation', () => {
    const answer = compose(
      { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue' }] },
      [[10]],
      { notes: ['"sales" is revenue: the sum of total_amount over completed orders'] },
    );
    expect(answer.explanation).toMatch(
      /Read as: "sales" is revenue: the sum of total_amount over completed orders\.$/,
    );
  });

  it('keeps typed values in the chart data and labels the axes with units', () => {
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'named', name: 'revenue' }],
        time: { field: 'orders.created_at', grain: 'month', range: thisYear },
      },
      [
        ['2026-01-01', 100.5],
        ['2026-02-01', 200],
      ],
    );
    const spec = answer.spec as {
      data: { values: unknown[] };
      encoding: Record<string, Record<string, unknown>>;
    };
    expect(spec.data.values).toEqual([
      { month: '2026-01-01', revenue: 100.5 },
      { month: '2026-02-01', revenue: 200 },
    ]);
    expect(spec.encoding.y?.title).toBe('Revenue (USD)');
    expect(spec.encoding.x).toMatchObject({ type: 'temporal', timeUnit: { unit: 'yearmonth', utc: true } });
  });

  it('shows the resolved range in the agent time zone', () => {
    const compiled = compileQueryPlan(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: { field: 'orders.created_at', range: lastMonth },
      },
      { ...agent, timeZone: 'America/New_York' },
      { organisationId: ORG },
      { dialect: 'sqlite', now: NOW },
    );
    expect(compiled.ranges[0]?.start).toBe('2026-10-01 04:00:00');
    const answer = composeAnswer({
      compiled,
      result: resultOf(compiled, [[880]]),
      presentation: 'auto',
      question: 'orders last month',
      timeZone: 'America/New_York',
    });
    expect(answer.explanation).toContain('1 Oct 2026 – 31 Oct 2026');
  });

  it('uses the table labels it is given', () => {
    const compiled = compile({ version: 1, table: 'order_items', measures: [{ kind: 'count' }] });
    const answer = composeAnswer({
      compiled,
      result: resultOf(compiled, [[42]]),
      presentation: 'auto',
      question: 'how many order lines',
      tableLabel: (t) => (t === 'order_items' ? 'order lines' : t),
    });
    expect(answer.message).toBe('42 order lines.');
    expect(answer.table?.head).toEqual(['Order lines']);
  });
});

describe('periodPhrase', () => {
  it.each([
    ['last month (October 2026)', 'in October 2026'],
    ['last quarter (Q3 2026)', 'in Q3 2026'],
    ['last week (16–22 Nov 2026)', 'last week (16–22 Nov 2026)'],
    ['this year (1 Jan – 25 Nov 2026)', 'this year (1 Jan – 25 Nov 2026)'],
    ['today (25 Nov 2026)', 'today (25 Nov 2026)'],
    ['yesterday (24 Nov 2026)', 'yesterday (24 Nov 2026)'],
    ['the last 3 months (1 Aug – 31 Oct 2026)', 'in the last 3 months (1 Aug – 31 Oct 2026)'],
    ['since March 2026 (1 Mar – 25 Nov 2026)', 'since March 2026 (1 Mar – 25 Nov 2026)'],
    ['20 Nov 2026', 'on 20 Nov 2026'],
    ['1 Nov 2026 – 24 Nov 2026', 'from 1 Nov 2026 to 24 Nov 2026'],
    ['2025', 'in 2025'],
  ])('%s -> %s', (label, phrase) => {
    expect(periodPhrase(label)).toBe(phrase);
  });
});

describe('composeClarification', () => {
  const message = '"sales" could mean more than one thing here. Which did you mean?';
  const question = 'what were our sales last month';
  const revenue = { label: 'revenue (completed orders)', question: 'what was our revenue last month' };
  const productRevenue = {
    label: 'product revenue (order items)',
    question: 'what was our product revenue last month',
  };

  it('makes a clarification answer with the choices, code ambiguous', () => {
    expect(composeClarification({ message, question, choices: [revenue, productRevenue] })).toEqual({
      type: 'clarification',
      message,
      code: 'ambiguous',
      choices: [revenue, productRevenue],
    });
  });

  it('drops choices that repeat the question or each other, tidies whitespace and fills a missing label', () => {
    const out = composeClarification({
      message: `  ${message} `,
      question,
      choices: [
        { label: 'the same again', question: '  What were our SALES last month ' },
        revenue,
        { label: 'duplicate', question: 'what was our  revenue last month' },
        { label: '  ', question: ' how many orders did we have last month ' },
        { label: 'empty', question: '   ' },
      ],
    });
    expect(out.type).toBe('clarification');
    expect(out.message).toBe(message);
    expect(out.choices).toEqual([
      revenue,
      {
        label: 'how many orders did we have last month',
        question: 'how many orders did we have last month',
      },
    ]);
  });

  it('offers at most four choices', () => {
    const choices = [1, 2, 3, 4, 5, 6].map((n) => ({ label: `reading ${n}`, question: `question ${n}` }));
    const out = composeClarification({ message, question, choices });
    expect(out.choices?.map((c) => c.label)).toEqual(['reading 1', 'reading 2', 'reading 3', 'reading 4']);
  });

  it('falls back to a text answer when fewer than two usable choices are left', () => {
    expect(composeClarification({ message, question, choices: [revenue] })).toEqual({
      type: 'text',
      message,
      code: 'ambiguous',
      suggestions: [revenue.question],
    });
    expect(composeClarification({ message: ' ', question, choices: [] })).toEqual({
      type: 'text',
      message: 'Could you say a little more precisely what you would like to know?',
      code: 'ambiguous',
    });
  });
});

describe('a comparison answered like for like', () => {
  const plan: QueryPlanInput = {
    version: 1,
    table: 'orders',
    measures: [{ kind: 'count' }],
    time: { field: 'orders.created_at', compare: compareMonths },
  };
  function composeEven(): ComposedAnswer {
    const compiled = compile(plan);
    const info = likeForLikePlan(compiled.plan, NOW, 'UTC');
    if (!info) throw new Error('expected a like-for-like plan');
    const even = compile(info.plan);
    return composeAnswer({
      compiled,
      result: resultOf(compiled, [
        ['this month', 908],
        ['last month', 1222],
      ]),
      presentation: 'auto',
      question: 'orders this month vs last month',
      timeZone: 'UTC',
      likeForLike: {
        info,
        result: resultOf(even, [
          ['this month', 908],
          ['last month', 870],
        ]),
        compiled: even,
      },
    });
  }

  it('draws the figures the sentence compares, with a note naming both windows', () => {
    const answer = composeEven();
    expect(answer.message).toContain('908 this month vs 870 last month (+4.4%)');
    expect(answer.message).toContain('last month in full: 1,222');
    const spec = answer.spec as { data: { values: Array<Record<string, unknown>> }; title: { text: string } };
    expect(spec.data.values.map((v) => v.count)).toEqual([908, 870]);
    expect(spec.title.text).toBe(
      'Like for like, as this month is not over: this month: 1 Nov 2026, 00:00 – 25 Nov 2026, 12:00; last month: 1 Oct 2026, 00:00 – 25 Oct 2026, 12:00.',
    );
    expect(specProblems(answer.spec as Record<string, unknown>)).toEqual([]);
    // the table keeps the whole periods the query returned
    expect(answer.table?.body).toContainEqual(['last month', '1,222']);
  });

  it('explains the like-for-like figures: both windows, and the query that produced them with its bounds', () => {
    const answer = composeEven();
    expect(answer.likeForLike?.window).toEqual({
      label: 'this month',
      span: '1 Nov 2026, 00:00 – 25 Nov 2026, 12:00',
    });
    expect(answer.likeForLike?.periods).toEqual([
      { label: 'last month', span: '1 Oct 2026, 00:00 – 25 Oct 2026, 12:00' },
    ]);
    // the whole-period query runs last month to its end; the like-for-like one stops it at 25 Oct 12:00
    expect(answer.sql?.bindings).not.toContain('2026-10-25 12:00:00');
    expect(answer.likeForLike?.sql?.bindings).toContain('2026-10-25 12:00:00');
    expect(answer.likeForLike?.readableSql?.values.map((v) => v.value)).toContain('2026-10-25 12:00:00');
    const notes = (answer.account ?? []).map((line) => line.text).join('\n');
    expect(notes).toContain('last month: 1 Oct 2026, 00:00 – 25 Oct 2026, 12:00');
  });
});
