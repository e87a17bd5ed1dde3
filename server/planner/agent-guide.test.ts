import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSingleOrganisationDatabase } from '../../demo/prepare-data.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from '../../test/support/demo-db.ts';
import { registerModelCommands } from '../cli/model.ts';
import { parseConfig } from '../config/load.ts';
import { agentGuide, guideTally } from './agent-guide.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const TEXT = fs.readFileSync(DEMO_CONFIG_FILE, 'utf8');
const load = (text = TEXT) => parseConfig(text, DEMO_CONFIG_FILE, {});

describe('agentGuide', () => {
  it("lists the demo agent's tables, measures, segments and starter questions, each example read as meant", async () => {
    const agent = load().agents.get('demo');
    if (!agent) throw new Error('no demo agent');
    const guide = await agentGuide(agent, NOW);
    expect(guide.tables.map((t) => t.name)).toEqual([
      'organisations',
      'users',
      'products',
      'orders',
      'order_items',
    ]);
    expect(guide.measures.map((m) => m.ref)).toEqual([
      'orders.revenue',
      'orders.average_order_value',
      'order_items.product_revenue',
      'order_items.units_sold',
    ]);
    expect(guide.segments.map((s) => s.ref)).toEqual(['users.customer']);
    expect(guide.measures.find((m) => m.ref === 'orders.revenue')?.synonyms).toContain('turnover');
    for (const entry of [...guide.measures, ...guide.segments]) {
      expect(entry.example, entry.ref).toMatchObject({ pass: true, question: expect.any(String) });
    }
    expect(guide.starterQuestions).toHaveLength(4);
    expect(guideTally(guide)).toEqual({ passed: 9, total: 9 });
  });

  it('reports, with the reason, an example the planner does not read as its measure', async () => {
    const agent = load().agents.get('demo');
    const orders = agent?.model.tables.orders;
    if (!agent || !orders) throw new Error('no demo orders');
    // a measure named by a date word: every question about it reads the name as a date instead
    orders.measures.last = { aggregate: 'max', column: 'total_amount', synonyms: [] };
    const guide = await agentGuide(agent, NOW);
    const entry = guide.measures.find((m) => m.ref === 'orders.last');
    expect(entry?.example).toMatchObject({
      pass: false,
      question: 'Last this year',
      why: expect.any(String),
    });
    expect(guideTally(guide)).toEqual({ passed: 9, total: 10 });
  });
});

describe('parley model show', () => {
  let exitCode: typeof process.exitCode;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = makeTempDir('parley-model-show');
    const demo = sqliteUrl(path.join(dir, 'demo.sqlite'));
    await seedDemo(demo, { anchor: NOW });
    const initech = sqliteUrl(path.join(dir, 'initech.sqlite'));
    await buildSingleOrganisationDatabase(demo, initech, 3);
    env = { PARLEY_NOW: NOW.toISOString(), DATABASE_URL: demo, INITECH_DATABASE_URL: initech };
  }, 60_000);
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = exitCode;
  });

  async function show(args: string[]): Promise<string> {
    exitCode = process.exitCode;
    let out = '';
    const program = new Command('parley').exitOverride();
    registerModelCommands(program, {
      env,
      stdout: (t) => {
        out += t;
      },
    });
    await program.parseAsync(['model', 'show', ...args, '--config', DEMO_CONFIG_FILE], { from: 'user' });
    return out;
  }

  it("prints what the agent understands, and runs the examples as the agent's one tenant", async () => {
    const out = await show(['--agent', 'initech']);
    expect(out).toContain('initech: Initech analytics (dedicated database)');
    expect(out).toContain('single tenant; connection initech-db');
    expect(out).toMatch(/\n {2}orders\.revenue: Total amount of completed orders \(also: sales, turnover/);
    expect(out).toContain('    [pass] "Revenue this year" -> text, 1 row');
    expect(out).toContain('  users.customer: Users who have ordered at least once');
    expect(out).toContain('  [pass] "How many orders did we have last month?" -> text, 1 row');
    expect(out).toContain(
      'Self-check: 6 of 6 questions read as meant by the embedded planner and answered from the database.',
    );
    expect(process.exitCode).toBe(exitCode);
  });

  it('plans only for a multi-tenant agent until --context names a tenant, then runs them as it', async () => {
    const planned = await show(['--agent', 'globex-support']);
    expect(planned).toContain('    [pass] "How many customers do we have?"\n');
    expect(planned).toContain('(planned only; give --context key=value to also run them as a tenant)');
    const ran = await show([
      '--agent',
      'globex-support',
      '--context',
      'organisationId=2',
      '--context',
      'countries=["Germany"]',
    ]);
    expect(ran).toContain('    [pass] "How many customers do we have?" -> text, 1 row');
    expect(ran).toContain(
      'Self-check: 4 of 4 questions read as meant by the embedded planner and answered from the database.',
    );
  });

  it('prints JSON with --json, and refuses an unknown agent', async () => {
    const guide = JSON.parse(await show(['--agent', 'acme-sales', '--json']));
    expect(guide.measures.map((m: { ref: string }) => m.ref)).toContain('order_items.units_sold');
    await expect(show(['--agent', 'nope'])).rejects.toThrow(
      /unknown agent 'nope' \(agents: demo, acme-sales/,
    );
  });
});
