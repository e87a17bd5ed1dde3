// Unit tests of the compiler: tenant scoping (WHERE, ON, EXISTS), fan-out, ambiguity, hidden tables and columns,
// list context filters, the row cap. A small seeded SQLite database checks what the SQL returns.
import fs from 'node:fs';
import path from 'node:path';
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
