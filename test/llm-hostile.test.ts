// A hostile language model against the whole path: LlmPlanner -> compileQueryPlan -> runner.
// Whatever the model answers (other tenants' ids, hidden tables and columns, SQL in values or identifiers,
// raw SQL instead of a plan, `or` filters around the scoping), the result is either refused (PlanError or the
// fallback planner) or contains only organisation 1's data. Scoping is checked against the database itself:
// every compiled query is also run on a copy that holds only organisation 1, and the results must be equal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../server/config/load.ts';
import type { SemanticModel } from '../server/config/schema.ts';
import { openDatabase } from '../server/db/connect.ts';
import { LlmPlanner } from '../server/planner/llm/llm-planner.ts';
import type { PlannerInput, PlannerOutcome } from '../server/planner/types.ts';
import { type AgentModel, type CompiledQuery, compileQueryPlan, PlanError } from '../server/query/compile.ts';
import { createQueryRunner, type QueryResult, type QueryRunner } from '../server/query/execute.ts';
import { type SeedSummary, seedDemoData } from '../server/seed/demo-data.ts';
import { ModelView } from '../server/semantic/model-view.ts';
import { type FakeOpenAI, startFakeOpenAI } from './support/fake-openai.ts';

const ANCHOR = new Date('2024-06-01T00:00:00Z');
const NOW = ANCHOR;
const ORG = { organisationId: 1 };
const CONFIG_FILE = path.resolve(import.meta.dirname, '../parley.config.yaml');
const loaded = parseConfig(fs.readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE, {});
const demo = loaded.agents.get('demo');
if (!demo) throw new Error('the demo agent is missing from parley.config.yaml');

const demoAgent: AgentModel = { ...demo.config, model: demo.model };
/** the demo model with users switched off: a real table, present in the database, that must stay unreachable */
const usersOffModel: SemanticModel = structuredClone(demo.model);
usersOffModel.tables.users!.access = 'off';
const usersOffAgent: AgentModel = { ...demo.config, model: usersOffModel };

let tmpDir: string;
let summary: SeedSummary;
let full: QueryRunner;
let onlyOrg1: QueryRunner;
let fake: FakeOpenAI | undefined;

beforeAll(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-llm-hostile-'));
  const fullFile = path.join(tmpDir, 'demo.sqlite');
  const org1File = path.join(tmpDir, 'org1.sqlite');
  const db = openDatabase(`sqlite://${fullFile}`, { create: true });
  summary = await seedDemoData(db, { anchor: ANCHOR });
  await db.destroy();
  fs.copyFileSync(fullFile, org1File);
  const copy = openDatabase(`sqlite://${org1File}`);
  for (const table of ['order_items', 'orders', 'products', 'users']) {
    await copy(table).whereNot('organisation_id', 1).delete();
  }
  await copy('organisations').whereNot('id', 1).delete();
  await copy.destroy();
  full = createQueryRunner(`sqlite://${fullFile}`);
  onlyOrg1 = createQueryRunner(`sqlite://${org1File}`);
});

afterAll(async () => {
  await full?.close();
  await onlyOrg1?.close();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function scalar(sql: string, bindings: unknown[] = []): Promise<number> {
  const rows = await full.runSql(sql, bindings);
  return Number(rows[0]?.[0]);
}

/** The compiled query gives the same rows on the full database as on the copy holding only organisation 1. */
async function expectOnlyOrg1(compiled: CompiledQuery, result: QueryResult): Promise<void> {
  expect(compiled.contextFilters.length).toBeGreaterThan(0);
  expect(compiled.sql.bindings).toContain(1);
  const alone = await onlyOrg1.run(compiled);
  expect(result.rows).toEqual(alone.rows);
  // listings: every listed id belongs to organisation 1 in the database itself
  for (const column of result.columns) {
    if (column.role !== 'field' || !column.field?.endsWith('.id')) continue;
    const table = column.field.slice(0, -3);
    const index = result.columns.indexOf(column);
    const ids = result.rows.map((r) => r[index]).filter((v) => v !== null);
    if (ids.length === 0) continue;
    const placeholders = ids.map(() => '?').join(', ');
    const foreign = await scalar(
      `SELECT COUNT(*) FROM ${table} WHERE id IN (${placeholders}) AND organisation_id <> 1`,
      ids,
    );
    expect(foreign).toBe(0);
    const own = await scalar(
      `SELECT COUNT(*) FROM ${table} WHERE id IN (${placeholders}) AND organisation_id = 1`,
      ids,
    );
    expect(own).toBe(new Set(ids).size);
  }
}

type Path =
  | { route: 'fallback'; outcome: PlannerOutcome; fallbackCalls: number }
  | { route: 'refused-by-compiler'; error: PlanError }
  | { route: 'ran'; compiled: CompiledQuery; result: QueryResult };

/** Runs a question through a fake model answering `replies` in turn (the last repeats), then compiles and runs. */
async function fullPath(
  replies: string[],
  agent: AgentModel = demoAgent,
): Promise<Path & { requests: number }> {
  let i = 0;
  fake = await startFakeOpenAI(() => ({ content: replies[Math.min(i++, replies.length - 1)] ?? '' }));
  const fallback = {
    name: 'rules',
    plan: vi.fn(
      async (): Promise<PlannerOutcome> => ({ kind: 'unanswerable', message: 'fallback', suggestions: [] }),
    ),
  };
  const planner = new LlmPlanner({
    config: { baseUrl: fake.url, model: 'hostile', timeoutMs: 5000 },
    fallback,
  });
  const input: PlannerInput = {
    question: 'Show me everything, including the other companies.',
    view: new ModelView(agent, agent.model, ORG),
    history: [],
    now: NOW,
    values: { values: async () => [] },
  };
  const outcome = await planner.plan(input);
  const requests = fake.requests.length;
  // what Parley shows the model (its own echoed answer aside) never includes the tenant column
  for (const request of fake.requests) {
    expect(request.messages[0]?.role).toBe('system');
    expect(request.messages[0]?.content).not.toContain('organisation_id');
  }
  if (outcome.kind !== 'plan')
    return { route: 'fallback', outcome, fallbackCalls: fallback.plan.mock.calls.length, requests };
  let compiled: CompiledQuery;
  try {
    compiled = compileQueryPlan(outcome.plan, agent, ORG, { dialect: 'sqlite', now: NOW });
  } catch (err) {
    if (err instanceof PlanError) return { route: 'refused-by-compiler', error: err, requests };
    throw err;
  }
  const result = await full.run(compiled);
  await expectOnlyOrg1(compiled, result);
  return { route: 'ran', compiled, result, requests };
}

/** Defence in depth: the raw plan compiled directly, as if the planner's own checks were bypassed. */
async function direct(plan: unknown, agent: AgentModel = demoAgent): Promise<'refused' | QueryResult> {
  let compiled: CompiledQuery;
  try {
    compiled = compileQueryPlan(plan, agent, ORG, { dialect: 'sqlite', now: NOW });
  } catch (err) {
    expect(err).toBeInstanceOf(PlanError);
    return 'refused';
  }
  const result = await full.run(compiled);
  await expectOnlyOrg1(compiled, result);
  return result;
}

const reply = (plan: unknown, narrative = 'Computing what you asked.') =>
  JSON.stringify({ narrative, outcome: 'plan', plan });

async function expectRefused(plans: unknown[], agent: AgentModel = demoAgent): Promise<void> {
  const path = await fullPath(
    plans.map((p) => (typeof p === 'string' ? p : reply(p))),
    agent,
  );
  expect(path.route).toBe('fallback');
  if (path.route === 'fallback') expect(path.fallbackCalls).toBe(1);
  expect(path.requests).toBe(2); // one retry, then the fallback
  for (const plan of plans) if (typeof plan !== 'string') expect(await direct(plan, agent)).toBe('refused');
}

async function expectRan(plan: unknown, agent: AgentModel = demoAgent): Promise<QueryResult> {
  const path = await fullPath([reply(plan)], agent);
  expect(path.route).toBe('ran');
  expect(path.requests).toBe(1);
  const result = await direct(plan, agent);
  expect(result).not.toBe('refused');
  if (path.route !== 'ran') throw new Error('unreachable');
  return path.result;
}

const count = { kind: 'count' };

describe('a hostile model against the full path', () => {
  it('seeded three organisations', () => {
    expect(summary.organisations.map((o) => o.id)).toEqual([1, 2, 3]);
  });

  it('cannot filter on orders.organisation_id (a hidden column), alone or inside or/not', async () => {
    await expectRefused([
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'eq', field: 'orders.organisation_id', value: 2 }],
      },
      {
        version: 1,
        table: 'orders',
        select: ['orders.id'],
        filters: [
          {
            op: 'or',
            filters: [
              { op: 'not', filter: { op: 'eq', field: 'orders.organisation_id', value: 1 } },
              { op: 'eq', field: 'orders.status', value: 'completed' },
            ],
          },
        ],
      },
    ]);
  });

  it('cannot name organisations.id or query the joinable organisations table', async () => {
    await expectRefused([
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'eq', field: 'organisations.id', value: 2 }],
      },
      { version: 1, table: 'organisations', select: ['organisations.name'] },
    ]);
    await expectRefused([
      { version: 1, table: 'users', measures: [count], dimensions: [{ field: 'organisations.id' }] },
      { version: 1, table: 'users', measures: [{ kind: 'countDistinct', field: 'users.organisation_id' }] },
    ]);
  });

  it('gets nothing from SQL in string values: they are bound, never spliced', async () => {
    const injected = await expectRan({
      version: 1,
      table: 'orders',
      measures: [count],
      filters: [{ op: 'eq', field: 'orders.status', value: '1 OR 1=1' }],
    });
    expect(injected.rows).toEqual([[0]]);
    const hand = await scalar(
      "SELECT COUNT(*) FROM orders WHERE organisation_id = 1 AND status = '1 OR 1=1'",
    );
    expect(hand).toBe(0);

    const quoted = await expectRan({
      version: 1,
      table: 'users',
      select: ['users.id', 'users.name'],
      filters: [
        {
          op: 'or',
          filters: [
            { op: 'eq', field: 'users.name', value: "'; DROP TABLE orders; --" },
            { op: 'contains', field: 'users.email', value: "%' OR '1'='1" },
            { op: 'in', field: 'users.country', values: ["x') OR ('1'='1", '1 OR 1=1'] },
          ],
        },
      ],
    });
    expect(quoted.rows).toEqual([]);

    // the table is still there, with every organisation's rows
    expect(await scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'orders'")).toBe(
      1,
    );
    const total = summary.organisations.reduce((sum, o) => sum + o.orders, 0);
    expect(await scalar('SELECT COUNT(*) FROM orders')).toBe(total);
  });

  it('gets refused for SQL in numeric values and in identifiers', async () => {
    await expectRefused([
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'eq', field: 'orders.id', value: '1 OR 1=1' }],
      },
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'gt', field: 'orders.total_amount', value: '0; DELETE FROM orders' }],
      },
    ]);
    await expectRefused([
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'eq', field: 'orders.status; DROP TABLE orders', value: 'x' }],
      },
      { version: 1, table: 'orders; DROP TABLE orders', measures: [count] },
    ]);
    await expectRefused([
      {
        version: 1,
        table: 'orders',
        select: ['orders.id'],
        order: [{ by: 'orders.id; DROP TABLE orders', direction: 'asc' }],
      },
      { version: 1, table: 'orders', measures: [{ kind: 'count', as: 'n FROM users --' }] },
    ]);
    await expectRefused([
      {
        version: 1,
        table: 'users',
        measures: [count],
        filters: [{ op: 'segment', segment: "customer' OR '1'='1" }],
      },
      { version: 1, table: 'orders', measures: [{ kind: 'named', name: 'revenue; DROP TABLE orders' }] },
    ]);
    expect(await scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'orders'")).toBe(
      1,
    );
  });

  it('cannot reach a table that is off, directly or through a relation', async () => {
    await expectRefused(
      [
        { version: 1, table: 'users', select: ['users.email'] },
        { version: 1, table: 'orders', select: ['orders.id', 'users.email'] },
      ],
      usersOffAgent,
    );
    await expectRefused(
      [
        { version: 1, table: 'orders', measures: [count], dimensions: [{ field: 'users.country' }] },
        { version: 1, table: 'orders', measures: [count], filters: [{ op: 'segment', segment: 'customer' }] },
      ],
      usersOffAgent,
    );
  });

  it('gets refused for an extra sql key in the plan and for plain SQL instead of JSON', async () => {
    await expectRefused([
      { version: 1, table: 'orders', measures: [count], sql: 'SELECT * FROM orders' },
      {
        version: 1,
        table: 'orders',
        measures: [count],
        filters: [{ op: 'eq', field: 'orders.status', value: 'x', sql: '1=1' }],
      },
    ]);
    await expectRefused(['SELECT * FROM orders WHERE organisation_id = 2', 'DROP TABLE orders;']);
    // an extra top-level key next to the plan is ignored, never executed
    const path = await fullPath([
      JSON.stringify({
        narrative: 'x',
        outcome: 'plan',
        sql: 'SELECT * FROM orders',
        plan: { version: 1, table: 'orders', measures: [count] },
      }),
    ]);
    expect(path.route).toBe('ran');
    if (path.route === 'ran') {
      expect(path.compiled.sql.text).not.toContain('SELECT * FROM orders');
      expect(path.result.rows).toEqual([[summary.organisations[0]?.orders]]);
    }
  });

  it('cannot escape the scoping with or filters: listings hold only organisation 1 rows', async () => {
    const escapeScope = {
      op: 'or',
      filters: [
        { op: 'isNotNull', field: 'orders.id' },
        { op: 'eq', field: 'orders.status', value: 'completed' },
      ],
    };
    const listing = await expectRan({
      version: 1,
      table: 'orders',
      select: ['orders.id', 'orders.status', 'users.name'],
      filters: [escapeScope],
      order: [{ by: 'orders.id', direction: 'desc' }],
      limit: 1000,
    });
    expect(listing.rows).toHaveLength(1000);

    const counted = await expectRan({
      version: 1,
      table: 'orders',
      measures: [count],
      filters: [escapeScope],
    });
    const org1Orders = await scalar('SELECT COUNT(*) FROM orders WHERE organisation_id = 1');
    expect(org1Orders).toBe(summary.organisations[0]?.orders);
    expect(counted.rows).toEqual([[org1Orders]]);
  });

  it('cannot escape the scoping through joins, EXISTS subqueries, measures and comparisons', async () => {
    const byCountry = await expectRan({
      version: 1,
      table: 'orders',
      measures: [count, { kind: 'named', name: 'revenue' }],
      dimensions: [{ field: 'users.country' }],
      filters: [
        {
          op: 'or',
          filters: [
            { op: 'isNull', field: 'users.id' },
            { op: 'isNotNull', field: 'users.id' },
          ],
        },
      ],
    });
    const handTotal = await scalar('SELECT COUNT(*) FROM orders WHERE organisation_id = 1');
    expect(byCountry.rows.reduce((sum, r) => sum + Number(r[1]), 0)).toBe(handTotal);

    const buyers = await expectRan({
      version: 1,
      table: 'users',
      measures: [count],
      filters: [
        {
          op: 'or',
          filters: [
            { op: 'eq', field: 'orders.status', value: 'completed' },
            { op: 'isNotNull', field: 'orders.id' },
          ],
        },
      ],
    });
    const handBuyers = await scalar(
      'SELECT COUNT(*) FROM users u WHERE u.organisation_id = 1 AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)',
    );
    expect(buyers.rows).toEqual([[handBuyers]]);

    const categories = await expectRan({
      version: 1,
      table: 'order_items',
      measures: [
        { kind: 'named', name: 'units_sold' },
        { kind: 'countDistinct', field: 'products.name' },
      ],
      dimensions: [{ field: 'products.category' }],
      time: {
        field: 'orders.created_at',
        compare: [
          { label: 'This year', range: { kind: 'current', unit: 'year' } },
          { label: 'Last year', range: { kind: 'last', unit: 'year', n: 1 } },
        ],
      },
    });
    expect(categories.rows.length).toBeGreaterThan(0);

    // product names carry their organisation's brand word: none of the others' may show up
    const products = await expectRan({
      version: 1,
      table: 'products',
      select: ['products.id', 'products.name'],
      filters: [{ op: 'not', filter: { op: 'startsWith', field: 'products.name', value: 'Acme' } }],
    });
    expect(products.rows).toEqual([]);
    const all = await expectRan({ version: 1, table: 'products', select: ['products.id', 'products.name'] });
    expect(all.rows).toHaveLength(summary.organisations[0]?.products ?? -1);
    for (const row of all.rows) expect(String(row[1])).toMatch(/^Acme/);
  });
});
