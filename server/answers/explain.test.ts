import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';
import { type AgentModel, type CompiledQuery, compileQueryPlan } from '../query/compile.ts';
import type { Filter, QueryPlanInput } from '../query/plan.ts';
import { ModelView } from '../semantic/model-view.ts';
import {
  attributeRanges,
  datedWords,
  dateFieldWords,
  describeDateRange,
  describeFilter,
  explainAnswer,
  fieldWords,
  readsAsWords,
  scopeWords,
  type WordsContext,
} from './explain.ts';
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

function compile(plan: QueryPlanInput, timeZone = 'UTC'): CompiledQuery {
  return compileQueryPlan(
    plan,
    { ...agent, timeZone },
    { organisationId: ORG },
    { dialect: 'sqlite', now: NOW },
  );
}

const segments: Record<string, string> = { customer: 'Users who have ordered at least once' };

function ctxFor(compiled: CompiledQuery, timeZone = 'UTC'): WordsContext {
  return {
    base: compiled.plan.table,
    tableLabel: (t) => t.replace(/_/g, ' '),
    timeZone,
    describeSegment: (s) => segments[s],
    ...words,
    ranges: attributeRanges(compiled).leaves,
  };
}

/** The explanation of a compiled plan, with the compiler's own columns as display columns. */
function explain(
  plan: QueryPlanInput,
  options: { truncated?: boolean; notes?: string[]; timeZone?: string } = {},
) {
  const compiled = compile(plan, options.timeZone);
  const ctx = ctxFor(compiled, options.timeZone);
  return explainAnswer({
    compiled,
    columns: compiled.columns,
    rowCount: options.truncated ? compiled.limit : 3,
    truncated: options.truncated ?? false,
    notes: options.notes,
    ctx,
    attribution: attributeRanges(compiled),
  });
}

const lastMonth = { kind: 'last', unit: 'month', n: 1 } as const;

describe('explainAnswer', () => {
  it('gives the definition, the resolved bounds and the tenant scope', () => {
    const text = explain({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      time: { field: 'orders.created_at', range: lastMonth },
    });
    expect(text).toBe(
      'Revenue = the total amount of orders where status is completed. ' +
        'Dates: placed last month (1 Oct 2026 – 31 Oct 2026). ' +
        'Data is for your organisation only.',
    );
  });

  it('shows a range that ends now with its exact end', () => {
    const text = explain({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', range: { kind: 'current', unit: 'month' } },
    });
    expect(text).toContain('Dates: placed this month (1 Nov 2026, 00:00 up to 25 Nov 2026, 12:00 UTC).');
  });

  it('reads bounds in the agent time zone', () => {
    const text = explain(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: { field: 'orders.created_at', range: lastMonth },
      },
      { timeZone: 'Europe/Paris' },
    );
    expect(text).toContain('1 Oct 2026 – 31 Oct 2026');
  });

  it('describes grouping, filters, order and limit', () => {
    const text = explain({
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'product_revenue' }],
      dimensions: [{ field: 'products.name' }],
      time: { field: 'orders.created_at', grain: 'month' },
      filters: [{ op: 'in', field: 'products.category', values: ['Books', 'Toys'] }],
      order: [{ by: 'product_revenue', direction: 'desc' }],
      limit: 5,
    });
    expect(text).toContain(
      'Product revenue = the total line total of order items where order status is completed.',
    );
    expect(text).toContain('Grouped by month the order was placed and product.');
    expect(text).toContain('Filters: category is one of Books, Toys.');
    expect(text).toContain('Ordered by product revenue, highest first; limited to 5 rows.');
  });

  it('describes compared periods with their bounds', () => {
    const text = explain({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: {
        field: 'orders.created_at',
        compare: [
          { label: 'this month', range: { kind: 'current', unit: 'month' } },
          { label: 'last month', range: lastMonth },
        ],
      },
    });
    expect(text).toContain(
      'Compared this month (1 Nov 2026, 00:00 up to 25 Nov 2026, 12:00 UTC) with last month (1 Oct 2026 – 31 Oct 2026), by date placed.',
    );
  });

  it('explains segments with their description and listings with their columns', () => {
    const text = explain({
      version: 1,
      table: 'users',
      select: ['users.name', 'users.country'],
      filters: [
        { op: 'segment', segment: 'customer' },
        { op: 'dateRange', field: 'users.created_at', range: { kind: 'period', period: { year: 2025 } } },
      ],
      order: [{ by: 'users.created_at', direction: 'desc' }],
      limit: 10,
    });
    expect(text).toContain('Listed users with name and country.');
    expect(text).toContain('Filters: customer: users who have ordered at least once.');
    expect(text).toContain('Dates: created in 2025 (1 Jan 2025 – 31 Dec 2025).');
    expect(text).toContain('Sorted by date created, newest first; limited to 10 rows.');
  });

  it('explains measure filters and shares', () => {
    const text = explain({
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'ratio',
          numerator: { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'cancelled' } },
          denominator: { kind: 'count' },
          as: 'cancelled_share',
        },
      ],
    });
    expect(text).toContain('the number of orders where status is cancelled, divided by the number of orders');
  });

  it('mentions the row cap and the planner notes, without repeating what it already says', () => {
    const text = explain(
      { version: 1, table: 'orders', select: ['orders.id'] },
      { truncated: true, notes: ['"sales" is revenue', 'Data is for your organisation only'] },
    );
    expect(text).toContain('The result reached the row cap: only the first 1,000 rows are shown.');
    expect(text).toMatch(/Read as: "sales" is revenue\.$/);
    expect(text.match(/your organisation/g)).toHaveLength(1);
  });

  it('drops notes that restate a definition already given', () => {
    const note = '"revenue" is revenue: the sum of total_amount over completed orders';
    const text = explain(
      { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue' }] },
      { notes: [note] },
    );
    expect(text).not.toContain('Read as');
    const kept = explain(
      { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue' }] },
      { notes: ['"sales" is revenue: the sum of total_amount over completed orders'] },
    );
    expect(kept).toContain('Read as: "sales" is revenue');
  });

  it('never shows the tenant values bound into the SQL', () => {
    const plans: QueryPlanInput[] = [
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        filters: [{ op: 'eq', field: 'products.category', value: 'Books' }],
      },
      {
        version: 1,
        table: 'users',
        measures: [{ kind: 'count' }],
        filters: [{ op: 'segment', segment: 'customer' }],
      },
      { version: 1, table: 'orders', select: ['orders.id', 'users.name'] },
    ];
    for (const plan of plans) {
      const compiled = compile(plan);
      expect(compiled.sql.bindings).toContain(ORG);
      const text = explain(plan);
      expect(text).toContain('for your organisation only');
      expect(text).not.toContain(String(ORG));
      expect(text).not.toContain('1,234');
    }
  });
});

describe('filter words', () => {
  const compiled = compile({ version: 1, table: 'orders', measures: [{ kind: 'count' }] });
  const ctx = ctxFor(compiled);
  it.each<[Filter, string]>([
    [{ op: 'eq', field: 'orders.status', value: 'completed' }, 'status is completed'],
    [{ op: 'neq', field: 'orders.status', value: 'cancelled' }, 'status is not cancelled'],
    [{ op: 'eq', field: 'users.country', value: 'Germany' }, 'country is Germany'],
    [{ op: 'in', field: 'products.category', values: ['Books', 'Toys'] }, 'category is one of Books, Toys'],
    [
      { op: 'notIn', field: 'orders.status', values: ['cancelled', 'refunded'] },
      'status is not one of cancelled, refunded',
    ],
    [{ op: 'gt', field: 'orders.total_amount', value: 100 }, 'total amount is more than 100'],
    [{ op: 'lte', field: 'orders.total_amount', value: 2500.5 }, 'total amount is at most 2,500.5'],
    [{ op: 'gte', field: 'orders.created_at', value: '2026-03-01' }, 'created at is on or after 1 Mar 2026'],
    [{ op: 'contains', field: 'users.email', value: 'example' }, 'user email contains "example"'],
    [{ op: 'startsWith', field: 'users.name', value: 'Al' }, 'user starts with "Al"'],
    [{ op: 'isNull', field: 'users.last_order_at' }, 'last order at is empty'],
    [{ op: 'isNotNull', field: 'users.last_order_at' }, 'last order at is set'],
    [{ op: 'eq', field: 'orders.id', value: 21098 }, 'id is 21098'],
    [{ op: 'segment', segment: 'customer' }, 'customer: users who have ordered at least once'],
    [{ op: 'segment', segment: 'vip' }, 'in the vip segment'],
    [
      {
        op: 'and',
        filters: [
          { op: 'eq', field: 'orders.status', value: 'completed' },
          {
            op: 'or',
            filters: [
              { op: 'eq', field: 'users.country', value: 'Germany' },
              { op: 'eq', field: 'users.country', value: 'Italy' },
            ],
          },
        ],
      },
      'status is completed and (country is Germany or country is Italy)',
    ],
    [
      { op: 'not', filter: { op: 'eq', field: 'orders.status', value: 'pending' } },
      'not (status is pending)',
    ],
    [{ op: 'dateRange', field: 'orders.created_at', range: lastMonth }, 'placed last month'],
    // a bound at the start of a day is that day, whatever the zone it was resolved in; a time of day keeps its time
    [
      { op: 'lt', field: 'orders.created_at', value: '2025-01-01T00:00:00.000+01:00' },
      'created at is before 1 Jan 2025',
    ],
    [
      { op: 'gte', field: 'orders.created_at', value: '2026-07-01T00:00:00.000Z' },
      'created at is on or after 1 Jul 2026',
    ],
    [
      { op: 'gt', field: 'orders.created_at', value: '2026-07-01T09:30:00.000Z' },
      'created at is after 1 Jul 2026, 09:30 UTC',
    ],
  ])('%o reads "%s"', (filter, words) => {
    expect(describeFilter(filter, ctx)).toBe(words);
  });

  it('is terser in messages', () => {
    expect(describeFilter({ op: 'segment', segment: 'customer' }, ctx, 'message')).toBe(
      'in the customer segment',
    );
    expect(
      describeFilter({ op: 'in', field: 'users.country', values: ['Germany', 'Italy'] }, ctx, 'message'),
    ).toBe('country is Germany or Italy');
  });

  it('names fields of other tables by their table when the column is generic', () => {
    expect(fieldWords('orders.created_at', ctx)).toBe('created at');
    expect(fieldWords('users.created_at', ctx)).toBe('user created at');
    expect(fieldWords('products.name', ctx)).toBe('product');
    expect(fieldWords('products.category', ctx)).toBe('category');
  });
});

describe('words for a date column', () => {
  const words = (facts: Record<string, { description?: string; synonyms?: string[] }>) => ({
    base: 'orders',
    tableLabel: (t: string) => t.replace(/_/g, ' '),
    describeField: (ref: string) => facts[ref],
  });

  it('takes the verb from the model’s description, then its synonyms, then the column’s name', () => {
    const ctx = words({
      'orders.created_at': { description: 'When the order was placed', synonyms: ['order date'] },
      'orders.shipped_at': { description: 'Shipping time', synonyms: ['shipped', 'dispatch'] },
      'users.signup_on': { description: 'When the user signed up' },
    });
    expect(datedWords('orders.created_at', 'November 2026', ctx)).toBe('placed in November 2026');
    expect(datedWords('orders.created_at', 'this year (1 Jan – 6 Dec 2026)', ctx)).toBe(
      'placed this year (1 Jan – 6 Dec 2026)',
    );
    expect(datedWords('orders.shipped_at', 'last month', ctx)).toBe('shipped last month');
    expect(dateFieldWords('users.signup_on', ctx)).toEqual({
      verb: 'user signed up',
      noun: 'date the user was signed up',
    });
    expect(datedWords('orders.updated_at', '3 Mar 2026', ctx)).toBe('updated on 3 Mar 2026');
  });

  it('falls back to the humanised name as a noun, never "created at in"', () => {
    const ctx = words({ 'orders.order_date': { description: 'Order date' } });
    expect(datedWords('orders.order_date', 'Q3 2026', ctx)).toBe('order date in Q3 2026');
    expect(datedWords('orders.created_at', '1 Nov 2026 – 10 Nov 2026', ctx)).toBe(
      'created from 1 Nov 2026 to 10 Nov 2026',
    );
  });
});

describe('readsAsWords', () => {
  it.each([
    ['Users who have ordered at least once', true],
    ['Total amount of completed orders', true],
    ['the sum of total_amount over completed orders', false],
    ['the sum of quantity * unit_price', false],
    ['SUM(orders.amount)', false],
  ])('%s -> %s', (text, words) => expect(readsAsWords(text)).toBe(words));
});

describe('attributeRanges', () => {
  it('ties the time slot, measure filters and plan filters to their resolved ranges', () => {
    const inMeasure: Filter = {
      op: 'dateRange',
      field: 'orders.created_at',
      range: { kind: 'period', period: { year: 2025 } },
    };
    const inFilters: Filter = { op: 'dateRange', field: 'orders.created_at', range: lastMonth };
    const compiled = compile({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count', filter: inMeasure }],
      time: { field: 'orders.created_at', range: { kind: 'current', unit: 'year' } },
      filters: [inFilters],
    });
    const a = attributeRanges(compiled);
    expect(a.time.map((r) => r.label)).toEqual(['this year (1 Jan – 25 Nov 2026)']);
    const plan = compiled.plan;
    const m = plan.measures[0];
    expect(m?.kind === 'count' && m.filter ? a.leaves.get(m.filter)?.label : undefined).toBe('2025');
    expect(a.leaves.get(plan.filters[0] as Filter)?.label).toBe('last month (October 2026)');
    expect(a.other).toEqual([]);
  });

  it('still ties the plan filters when a named measure comes first', () => {
    const compiled = compile({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'named', name: 'revenue' }],
      filters: [{ op: 'dateRange', field: 'orders.created_at', range: lastMonth }],
    });
    const a = attributeRanges(compiled);
    expect(a.leaves.get(compiled.plan.filters[0] as Filter)?.start).toBe('2026-10-01 00:00:00');
  });
});

describe('describeDateRange and scopeWords', () => {
  it.each([
    [{ kind: 'current', unit: 'day' }, 'today'],
    [{ kind: 'current', unit: 'month' }, 'this month'],
    [{ kind: 'last', unit: 'day', n: 1 }, 'yesterday'],
    [{ kind: 'last', unit: 'week', n: 3 }, 'the last 3 weeks'],
    [{ kind: 'period', period: { year: 2025, quarter: 3 } }, 'Q3 2025'],
    [{ kind: 'period', period: { month: 3 } }, 'March'],
    [{ kind: 'since', period: { year: 2026, month: 3 } }, 'since March 2026'],
    [{ kind: 'between', from: '2026-01-01', to: '2026-03-31' }, '1 Jan 2026 – 31 Mar 2026'],
    [
      { kind: 'span', from: '2026-11-01T00:00:00', until: '2026-11-06T09:21:00' },
      '1 Nov 2026, 00:00 up to 6 Nov 2026, 09:21',
    ],
  ] as const)('%o -> %s', (range, words) => {
    expect(describeDateRange(range)).toBe(words);
  });

  it('names the scope from the user-context fields, never their values', () => {
    expect(scopeWords(['orders.organisation_id = userContext.organisationId'])).toBe(
      'for your organisation only',
    );
    expect(scopeWords(['a.team_id IN userContext.teamIds', 'b.region = userContext.region'])).toBe(
      'for your teams and region only',
    );
    expect(scopeWords([])).toBeUndefined();
  });
});
