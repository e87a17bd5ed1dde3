// The embedded planner on the demo model: kinds of question -> the plan they become (no database needed).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import type { Filter, QueryPlan } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import type { DatasetPlanningContext, PlannedTurn, PlannerOutcome } from '../types.ts';
import { emptyDatasetContext } from './dataset-questions.ts';
import { RulesPlanner } from './rules-planner.ts';

const FILE = new URL('../../../parley.config.yaml', import.meta.url);
const loaded = parseConfig(fs.readFileSync(FILE, 'utf8'), FILE.pathname, {});
const demo = loaded.agents.get('demo');
if (!demo) throw new Error('no demo agent');
const NOW = new Date('2026-11-25T12:00:00Z');
const VALUES: Record<string, string[]> = {
  'users.country': ['Germany', 'France', 'United States', 'Canada'],
  'users.name': ['Emma Taylor', 'Benjamin Lee'],
  'products.category': ['Electronics', 'Books', 'Toys', 'Home & Garden'],
  'products.name': ['Acme Compact Tablet', 'Acme Classic Pyjamas'],
};
const planner = new RulesPlanner();
const view = new ModelView(demo.config, demo.model, { organisationId: 1 });

async function plan(
  question: string,
  history: PlannedTurn[] = [],
  datasets?: DatasetPlanningContext,
): Promise<PlannerOutcome> {
  return planner.plan({
    question,
    view,
    history,
    now: NOW,
    values: { values: async (field) => VALUES[field] ?? [] },
    ...(datasets ? { datasets } : {}),
  });
}

async function planOf(question: string, history: PlannedTurn[] = []): Promise<QueryPlan> {
  const out = await plan(question, history);
  if (out.kind !== 'plan') throw new Error(`"${question}" was not planned: ${out.kind} ${out.message}`);
  return out.plan;
}

describe('counts, measures and definitions', () => {
  it('counts orders of every status over last month', async () => {
    const p = await planOf('How many orders did we have last month?');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }], filters: [] });
    expect(p.time).toEqual({ field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } });
  });

  it('reads customers as the customer segment of users', async () => {
    const p = await planOf('How many customers do we have?');
    expect(p).toMatchObject({ table: 'users', measures: [{ kind: 'count' }] });
    expect(p.filters).toContainEqual({ op: 'segment', segment: 'users.customer' });
  });

  it('reads sales and turnover as the revenue measure', async () => {
    for (const q of ['total sales in 2025', 'what was our turnover in 2025']) {
      expect((await planOf(q)).measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    }
  });

  it('uses product revenue when revenue is broken down by a product column', async () => {
    const p = await planOf('revenue by category this year');
    expect(p.measures).toEqual([{ kind: 'named', name: 'order_items.product_revenue' }]);
    expect(p.dimensions).toEqual([{ field: 'products.category' }]);
  });
});

describe('two periods of one date that do not overlap', () => {
  it('compares them when asked to, rather than requiring both and counting nothing', async () => {
    const p = await planOf('how many customers signed up in 2025 vs this year');
    expect(p.time?.field).toBe('users.created_at');
    expect(p.time?.compare?.map((c) => c.range)).toEqual([
      { kind: 'period', period: { year: 2025 } },
      { kind: 'current', unit: 'year' },
    ]);
    expect(JSON.stringify(p.filters)).not.toContain('dateRange');
  });

  it('refuses them, naming both, when the question requires both of one row', async () => {
    const o = await plan('how many orders placed last year were placed this month');
    expect(o.kind).toBe('unanswerable');
    expect(o.kind === 'unanswerable' && o.message).toMatch(
      /two periods that do not overlap \(last year .*this month/,
    );
  });
});

describe('values, statuses, segments and negation', () => {
  it('names a plural value by its own singular only, and reads a share whose predicate "ends up"', async () => {
    // "bookings" share their stem with the category "Books", not what they are
    const bookings = await plan('how many bookings did we take');
    expect(JSON.stringify(bookings)).not.toContain('Books');
    expect((await planOf('how many books did we sell')).filters).toEqual([
      { op: 'eq', field: 'products.category', value: 'Books' },
    ]);
    const share = await planOf('what percentage of orders end up cancelled');
    expect(share.measures).toEqual([
      {
        kind: 'ratio',
        numerator: { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'cancelled' } },
        denominator: { kind: 'count' },
        as: 'share',
      },
    ]);
  });

  it('matches a status and a tenant value as filters', async () => {
    const p = await planOf('completed orders from Germany last week');
    expect(p.filters).toEqual(
      expect.arrayContaining<Filter>([
        { op: 'eq', field: 'orders.status', value: 'completed' },
        { op: 'eq', field: 'users.country', value: 'Germany' },
      ]),
    );
  });

  it('finds values by their stem and by common aliases', async () => {
    expect((await planOf('how many users are in the US')).filters).toContainEqual({
      op: 'eq',
      field: 'users.country',
      value: 'United States',
    });
    expect((await planOf('product revenue for each toy this year')).filters).toContainEqual({
      op: 'eq',
      field: 'products.category',
      value: 'Toys',
    });
  });

  it('reads "never ordered" as no orders at all', async () => {
    const p = await planOf('how many users have never ordered anything');
    expect(p.filters).toContainEqual({ op: 'not', filter: { op: 'related', table: 'orders' } });
  });

  it('turns "what share of orders were cancelled" into a ratio of counts', async () => {
    const p = await planOf('what percentage of orders were cancelled last year');
    expect(p.measures[0]).toMatchObject({
      kind: 'ratio',
      numerator: { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'cancelled' } },
      denominator: { kind: 'count' },
    });
    expect(p.filters).toEqual([]);
  });
});

describe('rankings, grains, comparisons and listings', () => {
  it('ranks the top N of a breakdown, people by their key (namesakes are two people) and shown by name', async () => {
    const p = await planOf('top 5 customers by revenue');
    expect(p).toMatchObject({
      dimensions: [{ field: 'users.id' }, { field: 'users.name' }],
      order: [{ by: 'revenue', direction: 'desc' }],
      limit: 5,
    });
  });

  it('reads "which 3 countries have the fewest users" as an ascending top 3', async () => {
    const p = await planOf('which 3 countries have the fewest users');
    expect(p).toMatchObject({ table: 'users', dimensions: [{ field: 'users.country' }], limit: 3 });
    expect(p.order).toEqual([{ by: 'count', direction: 'asc' }]);
  });

  it('groups by a time grain', async () => {
    const p = await planOf('monthly revenue this year');
    expect(p.time).toEqual({
      field: 'orders.created_at',
      range: { kind: 'current', unit: 'year' },
      grain: 'month',
    });
  });

  it('compares two periods', async () => {
    const p = await planOf('revenue this month vs last month');
    expect(p.time?.compare?.map((c) => c.range)).toEqual([
      { kind: 'current', unit: 'month' },
      { kind: 'last', unit: 'month', n: 1 },
    ]);
  });

  it('labels compared periods by their full names, and relative ones as said', async () => {
    // "Q1 vs Q4 this year": both are 2026's, and the answer's rows say so
    const named = await planOf('orders in Q1 vs Q4 this year');
    expect(named.time?.compare?.map((c) => c.label)).toEqual(['Q1 2026', 'Q4 2026']);
    expect((await planOf('orders placed in june vs july')).time?.compare?.map((c) => c.label)).toEqual([
      'June 2026',
      'July 2026',
    ]);
    const relative = await planOf('revenue this week vs last week');
    expect(relative.time?.compare?.map((c) => c.label)).toEqual(['this week', 'last week']);
  });

  it('gives a figure for each of two periods joined by "or"', async () => {
    const p = await planOf('gmv during Q1 2024, or during Q3 2024');
    expect(p.time?.compare?.map((c) => c.range)).toEqual([
      { kind: 'period', period: { year: 2024, quarter: 1 } },
      { kind: 'period', period: { year: 2024, quarter: 3 } },
    ]);
  });

  it('lists the most recent rows', async () => {
    const p = await planOf('show the 10 most recent orders');
    expect(p).toMatchObject({ table: 'orders', measures: [], limit: 10 });
    expect(p.order).toEqual([{ by: 'orders.created_at', direction: 'desc' }]);
    // "most recently" orders by time as "most recent" does: not a count ranked by "most"
    const lately = await planOf('which customer joined most recently');
    expect(lately).toMatchObject({ table: 'users', measures: [] });
    expect(lately.order).toEqual([{ by: 'users.created_at', direction: 'desc' }]);
  });
});

describe('follow-ups', () => {
  it('edits the previous plan: shift, narrow, break down, re-rank', async () => {
    const first = await planOf('How many orders did we have last month?');
    const history: PlannedTurn[] = [{ question: 'q1', plan: first }];
    const before = await planOf('and the month before?', history);
    expect(before.time?.range).toEqual({ kind: 'period', period: { year: 2026, month: 9 } });
    history.push({ question: 'q2', plan: before });
    const completed = await planOf('only completed ones', history);
    expect(completed.filters).toContainEqual({ op: 'eq', field: 'orders.status', value: 'completed' });
    history.push({ question: 'q3', plan: completed });
    const byStatus = await planOf('break that down by status', history);
    expect(byStatus.dimensions).toEqual([{ field: 'orders.status' }]);
  });

  it('keeps a ranking when the measure changes ("now by units sold")', async () => {
    const top = await planOf('top 5 products by revenue this year');
    const next = await planOf('now by units sold', [{ question: 'q', plan: top }]);
    expect(next).toMatchObject({ measures: [{ kind: 'named', name: 'order_items.units_sold' }], limit: 5 });
    expect(next.order).toEqual([{ by: 'units_sold', direction: 'desc' }]);
  });
});

describe('refusals: no invented figures', () => {
  it.each([
    'what is our profit margin?',
    "what's our customer acquisition cost",
    'forecast our revenue for next quarter',
    "what were Globex's sales last year",
    'how much did we spend on marketing this year',
  ])('refuses "%s"', async (question) => {
    const out = await plan(question);
    expect(out.kind).toBe('unanswerable');
    if (out.kind === 'unanswerable') expect(out.suggestions.length).toBeGreaterThan(0);
  });
});

describe('ambiguity', () => {
  it('asks which measure "sales" means when the model gives the word to two measures', async () => {
    const model = structuredClone(demo.model);
    const items = model.tables.order_items;
    if (!items?.measures.product_revenue) throw new Error('demo model changed');
    items.measures.product_revenue.synonyms.push('sales');
    const ambiguousView = new ModelView(demo.config, model, { organisationId: 1 });
    const out = await new RulesPlanner().plan({
      question: 'what were our sales last month',
      view: ambiguousView,
      history: [],
      now: NOW,
      values: { values: async () => [] },
    });
    expect(out.kind).toBe('clarify');
    if (out.kind === 'clarify') {
      expect(out.choices).toHaveLength(2);
      expect(out.choices.map((c) => c.label).join(' ')).toMatch(
        /revenue.*product revenue|product revenue.*revenue/,
      );
      expect(out.choices.map((c) => c.question)).toEqual(
        expect.arrayContaining([
          'what were our revenue last month',
          'what were our product revenue last month',
        ]),
      );
    }
  });

  it('does not ask when the model gives the word to one measure', async () => {
    expect((await plan('what were our sales last month')).kind).toBe('plan');
  });
});

describe('more kinds of question', () => {
  it('reads "products that have never been ordered" as having no order lines', async () => {
    const p = await planOf('Which products have never been ordered?');
    expect(p.table).toBe('products');
    expect(p.filters).toContainEqual({ op: 'not', filter: { op: 'related', table: 'order_items' } });
  });

  it('counts the rows a status names ("how many refunds")', async () => {
    const p = await planOf('how many refunds did we have last month');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }] });
    expect(p.filters).toContainEqual({ op: 'eq', field: 'orders.status', value: 'refunded' });
  });

  it('ranks calendar months by the main activity ("the busiest month")', async () => {
    const p = await planOf('What was the busiest month in 2025?');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }], limit: 1 });
    expect(p.time?.grain).toBe('month');
  });

  it('refuses weekday breakdowns it cannot compute instead of answering something else', async () => {
    expect((await plan('What day of the week do we get the most orders?')).kind).toBe('unanswerable');
  });
});

describe('follow-ups that compare or break down', () => {
  it('"how does that compare to the quarter before" compares both quarters', async () => {
    const first = await planOf('revenue last quarter');
    const next = await planOf('how does that compare to the quarter before', [
      { question: 'q', plan: first },
    ]);
    expect(next.time?.compare?.map((c) => [c.label, c.range])).toEqual([
      ['Q3 2026', { kind: 'last', unit: 'quarter', n: 1 }],
      ['Q2 2026', { kind: 'period', period: { year: 2026, quarter: 2 } }],
    ]);
  });

  it('"and by category?" after revenue switches to the measure on the order lines', async () => {
    const first = await planOf('revenue last month');
    const next = await planOf('and by category?', [{ question: 'q', plan: first }]);
    expect(next).toMatchObject({
      table: 'order_items',
      measures: [{ kind: 'named', name: 'order_items.product_revenue' }],
      dimensions: [{ field: 'products.category' }],
    });
    expect(next.time?.range).toEqual({ kind: 'last', unit: 'month', n: 1 });
  });
});

describe('how many rows a listing shows', () => {
  it('takes the number right before the thing listed, never a number of a condition', async () => {
    for (const [q, limit] of [
      ['give me the members with over 6 orders', undefined],
      ['show users who placed at least 12 orders', undefined],
      ['give me 4 of the most recent members', 4],
      ['show twelve users who joined in 2025', 12],
    ] as const) {
      const p = await planOf(q);
      expect(p.select.length, q).toBeGreaterThan(0);
      expect(p.limit, q).toBe(limit);
    }
  });
});

describe('questions of existence and of who did it', () => {
  it('"is there any …", "are there any …" show the rows', async () => {
    for (const q of [
      'are there any members who never placed an order',
      'is there any product nobody bought',
    ]) {
      const p = await planOf(q);
      expect(p.select.length, q).toBeGreaterThan(0);
      expect(p.measures, q).toEqual([]);
    }
  });

  it('"spent by the people who …" says who spent, it is not a breakdown by person', async () => {
    for (const q of [
      'amount spent by the members who registered in may',
      'turnover brought in by those users that joined during 2025',
    ]) {
      const p = await planOf(q);
      expect(p.dimensions, q).toEqual([]);
      expect(
        p.filters.some((f) => f.op === 'dateRange' && f.field === 'users.created_at'),
        q,
      ).toBe(true);
    }
  });
});

describe('a thing and its column, said together', () => {
  it('"by member country", "per item category" break down by that column, not by the thing', async () => {
    for (const [q, field] of [
      ['income by member country in 2025', 'users.country'],
      ['units sold per item category last month', 'products.category'],
    ] as const) {
      expect((await planOf(q)).dimensions, q).toEqual([{ field }]);
    }
  });
});

it('"longest-standing" people are the earliest to join', async () => {
  for (const q of ['five longest-standing members', 'the 4 users who have been with us the longest']) {
    const p = await planOf(q);
    expect(p.order, q).toEqual([{ by: 'users.created_at', direction: 'asc' }]);
  }
});

describe('uploads on, a user without files', () => {
  // what the engine hands the planner for such a user
  const withoutFiles = (question: string) => plan(question, [], emptyDatasetContext('UTC'));

  it('answers from the database exactly as with uploads off, words and all', async () => {
    for (const q of [
      'number of cancelled orders per month in 2025',
      'average order value for shoppers in Canada since June',
      'which 3 categories brought in the most money last year',
      'orders by status from the file',
    ]) {
      expect(await withoutFiles(q), q).toEqual(await plan(q));
    }
  });

  it('says there is no file when the question is about their own file', async () => {
    for (const q of [
      'how does revenue compare with the budget in my uploaded spreadsheet?',
      'monthly revenue against targets.csv',
    ]) {
      const out = await withoutFiles(q);
      expect(out.kind, q).toBe('unanswerable');
      if (out.kind === 'unanswerable') expect(out.message, q).toMatch(/no uploaded file/);
    }
  });
});

describe('"which <value>" ranks the items of that kind', () => {
  it('"which toy made the most money last month" ranks the toys, not the Toys category as a whole', async () => {
    // and a money verb with a bare superlative ("earned us the most") ranks by money too
    for (const q of ['which toy made the most money last month', 'which toy earned us the most last month']) {
      const plan = await planOf(q);
      expect(plan.filters, q).toContainEqual({ op: 'eq', field: 'products.category', value: 'Toys' });
      expect(plan.dimensions.map((d) => d.field)).toEqual(['products.id', 'products.name']);
      expect(plan.measures).toEqual([{ kind: 'named', name: 'order_items.product_revenue' }]);
      expect(plan.order[0]?.direction).toBe('desc');
    }
  });
});

describe('an open-ended period with no verb of its own', () => {
  it('bounds the rows by their own date ("before 2025", "after June 2026")', async () => {
    const before = await planOf('orders before 2025, how many?');
    expect(before.filters).toContainEqual({
      op: 'lt',
      field: 'orders.created_at',
      value: expect.stringMatching(/^2025-01-01T00:00/),
    });
    const after = await planOf('total revenue after June 2026');
    expect(after.filters).toContainEqual({
      op: 'gte',
      field: 'orders.created_at',
      value: expect.stringMatching(/^2026-07-01T00:00/),
    });
  });

  it('refuses a bound on rows that have no date, rather than counting them all', async () => {
    const out = await plan('number of products prior to 2024');
    expect(out.kind).toBe('unanswerable');
    expect(out.kind === 'unanswerable' && out.message).toMatch(/products have no date/);
  });
});

describe('two aggregates of one number', () => {
  it('answers both ("lowest and highest product price"), over the rows, not per product', async () => {
    const p = await planOf('lowest and highest product price');
    expect(p.measures).toEqual([
      { kind: 'min', field: 'products.price' },
      { kind: 'max', field: 'products.price' },
    ]);
    expect(p.dimensions).toEqual([]);
  });

  it('adds up what "add up" names', async () => {
    const p = await planOf('add up the price of all toys');
    expect(p.measures).toEqual([{ kind: 'sum', field: 'products.price' }]);
  });
});

describe('a reading checked for its plan only', () => {
  it('gives the same plan without the words behind it', async () => {
    const question = 'takings from Canada by quarter in 2025';
    const full = await plan(question);
    const checked = await planner.plan({
      question,
      view,
      history: [],
      now: NOW,
      values: { values: async (field) => VALUES[field] ?? [] },
      planOnly: true,
    });
    if (full.kind !== 'plan' || checked.kind !== 'plan') throw new Error('expected plans');
    expect(full.words?.measures.map((m) => m.measure)).toEqual(['orders.revenue']);
    expect(checked.words).toBeUndefined();
    expect(checked.plan).toEqual(full.plan);
  });
});

describe('a date column named by what it records', () => {
  it('dates the column a period is said of, not the rows the word could also name', async () => {
    // "last purchase" is users.last_order_at: neither the users' own date nor their orders' dates
    const p = await planOf('how many customers had their last purchase in september');
    expect(p.time).toEqual({ field: 'users.last_order_at', range: { kind: 'period', period: { month: 9 } } });
    expect(p.filters).not.toContainEqual(expect.objectContaining({ op: 'related' }));
  });

  it('bounds that column with an open-ended date, its "date" word included', async () => {
    const p = await planOf('customers with a last purchase date before 2024, how many');
    expect(p.filters).toContainEqual({
      op: 'lt',
      field: 'users.last_order_at',
      value: '2024-01-01T00:00:00.000Z',
    });
  });

  it('reads "last" before a verb of buying as that date', async () => {
    const p = await planOf('number of customers who last bought in q2');
    expect(p.time).toEqual({
      field: 'users.last_order_at',
      range: { kind: 'period', period: { quarter: 2 } },
    });
  });

  it('keeps any purchase in a period, and joining, as they were', async () => {
    const ordered = await planOf('number of customers who ordered in q2');
    expect(ordered.filters).toContainEqual(
      expect.objectContaining({
        op: 'related',
        table: 'orders',
        filter: expect.objectContaining({ op: 'dateRange' }),
      }),
    );
    expect((await planOf('how many customers joined in april')).time?.field).toBe('users.created_at');
  });
});

describe('an amount of units a row holds, compared', () => {
  it('adds up the units of each order, not a price that shares the word', async () => {
    const p = await planOf('how many orders have at least 12 units');
    expect(p.table).toBe('orders');
    expect(p.filters).toEqual([
      { op: 'related', table: 'order_items', count: { op: 'gte', value: 12, sum: 'order_items.quantity' } },
    ]);
  });

  it('adds them up over the rows that hold them for a buyer', async () => {
    const p = await planOf('how many customers bought over 30 units in 2025');
    const related = p.filters.find((f) => f.op === 'related');
    expect(related).toMatchObject({
      table: 'order_items',
      count: { op: 'gt', value: 30, sum: 'order_items.quantity' },
    });
  });

  it('still counts rows when rows are named', async () => {
    const p = await planOf('how many orders with more than 4 items');
    expect(p.filters).toEqual([{ op: 'related', table: 'order_items', count: { op: 'gt', value: 4 } }]);
  });
});

describe('a ranking said after the thing ranked', () => {
  it('ranks the products named before "top 3", by the measure after it', async () => {
    const p = await planOf('best sellers by revenue, top 3');
    expect(p.dimensions).toEqual([{ field: 'products.id' }, { field: 'products.name' }]);
    expect(p).toMatchObject({ order: [{ by: 'product_revenue', direction: 'desc' }], limit: 3 });
  });

  it('ranks people and columns the same way, lowest first when asked', async () => {
    const people = await planOf('customers, top 10 by revenue');
    expect(people.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
    expect(people.limit).toBe(10);
    const categories = await planOf('categories, bottom 2 by units sold this year');
    expect(categories).toMatchObject({
      dimensions: [{ field: 'products.category' }],
      order: [{ by: 'units_sold', direction: 'asc' }],
      limit: 2,
    });
  });
});

describe('a kind of item named by its category, ranked', () => {
  it('ranks the products of that category, not the category total', async () => {
    const p = await planOf('top 5 toys by units sold');
    expect(p.dimensions).toEqual([{ field: 'products.id' }, { field: 'products.name' }]);
    expect(p.filters).toContainEqual({ op: 'eq', field: 'products.category', value: 'Toys' });
    expect(p).toMatchObject({ order: [{ by: 'units_sold', direction: 'desc' }], limit: 5 });
    expect((await planOf('which 3 electronics sold the most')).limit).toBe(3);
  });

  it('leaves a superlative of one figure in a category alone', async () => {
    const p = await planOf('highest price in toys');
    expect(p.dimensions).toEqual([]);
    expect(p.measures).toEqual([{ kind: 'max', field: 'products.price' }]);
  });
});

describe('a catalogue named with a condition and nothing asked of it', () => {
  it('lists the products rather than counting them', async () => {
    const cheap = await planOf('products in toys under 15 dollars');
    expect(cheap.measures).toEqual([]);
    expect(cheap.select).toContain('products.name');
    expect(cheap.filters).toContainEqual({ op: 'lt', field: 'products.price', value: 15 });
    const unsold = await planOf('products nobody bought last month');
    expect(unsold.measures).toEqual([]);
    expect(unsold.filters).toContainEqual(expect.objectContaining({ op: 'not' }));
  });

  it('lists the items of a kind the catalogue is said in ("toys under 25 bucks")', async () => {
    const p = await planOf('toys under 25 bucks');
    expect(p).toMatchObject({ table: 'products', measures: [] });
    expect(p.filters).toEqual([
      { op: 'eq', field: 'products.category', value: 'Toys' },
      { op: 'lt', field: 'products.price', value: 25 },
    ]);
  });

  it('still counts events and people, and products asked for as distinct', async () => {
    expect((await planOf('orders under 20 dollars')).measures).toEqual([{ kind: 'count' }]);
    expect((await planOf('customers from france')).measures).toEqual([{ kind: 'count' }]);
    expect((await planOf('distinct products sold in october')).measures).toEqual([{ kind: 'count' }]);
  });
});

describe('words a spelled-out ranking makes plain', () => {
  it('ranks the "most devoted" customers by what the question says they are ranked by', async () => {
    const p = await planOf('our most devoted customers, top 3 by orders placed');
    expect(p).toMatchObject({
      measures: [{ kind: 'count' }],
      order: [{ by: 'count', direction: 'desc' }],
      limit: 3,
    });
    expect(p.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
  });

  it('still refuses the same words with no ranking to go by', async () => {
    const out = await plan('our most devoted customers');
    expect(out.kind).toBe('unanswerable');
  });
});

describe('a lifetime value', () => {
  it('is each customer’s revenue to date, and the answer says so', async () => {
    const out = await plan('the 4 customers with the highest lifetime value');
    if (out.kind !== 'plan') throw new Error(out.message);
    expect(out.plan).toMatchObject({
      measures: [{ kind: 'named', name: 'orders.revenue' }],
      order: [{ by: 'revenue', direction: 'desc' }],
      limit: 4,
    });
    expect(out.plan.time).toBeUndefined();
    expect(out.notes).toContain("lifetime value is read as each customer's revenue to date, over all time");
  });
});

describe('a ranking by rows the ranked things have', () => {
  it('ranks by how many of them each has', async () => {
    const p = await planOf('top 4 customers by orders');
    expect(p).toMatchObject({ table: 'orders', measures: [{ kind: 'count' }], limit: 4 });
    expect(p.dimensions).toEqual([{ field: 'users.id' }, { field: 'users.name' }]);
  });
});

describe('a measure the model also calls "<measure> by <thing>"', () => {
  it('is broken down by that thing, not answered as one total', async () => {
    // the demo model lists "revenue by product" among product revenue's synonyms
    const p = await planOf('revenue by product this quarter');
    expect(p.measures).toEqual([{ kind: 'named', name: 'order_items.product_revenue' }]);
    expect(p.dimensions).toEqual([{ field: 'products.id' }, { field: 'products.name' }]);
  });
});
