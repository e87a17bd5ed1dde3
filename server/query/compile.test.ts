// Unit tests of the compiler: tenant scoping (WHERE, ON, EXISTS), fan-out, ambiguity, hidden tables and columns,
// list context filters, the row cap. A small seeded SQLite database checks what the SQL returns.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoRows,
  loadDemoAgent,
  makeTempDir,
  type SeedSpec,
  seedDemo,
  sqliteUrl,
} from '../../test/support/demo-db.ts';
import { tableRefs, tenantSqlProblems } from '../../test/support/results.ts';
import type { DemoRows } from '../seed/demo-data.ts';
import { UserContextError } from '../semantic/user-context.ts';
import { type AgentModel, type CompileOptions, compileQueryPlan, PlanError } from './compile.ts';
import { createQueryRunner, type QueryRunner } from './execute.ts';

const SPEC: SeedSpec = { anchor: new Date('2024-09-01T00:00:00Z'), scale: 1, thin: 8 };
const NOW = SPEC.anchor;
const TENANT = 987_654_321;

let agent: AgentModel;
let rows: DemoRows;
let dir: string;
let runner: QueryRunner;

beforeAll(async () => {
  agent = loadDemoAgent();
  rows = demoRows(SPEC);
  dir = makeTempDir('parley-compile');
  const file = path.join(dir, 'demo.sqlite');
  await seedDemo(sqliteUrl(file), SPEC);
  runner = createQueryRunner(sqliteUrl(file), { statementTimeoutMs: 30_000 });
});

afterAll(async () => {
  await runner?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function compile(
  plan: unknown,
  ctx: unknown = { organisationId: TENANT },
  a: AgentModel = agent,
  options: Partial<CompileOptions> = {},
) {
  return compileQueryPlan(plan, a, ctx, { dialect: 'sqlite', now: NOW, ...options });
}

/** A variant of the demo agent; `edit` changes its deep copy. */
function variant(edit: (a: AgentModel, tables: AgentModel['model']['tables']) => void): AgentModel {
  const a = loadDemoAgent();
  edit(a, a.model.tables);
  return a;
}

const count = [{ kind: 'count' }];
const ordersOf = (org: number) => rows.orders.filter((o) => o.organisation_id === org);

describe('tenant scoping', () => {
  const plans = {
    base: { version: 1, table: 'orders', measures: count },
    join: { version: 1, table: 'orders', measures: count, dimensions: [{ field: 'users.country' }] },
    exists: {
      version: 1,
      table: 'orders',
      measures: count,
      filters: [{ op: 'eq', field: 'products.category', value: 'Books' }],
    },
    segment: {
      version: 1,
      table: 'products',
      measures: count,
      filters: [{ op: 'segment', segment: 'customer' }],
    },
    fanOut: { version: 1, table: 'users', measures: count, dimensions: [{ field: 'products.category' }] },
    columns: {
      version: 1,
      table: 'order_items',
      measures: count,
      filters: [{ op: 'compareFields', field: 'order_items.unit_price', cmp: 'lt', other: 'products.price' }],
    },
    listing: {
      version: 1,
      table: 'order_items',
      select: ['order_items.id', 'products.name', 'users.email'],
      order: [{ by: 'orders.created_at', direction: 'desc' }],
    },
    compare: {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'named', name: 'units_sold' }],
      time: {
        field: 'orders.created_at',
        compare: [
          { label: 'this month', range: { kind: 'current', unit: 'month' } },
          { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
        ],
      },
    },
  };

  it.each(Object.entries(plans))(
    '%s: the tenant value is only ever a binding, once per table reference',
    (_n, plan) => {
      for (const dialect of ['sqlite', 'mysql'] as const) {
        const compiled = compile(plan, { organisationId: TENANT }, agent, { dialect });
        expect(compiled.sql.text).not.toContain(String(TENANT));
        expect(compiled.sql.text).not.toMatch(/organisation_id`\s*=\s*\d/);
        expect(tenantSqlProblems(compiled, agent.model, { organisationId: TENANT })).toEqual([]);
        const refs = tableRefs(compiled.sql.text).length;
        expect(compiled.sql.bindings.filter((b) => b === TENANT)).toHaveLength(refs);
        // the description of the filters names fields, never values
        expect(compiled.contextFilters.join(' ')).not.toContain(String(TENANT));
        expect(
          compiled.contextFilters.every((f) =>
            /^\w+\.organisation_id = userContext\.organisationId$/.test(f),
          ),
        ).toBe(true);
      }
    },
  );

  it('puts the base table’s filter in WHERE', () => {
    expect(compile(plans.base).sql.text).toBe(
      'select COUNT(`t0`.`id`) AS `count` from `orders` as `t0` where `t0`.`organisation_id` = ?',
    );
  });

  it('puts a joined table’s filter in its ON clause (so another organisation’s row joins as NULL)', () => {
    expect(compile(plans.join).sql.text).toContain(
      'left join `users` as `t1` on `t0`.`user_id` = `t1`.`id` and `t1`.`organisation_id` = ?',
    );
  });

  it('scopes EXISTS subqueries and the joins inside them', () => {
    const text = compile(plans.exists).sql.text;
    expect(text).toContain(
      'EXISTS (select 1 from `order_items` as `s1` left join `products` as `s2` on `s1`.`product_id` = `s2`.`id` ' +
        'and `s2`.`organisation_id` = ? where `s1`.`order_id` = `t0`.`id` and `s1`.`organisation_id` = ?',
    );
  });

  it('scopes the tables a segment reaches', () => {
    const compiled = compile(plans.segment);
    expect(compiled.sql.text).toContain('EXISTS (select 1 from `order_items`');
    expect(tenantSqlProblems(compiled, agent.model, { organisationId: TENANT })).toEqual([]);
    expect(compiled.contextFilters).toEqual(
      expect.arrayContaining([
        'products.organisation_id = userContext.organisationId',
        'order_items.organisation_id = userContext.organisationId',
        'orders.organisation_id = userContext.organisationId',
        'users.organisation_id = userContext.organisationId',
      ]),
    );
  });

  it('applies every context filter of a table (two filters: organisation and country)', () => {
    const a = variant((ag, t) => {
      ag.userContext = { organisationId: 'integer', country: 'string' };
      t.users?.contextFilters.push({ column: 'country', field: 'country', op: 'eq' });
    });
    const ctx = { organisationId: 2, country: "Germany' OR '1'='1" };
    const withUsers = [
      plans.join,
      { version: 1, table: 'users', select: ['users.email'] },
      {
        version: 1,
        table: 'products',
        measures: count,
        filters: [{ op: 'isNotNull', field: 'users.email' }],
      },
    ];
    for (const plan of withUsers) {
      const compiled = compile(plan, ctx, a);
      expect(compiled.sql.text).not.toContain('Germany');
      expect(tenantSqlProblems(compiled, a.model, ctx)).toEqual([]);
      const users = tableRefs(compiled.sql.text).filter((r) => r.table === 'users');
      expect(users).toHaveLength(1);
      for (const u of users) expect(compiled.sql.text).toContain(`\`${u.alias}\`.\`country\` = ?`);
      expect(compiled.sql.bindings.filter((b) => b === ctx.country)).toHaveLength(1);
    }
  });

  it('refuses a table whose context filter needs a userContext field the agent does not declare', () => {
    const a = variant((_ag, t) => {
      t.orders?.contextFilters.push({ column: 'status', field: 'region', op: 'eq' });
    });
    expect(() => compile(plans.base, { organisationId: 1 }, a)).toThrow(PlanError);
    expect(() => compile(plans.base, { organisationId: 1, region: 'x' }, a)).toThrow(UserContextError);
  });

  it('counts only the organisation’s own rows (and never another organisation’s through a join)', async () => {
    for (const org of [1, 2, 3]) {
      const r = await runner.run(compile(plans.base, { organisationId: org }));
      expect(r.rows).toEqual([[ordersOf(org).length]]);
    }
  });
});

describe('fan-out over one-to-many relations', () => {
  it('refuses a sum or an average over a one-to-many dimension', () => {
    for (const m of [
      { kind: 'named', name: 'revenue' },
      { kind: 'avg', field: 'orders.total_amount' },
      { kind: 'sum', field: 'orders.total_amount' },
    ]) {
      expect(() =>
        compile({ version: 1, table: 'orders', measures: [m], dimensions: [{ field: 'products.category' }] }),
      ).toThrow(/would be multiplied/);
    }
  });

  it('refuses a sum of a field on the one side of a many-to-one relation (order totals from items)', () => {
    expect(() =>
      compile({
        version: 1,
        table: 'order_items',
        measures: [{ kind: 'sum', field: 'orders.total_amount' }],
      }),
    ).toThrow(/would be multiplied/);
    expect(() =>
      compile({ version: 1, table: 'orders', measures: [{ kind: 'max', field: 'order_items.quantity' }] }),
    ).toThrow(/many side/);
  });

  it('turns count into COUNT(DISTINCT ...) and gets the right numbers', async () => {
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'count' },
        { kind: 'count', filter: { op: 'eq', field: 'orders.status', value: 'completed' } },
      ],
      dimensions: [{ field: 'products.category' }],
    };
    const compiled = compile(plan, { organisationId: 2 });
    expect(compiled.sql.text).toContain('COUNT(DISTINCT `t0`.`id`)');
    expect(compiled.sql.text).toContain('COUNT(DISTINCT CASE WHEN');
    const result = await runner.run(compiled);
    const products = new Map(rows.products.map((p) => [p.id, p]));
    const orders = new Map(rows.orders.map((o) => [o.id, o]));
    const expected = new Map<string, [Set<number>, Set<number>]>();
    for (const item of rows.orderItems) {
      if (item.organisation_id !== 2) continue;
      const category = products.get(item.product_id)?.category as string;
      const entry = expected.get(category) ?? [new Set<number>(), new Set<number>()];
      entry[0].add(item.order_id);
      if (orders.get(item.order_id)?.status === 'completed') entry[1].add(item.order_id);
      expected.set(category, entry);
    }
    expect(new Map(result.rows.map((r) => [r[0], [r[1], r[2]]]))).toEqual(
      new Map([...expected].map(([k, [all, done]]) => [k, [all.size, done.size]])),
    );
  });

  it('allows min and max over a fanned-out join and refuses a listing that fans out', () => {
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'max', field: 'orders.total_amount' }],
        dimensions: [{ field: 'products.category' }],
      }),
    ).not.toThrow();
    expect(() => compile({ version: 1, table: 'orders', select: ['orders.id', 'products.name'] })).toThrow(
      PlanError,
    );
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        select: ['orders.id'],
        order: [{ by: 'order_items.quantity' }],
      }),
    ).toThrow(PlanError);
  });
});

describe('what a plan can name', () => {
  it('refuses an ambiguous relation path (two relations from orders to users)', () => {
    const a = variant((_ag, t) => {
      if (t.orders) t.orders.relations.buyer = { table: 'users', kind: 'many-to-one', on: { user_id: 'id' } };
    });
    expect(() =>
      compile(
        { version: 1, table: 'orders', measures: count, dimensions: [{ field: 'users.country' }] },
        undefined,
        a,
      ),
    ).toThrow(/more than one way/);
    expect(() =>
      compile(
        {
          version: 1,
          table: 'order_items',
          measures: count,
          filters: [{ op: 'eq', field: 'users.country', value: 'Japan' }],
        },
        undefined,
        a,
      ),
    ).toThrow(/more than one way/);
    // a plan that does not cross the ambiguity still compiles
    expect(() => compile({ version: 1, table: 'orders', measures: count }, undefined, a)).not.toThrow();
  });

  it('refuses a table with access off, wherever the plan names it', () => {
    const a = variant((_ag, t) => {
      if (t.products) t.products.access = 'off';
    });
    const refused = [
      { version: 1, table: 'products', measures: count },
      { version: 1, table: 'order_items', measures: count, dimensions: [{ field: 'products.category' }] },
      { version: 1, table: 'order_items', select: ['order_items.id', 'products.name'] },
      {
        version: 1,
        table: 'orders',
        measures: count,
        filters: [{ op: 'eq', field: 'products.name', value: 'x' }],
      },
    ];
    for (const plan of refused)
      expect(() => compile(plan, undefined, a), JSON.stringify(plan)).toThrow(PlanError);
  });

  it('shows a visibleWhen table only when the boolean userContext field is true', () => {
    const a = variant((ag, t) => {
      ag.userContext = { organisationId: 'integer', isAdmin: 'boolean' };
      if (t.users) t.users.visibleWhen = 'isAdmin';
    });
    const plan = { version: 1, table: 'orders', measures: count, dimensions: [{ field: 'users.country' }] };
    expect(() => compile(plan, { organisationId: 1, isAdmin: true }, a)).not.toThrow();
    expect(() => compile(plan, { organisationId: 1, isAdmin: false }, a)).toThrow(PlanError);
    // nor through a segment defined on it
    expect(() =>
      compile(
        { version: 1, table: 'orders', measures: count, filters: [{ op: 'segment', segment: 'customer' }] },
        { organisationId: 1, isAdmin: false },
        a,
      ),
    ).toThrow(PlanError);
    expect(() => compile(plan, { organisationId: 1, isAdmin: 1 }, a)).toThrow(UserContextError);
  });

  it('refuses columns the model does not list: keys, the tenant column, unknown names', () => {
    for (const field of [
      'orders.user_id',
      'order_items.order_id',
      'orders.organisation_id',
      'users.password_hash',
      'organisations.id',
    ]) {
      expect(() => compile({ version: 1, table: 'orders', select: ['orders.id', field] }), field).toThrow(
        PlanError,
      );
      expect(
        () => compile({ version: 1, table: 'orders', measures: count, filters: [{ op: 'isNull', field }] }),
        field,
      ).toThrow(PlanError);
    }
    expect(() => compile({ version: 1, table: 'organisations', measures: count })).toThrow(/only be joined/);
  });

  it('hides a table without context filters in a multi-tenant agent (fail closed), and shows it otherwise', () => {
    const a = variant((_ag, t) => {
      t.audit_log = {
        access: 'queryable',
        synonyms: [],
        primaryKey: 'id',
        contextFilters: [],
        columns: { id: { type: 'integer', synonyms: [] } },
        computed: {},
        relations: {},
        measures: {},
        segments: {},
      };
      if (t.products) t.products.contextFilters = [];
    });
    expect(() => compile({ version: 1, table: 'audit_log', measures: count }, undefined, a)).toThrow(
      /not available/,
    );
    // products lost its filter: it is hidden, not joined unscoped
    expect(() =>
      compile(
        { version: 1, table: 'order_items', measures: count, dimensions: [{ field: 'products.category' }] },
        undefined,
        a,
      ),
    ).toThrow(/not available/);
    const single = { ...a, multiTenant: false };
    expect(compile({ version: 1, table: 'audit_log', measures: count }, undefined, single).sql.text).toBe(
      'select COUNT(`t0`.`id`) AS `count` from `audit_log` as `t0`',
    );
  });
});

describe('list context filters (integer[])', () => {
  const listAgent = () =>
    variant((ag, t) => {
      ag.userContext = { organisationIds: 'integer[]' };
      for (const table of Object.values(t)) {
        table.contextFilters = table.contextFilters.map((f) => ({
          ...f,
          field: 'organisationIds',
          op: 'in' as const,
        }));
      }
    });

  it('an empty list sees no rows at all: base, joins and EXISTS are all false', async () => {
    const a = listAgent();
    const plan = {
      version: 1,
      table: 'orders',
      measures: count,
      dimensions: [{ field: 'users.country' }],
      filters: [{ op: 'neq', field: 'products.category', value: 'Books' }],
    };
    const compiled = compile(plan, { organisationIds: [] }, a);
    expect(compiled.sql.text.match(/1 = 0/g)).toHaveLength(tableRefs(compiled.sql.text).length);
    expect((await runner.run(compiled)).rows).toEqual([]);
    const listing = compile(
      { version: 1, table: 'users', select: ['users.email'] },
      { organisationIds: [] },
      a,
    );
    expect((await runner.run(listing)).rows).toEqual([]);
    expect(
      (
        await runner.run(
          compile({ version: 1, table: 'orders', measures: count }, { organisationIds: [] }, a),
        )
      ).rows,
    ).toEqual([[0]]);
  });

  it('a list sees exactly the listed organisations', async () => {
    const a = listAgent();
    const compiled = compile(
      { version: 1, table: 'orders', measures: count },
      { organisationIds: [1, 3] },
      a,
    );
    expect(compiled.sql.text).toContain('`t0`.`organisation_id` in (?, ?)');
    expect((await runner.run(compiled)).rows).toEqual([[ordersOf(1).length + ordersOf(3).length]]);
    const one = compile({ version: 1, table: 'orders', measures: count }, { organisationIds: [2] }, a);
    expect((await runner.run(one)).rows).toEqual([[ordersOf(2).length]]);
  });

  it('refuses a list where a single value is filtered, and the reverse', () => {
    const a = listAgent();
    expect(() =>
      compile({ version: 1, table: 'orders', measures: count }, { organisationIds: 1 }, a),
    ).toThrow(UserContextError);
    expect(() =>
      compile({ version: 1, table: 'orders', measures: count }, { organisationIds: ['1'] }, a),
    ).toThrow(UserContextError);
    const mixed = variant((ag, t) => {
      ag.userContext = { organisationId: 'integer[]' };
      void t;
    });
    expect(() =>
      compile({ version: 1, table: 'orders', measures: count }, { organisationId: [1] }, mixed),
    ).toThrow(/must be a single value/);
  });
});

describe('row cap', () => {
  const listing = { version: 1, table: 'orders', select: ['orders.id'] };

  it('caps a listing at 1,000 rows by default and fetches one more to detect the cut', () => {
    const compiled = compile(listing);
    expect(compiled).toMatchObject({ limit: 1000, capped: true });
    expect(compiled.sql.bindings.at(-1)).toBe(1001);
  });

  it('uses an explicit limit as is, and the cap when the limit is larger', () => {
    expect(compile({ ...listing, limit: 10 })).toMatchObject({ limit: 10, capped: false });
    expect(compile({ ...listing, limit: 10 }).sql.bindings.at(-1)).toBe(10);
    expect(compile({ ...listing, limit: 5000 })).toMatchObject({ limit: 1000, capped: true });
    expect(compile({ ...listing, limit: 3 }, undefined, agent, { maxRows: 5 })).toMatchObject({
      limit: 3,
      capped: false,
    });
  });

  it('does not limit a plain aggregate (one row)', () => {
    const compiled = compile({ version: 1, table: 'orders', measures: count });
    expect(compiled.sql.text).not.toContain('limit');
    expect(compiled.capped).toBe(false);
  });

  it('the runner marks a capped result truncated when more rows exist (maxRows 5)', async () => {
    const capped = compile(listing, { organisationId: 3 }, agent, { maxRows: 5 });
    expect(capped.sql.bindings.at(-1)).toBe(6);
    const r = await runner.run(capped);
    expect(r.rows).toHaveLength(5);
    expect(r.truncated).toBe(true);
    const groups = await runner.run(
      compile(
        { version: 1, table: 'users', measures: count, dimensions: [{ field: 'users.country' }] },
        { organisationId: 1 },
        agent,
        { maxRows: 5 },
      ),
    );
    expect(groups.rows).toHaveLength(5);
    expect(groups.truncated).toBe(true);
  });

  it('is not truncated when the rows fit, or when the plan asked for exactly that many', async () => {
    const few = compile(
      {
        ...listing,
        filters: [
          {
            op: 'in',
            field: 'orders.id',
            values: ordersOf(3)
              .slice(0, 4)
              .map((o) => o.id),
          },
        ],
      },
      { organisationId: 3 },
      agent,
      { maxRows: 5 },
    );
    const r = await runner.run(few);
    expect(r.rows).toHaveLength(4);
    expect(r.truncated).toBe(false);
    const exact = await runner.run(
      compile({ ...listing, limit: 5 }, { organisationId: 3 }, agent, { maxRows: 5 }),
    );
    expect(exact.rows).toHaveLength(5);
    expect(exact.truncated).toBe(false);
  });
});

describe('ratios', () => {
  it.each([
    ['a date', { kind: 'min', field: 'users.last_order_at' }],
    ['text', { kind: 'max', field: 'users.email' }],
  ])('refuses a ratio of %s (it would multiply it by 1.0)', (_what, part) => {
    for (const [numerator, denominator] of [
      [part, { kind: 'count' }],
      [{ kind: 'count' }, part],
    ]) {
      const plan = { version: 1, table: 'users', measures: [{ kind: 'ratio', numerator, denominator }] };
      expect(() => compile(plan)).toThrow(PlanError);
    }
  });

  it('divides numbers, and NULL (not an error) when the denominator is 0', async () => {
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'ratio',
          numerator: { kind: 'count' },
          denominator: { kind: 'countDistinct', field: 'users.id' },
        },
        {
          kind: 'ratio',
          numerator: { kind: 'count' },
          denominator: {
            kind: 'count',
            filter: { op: 'eq', field: 'orders.status', value: 'no such status' },
          },
        },
      ],
    };
    const [[perUser, none]] = (await runner.run(compile(plan, { organisationId: 3 }))).rows as [
      [number, null],
    ];
    const orders = ordersOf(3);
    expect(perUser).toBeCloseTo(orders.length / new Set(orders.map((o) => o.user_id)).size, 5);
    expect(none).toBeNull();
  });
});

describe('one column against another of the same row', () => {
  const belowList = {
    version: 1,
    table: 'order_items',
    measures: count,
    filters: [{ op: 'compareFields', field: 'order_items.unit_price', cmp: 'lt', other: 'products.price' }],
  };

  it('compares the two columns in SQL, each table still scoped to the tenant, and counts what the rows say', async () => {
    for (const org of [1, 2]) {
      const compiled = compile(belowList, { organisationId: org });
      expect(compiled.sql.text).toMatch(/`unit_price` < `t\d+`\.`price`/);
      expect(tenantSqlProblems(compiled, agent.model, { organisationId: org })).toEqual([]);
      const price = new Map(rows.products.map((p) => [p.id, p.price]));
      const want = rows.orderItems.filter(
        (i) => i.organisation_id === org && i.unit_price < (price.get(i.product_id) ?? Number.NaN),
      ).length;
      // discounted lines exist: a comparison that matched nothing would prove nothing
      expect(want).toBeGreaterThan(0);
      expect((await runner.run(compiled)).rows).toEqual([[want]]);
    }
  });

  it('refuses columns that cannot be compared, and a column that is not there, as invalid plans', () => {
    for (const [field, other] of [
      ['order_items.unit_price', 'orders.created_at'],
      ['order_items.unit_price', 'products.category'],
      ['order_items.unit_price', 'products.no_such_column'],
    ])
      expect(() =>
        compile({ ...belowList, filters: [{ op: 'compareFields', field, cmp: 'lt', other }] }),
      ).toThrow(PlanError);
    // and a comparison with no column to compare with is no plan at all
    expect(() =>
      compile({
        ...belowList,
        filters: [{ op: 'compareFields', field: 'order_items.unit_price', cmp: 'lt' }],
      }),
    ).toThrow(PlanError);
  });
});

describe('impossible calendar dates', () => {
  it.each([
    { kind: 'period', period: { year: 2023, month: 2, day: 30 } },
    { kind: 'period', period: { month: 4, day: 31 } },
    { kind: 'since', period: { year: 2023, month: 2, day: 29 } },
    { kind: 'between', from: '2024-02-30', to: '2024-03-01' },
  ])('refuses %j as an invalid plan (not a server error)', (range) => {
    const time = { field: 'orders.created_at', range };
    expect(() => compile({ version: 1, table: 'orders', measures: count, time })).toThrow(PlanError);
    const filters = [{ op: 'dateRange', field: 'orders.created_at', range }];
    expect(() => compile({ version: 1, table: 'orders', measures: count, filters })).toThrow(PlanError);
  });

  it('accepts 29 February in a leap year', () => {
    const range = { kind: 'period', period: { year: 2024, month: 2, day: 29 } };
    expect(
      compile({ version: 1, table: 'orders', measures: count, time: { field: 'orders.created_at', range } })
        .ranges[0],
    ).toMatchObject({ start: '2024-02-29 00:00:00', end: '2024-03-01 00:00:00' });
  });
});

// ---- related-row conditions, filtered named measures, differences and window measures ----------------------
// Expected values come from the seeder's rows (the database holds exactly those), computed here in JavaScript.

const usersOf = (org: number) => rows.users.filter((u) => u.organisation_id === org);
const productsOf = (org: number) => rows.products.filter((p) => p.organisation_id === org);
const itemsOf = (org: number) => rows.orderItems.filter((i) => i.organisation_id === org);
const within = (ts: string, r: { start: string; end: string } | undefined) =>
  r !== undefined && ts >= r.start && ts < r.end;
const monthOf = (ts: string) => `${ts.slice(0, 7)}-01`;
const cents = (x: number) => Math.round(x * 100) / 100;
const COMPARE = {
  eq: (a: number, b: number) => a === b,
  neq: (a: number, b: number) => a !== b,
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
} as const;

/** How many rows of `list` each key has. */
function tally<T>(list: readonly T[], key: (r: T) => number | string): Map<number | string, number> {
  const out = new Map<number | string, number>();
  for (const r of list) out.set(key(r), (out.get(key(r)) ?? 0) + 1);
  return out;
}

/** A listing's first column, as a sorted list. */
async function ids(plan: unknown, org: number): Promise<number[]> {
  const r = await runner.run(compile(plan, { organisationId: org }, agent, { maxRows: 100_000 }));
  return (r.rows.map((row) => row[0]) as number[]).sort((a, b) => a - b);
}

describe('related-row conditions', () => {
  it.each([
    ['gte', 3],
    ['gt', 2],
    ['eq', 2],
    ['neq', 1],
    ['lte', 2],
    ['lt', 3],
    ['gte', 1],
    ['gt', 0],
    ['neq', 0],
    ['eq', 0],
    ['lt', 1],
    ['lte', 0],
  ] as const)('counts users with %s %i orders (users without orders have 0)', async (op, value) => {
    const org = 2;
    const perUser = tally(ordersOf(org), (o) => o.user_id);
    const expected = usersOf(org).filter((u) => COMPARE[op](perUser.get(u.id) ?? 0, value)).length;
    const plan = {
      version: 1,
      table: 'users',
      measures: count,
      filters: [{ op: 'related', table: 'orders', count: { op, value } }],
    };
    expect((await runner.run(compile(plan, { organisationId: org }))).rows).toEqual([[expected]]);
  });

  it('finds users with no orders in a window (not related, with a date range on the related rows)', async () => {
    const org = 2;
    const plan = {
      version: 1,
      table: 'users',
      select: ['users.id'],
      filters: [
        {
          op: 'not',
          filter: {
            op: 'related',
            table: 'orders',
            filter: {
              op: 'dateRange',
              field: 'orders.created_at',
              range: { kind: 'last', unit: 'month', n: 3 },
            },
          },
        },
      ],
    };
    const range = compile(plan).ranges[0];
    expect(range).toMatchObject({ start: '2024-06-01 00:00:00', end: '2024-09-01 00:00:00' });
    const active = new Set(
      ordersOf(org)
        .filter((o) => within(o.created_at, range))
        .map((o) => o.user_id),
    );
    const expected = usersOf(org)
      .filter((u) => !active.has(u.id))
      .map((u) => u.id);
    // some users ordered only before the window: they count as inactive too
    expect(expected.length).toBeGreaterThan(usersOf(org).length - active.size - 1);
    expect(await ids(plan, org)).toEqual(expected);
  });

  it('finds products with no order items in a window (the inner filter reaches orders.created_at)', async () => {
    const org = 1;
    const plan = {
      version: 1,
      table: 'products',
      select: ['products.id'],
      filters: [
        {
          op: 'not',
          filter: {
            op: 'related',
            table: 'order_items',
            filter: {
              op: 'dateRange',
              field: 'orders.created_at',
              range: { kind: 'last', unit: 'month', n: 1 },
            },
          },
        },
      ],
    };
    const range = compile(plan).ranges[0];
    const orders = new Map(ordersOf(org).map((o) => [o.id, o]));
    const sold = new Set(
      itemsOf(org)
        .filter((i) => within(orders.get(i.order_id)?.created_at ?? '', range))
        .map((i) => i.product_id),
    );
    const expected = productsOf(org)
      .filter((p) => !sold.has(p.id))
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(productsOf(org).length);
    expect(await ids(plan, org)).toEqual(expected);
  });

  it('counts orders, not order lines, through a two-step path (products -> order_items -> orders)', async () => {
    const org = 1;
    const orders = new Map(ordersOf(org).map((o) => [o.id, o]));
    const ordersPerProduct = new Map<number, Set<number>>();
    const completedPerProduct = new Map<number, Set<number>>();
    for (const i of itemsOf(org)) {
      const add = (m: Map<number, Set<number>>) =>
        m.set(i.product_id, (m.get(i.product_id) ?? new Set()).add(i.order_id));
      add(ordersPerProduct);
      if (orders.get(i.order_id)?.status === 'completed') add(completedPerProduct);
    }
    const plan = (op: string, value: number, filter?: unknown) => ({
      version: 1,
      table: 'products',
      select: ['products.id'],
      filters: [{ op: 'related', table: 'orders', count: { op, value }, filter }],
    });
    const where = (m: Map<number, Set<number>>, keep: (n: number) => boolean) =>
      productsOf(org)
        .filter((p) => keep(m.get(p.id)?.size ?? 0))
        .map((p) => p.id);
    expect(await ids(plan('gte', 20, { op: 'eq', field: 'orders.status', value: 'completed' }), org)).toEqual(
      where(completedPerProduct, (n) => n >= 20),
    );
    // the data has no product twice in one order: a copy gets one, so that lines and orders differ
    const [product, set] = [...ordersPerProduct].find(([, s]) => s.size >= 5) as [number, Set<number>];
    const copy = path.join(dir, 'duplicate-line.sqlite');
    fs.copyFileSync(path.join(dir, 'demo.sqlite'), copy);
    const db = new Database(copy);
    db.prepare(
      'INSERT INTO order_items (id, organisation_id, order_id, product_id, quantity, unit_price) VALUES (?, ?, ?, ?, 1, 1)',
    ).run(10_000_000, org, [...set][0], product);
    db.close();
    const dup = createQueryRunner(sqliteUrl(copy));
    try {
      const run = async (p: unknown) =>
        ((await dup.run(compile(p, { organisationId: org }))).rows.map((r) => r[0]) as number[]).sort(
          (a, b) => a - b,
        );
      expect(await run(plan('eq', set.size))).toEqual(where(ordersPerProduct, (n) => n === set.size));
      expect(await run(plan('gt', set.size))).toEqual(where(ordersPerProduct, (n) => n > set.size));
      expect(await run(plan('eq', set.size))).toContain(product);
    } finally {
      await dup.close();
    }
  });

  it('counts distinct values of the related rows (users who bought from 3+ categories)', async () => {
    const org = 1;
    const category = new Map(productsOf(org).map((p) => [p.id, p.category]));
    const userOf = new Map(ordersOf(org).map((o) => [o.id, o.user_id]));
    const categories = new Map<number, Set<string>>();
    for (const i of itemsOf(org)) {
      const user = userOf.get(i.order_id) as number;
      categories.set(user, (categories.get(user) ?? new Set()).add(category.get(i.product_id) as string));
    }
    const expected = usersOf(org)
      .filter((u) => (categories.get(u.id)?.size ?? 0) >= 3)
      .map((u) => u.id);
    expect(expected.length).toBeGreaterThan(0);
    const plan = {
      version: 1,
      table: 'users',
      select: ['users.id'],
      filters: [
        {
          op: 'related',
          table: 'orders',
          count: { op: 'gte', value: 3, distinct: 'products.category' },
        },
      ],
    };
    expect(await ids(plan, org)).toEqual(expected);
  });

  it('gives the share of users with 2+ orders among users with 1+ (related filters in measure filters)', async () => {
    const org = 1;
    const perUser = tally(ordersOf(org), (o) => o.user_id);
    const withAtLeast = (n: number) => usersOf(org).filter((u) => (perUser.get(u.id) ?? 0) >= n).length;
    const related = (value: number) => ({ op: 'related', table: 'orders', count: { op: 'gte', value } });
    const plan = {
      version: 1,
      table: 'users',
      measures: [
        {
          kind: 'ratio',
          numerator: { kind: 'count', filter: related(2) },
          denominator: { kind: 'count', filter: related(1) },
        },
      ],
    };
    const [[share]] = (await runner.run(compile(plan, { organisationId: org }))).rows as [[number]];
    expect(share).toBeCloseTo(withAtLeast(2) / withAtLeast(1), 6);
  });

  it('evaluates the inner filter on one related row (completed and in August: the same order)', async () => {
    const org = 2;
    const august = (o: { created_at: string }) => o.created_at.startsWith('2024-08');
    const done = (o: { status: string }) => o.status === 'completed';
    const sameOrder = new Set(
      ordersOf(org)
        .filter((o) => done(o) && august(o))
        .map((o) => o.user_id),
    );
    const anyOrders = usersOf(org).filter(
      (u) =>
        ordersOf(org).some((o) => o.user_id === u.id && done(o)) &&
        ordersOf(org).some((o) => o.user_id === u.id && august(o)),
    );
    expect(anyOrders.length).toBeGreaterThan(sameOrder.size);
    const plan = {
      version: 1,
      table: 'users',
      select: ['users.id'],
      filters: [
        {
          op: 'related',
          table: 'orders',
          filter: {
            op: 'and',
            filters: [
              { op: 'eq', field: 'orders.status', value: 'completed' },
              {
                op: 'dateRange',
                field: 'orders.created_at',
                range: { kind: 'period', period: { year: 2024, month: 8 } },
              },
            ],
          },
        },
      ],
    };
    expect(await ids(plan, org)).toEqual([...sameOrder].sort((a, b) => a - b));
  });

  it('nests: users with a completed order that has 2+ units of a Books product on one line', async () => {
    const org = 1;
    const books = new Set(
      productsOf(org)
        .filter((p) => p.category === 'Books')
        .map((p) => p.id),
    );
    const bookOrders = new Set(
      itemsOf(org)
        .filter((i) => books.has(i.product_id) && i.quantity >= 2)
        .map((i) => i.order_id),
    );
    const expected = new Set(
      ordersOf(org)
        .filter((o) => o.status === 'completed' && bookOrders.has(o.id))
        .map((o) => o.user_id),
    );
    expect(expected.size).toBeGreaterThan(0);
    const plan = {
      version: 1,
      table: 'users',
      select: ['users.id'],
      filters: [
        {
          op: 'related',
          table: 'orders',
          filter: {
            op: 'and',
            filters: [
              { op: 'eq', field: 'orders.status', value: 'completed' },
              {
                op: 'related',
                table: 'order_items',
                filter: {
                  op: 'and',
                  filters: [
                    { op: 'eq', field: 'products.category', value: 'Books' },
                    { op: 'gte', field: 'order_items.quantity', value: 2 },
                  ],
                },
              },
            ],
          },
        },
      ],
    };
    expect(await ids(plan, org)).toEqual([...expected].sort((a, b) => a - b));
  });

  it('means the segment’s rows wherever a segment with a related condition is used', async () => {
    const a = variant((_ag, t) => {
      if (t.users)
        t.users.segments.repeat_buyer = {
          synonyms: [],
          filter: { op: 'related', table: 'orders', count: { op: 'gte', value: 2 } },
        };
    });
    const org = 1;
    const perUser = tally(ordersOf(org), (o) => o.user_id);
    const repeat = new Set(
      usersOf(org)
        .filter((u) => (perUser.get(u.id) ?? 0) >= 2)
        .map((u) => u.id),
    );
    const segment = [{ op: 'segment', segment: 'repeat_buyer' }];
    const run = async (plan: unknown) => (await runner.run(compile(plan, { organisationId: org }, a))).rows;
    // users in it; orders placed by them (through the order's user); products bought by them (EXISTS of a line)
    expect(await run({ version: 1, table: 'users', measures: count, filters: segment })).toEqual([
      [repeat.size],
    ]);
    const byRepeat = ordersOf(org).filter((o) => repeat.has(o.user_id));
    expect(await run({ version: 1, table: 'orders', measures: count, filters: segment })).toEqual([
      [byRepeat.length],
    ]);
    const bought = new Set(
      itemsOf(org)
        .filter((i) => byRepeat.some((o) => o.id === i.order_id))
        .map((i) => i.product_id),
    );
    expect(await run({ version: 1, table: 'products', measures: count, filters: segment })).toEqual([
      [bought.size],
    ]);
    // and inside a measure's filter
    expect(
      await run({
        version: 1,
        table: 'users',
        measures: [{ kind: 'count', filter: { op: 'not', filter: segment[0] } }],
      }),
    ).toEqual([[usersOf(org).length - repeat.size]]);
  });

  it('refuses a related table that is the scope’s own, unknown or unreachable', () => {
    for (const table of ['users', 'payments', 'organisations']) {
      expect(() =>
        compile({ version: 1, table: 'users', measures: count, filters: [{ op: 'related', table }] }),
      ).toThrow(PlanError);
    }
  });
});

describe('filtered named measures and differences', () => {
  it('narrows a named measure by the plan’s filter and keeps its own (completed orders only)', async () => {
    const org = 1;
    const users = new Map(usersOf(org).map((u) => [u.id, u]));
    const country = users.get(ordersOf(org)[0]?.user_id as number)?.country as string;
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'named', name: 'revenue', filter: { op: 'eq', field: 'users.country', value: country } },
        { kind: 'named', name: 'revenue' },
      ],
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns.map((c) => [c.name, c.unit, c.definition])).toEqual([
      ['revenue', 'USD', 'Total amount of completed orders'],
      ['revenue_2', 'USD', 'Total amount of completed orders'],
    ]);
    const completed = ordersOf(org).filter((o) => o.status === 'completed');
    const expected = completed
      .filter((o) => users.get(o.user_id)?.country === country)
      .reduce((s, o) => s + o.total_amount, 0);
    const [[filtered, all]] = (await runner.run(compiled)).rows as [[number, number]];
    expect(filtered).toBeCloseTo(expected, 2);
    expect(all).toBeCloseTo(
      completed.reduce((s, o) => s + o.total_amount, 0),
      2,
    );
    expect(filtered).toBeLessThan(all);
  });

  it('applies the plan’s filter alone to a named measure without one of its own', async () => {
    const a = variant((_ag, t) => {
      if (t.orders) t.orders.measures.order_count = { aggregate: 'count', synonyms: [] };
    });
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'named',
          name: 'order_count',
          filter: { op: 'eq', field: 'orders.status', value: 'refunded' },
        },
      ],
    };
    const r = await runner.run(compile(plan, { organisationId: 1 }, a));
    expect(r.rows).toEqual([[ordersOf(1).filter((o) => o.status === 'refunded').length]]);
  });

  it('subtracts: revenue in August minus revenue in July, per country', async () => {
    const org = 1;
    const month = (m: number) => ({
      op: 'dateRange',
      field: 'orders.created_at',
      range: { kind: 'period', period: { year: 2024, month: m } },
    });
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'difference',
          minuend: { kind: 'named', name: 'revenue', filter: month(8) },
          subtrahend: { kind: 'named', name: 'revenue', filter: month(7) },
        },
      ],
      dimensions: [{ field: 'users.country' }],
      order: [{ by: 'country', direction: 'asc' }],
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns[1]).toMatchObject({ name: 'difference', unit: 'USD', type: 'number' });
    const country = new Map(usersOf(org).map((u) => [u.id, u.country]));
    const expected = new Map<string, number>();
    for (const o of ordersOf(org)) {
      if (o.status !== 'completed') continue;
      const sign = o.created_at.startsWith('2024-08') ? 1 : o.created_at.startsWith('2024-07') ? -1 : 0;
      const c = country.get(o.user_id) as string;
      expected.set(c, (expected.get(c) ?? 0) + sign * o.total_amount);
    }
    const rows = (await runner.run(compiled)).rows as Array<[string, number]>;
    expect(rows.map(([c, d]) => [c, cents(d)])).toEqual(
      [...expected].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([c, d]) => [c, cents(d)]),
    );
  });

  it('is NULL when a side is (an average of no rows), and refuses non-numbers', async () => {
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'difference',
          minuend: {
            kind: 'avg',
            field: 'orders.total_amount',
            filter: { op: 'eq', field: 'orders.status', value: 'none' },
          },
          subtrahend: { kind: 'count' },
        },
      ],
    };
    expect((await runner.run(compile(plan))).rows).toEqual([[null]]);
    expect(() =>
      compile({
        version: 1,
        table: 'users',
        measures: [
          {
            kind: 'difference',
            minuend: { kind: 'max', field: 'users.created_at' },
            subtrahend: { kind: 'count' },
          },
        ],
      }),
    ).toThrow(PlanError);
  });
});

/** [month, count] of an organisation's orders, every month of the data. */
function ordersPerMonth(org: number): Map<string, number> {
  return tally(ordersOf(org), (o) => monthOf(o.created_at)) as Map<string, number>;
}

describe('running totals', () => {
  it('adds up the buckets in time order, from the start of the range', async () => {
    const org = 2;
    const plan = {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }, { kind: 'running', of: { kind: 'count' } }],
      time: {
        field: 'orders.created_at',
        grain: 'month',
        range: { kind: 'since', period: { year: 2024, month: 3 } },
      },
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns.map((c) => c.name)).toEqual(['month', 'count', 'running_count']);
    const months = [...ordersPerMonth(org)].filter(([m]) => m >= '2024-03-01').sort();
    const expected = months.map(([m, n], i) => [m, n, months.slice(0, i + 1).reduce((t, e) => t + e[1], 0)]);
    expect((await runner.run(compiled)).rows).toEqual(expected);
  });

  it('runs per group when there are other dimensions (revenue per country, month by month)', async () => {
    const org = 3;
    const country = new Map(usersOf(org).map((u) => [u.id, u.country]));
    const perGroup = new Map<string, number>();
    for (const o of ordersOf(org)) {
      // a group of only pending orders is there too, with 0 revenue
      const key = `${monthOf(o.created_at)}|${country.get(o.user_id)}`;
      perGroup.set(key, (perGroup.get(key) ?? 0) + (o.status === 'completed' ? o.total_amount : 0));
    }
    const running = new Map<string, number>();
    const expected = [...perGroup]
      .map(([key, v]) => [...key.split('|'), v] as [string, string, number])
      .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1))
      .map(([m, c, v]) => {
        running.set(c, (running.get(c) ?? 0) + v);
        return [m, c, cents(running.get(c) as number)];
      });
    const plan = {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'running', of: { kind: 'named', name: 'revenue' }, as: 'revenue_so_far' }],
      dimensions: [{ field: 'users.country' }],
      time: { field: 'orders.created_at', grain: 'month' },
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns[2]).toMatchObject({ name: 'revenue_so_far', unit: 'USD' });
    const rows = (await runner.run(compiled)).rows as Array<[string, string, number]>;
    expect(rows.map(([m, c, v]) => [m, c, cents(v)])).toEqual(expected);
  });

  it('refuses a running total without a time grain, or of another window measure', () => {
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'running', of: { kind: 'count' } }],
        dimensions: [{ field: 'orders.status' }],
      }),
    ).toThrow(/time grain/);
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'running', of: { kind: 'change', of: { kind: 'count' }, mode: 'difference' } }],
        time: { field: 'orders.created_at', grain: 'month' },
      }),
    ).toThrow(PlanError);
    expect(() =>
      compile({
        version: 1,
        table: 'users',
        measures: [{ kind: 'running', of: { kind: 'min', field: 'users.email' } }],
        time: { field: 'users.created_at', grain: 'month' },
      }),
    ).toThrow(/needs a number/);
  });
});

describe('change against the previous bucket', () => {
  it('compares the first month of a range with the month before it', async () => {
    const org = 1;
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'count' },
        { kind: 'change', of: { kind: 'count' }, mode: 'percent' },
        { kind: 'change', of: { kind: 'count' }, mode: 'difference', as: 'more_orders' },
      ],
      time: { field: 'orders.created_at', grain: 'month', range: { kind: 'last', unit: 'month', n: 3 } },
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns.map((c) => c.name)).toEqual(['month', 'count', 'change_count', 'more_orders']);
    // the explanation's range is the plan's, not the extra month read for the first change
    expect(compiled.ranges).toEqual([
      expect.objectContaining({ start: '2024-06-01 00:00:00', end: '2024-09-01 00:00:00' }),
    ]);
    const perMonth = ordersPerMonth(org);
    const expected = ['2024-06-01', '2024-07-01', '2024-08-01'].map((m) => {
      const prevMonth = `${m.slice(0, 5)}${String(Number(m.slice(5, 7)) - 1).padStart(2, '0')}-01`;
      const now = perMonth.get(m) as number;
      const before = perMonth.get(prevMonth) as number;
      return [m, now, Math.round(((now - before) / before) * 1e6) / 1e6, now - before];
    });
    expect(expected[0]?.[2]).not.toBeNull();
    expect((await runner.run(compiled)).rows).toEqual(expected);
  });

  it('compares with 0 when the previous bucket had no rows (not with the last bucket that had some)', async () => {
    const org = 3;
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'count' },
        { kind: 'change', of: { kind: 'count' }, mode: 'difference' },
        { kind: 'change', of: { kind: 'count' }, mode: 'percent', as: 'growth' },
        { kind: 'change', of: { kind: 'avg', field: 'orders.total_amount' }, mode: 'difference' },
      ],
      time: {
        field: 'orders.created_at',
        grain: 'day',
        range: { kind: 'between', from: '2024-03-01', to: '2024-04-30' },
      },
    };
    const perDay = new Map<string, { n: number; sum: number }>();
    for (const o of ordersOf(org)) {
      const d = o.created_at.slice(0, 10);
      const e = perDay.get(d) ?? { n: 0, sum: 0 };
      perDay.set(d, { n: e.n + 1, sum: e.sum + o.total_amount });
    }
    const dayBefore = (d: string) =>
      new Date(Date.parse(`${d}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const days = [...perDay.keys()].filter((d) => d >= '2024-03-01' && d <= '2024-04-30').sort();
    // the data must have days whose previous day had no orders, or this test proves nothing
    expect(days.filter((d) => !perDay.has(dayBefore(d))).length).toBeGreaterThan(3);
    const expected = days.map((d) => {
      const now = perDay.get(d) as { n: number; sum: number };
      const before = perDay.get(dayBefore(d));
      const avgChange = before ? cents(now.sum / now.n - before.sum / before.n) : null;
      return [
        d,
        now.n,
        now.n - (before?.n ?? 0),
        before ? Math.round(((now.n - before.n) / before.n) * 1e6) / 1e6 : null,
        avgChange,
      ];
    });
    const rows = (await runner.run(compile(plan, { organisationId: org }))).rows as unknown[][];
    expect(rows.map((r) => [...r.slice(0, 4), r[4] === null ? null : cents(r[4] as number)])).toEqual(
      expected,
    );
  });

  it('compares each period of a comparison with the one before it in time (the earliest has none)', async () => {
    const org = 2;
    const month = (m: number) => ({ kind: 'period', period: { year: 2024, month: m } });
    const plan = {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'named', name: 'revenue' },
        { kind: 'change', of: { kind: 'named', name: 'revenue' }, mode: 'difference' },
      ],
      dimensions: [{ field: 'orders.status' }],
      time: {
        field: 'orders.created_at',
        compare: [
          { label: 'August', range: month(8) },
          { label: 'June', range: month(6) },
          { label: 'July', range: month(7) },
        ],
      },
    };
    const revenue = (m: string) =>
      ordersOf(org)
        .filter((o) => o.status === 'completed' && o.created_at.startsWith(m))
        .reduce((s, o) => s + o.total_amount, 0);
    const rows = (await runner.run(compile(plan, { organisationId: org }))).rows as Array<
      [string, string, number, number | null]
    >;
    const completed = rows
      .filter((r) => r[1] === 'completed')
      .map(([p, , v, c]) => [p, cents(v), c === null ? null : cents(c)]);
    const [jun, jul, aug] = [revenue('2024-06'), revenue('2024-07'), revenue('2024-08')];
    expect(completed).toEqual([
      ['August', cents(aug), cents(aug - jul)],
      ['June', cents(jun), null],
      ['July', cents(jul), cents(jul - jun)],
    ]);
  });

  it('refuses a change without a grain or comparison, or over both', () => {
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'change', of: { kind: 'count' }, mode: 'percent' }],
      }),
    ).toThrow(/time grain/);
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'change', of: { kind: 'count' }, mode: 'percent' }],
        time: {
          field: 'orders.created_at',
          grain: 'month',
          compare: [
            { label: 'a', range: { kind: 'current', unit: 'year' } },
            { label: 'b', range: { kind: 'last', unit: 'year', n: 1 } },
          ],
        },
      }),
    ).toThrow(/both a comparison/);
    expect(() =>
      compile({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'change', of: { kind: 'count' }, mode: 'percent' }],
        dimensions: [
          { field: 'orders.created_at', grain: 'month' },
          { field: 'orders.created_at', grain: 'year' },
        ],
        time: { field: 'orders.created_at', grain: 'month' },
      }),
    ).toThrow(/another grain/);
  });
});

describe('share of the total', () => {
  it('divides each row by the total of all rows, including those a limit leaves out', async () => {
    const org = 1;
    const country = new Map(usersOf(org).map((u) => [u.id, u.country]));
    const perCountry = new Map<string, number>();
    for (const o of ordersOf(org)) {
      if (o.status !== 'completed') continue;
      const c = country.get(o.user_id) as string;
      perCountry.set(c, (perCountry.get(c) ?? 0) + o.total_amount);
    }
    const total = [...perCountry.values()].reduce((a, b) => a + b, 0);
    const plan = {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'shareOfTotal', of: { kind: 'named', name: 'revenue' } }],
      dimensions: [{ field: 'users.country' }],
      limit: 3,
    };
    const compiled = compile(plan, { organisationId: org });
    expect(compiled.columns[1]).toMatchObject({ name: 'share_revenue', type: 'number', unit: undefined });
    const top = [...perCountry].sort((a, b) => b[1] - a[1]).slice(0, 3);
    const rows = (await runner.run(compiled)).rows as Array<[string, number]>;
    expect(rows.map((r) => r[0])).toEqual(top.map((t) => t[0]));
    for (const [i, [, share]] of rows.entries())
      expect(share).toBeCloseTo((top[i]?.[1] as number) / total, 6);
  });

  it('with a time grain and other dimensions, is the share within each bucket', async () => {
    const org = 2;
    const orders = new Map(ordersOf(org).map((o) => [o.id, o]));
    const category = new Map(productsOf(org).map((p) => [p.id, p.category]));
    const units = new Map<string, number>();
    for (const i of itemsOf(org)) {
      const o = orders.get(i.order_id);
      if (o?.status !== 'completed' || o.created_at < '2024-06-01') continue;
      const key = `${monthOf(o.created_at)}|${category.get(i.product_id)}`;
      units.set(key, (units.get(key) ?? 0) + i.quantity);
    }
    const monthTotal = new Map<string, number>();
    for (const [key, n] of units)
      monthTotal.set(key.slice(0, 10), (monthTotal.get(key.slice(0, 10)) ?? 0) + n);
    const expected = [...units]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([key, n]) => [
        key.slice(0, 10),
        key.slice(11),
        Math.round((n / (monthTotal.get(key.slice(0, 10)) as number)) * 1e6) / 1e6,
      ]);
    const plan = {
      version: 1,
      table: 'order_items',
      measures: [{ kind: 'shareOfTotal', of: { kind: 'named', name: 'units_sold' } }],
      dimensions: [{ field: 'products.category' }],
      time: {
        field: 'orders.created_at',
        grain: 'month',
        range: { kind: 'since', period: { year: 2024, month: 6 } },
      },
      order: [
        { by: 'month', direction: 'asc' },
        { by: 'category', direction: 'asc' },
      ],
    };
    expect((await runner.run(compile(plan, { organisationId: org }))).rows).toEqual(expected);
  });
});

describe('tenant scoping of the new shapes', () => {
  const plans = {
    related: {
      version: 1,
      table: 'products',
      measures: count,
      filters: [
        {
          op: 'related',
          table: 'orders',
          count: { op: 'gte', value: 2, distinct: 'users.country' },
          filter: {
            op: 'related',
            table: 'order_items',
            filter: { op: 'eq', field: 'products.category', value: 'Books' },
          },
        },
      ],
    },
    windows: {
      version: 1,
      table: 'orders',
      measures: [
        {
          kind: 'running',
          of: { kind: 'count', filter: { op: 'not', filter: { op: 'related', table: 'order_items' } } },
        },
        { kind: 'change', of: { kind: 'named', name: 'revenue' }, mode: 'percent' },
        { kind: 'shareOfTotal', of: { kind: 'count' } },
      ],
      dimensions: [{ field: 'users.country' }],
      time: { field: 'orders.created_at', grain: 'month', range: { kind: 'last', unit: 'month', n: 2 } },
    },
  };

  it.each(Object.entries(plans))('%s: one bound context filter per table reference', (_n, plan) => {
    for (const dialect of ['sqlite', 'mysql'] as const) {
      const compiled = compile(plan, { organisationId: TENANT }, agent, { dialect });
      expect(compiled.sql.text).not.toContain(String(TENANT));
      expect(tenantSqlProblems(compiled, agent.model, { organisationId: TENANT })).toEqual([]);
      const refs = tableRefs(compiled.sql.text).length;
      expect(refs).toBeGreaterThan(2);
      expect(compiled.sql.bindings.filter((b) => b === TENANT)).toHaveLength(refs);
    }
  });
});

describe('row counts (the total behind a capped answer)', () => {
  it('counts every row the plan selects, in its tenant only, whatever the cap', async () => {
    for (const org of [1, 2]) {
      const listing = { version: 1, table: 'orders', select: ['orders.id'] };
      const capped = compile(listing, { organisationId: org }, agent, { maxRows: 5 });
      expect((await runner.run(capped)).truncated).toBe(true);
      const counted = compile(listing, { organisationId: org }, agent, { maxRows: 5, countRows: true });
      expect(counted.sql.bindings).toContain(org);
      expect(tenantSqlProblems(counted, agent.model, { organisationId: org })).toEqual([]);
      expect((await runner.run(counted)).rows).toEqual([[ordersOf(org).length]]);
    }
  });

  it('counts groups, and keeps the plan’s own limit', async () => {
    const byStatus = {
      version: 1,
      table: 'orders',
      measures: count,
      dimensions: [{ field: 'orders.status' }],
    };
    const statuses = new Set(ordersOf(1).map((o) => o.status)).size;
    const counted = compile(byStatus, { organisationId: 1 }, agent, { countRows: true });
    expect((await runner.run(counted)).rows).toEqual([[statuses]]);
    const top = compile({ ...byStatus, limit: 3 }, { organisationId: 1 }, agent, { countRows: true });
    expect((await runner.run(top)).rows).toEqual([[Math.min(3, statuses)]]);
  });
});
