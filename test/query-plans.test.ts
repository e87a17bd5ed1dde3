// MariaDB's plans for key demo queries use their index (issue 13): the compiler's MySQL-only byte-exact text
// comparisons and its tie-breakers must not turn an index walk into a scan and sort of the whole tenant.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../server/db/connect.ts';
import type { AgentModel } from '../server/query/compile.ts';
import { compileQueryPlan } from '../server/query/compile.ts';
import type { QueryPlan } from '../server/query/plan.ts';
import { loadDemoAgent, seedDemo } from './support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from './support/mysql.ts';

const NOW = new Date('2026-11-25T12:00:00Z');

interface ExplainRow {
  table: string;
  type: string;
  possible_keys: string | null;
  key: string | null;
  Extra: string | null;
}

describe.skipIf(!mysqlEnabled)(mysqlTitle('MariaDB plans of key demo queries'), () => {
  const root = mysqlEnabled ? openMysqlRoot() : undefined;
  const name = testDatabaseName('parley_plans');
  let db: Knex;
  let agent: AgentModel;

  beforeAll(async () => {
    if (!root) throw new Error('MySQL gate is off');
    await assertMysqlReachable(root);
    const url = await createMysqlDatabase(root, name);
    await seedDemo(url, { anchor: NOW, thin: 4 });
    db = openDatabase(url);
    agent = loadDemoAgent();
  }, 240_000);

  afterAll(async () => {
    await db?.destroy();
    if (root) {
      await dropMysqlDatabase(root, name);
      await root.destroy();
    }
  });

  async function explain(plan: object, userContext: Record<string, unknown> = { organisationId: 1 }) {
    const compiled = compileQueryPlan({ version: 1, ...plan } as QueryPlan, agent, userContext, {
      dialect: 'mysql',
      now: NOW,
      maxRows: 1000,
    });
    const [rows] = (await db.raw(
      `EXPLAIN ${compiled.sql.text}`,
      compiled.sql.bindings as Knex.RawBinding[],
    )) as [ExplainRow[]];
    return { rows, sql: compiled.sql.text };
  }

  it('walks the (tenant, created_at) index backwards for "the 10 most recent orders", without a sort', async () => {
    const { rows, sql } = await explain({
      table: 'orders',
      select: ['orders.id', 'orders.status', 'orders.created_at'],
      order: [{ by: 'orders.created_at', direction: 'desc' }],
      limit: 10,
    });
    expect(sql).toMatch(/order by `created_at` desc, `t0`.`id` desc/);
    const orders = rows.find((r) => r.table === 't0');
    expect(orders?.key).toBe('orders_organisation_id_created_at_index');
    expect(orders?.Extra ?? '').not.toMatch(/filesort/);
  });

  it("counts last month's orders from a range of the (tenant, created_at) index", async () => {
    const { rows } = await explain({
      table: 'orders',
      measures: [{ kind: 'count' }],
      time: { field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } },
    });
    const orders = rows.find((r) => r.table === 't0');
    expect(orders?.key).toBe('orders_organisation_id_created_at_index');
    expect(orders?.type).toBe('range');
  });

  it('keeps a byte-exact text filter usable by the index on its column (equality and lists)', async () => {
    for (const filter of [
      { op: 'eq', field: 'products.category', value: 'Electronics' },
      { op: 'in', field: 'products.category', values: ['Electronics', 'Books'] },
    ]) {
      const { rows, sql } = await explain({
        table: 'products',
        select: ['products.name'],
        filters: [filter],
        order: [{ by: 'products.name', direction: 'asc' }],
        limit: 20,
      });
      expect(sql).toMatch(/BINARY/);
      const products = rows.find((r) => r.table === 't0');
      expect(products?.possible_keys ?? '').toMatch(/products_category_index/);
    }
  });

  it('still matches text byte for byte: another case of the value finds nothing', async () => {
    const count = async (value: string) => {
      const compiled = compileQueryPlan(
        {
          version: 1,
          table: 'products',
          measures: [{ kind: 'count' }],
          filters: [{ op: 'eq', field: 'products.category', value }],
        } as QueryPlan,
        agent,
        { organisationId: 1 },
        { dialect: 'mysql', now: NOW, maxRows: 1000 },
      );
      const [rows] = (await db.raw(compiled.sql.text, compiled.sql.bindings as Knex.RawBinding[])) as [
        Array<{ count: number }>,
      ];
      return Number(rows[0]?.count);
    };
    expect(await count('Electronics')).toBeGreaterThan(0);
    expect(await count('electronics')).toBe(0);
  });
});
