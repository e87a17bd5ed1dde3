// Dialect equivalence: the same plan gives the same answer on SQLite and MariaDB/MySQL seeded with the same data.
// Fixed plans cover every grain (ISO weeks across a year boundary), every date range kind and a non-UTC agent,
// checked against an oracle computed in JavaScript from the seeder's rows; random plans compare the two dialects.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentModel, type CompiledQuery, compileQueryPlan, PlanError } from '../server/query/compile.ts';
import { createQueryRunner, type QueryResult, type QueryRunner } from '../server/query/execute.ts';
import type { DateRange, Grain } from '../server/query/plan.ts';
import type { DemoRows } from '../server/seed/demo-data.ts';
import {
  DEMO_ORG_IDS,
  demoRows,
  demoValuePools,
  foldDemoRows,
  foldTextColumns,
  loadDemoAgent,
  makeTempDir,
  type SeedSpec,
  seedDemo,
  sqliteUrl,
  type ValuePools,
} from './support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  ensureMysqlTimeZones,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from './support/mysql.ts';
import { type GeneratedPlan, planArbitrary } from './support/plans.ts';
import { CROSS_DIALECT, diffResults, isOrdered, orderColumns } from './support/results.ts';

// data from 2024-01-01 to mid-February 2025: two DST changes and a year boundary inside one ISO week
const SPEC: SeedSpec = { anchor: new Date('2025-02-15T12:00:00Z'), scale: 1, thin: 8 };
const NOW = SPEC.anchor;
const RANDOM_PLANS = Number(process.env.PARLEY_DIALECT_RUNS ?? 500);
const SEED = process.env.PARLEY_FC_SEED
  ? Number(process.env.PARLEY_FC_SEED)
  : process.env.CI === 'true'
    ? 20_250_215
    : Math.floor(Math.random() * 2 ** 31);
const NEW_YORK = 'America/New_York';

let rows: DemoRows;
/** values of the folded copy (lower-case ASCII text), for the random plans */
let foldedPools: ValuePools;
const agents = new Map<string, AgentModel>();
let dir: string;
/** the demo data as seeded */
let sqlite: QueryRunner;
/** the same with folded text, where both dialects' text comparisons agree */
let sqliteFolded: QueryRunner;

beforeAll(async () => {
  rows = demoRows(SPEC);
  foldedPools = demoValuePools(foldDemoRows(rows));
  agents.set('UTC', loadDemoAgent());
  agents.set(NEW_YORK, { ...loadDemoAgent(), timeZone: NEW_YORK });
  dir = makeTempDir('parley-dialects');
  const file = path.join(dir, 'demo.sqlite');
  const folded = path.join(dir, 'folded.sqlite');
  await seedDemo(sqliteUrl(file), SPEC);
  await seedDemo(sqliteUrl(folded), SPEC, foldTextColumns);
  sqlite = createQueryRunner(sqliteUrl(file), { statementTimeoutMs: 30_000 });
  sqliteFolded = createQueryRunner(sqliteUrl(folded), { statementTimeoutMs: 30_000 });
});

afterAll(async () => {
  await sqlite?.close();
  await sqliteFolded?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function compile(plan: unknown, zone: string, org: number, dialect: 'sqlite' | 'mysql'): CompiledQuery {
  return compileQueryPlan(
    plan,
    agents.get(zone) as AgentModel,
    { organisationId: org },
    { dialect, now: NOW },
  );
}

// ---- the oracle -------------------------------------------------------------------------------------------

function bucket(utc: string, zone: string, grain: Grain): string {
  const dt = DateTime.fromSQL(utc, { zone: 'utc' }).setZone(zone);
  return dt.startOf(grain, { useLocaleWeeks: false }).toFormat('yyyy-MM-dd');
}

function inRange(utc: string, range: { start: string; end: string } | undefined): boolean {
  return range === undefined || (utc >= range.start && utc < range.end);
}

/** [bucket, count] rows of one organisation's orders, optionally within a resolved [start, end). */
function ordersPerBucket(
  org: number,
  zone: string,
  grain: Grain,
  range?: { start: string; end: string },
  value: (o: DemoRows['orders'][number]) => number = () => 1,
): Array<[string, number]> {
  const out = new Map<string, number>();
  for (const o of rows.orders) {
    if (o.organisation_id !== org || !inRange(o.created_at, range)) continue;
    const key = bucket(o.created_at, zone, grain);
    out.set(key, (out.get(key) ?? 0) + value(o));
  }
  return [...out.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => [k, Math.round(v * 100) / 100]);
}

function countOrders(org: number, range: { start: string; end: string }): number {
  return rows.orders.filter((o) => o.organisation_id === org && inRange(o.created_at, range)).length;
}

const completedRevenue = (o: DemoRows['orders'][number]) => (o.status === 'completed' ? o.total_amount : 0);

// ---- fixed plans ------------------------------------------------------------------------------------------

interface FixedCase {
  name: string;
  zone: string;
  org: number;
  plan: Record<string, unknown>;
  /** the expected rows, from the compiled query (for its resolved ranges) */
  expected: (compiled: CompiledQuery) => unknown[][];
}

const GRAINS: Grain[] = ['day', 'week', 'month', 'quarter', 'year'];
const ZONES = ['UTC', NEW_YORK];

function fixedCases(): FixedCase[] {
  const cases: FixedCase[] = [];
  for (const zone of ZONES) {
    for (const grain of GRAINS) {
      const range: DateRange =
        grain === 'day'
          ? { kind: 'between', from: '2024-11-01', to: '2024-11-10' }
          : { kind: 'since', period: { year: 2024, month: 3 } };
      cases.push({
        name: `orders per ${grain} (${zone})`,
        zone,
        org: 1,
        plan: {
          version: 1,
          table: 'orders',
          measures: [{ kind: 'count' }],
          time: { field: 'orders.created_at', grain, range },
        },
        expected: (c) => ordersPerBucket(1, zone, grain, c.ranges[0]),
      });
      cases.push({
        name: `revenue per ${grain} of organisation 2 (${zone})`,
        zone,
        org: 2,
        plan: {
          version: 1,
          table: 'orders',
          measures: [{ kind: 'named', name: 'revenue' }],
          dimensions: [{ field: 'orders.created_at', grain }],
        },
        expected: () => ordersPerBucket(2, zone, grain, undefined, completedRevenue),
      });
    }
    cases.push({
      name: `ISO weeks across the year boundary start on Monday 2024-12-30 (${zone})`,
      zone,
      org: 1,
      plan: {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: {
          field: 'orders.created_at',
          grain: 'week',
          range: { kind: 'between', from: '2024-12-16', to: '2025-01-12' },
        },
      },
      expected: (c) => {
        const expected = ordersPerBucket(1, zone, 'week', c.ranges[0]);
        expect(expected.map((r) => r[0])).toEqual(['2024-12-16', '2024-12-23', '2024-12-30', '2025-01-06']);
        return expected;
      },
    });
    cases.push({
      name: `days around the DST changes (${zone})`,
      zone,
      org: 1,
      plan: {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: { field: 'orders.created_at', grain: 'day' },
        filters: [
          {
            op: 'or',
            filters: [
              {
                op: 'dateRange',
                field: 'orders.created_at',
                range: { kind: 'between', from: '2024-03-09', to: '2024-03-11' },
              },
              {
                op: 'dateRange',
                field: 'orders.created_at',
                range: { kind: 'between', from: '2024-11-02', to: '2024-11-04' },
              },
            ],
          },
        ],
      },
      expected: (c) => {
        const [a, b] = c.ranges;
        const out = new Map<string, number>();
        for (const o of rows.orders) {
          if (o.organisation_id !== 1 || !(inRange(o.created_at, a) || inRange(o.created_at, b))) continue;
          const day = bucket(o.created_at, zone, 'day');
          out.set(day, (out.get(day) ?? 0) + 1);
        }
        return [...out.entries()].sort((x, y) => x[0].localeCompare(y[0]));
      },
    });
    cases.push({
      name: `sign-ups of the ordering users per month, through a join (${zone})`,
      zone,
      org: 3,
      plan: {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        dimensions: [{ field: 'users.created_at', grain: 'month' }],
      },
      expected: () => {
        const users = new Map(rows.users.map((u) => [u.id, u]));
        const out = new Map<string, number>();
        for (const o of rows.orders) {
          if (o.organisation_id !== 3) continue;
          const u = users.get(o.user_id);
          const key = u && u.organisation_id === 3 ? bucket(u.created_at, zone, 'month') : null;
          out.set(String(key), (out.get(String(key)) ?? 0) + 1);
        }
        return [...out.entries()].sort((x, y) => x[0].localeCompare(y[0]));
      },
    });
    const ranges: DateRange[] = [
      ...GRAINS.map((unit) => ({ kind: 'current' as const, unit })),
      ...GRAINS.map((unit, i) => ({ kind: 'last' as const, unit, n: i + 1 })),
      { kind: 'last', unit: 'week', n: 1 },
      { kind: 'period', period: { year: 2024 } },
      { kind: 'period', period: { year: 2024, quarter: 4 } },
      { kind: 'period', period: { quarter: 1 } },
      { kind: 'period', period: { month: 11 } },
      { kind: 'period', period: { year: 2024, month: 12, day: 25 } },
      { kind: 'period', period: { month: 2, day: 29 } },
      { kind: 'since', period: { year: 2024, month: 11 } },
      { kind: 'since', period: { month: 2, day: 1 } },
      { kind: 'since', period: { year: 2026 } },
      { kind: 'between', from: '2024-12-30', to: '2025-01-05' },
      { kind: 'between', from: '2025-01-05', to: '2024-12-30' },
    ];
    for (const range of ranges) {
      cases.push({
        name: `orders in ${JSON.stringify(range)} (${zone})`,
        zone,
        org: 2,
        plan: {
          version: 1,
          table: 'orders',
          measures: [{ kind: 'count' }],
          time: { field: 'orders.created_at', range },
        },
        expected: (c) => [[countOrders(2, c.ranges[0] as { start: string; end: string })]],
      });
    }
    cases.push({
      name: `this month vs last month vs the same month last year (${zone})`,
      zone,
      org: 1,
      plan: {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: {
          field: 'orders.created_at',
          compare: [
            { label: 'this month', range: { kind: 'current', unit: 'month' } },
            { label: 'last month', range: { kind: 'last', unit: 'month', n: 1 } },
            { label: 'a year ago', range: { kind: 'period', period: { year: 2024, month: 2 } } },
          ],
        },
      },
      expected: (c) =>
        c.ranges.map((r, i) => [['this month', 'last month', 'a year ago'][i], countOrders(1, r)]),
    });
  }
  return cases;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** [bucket, value] rows in time order, each with the value of the bucket just before it (0 when it had no rows). */
function withPrevious(
  series: Array<[string, number]>,
  grain: Grain,
  all: Map<string, number>,
): Array<[string, number, number]> {
  return series.map(([b, v]) => {
    const before = DateTime.fromISO(b, { zone: 'utc' })
      .minus({ [grain]: 1 })
      .toFormat('yyyy-MM-dd');
    return [b, v, all.get(before) ?? 0];
  });
}

/**
 * Related-row conditions, filtered named measures, differences and window measures, with their oracles: the
 * change of a range's first bucket reads the bucket before the range, in the agent's zone.
 */
function newShapeCases(): FixedCase[] {
  const cases: FixedCase[] = [];
  const ordersOf = (org: number) => rows.orders.filter((o) => o.organisation_id === org);
  const usersOf = (org: number) => rows.users.filter((u) => u.organisation_id === org);
  const perUser = (org: number) => {
    const out = new Map<number, number>();
    for (const o of ordersOf(org)) out.set(o.user_id, (out.get(o.user_id) ?? 0) + 1);
    return out;
  };
  cases.push({
    name: 'users with 3+ orders per country (a correlated count)',
    zone: 'UTC',
    org: 1,
    plan: {
      version: 1,
      table: 'users',
      measures: [{ kind: 'count' }],
      dimensions: [{ field: 'users.country' }],
      filters: [{ op: 'related', table: 'orders', count: { op: 'gte', value: 3 } }],
    },
    expected: () => {
      const n = perUser(1);
      const out = new Map<string, number>();
      for (const u of usersOf(1))
        if ((n.get(u.id) ?? 0) >= 3) out.set(u.country, (out.get(u.country) ?? 0) + 1);
      return [...out].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    },
  });
  cases.push({
    name: 'the share of users with 2+ orders among users with 1+',
    zone: 'UTC',
    org: 2,
    plan: {
      version: 1,
      table: 'users',
      measures: [
        {
          kind: 'ratio',
          numerator: {
            kind: 'count',
            filter: { op: 'related', table: 'orders', count: { op: 'gte', value: 2 } },
          },
          denominator: { kind: 'count', filter: { op: 'related', table: 'orders' } },
        },
      ],
    },
    expected: () => {
      const n = [...perUser(2).values()];
      return [[round2(n.filter((x) => x >= 2).length / n.length)]];
    },
  });
  cases.push({
    name: 'the number of users with no order in the last 30 days, and of products none of whose items sold in them',
    zone: 'UTC',
    org: 3,
    plan: {
      version: 1,
      table: 'products',
      measures: [
        {
          kind: 'count',
          filter: {
            op: 'not',
            filter: {
              op: 'related',
              table: 'order_items',
              filter: {
                op: 'dateRange',
                field: 'orders.created_at',
                range: { kind: 'last', unit: 'day', n: 30 },
              },
            },
          },
        },
      ],
    },
    expected: (c) => {
      const orders = new Map(ordersOf(3).map((o) => [o.id, o]));
      const sold = new Set(
        rows.orderItems
          .filter(
            (i) => i.organisation_id === 3 && inRange(orders.get(i.order_id)?.created_at ?? '', c.ranges[0]),
          )
          .map((i) => i.product_id),
      );
      return [[rows.products.filter((p) => p.organisation_id === 3 && !sold.has(p.id)).length]];
    },
  });
  cases.push({
    name: 'revenue from users in one country, and all revenue minus it (a filtered named measure, a difference)',
    zone: 'UTC',
    org: 1,
    plan: {
      version: 1,
      table: 'orders',
      measures: [
        { kind: 'named', name: 'revenue', filter: { op: 'eq', field: 'users.country', value: 'Germany' } },
        {
          kind: 'difference',
          minuend: { kind: 'named', name: 'revenue' },
          subtrahend: {
            kind: 'named',
            name: 'revenue',
            filter: { op: 'eq', field: 'users.country', value: 'Germany' },
          },
        },
      ],
    },
    expected: () => {
      const country = new Map(usersOf(1).map((u) => [u.id, u.country]));
      let germany = 0;
      let all = 0;
      for (const o of ordersOf(1)) {
        if (o.status !== 'completed') continue;
        all += o.total_amount;
        if (country.get(o.user_id) === 'Germany') germany += o.total_amount;
      }
      return [[round2(germany), round2(all - germany)]];
    },
  });
  for (const zone of ZONES) {
    cases.push({
      name: `running total of orders per month since October 2024 (${zone})`,
      zone,
      org: 1,
      plan: {
        version: 1,
        table: 'orders',
        measures: [{ kind: 'running', of: { kind: 'count' } }],
        time: {
          field: 'orders.created_at',
          grain: 'month',
          range: { kind: 'since', period: { year: 2024, month: 10 } },
        },
      },
      expected: (c) => {
        let total = 0;
        return ordersPerBucket(1, zone, 'month', c.ranges[0]).map(([b, n]) => {
          total += n;
          return [b, total];
        });
      },
    });
    const changeCases: Array<[string, Grain, DateRange | undefined, number]> = [
      [
        'month over month since November 2024',
        'month',
        { kind: 'since', period: { year: 2024, month: 11 } },
        1,
      ],
      [
        'day over day around new year, with days without orders',
        'day',
        { kind: 'between', from: '2024-12-20', to: '2025-01-10' },
        3,
      ],
      [
        'week over week across the year boundary',
        'week',
        { kind: 'between', from: '2024-12-16', to: '2025-01-12' },
        2,
      ],
      [
        'quarter over quarter since April 2024',
        'quarter',
        { kind: 'since', period: { year: 2024, month: 4 } },
        2,
      ],
      ['year over year, the first year against an empty one', 'year', undefined, 3],
    ];
    for (const [what, grain, range, org] of changeCases) {
      cases.push({
        name: `${what}: orders and their change (${zone})`,
        zone,
        org,
        plan: {
          version: 1,
          table: 'orders',
          measures: [
            { kind: 'count' },
            { kind: 'change', of: { kind: 'count' }, mode: 'difference' },
            { kind: 'change', of: { kind: 'count' }, mode: 'percent' },
          ],
          time: { field: 'orders.created_at', grain, range },
        },
        expected: (c) => {
          const all = new Map(ordersPerBucket(org, zone, grain));
          const shown = withPrevious(ordersPerBucket(org, zone, grain, c.ranges[0]), grain, all);
          if (grain === 'day') expect(shown.filter(([, , before]) => before === 0).length).toBeGreaterThan(0);
          return shown.map(([b, n, before]) => [
            b,
            n,
            n - before,
            before === 0 ? null : round2((n - before) / before),
          ]);
        },
      });
    }
  }
  cases.push({
    name: 'each status’s share of the orders within each quarter',
    zone: 'UTC',
    org: 2,
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'shareOfTotal', of: { kind: 'count' } }],
      dimensions: [{ field: 'orders.status' }],
      time: { field: 'orders.created_at', grain: 'quarter' },
    },
    expected: () => {
      const perStatus = new Map<string, number>();
      const perQuarter = new Map<string, number>();
      for (const o of ordersOf(2)) {
        const q = bucket(o.created_at, 'UTC', 'quarter');
        perStatus.set(`${q}|${o.status}`, (perStatus.get(`${q}|${o.status}`) ?? 0) + 1);
        perQuarter.set(q, (perQuarter.get(q) ?? 0) + 1);
      }
      return [...perStatus]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([key, n]) => {
          const [q, status] = key.split('|') as [string, string];
          return [q, status, round2(n / (perQuarter.get(q) as number))];
        });
    },
  });
  cases.push({
    name: 'each period of a comparison against the one before it in time',
    zone: 'UTC',
    org: 1,
    plan: {
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }, { kind: 'change', of: { kind: 'count' }, mode: 'difference' }],
      time: {
        field: 'orders.created_at',
        compare: [
          { label: 'January', range: { kind: 'period', period: { year: 2025, month: 1 } } },
          { label: 'November', range: { kind: 'period', period: { year: 2024, month: 11 } } },
          { label: 'December', range: { kind: 'period', period: { year: 2024, month: 12 } } },
        ],
      },
    },
    expected: (c) => {
      const [jan, nov, dec] = c.ranges.map((r) => countOrders(1, r)) as [number, number, number];
      return [
        ['January', jan, jan - dec],
        ['November', nov, null],
        ['December', dec, dec - nov],
      ];
    },
  });
  return cases;
}

const CASES = [...fixedCases(), ...newShapeCases()];

function rowsOf(r: QueryResult): unknown[][] {
  return r.rows.map((row) => row.map((c) => (typeof c === 'number' ? Math.round(c * 100) / 100 : c)));
}

describe('dates, grains and zones on SQLite (against a JavaScript oracle)', () => {
  it('resolves ranges in the agent’s zone (New York is UTC-4 in summer, UTC-5 in winter)', () => {
    const at = (range: DateRange) =>
      compile(
        {
          version: 1,
          table: 'orders',
          measures: [{ kind: 'count' }],
          time: { field: 'orders.created_at', range },
        },
        NEW_YORK,
        1,
        'sqlite',
      ).ranges[0];
    expect(at({ kind: 'period', period: { year: 2024, month: 11 } })).toMatchObject({
      start: '2024-11-01 04:00:00',
      end: '2024-12-01 05:00:00',
    });
    expect(at({ kind: 'current', unit: 'week' })).toMatchObject({
      start: '2025-02-10 05:00:00',
      end: '2025-02-15 12:00:00',
    });
    expect(at({ kind: 'last', unit: 'day', n: 1 })).toMatchObject({
      start: '2025-02-14 05:00:00',
      end: '2025-02-15 05:00:00',
    });
    expect(at({ kind: 'between', from: '2024-03-10', to: '2024-03-10' })).toMatchObject({
      start: '2024-03-10 05:00:00',
      end: '2024-03-11 04:00:00',
    });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const compiled = compile(c.plan, c.zone, c.org, 'sqlite');
    const result = await sqlite.run(compiled);
    expect(rowsOf(result)).toEqual(c.expected(compiled));
  });

  // SQLite's quarter truncation is a printf, which turned a NULL date into the text '-00-01' (fixed in 3ab5af6)
  it('gives NULL as the quarter of a NULL date (users who never ordered)', async () => {
    const plan = {
      version: 1,
      table: 'users',
      measures: [{ kind: 'count' }],
      time: { field: 'users.last_order_at', grain: 'quarter' },
    };
    const result = await sqlite.run(compile(plan, 'UTC', 1, 'sqlite'));
    const never = rows.users.filter((u) => u.organisation_id === 1 && u.last_order_at === null).length;
    expect(never).toBeGreaterThan(0);
    expect(result.rows[0]).toEqual([null, never]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(!mysqlEnabled)(mysqlTitle('SQLite and MariaDB/MySQL agree'), () => {
  let root: Knex;
  let mysql: QueryRunner;
  let mysqlFolded: QueryRunner;
  const database = testDatabaseName('parley_dialect');
  const foldedDatabase = testDatabaseName('parley_dialect', 'folded');

  beforeAll(async () => {
    root = openMysqlRoot();
    await assertMysqlReachable(root);
    if (await ensureMysqlTimeZones(root)) {
      console.log(
        'loaded the MySQL time zone tables (mysql_tzinfo_to_sql); CI should load them before the tests',
      );
    }
    const url = await createMysqlDatabase(root, database);
    const foldedUrl = await createMysqlDatabase(root, foldedDatabase);
    await Promise.all([seedDemo(url, SPEC), seedDemo(foldedUrl, SPEC, foldTextColumns)]);
    mysql = createQueryRunner(url, { statementTimeoutMs: 30_000, poolMax: 4 });
    mysqlFolded = createQueryRunner(foldedUrl, { statementTimeoutMs: 30_000, poolMax: 4 });
    console.log(`dialect property: fast-check seed ${SEED} (replay with PARLEY_FC_SEED=${SEED})`);
  });

  afterAll(async () => {
    await mysql?.close();
    await mysqlFolded?.close();
    if (root) {
      await dropMysqlDatabase(root, database);
      await dropMysqlDatabase(root, foldedDatabase);
      await root.destroy();
    }
  });

  async function both(
    plan: unknown,
    org: number,
    lite = sqlite,
    my = mysql,
  ): Promise<[QueryResult, QueryResult]> {
    return Promise.all([
      lite.run(compile(plan, 'UTC', org, 'sqlite')),
      my.run(compile(plan, 'UTC', org, 'mysql')),
    ]);
  }

  describe('text, money and ratios (once disagreements; now regressions)', () => {
    // Text compares and sorts by bytes in SQLite but by the server's default collation in MySQL/MariaDB
    // (utf8mb4_general_ci: case- and accent-insensitive), so the same plan lists other rows, groups and counts.
    // The seeder creates the tables without a collation and the compiler adds none. One test, every symptom.
    it('compares and orders text byte-wise in both dialects', async () => {
      const cases: Array<[string, Record<string, unknown>, number]> = [
        [
          'groups ordered by name: "Alejandro González" before "Alejandro Gómez" in SQLite only',
          {
            version: 1,
            table: 'users',
            dimensions: [{ field: 'users.name' }],
            filters: [{ op: 'startsWith', field: 'users.name', value: 'Alejandro G' }],
          },
          1,
        ],
        [
          'a top-1 listing: "Daan Visser" (SQLite) vs "Daan van den Berg" (MySQL)',
          {
            version: 1,
            table: 'users',
            select: ['users.name'],
            filters: [{ op: 'startsWith', field: 'users.name', value: 'Daan V' }],
            order: [{ by: 'users.name', direction: 'asc' }],
            limit: 1,
          },
          2,
        ],
        [
          'startsWith "Lea ": MySQL also counts every "Léa"',
          {
            version: 1,
            table: 'users',
            measures: [{ kind: 'count' }],
            filters: [{ op: 'startsWith', field: 'users.name', value: 'Lea ' }],
          },
          1,
        ],
        [
          'eq "COMPLETED": nothing in SQLite, every completed order in MySQL',
          {
            version: 1,
            table: 'orders',
            measures: [{ kind: 'count' }],
            filters: [{ op: 'eq', field: 'orders.status', value: 'COMPLETED' }],
          },
          3,
        ],
      ];
      for (const [what, plan, org] of cases) {
        const [lite, my] = await both(plan, org);
        expect.soft(my.rows, what).toEqual(lite.rows);
      }
    });

    // Regression: money is REAL in SQLite and DECIMAL in MySQL, so a computed
    // column (line_total = quantity * unit_price) is 7.199999999999999 in one and 7.20 in the other: equality,
    // grouping and ordering on it differ.
    it('finds the same order lines with line_total = a cents value (equality to 6 places)', async () => {
      const cents = (x: number) => Math.round(x * 100) / 100;
      const item = rows.orderItems.find(
        (i) => i.organisation_id === 1 && i.quantity * i.unit_price !== cents(i.quantity * i.unit_price),
      );
      if (!item) throw new Error('no inexact line total in the data');
      const value = cents(item.quantity * item.unit_price);
      const plan = {
        version: 1,
        table: 'order_items',
        measures: [{ kind: 'count' }],
        filters: [{ op: 'eq', field: 'order_items.line_total', value }],
      };
      const [lite, my] = await both(plan, 1);
      expect(my.rows).toEqual(lite.rows);
    });

    // Regression: MySQL computed `x * 1.0 / y` in DECIMAL with
    // div_precision_increment (4) extra digits, so a small ratio keeps 2-3 significant digits (0.00041 for
    // 0.000425); SQLite computes it in doubles. `* 1e0` (a DOUBLE literal) or CAST(... AS DOUBLE) would agree.
    it('computes ratios to the same precision (doubles in both dialects)', async () => {
      const plan = {
        version: 1,
        table: 'orders',
        measures: [
          { kind: 'ratio', numerator: { kind: 'count' }, denominator: { kind: 'named', name: 'revenue' } },
        ],
      };
      const [lite, my] = await both(plan, 1);
      const a = lite.rows[0]?.[0] as number;
      const b = my.rows[0]?.[0] as number;
      expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-6);
    });

    it('agrees on the same plans once the text is folded to lower-case ASCII (the random plans run so)', async () => {
      const plans = [
        {
          version: 1,
          table: 'users',
          select: ['users.name'],
          filters: [{ op: 'startsWith', field: 'users.name', value: 'daan ' }],
          order: [{ by: 'users.name', direction: 'asc' }],
        },
        {
          version: 1,
          table: 'users',
          dimensions: [{ field: 'users.name' }],
          filters: [{ op: 'startsWith', field: 'users.name', value: 'alejandro g' }],
        },
        {
          version: 1,
          table: 'users',
          measures: [{ kind: 'count' }],
          filters: [{ op: 'startsWith', field: 'users.name', value: 'lea ' }],
        },
      ];
      for (const plan of plans) {
        for (const org of DEMO_ORG_IDS) {
          const [lite, my] = await both(plan, org, sqliteFolded, mysqlFolded);
          expect(diffResults(lite, my, { tolerance: CROSS_DIALECT, ordered: true })).toBeUndefined();
        }
      }
    });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const compiled = compile(c.plan, c.zone, c.org, 'mysql');
    const result = await mysql.run(compiled);
    expect(rowsOf(result)).toEqual(c.expected(compiled));
    const lite = await sqlite.run(compile(c.plan, c.zone, c.org, 'sqlite'));
    expect(
      diffResults(lite, result, { tolerance: CROSS_DIALECT, ordered: true, labels: ['SQLite', 'MySQL'] }),
    ).toBeUndefined();
  });

  it(`gives the same results for ${RANDOM_PLANS} random plans (on folded text)`, async () => {
    let ran = 0;
    let refused = 0;
    const started = performance.now();
    const model = (agents.get('UTC') as AgentModel).model;
    await fc.assert(
      fc.asyncProperty(
        planArbitrary(model, {
          pools: foldedPools,
          years: [2024, 2025],
          textOrderValues: 'pool',
          ratios: false,
          avoidComputedComparisons: true,
        }),
        fc.constantFrom(...DEMO_ORG_IDS),
        fc.constantFrom(...ZONES),
        async (plan: GeneratedPlan, org: number, zone: string) => {
          let a: CompiledQuery | PlanError;
          let b: CompiledQuery | PlanError;
          try {
            a = compile(plan, zone, org, 'sqlite');
          } catch (err) {
            if (!(err instanceof PlanError)) throw err;
            a = err;
          }
          try {
            b = compile(plan, zone, org, 'mysql');
          } catch (err) {
            if (!(err instanceof PlanError)) throw err;
            b = err;
          }
          if (a instanceof PlanError || b instanceof PlanError) {
            expect(b instanceof PlanError ? b.message : 'compiled').toBe(
              a instanceof PlanError ? a.message : 'compiled',
            );
            refused += 1;
            return;
          }
          const [lite, my] = await Promise.all([sqliteFolded.run(a), mysqlFolded.run(b)]);
          const diff = diffResults(lite, my, {
            tolerance: CROSS_DIALECT,
            ordered: isOrdered(a),
            labels: ['SQLite', 'MySQL'],
            nearTies: {
              // a comparison's rows are shown period by period (the runner sorts them by label)
              orderBy: a.compareLabels ? ['period', ...orderColumns(a)] : orderColumns(a),
              limited: lite.truncated || (a.plan.limit !== undefined && lite.rows.length >= a.limit),
              tolerance: { rel: 1e-6, abs: 1e-5 },
            },
          });
          if (diff)
            throw new Error(
              `${diff}\nSQLite: ${a.sql.text}\nMySQL: ${b.sql.text}\nbindings: ${JSON.stringify(b.sql.bindings)}`,
            );
          ran += 1;
        },
      ),
      { numRuns: RANDOM_PLANS, seed: SEED },
    );
    console.log(
      `dialect property: ${RANDOM_PLANS} plans in ${((performance.now() - started) / 1000).toFixed(1)} s; ${ran} ran on both, ${refused} refused by both`,
    );
    expect(ran).toBeGreaterThan(RANDOM_PLANS * 0.5);
  }, 900_000);
});
