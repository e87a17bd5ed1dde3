// The warm-up before readiness: questions in the model's own words, planned, compiled and composed for every agent
// without a database, without a tenant's values and without touching any conversation.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../test/support/demo-db.ts';
import { parseConfig } from '../config/load.ts';
import type { SemanticModel } from '../config/schema.ts';
import { ModelView } from '../semantic/model-view.ts';
import { validateUserContext } from '../semantic/user-context.ts';
import { createAnswerEngine, InMemoryConversations } from './engine.ts';
import { placeholderContext, warmUpQuestions } from './warm-up.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const AGENT = { id: 'a', multiTenant: false, timeZone: 'UTC', userContext: {} };

function demoConfig(databaseUrl: string) {
  const env = { DATABASE_URL: databaseUrl, INITECH_DATABASE_URL: databaseUrl };
  return parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, env);
}

describe('warm-up questions', () => {
  it('are asked in the words of the first table with a date and a measure', () => {
    const agent = demoConfig('sqlite://./unused.sqlite').agents.get('demo');
    if (!agent) throw new Error('no demo agent');
    const view = new ModelView(agent.config, agent.model, { organisationId: 1 });
    expect(warmUpQuestions(view, NOW)).toEqual([
      'How many orders did we have last month?',
      'revenue by month this year',
      'top 5 status by revenue',
      'revenue this month vs last month',
      'show the 10 most recent orders',
      'orders between 1 March 2025 and 30 June 2025',
    ]);
  });

  it('count rows where a table has no measure, and there are none without a queryable table', () => {
    const model = {
      tables: {
        tickets: {
          access: 'queryable',
          synonyms: [],
          primaryKey: 'id',
          contextFilters: [],
          columns: { id: { type: 'integer', synonyms: [] }, subject: { type: 'string', synonyms: [] } },
          computed: {},
          relations: {},
          measures: {},
          segments: {},
        },
      },
    } as unknown as SemanticModel;
    const questions = warmUpQuestions(new ModelView(AGENT, model, {}), NOW);
    expect(questions).toContain('top 5 subject by number of tickets');
    expect(questions).toContain('How many tickets did we have last month?');
    const joinOnly = {
      tables: { tickets: { ...model.tables.tickets, access: 'joinable' } },
    } as SemanticModel;
    expect(warmUpQuestions(new ModelView(AGENT, joinOnly, {}), NOW)).toEqual([]);
  });

  it('compile with a placeholder tenant of every declared type', () => {
    const declared = {
      organisationId: 'integer',
      region: 'string',
      isAdmin: 'boolean',
      teamIds: 'integer[]',
      labels: 'string[]',
    } as const;
    expect(validateUserContext(declared, placeholderContext(declared))).toEqual({
      organisationId: 0,
      region: 'warm-up',
      isAdmin: true,
      teamIds: [0],
      labels: ['warm-up'],
    });
  });
});

describe('the engine warm-up', () => {
  it('plans, compiles and composes every agent without reaching its database or a conversation', async () => {
    const memory = new InMemoryConversations();
    const appended: string[] = [];
    const append = memory.append.bind(memory);
    memory.append = async (id, owner, turn) => {
      appended.push(id);
      return append(id, owner, turn);
    };
    // nothing listens on port 1: a query, or a connection for one, would fail the question it was for
    const engine = createAnswerEngine({
      config: demoConfig('mysql://root@127.0.0.1:1/nothing'),
      now: () => NOW,
      memory,
    });
    try {
      const linked = [...demoConfig('mysql://root@127.0.0.1:1/nothing').agents.values()].filter(
        (a) => a.connection,
      );
      expect(await engine.warmUp?.(60_000)).toEqual({ planned: 6 * linked.length, failed: 0 });
      expect(appended).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('stops at its deadline', async () => {
    const engine = createAnswerEngine({ config: demoConfig('sqlite://./unused.sqlite'), now: () => NOW });
    try {
      expect(await engine.warmUp?.(0)).toEqual({ planned: 0, failed: 0 });
    } finally {
      await engine.close();
    }
  });
});
