import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';
import { type AgentModel, compileQueryPlan } from '../query/compile.ts';
import type { CellValue } from '../query/execute.ts';
import type { QueryPlanInput } from '../query/plan.ts';
import { ModelView } from '../semantic/model-view.ts';
import { readableSql } from './account.ts';
import { composeAnswer } from './compose.ts';
import { modelWords } from './model-words.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
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

function compose(plan: QueryPlanInput, rows: CellValue[][]) {
  const compiled = compileQueryPlan(plan, agent, { organisationId: 7 }, { dialect: 'sqlite', now: NOW });
  return composeAnswer({
    compiled,
    result: { columns: compiled.columns, rows, truncated: false, durationMs: 1 },
    presentation: 'auto',
    question: 'q',
    ...words,
  });
}

describe('"How was this answered?" in words', () => {
  it('says what was counted, which rows, which dates and whose data, without SQL', () => {
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        filters: [{ op: 'eq', field: 'orders.status', value: 'completed' }],
        time: { field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } },
      },
      [[880]],
    );
    const first = answer.account?.[0];
    expect(first?.label).toBe('Counted');
    expect(first?.text).toMatch(
      /^Orders where status is completed, placed last month \(1 Oct 2026 – 31 Oct 2026\)/,
    );
    expect(first?.text).toContain('1 Oct 2026 – 31 Oct 2026');
    expect(first?.text).toContain('for your organisation only');
    const all = JSON.stringify(answer.account);
    expect(all).not.toMatch(/select|t0|organisation_id|\?/i);
  });

  it('names the measure’s definition, the grouping and the unfinished period', () => {
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'named', name: 'revenue' }],
        time: { field: 'orders.created_at', range: { kind: 'current', unit: 'year' }, grain: 'month' },
      },
      [
        ['2026-10-01', 10],
        ['2026-11-01', 2],
      ],
    );
    const labels = answer.account?.map((l) => l.label);
    expect(labels).toEqual(['Added up', 'Revenue', 'Grouped by', 'Note']);
    expect(answer.account?.[2]?.text).toBe('Month placed');
    expect(answer.account?.[3]?.text).toContain('Nov 2026 is partial');
  });
});

describe('the account speaks of columns by their human names', () => {
  const plans: QueryPlanInput[] = [
    { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue' }] },
    { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'average_order_value' }] },
    { version: 1, table: 'order_items', measures: [{ kind: 'named', name: 'product_revenue' }] },
    { version: 1, table: 'orders', measures: [{ kind: 'avg', field: 'orders.total_amount' }] },
    { version: 1, table: 'order_items', measures: [{ kind: 'sum', field: 'order_items.unit_price' }] },
  ];
  it.each(plans)('never shows a raw column name or formula: %j', (plan) => {
    const answer = compose(plan, [[12.5]]);
    for (const line of answer.account ?? []) expect(line.text).not.toMatch(/[a-z]_[a-z]|\*|\b\w+\.\w+\b/);
  });

  it('says a model measure from its definition, with the aggregate as the verb', () => {
    const answer = compose({ version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue' }] }, [
      [9],
    ]);
    expect(answer.account?.[0]?.label).toBe('Added up');
    expect(answer.account?.[1]).toEqual({
      label: 'Revenue',
      text: 'The total amount of orders where status is completed',
    });
  });
});

describe('a segment that names the rows', () => {
  const customers = (extra: Partial<QueryPlanInput> = {}): QueryPlanInput => ({
    version: 1,
    table: 'users',
    measures: [{ kind: 'count' }],
    filters: [{ op: 'segment', segment: 'customer' }],
    ...extra,
  });

  it('counts them by their noun, and the account says what the segment means', () => {
    const answer = compose(customers(), [[3376]]);
    expect(answer.message).toBe('3,376 customers.');
    expect(answer.readAs?.map((c) => c.text)).toEqual(['Customers', 'Customers only']);
    expect(answer.account).toContainEqual({
      label: 'Counted',
      text: 'Customers, for your organisation only',
    });
    expect(answer.account).toContainEqual({
      label: 'Customers',
      text: 'Users who have ordered at least once',
    });
    expect(JSON.stringify(answer.account)).not.toContain('segment');
    // said once: no circular "Customers: the number of customers" beside what the segment means
    expect(answer.account?.filter((l) => l.label === 'Customers')).toEqual([
      { label: 'Customers', text: 'Users who have ordered at least once' },
    ]);
  });

  it('names the one row asked for as the leader', () => {
    const answer = compose(
      customers({
        dimensions: [{ field: 'users.country' }],
        order: [{ by: 'count', direction: 'desc' }],
        limit: 1,
      }),
      [['United States', 1021]],
    );
    expect(answer.message).toBe('United States had the most customers: 1,021 customers.');
  });
});

describe('the period of an answer', () => {
  it('says a figure with no period covers all time', () => {
    const answer = compose(
      {
        version: 1,
        table: 'order_items',
        measures: [{ kind: 'named', name: 'product_revenue' }],
        dimensions: [{ field: 'products.name' }],
        order: [{ by: 'product_revenue', direction: 'desc' }],
        limit: 2,
      },
      [
        ['E-Reader', 695777.38],
        ['Lamp', 1200],
      ],
    );
    expect(answer.account).toContainEqual({
      label: 'Dates',
      text: 'All time: no period was asked for, so every date counts',
    });
    expect(answer.message).toMatch(/^Top 2 products by revenue: /);
  });

  it('says nothing of all time when a period was asked for', () => {
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: { field: 'orders.created_at', range: { kind: 'current', unit: 'year' } },
      },
      [[12]],
    );
    expect(JSON.stringify(answer.account)).not.toContain('All time');
  });
});

describe('a growth answer', () => {
  const growth = (mode: 'difference' | 'percent'): QueryPlanInput => ({
    version: 1,
    table: 'orders',
    measures: [
      { kind: 'named', name: 'revenue' },
      { kind: 'change', of: { kind: 'named', name: 'revenue' }, mode, as: 'revenue_change' },
    ],
    time: { field: 'orders.created_at', range: { kind: 'period', period: { year: 2025 } }, grain: 'month' },
  });
  const rows = (change: number[]): CellValue[][] =>
    change.map((c, i) => [`2025-0${i + 1}-01`, 100 + i * 10, c]);

  it('names every measure in the account and says the change in the sentence', () => {
    const answer = compose(growth('difference'), rows([0, 10, 30, -5]));
    expect(answer.account?.[0]?.label).toBe('Measured');
    expect(answer.account?.[0]?.text).toMatch(/^Revenue and revenue change, placed in 2025/);
    expect(answer.message).toContain(
      'Revenue change is the change from the month before, as a difference: largest in Mar 2025 (+$30.00).',
    );
  });

  it('says a percentage change is one', () => {
    const answer = compose(growth('percent'), rows([0, 0.1, 0.25, -0.05]));
    expect(answer.message).toMatch(
      /is the change from the month before, in percent: largest in Mar 2025 \(\+25/,
    );
  });
});

describe('compared periods', () => {
  it('says "in" on both sides and each period once, whatever the planner kept of the question', () => {
    const q = (quarter: number) => ({ kind: 'period', period: { year: 2026, quarter } }) as const;
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: {
          field: 'orders.created_at',
          compare: [
            { label: 'in Q3', range: q(3) },
            { label: 'Q2', range: q(2) },
          ],
        },
      },
      [
        ['in Q3', 102],
        ['Q2', 108],
      ],
    );
    expect(answer.message).toBe('Orders: 102 in Q3 vs 108 in Q2 (-5.6%).');
    expect(answer.readAs?.filter((c) => c.kind === 'period').map((c) => c.text)).toEqual(['Q3', 'Q2']);
    expect(answer.account).toContainEqual({
      label: 'Compared',
      text: 'Q3 2026 with Q2 2026, by date placed',
    });
  });
});

describe('readable SQL', () => {
  it('names tables instead of t0/t1 and labels every bound value', () => {
    const compiled = compileQueryPlan(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        dimensions: [{ field: 'users.country' }],
        filters: [{ op: 'eq', field: 'orders.status', value: 'completed' }],
      },
      agent,
      { organisationId: 7 },
      { dialect: 'sqlite', now: NOW },
    );
    expect(compiled.sql.text).toMatch(/`t0`/);
    const readable = readableSql(compiled.sql, compiled.contextFilters);
    expect(readable.text).not.toMatch(/`t\d+`/);
    expect(readable.text).toContain('from `orders`');
    expect(readable.text).toContain('left join `users` on `orders`.`user_id` = `users`.`id`');
    expect(readable.values).toHaveLength(compiled.sql.bindings.length);
    expect(readable.values).toContainEqual({ label: 'orders.status =', value: 'completed' });
    expect(readable.values).toContainEqual({
      label: 'orders.organisation_id = your organisationId (from your sign-in)',
      value: 7,
    });
    expect(readable.values).toContainEqual({ label: 'row limit', value: 1001 });
    expect(readable.values.every((v) => v.label !== 'value')).toBe(true);
  });
});

describe('"Read as" chips', () => {
  it('show the reading taken: measure, period, filters and grouping', () => {
    const answer = compose(
      {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'named', name: 'revenue' }],
        dimensions: [{ field: 'users.country' }],
        filters: [{ op: 'eq', field: 'orders.status', value: 'completed' }],
        time: { field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } },
      },
      [['DE', 10]],
    );
    expect(answer.readAs).toEqual([
      { kind: 'measure', text: 'Revenue' },
      { kind: 'period', text: 'Last month (October 2026)' },
      { kind: 'filter', text: 'Status is completed' },
      { kind: 'grouping', text: 'By country' },
    ]);
  });
});
