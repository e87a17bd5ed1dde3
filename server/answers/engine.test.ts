// The answer engine on a seeded SQLite file: an ambiguous question gets a clarification answer with its choices,
// kept in the conversation like any answer, and asking a choice's question answers that reading; a "Read as" chip's
// alternative, asked in the conversation, answers its reading too.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAmbiguousSales } from '../../test/support/config-text.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from '../../test/support/demo-db.ts';
import { parseConfig } from '../config/load.ts';
import type { DatasetRunner, VisibleDataset } from '../datasets/query.ts';
import { datasetAgentModel, datasetModel } from '../datasets/query.ts';
import { RulesPlanner } from '../planner/rules/rules-planner.ts';
import type { Planner } from '../planner/types.ts';
import type { QueryRunner } from '../query/execute.ts';
import { QueryPlan } from '../query/plan.ts';
import { type AnswerEngine, createAnswerEngine, InMemoryConversations } from './engine.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const AMBIGUOUS = 'what were our sales last month';

let dir: string;
let url: string;
let engine: AnswerEngine;
let memory: InMemoryConversations;

function revenueLastMonth(org: number): number {
  const db = new Database(url.replace(/^sqlite:\/\//, ''), { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT ROUND(SUM(total_amount), 2) AS v FROM orders WHERE organisation_id = ? AND status = 'completed'
         AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`,
      )
      .get(org) as { v: number };
    return row.v;
  } finally {
    db.close();
  }
}

function config(text = withAmbiguousSales(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'))) {
  return parseConfig(text, DEMO_CONFIG_FILE, { DATABASE_URL: url });
}

/** An engine on the demo config whose planner wraps the rules planner of the agent's model. */
function engineOverRules(wrap: (rules: RulesPlanner) => Planner): AnswerEngine {
  return createAnswerEngine({
    config: config(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8')),
    now: () => NOW,
    planner: () => wrap(new RulesPlanner()),
  });
}

beforeAll(async () => {
  dir = makeTempDir('parley-engine');
  url = sqliteUrl(path.join(dir, 'demo.sqlite'));
  await seedDemo(url, { anchor: NOW, thin: 10 });
  memory = new InMemoryConversations();
  engine = createAnswerEngine({ config: config(), now: () => NOW, memory });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('clarification answers', () => {
  const owner = { agentId: 'demo', userContext: { organisationId: 1 } };

  it('answers an ambiguous question with a clarification, then a chosen reading with its figure', async () => {
    const asked = await engine.ask({ ...owner, question: AMBIGUOUS });
    expect(asked).toMatchObject({ type: 'clarification', code: 'ambiguous' });
    expect(asked.message).toMatch(/sales/);
    expect(asked).not.toHaveProperty('data');
    expect(asked).not.toHaveProperty('sql');
    expect(asked).not.toHaveProperty('suggestions');
    const choices = asked.choices ?? [];
    expect(choices).toHaveLength(2);
    expect(choices.map((c) => c.label)).toEqual([
      expect.stringMatching(/^revenue/),
      expect.stringMatching(/^product revenue/),
    ]);

    // kept in the conversation like any other answer
    const turns = await memory.turns(asked.conversationId, owner);
    expect(turns).toEqual([{ question: AMBIGUOUS }]);

    // picking the first choice asks its question in the same conversation
    const picked = await engine.ask({
      ...owner,
      question: choices[0]?.question ?? '',
      conversationId: asked.conversationId,
    });
    expect(picked.conversationId).toBe(asked.conversationId);
    expect(picked.type).toBe('text');
    expect(picked.plan?.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(picked.data?.rows[0]?.[0]).toBeCloseTo(revenueLastMonth(1), 2);
    expect((await memory.turns(asked.conversationId, owner))?.map((t) => t.question)).toEqual([
      AMBIGUOUS,
      choices[0]?.question,
    ]);
  });

  it('takes a follow-up right after a clarification without failing', async () => {
    const asked = await engine.ask({ ...owner, question: AMBIGUOUS });
    expect(asked.type).toBe('clarification');
    const followUp = await engine.ask({
      ...owner,
      question: 'and the month before?',
      conversationId: asked.conversationId,
    });
    expect(followUp.conversationId).toBe(asked.conversationId);
    expect(['text', 'table', 'chart', 'error', 'clarification']).toContain(followUp.type);
    expect(followUp.message.length).toBeGreaterThan(0);
  });

  it('does not ask when the model gives the word to one measure', async () => {
    const plain = createAnswerEngine({
      config: config(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8')),
      now: () => NOW,
    });
    try {
      const answer = await plain.ask({ ...owner, question: AMBIGUOUS });
      expect(answer.type).toBe('text');
      expect(answer.choices).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it("passes a planner's choices through, tidied, and falls back to text with fewer than two", async () => {
    let choices = [
      { label: 'Revenue', question: 'What was our revenue last month?' },
      { label: 'Orders', question: 'How many orders did we have last month?' },
      { label: 'Same', question: 'How did we do?' },
    ];
    const planner: Planner = {
      name: 'stub',
      plan: async () => ({ kind: 'clarify', message: 'Revenue or orders?', choices }),
    };
    const stubbed = createAnswerEngine({ config: config(), now: () => NOW, planner: () => planner });
    try {
      const two = await stubbed.ask({ ...owner, question: 'How did we do?' });
      expect(two).toMatchObject({ type: 'clarification', message: 'Revenue or orders?' });
      expect(two.choices).toEqual(choices.slice(0, 2));

      choices = [{ label: 'Revenue', question: 'What was our revenue last month?' }];
      const one = await stubbed.ask({ ...owner, question: 'How did we do?' });
      expect(one).toMatchObject({
        type: 'text',
        code: 'ambiguous',
        suggestions: ['What was our revenue last month?'],
      });
      expect(one.choices).toBeUndefined();
    } finally {
      await stubbed.close();
    }
  });
});

describe('like-for-like comparisons', () => {
  const owner = { agentId: 'demo', userContext: { organisationId: 1 } };
  const count = (from: string, to: string): number => {
    const db = new Database(url.replace(/^sqlite:\/\//, ''), { readonly: true });
    try {
      const row = db
        .prepare(
          'SELECT COUNT(*) AS n FROM orders WHERE organisation_id = 1 AND created_at >= ? AND created_at < ?',
        )
        .get(from, to) as { n: number };
      return row.n;
    } finally {
      db.close();
    }
  };

  it('compares this quarter with last quarter up to the same instant (25 Aug 12:00), and keeps last quarter whole in the data', async () => {
    const answer = await engine.ask({ ...owner, question: 'orders this quarter vs last quarter' });
    expect(answer.type).not.toBe('error');
    const whole = count('2026-07-01 00:00:00', '2026-10-01 00:00:00');
    // this quarter has run 55 days and 12 hours at NOW (25 Nov 12:00)
    const same = count('2026-07-01 00:00:00', '2026-08-25 12:00:00');
    expect(same).not.toBe(count('2026-07-01 00:00:00', '2026-08-26 00:00:00'));
    expect(answer.data?.rows).toContainEqual(['last quarter', whole]);
    expect(answer.likeForLike?.days).toBe(56);
    expect(answer.likeForLike?.rows).toContainEqual(['last quarter', same]);
    // the "how" carries the query behind those figures, bounded at the same instant
    expect(answer.likeForLike?.sql?.bindings).toContain('2026-08-25 12:00:00');
    expect(answer.message).toContain(`${same.toLocaleString('en-US')} last quarter`);
    expect(answer.message).toContain(`last quarter in full: ${whole.toLocaleString('en-US')}`);
    expect(answer.message).toContain(
      'Compared like with like: the same elapsed time of each period, as this quarter is not over (this quarter: 1 Oct 2026, 00:00 – 25 Nov 2026, 12:00; last quarter: 1 Jul 2026, 00:00 – 25 Aug 2026, 12:00)',
    );
  });
});

describe('refusals', () => {
  const owner = { agentId: 'demo', userContext: { organisationId: 1 } };

  it('suggest questions (not bare measure names) that the planner then answers', async () => {
    const refused = await engine.ask({ ...owner, question: 'what will the weather be like tomorrow' });
    expect(refused.type).toBe('error');
    expect(refused.code).toBe('unanswerable');
    const suggestions = refused.suggestions ?? [];
    expect(suggestions.length).toBeGreaterThan(0);
    for (const question of suggestions) {
      expect(question).toMatch(/^(What|How many) .+\?$/);
      const answer = await engine.ask({ ...owner, question });
      expect(answer.type, question).not.toBe('error');
      expect(answer.data, question).toBeDefined();
    }
  });
});

describe('"Read as" alternatives and unused words', () => {
  const owner = { agentId: 'demo', userContext: { organisationId: 1 } };

  it('offers another date for the period, and asking it in the conversation answers that reading', async () => {
    const plain = createAnswerEngine({
      config: config(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8')),
      now: () => NOW,
      memory: new InMemoryConversations(),
    });
    try {
      const asked = await plain.ask({ ...owner, question: 'count the accounts from the previous month' });
      const period = asked.readAs?.find((c) => c.kind === 'period');
      expect(period?.alternatives).toEqual([
        {
          label: 'Dated by when the order was placed',
          question: 'count the accounts with orders from the previous month',
        },
      ]);
      const chosen = await plain.ask({
        ...owner,
        question: period?.alternatives?.[0]?.question ?? '',
        conversationId: asked.conversationId,
      });
      expect(chosen.plan?.filters).toEqual([expect.objectContaining({ op: 'related', table: 'orders' })]);
      expect(chosen.data?.rows).not.toEqual(asked.data?.rows);

      const young = await plain.ask({
        ...owner,
        question: 'takings from young customers over the past 30 days',
      });
      expect(young.unusedWords).toEqual(['young']);
      expect(asked).not.toHaveProperty('unusedWords');
    } finally {
      await plain.close();
    }
  });

  it('keeps the chips, without alternatives, when planning an alternative fails', async () => {
    let calls = 0;
    const failing = engineOverRules((rules) => ({
      name: 'rules',
      plan: (input) => {
        calls += 1;
        if (calls > 1) throw new Error('planner down');
        return rules.plan(input);
      },
    }));
    try {
      const asked = await failing.ask({ ...owner, question: 'count the accounts from the previous month' });
      expect(asked.type).toBe('text');
      expect(asked.readAs?.map((c) => c.kind)).toEqual(['measure', 'period']);
      expect(asked.readAs?.some((c) => c.alternatives)).toBe(false);
      expect(calls).toBe(2);
    } finally {
      await failing.close();
    }
  });
});

describe('preparing a tenant ahead of its first question', () => {
  /** The distinct names of one organisation's users, read directly from the seeded file. */
  function namesOf(org: number): string[] {
    const db = new Database(url.replace(/^sqlite:\/\//, ''), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT DISTINCT name FROM users WHERE organisation_id = ? AND name IS NOT NULL')
        .all(org) as Array<{ name: string }>;
      return rows.map((r) => r.name).sort();
    } finally {
      db.close();
    }
  }

  it("hands the planner that tenant's own value lists, read once and kept for its questions", async () => {
    const prepared: Array<string[]> = [];
    const asked: Array<string[]> = [];
    const prepping = engineOverRules((rules) => ({
      name: 'rules',
      plan: async (input) => {
        asked.push(await input.values.values('users.name'));
        return rules.plan(input);
      },
      prepare: async (input) => {
        prepared.push(await input.values.values('users.name'));
        await rules.prepare(input);
      },
    }));
    try {
      expect(namesOf(2)).not.toEqual(namesOf(1));
      await prepping.prepare?.({ agentId: 'demo', userContext: { organisationId: 2 } });
      expect([...(prepared[0] ?? [])].sort()).toEqual(namesOf(2));
      await prepping.ask({ agentId: 'demo', userContext: { organisationId: 2 }, question: 'how many users' });
      // the very list prepared, not a second read of it
      expect(asked[0]).toBe(prepared[0]);
      // an unknown agent, or a context the agent refuses, prepares nothing and does not throw
      await prepping.prepare?.({ agentId: 'nobody', userContext: { organisationId: 2 } });
      await prepping.prepare?.({ agentId: 'demo', userContext: { organisationId: '1 OR 1=1' } });
      expect(prepared).toHaveLength(1);
    } finally {
      await prepping.close();
    }
  });
});

describe('blends', () => {
  const asker = { agentId: 'demo', userContext: { organisationId: 1 } };
  const targets: VisibleDataset = {
    id: 'd1',
    agentId: 'demo',
    scope: { kind: 'user', userIdentifier: 'u1' },
    name: 'targets.csv',
    path: '/w/demo/userIdentifier/d1/targets.csv',
    format: 'csv',
    size: 40,
    sha256: '0'.repeat(64),
    version: 'v1',
    notes: '',
    rowCount: 2,
    columns: [
      { name: 'month', header: 'Month', type: 'date', modelType: 'date', grain: 'month', samples: [] },
      { name: 'target', header: 'Target', type: 'number', modelType: 'number', samples: [] },
    ],
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    table: 'my_targets',
  };
  const noRows: QueryRunner = {
    dialect: 'sqlite',
    run: async (compiled) => ({ columns: compiled.columns, rows: [], truncated: false, durationMs: 0 }),
    runSql: async () => [],
    ping: async () => undefined,
    close: async () => undefined,
  };
  const lease: DatasetRunner = {
    url: 'sqlite:///unused.sqlite',
    file: '/unused.sqlite',
    datasets: [targets],
    model: datasetModel([targets]),
    agent: datasetAgentModel([targets]),
    runner: () => noRows,
    query: () => Promise.reject(new Error('not used')),
    release: () => undefined,
  };

  it('answers a blend that cannot be joined as a plan it could not answer, and remembers the question', async () => {
    // the database side has no "month" column to join the file's months on
    const plan = QueryPlan.parse({
      version: 1,
      table: 'orders',
      measures: [{ kind: 'count' }],
      blend: {
        plan: {
          version: 1,
          source: 'datasets',
          table: 'my_targets',
          measures: [{ kind: 'sum', field: 'my_targets.target' }],
          dimensions: [{ field: 'my_targets.month', grain: 'month' }],
        },
        on: [{ left: 'month', right: 'month' }],
      },
    });
    const planner: Planner = {
      name: 'stub',
      plan: async () => ({ kind: 'plan', plan, presentation: 'auto', notes: [] }),
    };
    const blending = createAnswerEngine({
      config: config(),
      now: () => NOW,
      memory,
      planner: () => planner,
      datasets: { runnerFor: async () => lease },
    });
    try {
      const question = 'orders against the targets in my file';
      const answer = await blending.ask({ ...asker, userIdentifier: 'u1', question });
      expect(answer).toMatchObject({ type: 'error', code: 'invalid_plan' });
      expect(answer.message).toBe(
        'I couldn\'t answer that from this data: the database side of the blend has no column "month".',
      );
      expect((await memory.turns(answer.conversationId, asker))?.map((t) => t.question)).toEqual([question]);
    } finally {
      await blending.close();
    }
  });
});
