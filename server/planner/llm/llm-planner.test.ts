import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FakeOpenAI,
  type FakeReply,
  type FakeRequest,
  startFakeOpenAI,
} from '../../../test/support/fake-openai.ts';
import { parseConfig } from '../../config/load.ts';
import { Table } from '../../config/schema.ts';
import { PlanError } from '../../query/compile.ts';
import type { QueryPlan, QueryPlanInput } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import type { Planner, PlannerInput, PlannerOutcome } from '../types.ts';
import {
  dryCompile,
  extractJsonObject,
  LlmPlanner,
  type LlmPlannerOptions,
  NarrativeStream,
  plannerForAgent,
} from './llm-planner.ts';

const CONFIG_FILE = path.resolve(import.meta.dirname, '../../../parley.config.yaml');
const loaded = parseConfig(fs.readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE, {});
const demo = loaded.agents.get('demo');
if (!demo) throw new Error('the demo agent is missing from parley.config.yaml');

const NOW = new Date('2026-11-25T12:00:00Z');
const KEY = 'sk-planner-test-key-1234567890';

const COUNT_LAST_MONTH: QueryPlanInput = {
  version: 1,
  table: 'orders',
  measures: [{ kind: 'count' }],
  time: { field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } },
};
const RULES_PLAN: QueryPlan = {
  version: 1,
  source: 'database',
  table: 'orders',
  measures: [{ kind: 'count' }],
  dimensions: [],
  filters: [],
  select: [],
  order: [],
};

function answer(body: Record<string, unknown>): string {
  return JSON.stringify(body);
}
function planAnswer(plan: unknown, narrative = 'Counting the orders placed last month.', extra = {}): string {
  return answer({ narrative, outcome: 'plan', plan, ...extra });
}

function fallbackPlanner(outcome?: PlannerOutcome): Planner & { plan: ReturnType<typeof vi.fn> } {
  return {
    name: 'rules',
    plan: vi.fn(
      async (): Promise<PlannerOutcome> =>
        outcome ?? { kind: 'plan', plan: RULES_PLAN, presentation: 'auto', notes: ['rules'] },
    ),
  };
}

function input(over: Partial<PlannerInput> = {}): PlannerInput {
  return {
    question: 'How many orders did we have last month?',
    view: new ModelView(demo!.config, demo!.model, { organisationId: 1 }),
    history: [],
    now: NOW,
    values: { values: async () => [] },
    ...over,
  };
}

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A fake model that gives the replies in order (the last one repeats). */
async function scripted(
  ...replies: Array<FakeReply | ((req: FakeRequest) => FakeReply)>
): Promise<FakeOpenAI> {
  let i = 0;
  fake = await startFakeOpenAI((req) => {
    const reply = replies[Math.min(i, replies.length - 1)];
    i += 1;
    if (!reply) throw new Error('no reply scripted');
    return typeof reply === 'function' ? reply(req) : reply;
  });
  return fake;
}

function planner(server: FakeOpenAI, fallback: Planner, over: Partial<LlmPlannerOptions> = {}): LlmPlanner {
  return new LlmPlanner({
    config: { baseUrl: server.url, model: 'fake-model', apiKey: KEY, timeoutMs: 5000 },
    fallback,
    ...over,
  });
}

describe('LlmPlanner', () => {
  it('returns a valid plan with its presentation and narrative, from system + question messages', async () => {
    const server = await scripted({
      content: planAnswer(COUNT_LAST_MONTH, 'Counting orders last month.', { presentation: 'text' }),
    });
    const fallback = fallbackPlanner();
    const p = planner(server, fallback);
    expect(p.name).toBe('llm');
    const outcome = await p.plan(input());
    expect(outcome).toEqual({
      kind: 'plan',
      plan: { ...RULES_PLAN, time: COUNT_LAST_MONTH.time },
      presentation: 'text',
      notes: ['Counting orders last month.'],
    });
    expect(fallback.plan).not.toHaveBeenCalled();
    const [request] = server.requests;
    expect(request?.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(request?.messages[0]?.content).toContain('# Data model');
    expect(request?.messages[0]?.content).toContain('Never write SQL');
    expect(request?.messages[1]?.content).toBe('How many orders did we have last month?');
    expect(request?.response_format?.type).toBe('json_schema');
    expect(request?.response_format?.json_schema?.name).toBe('query_plan_response');
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(request?.messages)).not.toContain('organisation_id');
  });

  it('defaults the presentation to auto and accepts an answer in a ```json fence', async () => {
    const server = await scripted({
      content: `Here you go:\n\`\`\`json\n${planAnswer(COUNT_LAST_MONTH)}\n\`\`\``,
    });
    const outcome = await planner(server, fallbackPlanner()).plan(input());
    expect(outcome.kind).toBe('plan');
    if (outcome.kind === 'plan') expect(outcome.presentation).toBe('auto');
  });

  it('sends the conversation so far: questions and their plans as assistant JSON', async () => {
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH) });
    const history = [
      {
        question: 'How many orders this month?',
        plan: {
          ...RULES_PLAN,
          time: { field: 'orders.created_at', range: { kind: 'current' as const, unit: 'month' as const } },
        },
      },
      { question: 'Which one?' },
    ];
    await planner(server, fallbackPlanner()).plan(input({ question: 'and the month before?', history }));
    const messages = server.requests[0]?.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[1]?.content).toBe('How many orders this month?');
    const previous = JSON.parse(messages[2]?.content ?? '{}');
    expect(previous.outcome).toBe('plan');
    expect(previous.plan).toEqual(history[0]?.plan);
    expect(JSON.parse(messages[4]?.content ?? '{}').outcome).toBe('clarify');
    expect(messages[5]?.content).toBe('and the month before?');
  });

  it('keeps only the last maxHistory turns', async () => {
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH) });
    const history = Array.from({ length: 5 }, (_, i) => ({ question: `q${i}`, plan: RULES_PLAN }));
    await planner(server, fallbackPlanner(), { maxHistory: 2 }).plan(input({ history }));
    const users = (server.requests[0]?.messages ?? []).filter((m) => m.role === 'user').map((m) => m.content);
    expect(users).toEqual(['q3', 'q4', 'How many orders did we have last month?']);
  });

  it('streams the narrative to onDelta in several deltas, decoding escapes', async () => {
    const narrative = 'Counting "all" orders — last month\n(every status) ✓ 😀.';
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH, narrative), chunkSize: 3 });
    const deltas: string[] = [];
    const outcome = await planner(server, fallbackPlanner()).plan(input({ onDelta: (t) => deltas.push(t) }));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(narrative);
    expect(outcome.kind === 'plan' && outcome.notes).toEqual([narrative]);
  });

  it('retries once with the compiler error when the plan names a hidden column, then succeeds', async () => {
    const hostile = {
      ...COUNT_LAST_MONTH,
      filters: [{ op: 'eq', field: 'orders.organisation_id', value: 2 }],
    };
    const server = await scripted(
      { content: planAnswer(hostile) },
      { content: planAnswer(COUNT_LAST_MONTH) },
    );
    const fallback = fallbackPlanner();
    const log = { warn: vi.fn() };
    const outcome = await planner(server, fallback, { log }).plan(input());
    expect(outcome.kind).toBe('plan');
    expect(fallback.plan).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(2);
    const retry = server.requests[1]?.messages ?? [];
    expect(retry.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(retry[2]?.content).toBe(planAnswer(hostile));
    expect(retry[3]?.content).toContain('rejected');
    expect(retry[3]?.content).toContain('column "orders.organisation_id" is not available');
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('retries with the zod error for a malformed plan', async () => {
    const server = await scripted(
      { content: planAnswer({ table: 'orders', measures: [{ kind: 'count' }] }) },
      { content: planAnswer(COUNT_LAST_MONTH) },
    );
    const outcome = await planner(server, fallbackPlanner()).plan(input());
    expect(outcome.kind).toBe('plan');
    expect(server.requests[1]?.messages.at(-1)?.content).toContain('invalid query plan at version');
  });

  it('uses the fallback, with a note, after two invalid plans', async () => {
    const server = await scripted({ content: planAnswer({ ...COUNT_LAST_MONTH, table: 'payroll' }) });
    const fallback = fallbackPlanner();
    const outcome = await planner(server, fallback).plan(input());
    expect(server.requests).toHaveLength(2);
    expect(fallback.plan).toHaveBeenCalledTimes(1);
    expect(fallback.plan.mock.calls[0]?.[0].question).toBe('How many orders did we have last month?');
    expect(outcome.kind).toBe('plan');
    if (outcome.kind !== 'plan') return;
    expect(outcome.plan).toEqual(RULES_PLAN);
    expect(outcome.notes[0]).toBe('rules');
    expect(outcome.notes[1]).toBe(
      'The language model gave no valid plan, so the built-in rules planner answered instead.',
    );
  });

  it('uses the fallback after SQL text instead of JSON, and after an extra sql key in the plan', async () => {
    for (const content of [
      'SELECT COUNT(*) FROM orders',
      planAnswer({ ...COUNT_LAST_MONTH, sql: 'SELECT * FROM orders' }),
    ]) {
      const server = await scripted({ content });
      const fallback = fallbackPlanner();
      const outcome = await planner(server, fallback).plan(input());
      expect(fallback.plan).toHaveBeenCalledTimes(1);
      expect(outcome.kind === 'plan' && outcome.plan).toEqual(RULES_PLAN);
      expect(server.requests).toHaveLength(2);
      await server.close();
      fake = undefined;
    }
  });

  it('uses the fallback on an HTTP error, without retrying and without the key in the log', async () => {
    const server = await scripted({ status: 500, body: `{"error":{"message":"boom ${KEY}"}}` });
    const fallback = fallbackPlanner();
    const log = { warn: vi.fn() };
    const outcome = await planner(server, fallback, { log }).plan(input());
    expect(server.requests).toHaveLength(1);
    expect(fallback.plan).toHaveBeenCalledTimes(1);
    expect(outcome.kind === 'plan' && outcome.notes.at(-1)).toBe(
      'The language model service failed (HTTP 500), so the built-in rules planner answered instead.',
    );
    const logged = JSON.stringify(log.warn.mock.calls);
    expect(logged).toContain('HTTP 500');
    expect(logged).not.toContain(KEY);
  });

  it('uses the fallback when the model does not answer in time', async () => {
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH), delayMs: 3000 });
    const fallback = fallbackPlanner();
    const p = new LlmPlanner({ config: { baseUrl: server.url, model: 'm', timeoutMs: 150 }, fallback });
    const outcome = await p.plan(input());
    expect(fallback.plan).toHaveBeenCalledTimes(1);
    expect(outcome.kind === 'plan' && outcome.notes.at(-1)).toContain('did not answer in time');
  });

  it('uses the fallback when the model cannot be reached', async () => {
    const server = await scripted({ content: '' });
    const url = server.url;
    await server.close();
    fake = undefined;
    const fallback = fallbackPlanner();
    const p = new LlmPlanner({ config: { baseUrl: url, model: 'm' }, fallback });
    const outcome = await p.plan(input());
    expect(outcome.kind === 'plan' && outcome.notes.at(-1)).toContain('could not be reached');
  });

  it("passes the fallback's clarify or unanswerable outcome through unchanged", async () => {
    const server = await scripted({ status: 502, body: 'bad gateway' });
    const refusal: PlannerOutcome = {
      kind: 'unanswerable',
      message: 'No data for that.',
      suggestions: ['x'],
    };
    expect(await planner(server, fallbackPlanner(refusal)).plan(input())).toEqual(refusal);
  });

  it('does not fall back when the caller cancels', async () => {
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH), delayMs: 3000 });
    const fallback = fallbackPlanner();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 50);
    await expect(planner(server, fallback).plan(input({ signal: controller.signal }))).rejects.toThrow(
      'cancelled by the user',
    );
    expect(fallback.plan).not.toHaveBeenCalled();
  });

  it('maps clarify to a clarify outcome with its labelled choices', async () => {
    const server = await scripted({
      content: answer({
        narrative: 'The question can mean two things.',
        outcome: 'clarify',
        message: 'Do you mean revenue or the number of orders?',
        choices: [
          { label: 'Revenue', question: 'What was our revenue last month?' },
          { label: 'Orders', question: 'How many orders did we have last month?' },
          { label: 'no question' },
          { question: '  How many customers ordered last month? ' },
          42,
        ],
        options: ['ignored when there are choices'],
      }),
    });
    expect(await planner(server, fallbackPlanner()).plan(input({ question: 'How did we do?' }))).toEqual({
      kind: 'clarify',
      message: 'Do you mean revenue or the number of orders?',
      choices: [
        { label: 'Revenue', question: 'What was our revenue last month?' },
        { label: 'Orders', question: 'How many orders did we have last month?' },
        {
          label: 'How many customers ordered last month?',
          question: 'How many customers ordered last month?',
        },
      ],
    });
  });

  it('maps clarify to a clarify outcome with its plain-string options (the older answer format)', async () => {
    const server = await scripted({
      content: answer({
        narrative: 'The question can mean two things.',
        outcome: 'clarify',
        message: 'Do you mean revenue or the number of orders?',
        options: ['Revenue last month', 'Number of orders last month'],
      }),
    });
    expect(await planner(server, fallbackPlanner()).plan(input({ question: 'How did we do?' }))).toEqual({
      kind: 'clarify',
      message: 'Do you mean revenue or the number of orders?',
      choices: [
        { label: 'Revenue last month', question: 'Revenue last month' },
        { label: 'Number of orders last month', question: 'Number of orders last month' },
      ],
    });
  });

  it('maps unanswerable to an unanswerable outcome, the narrative standing in for a missing message', async () => {
    const server = await scripted({
      content: answer({
        narrative: 'There is no weather data.',
        outcome: 'unanswerable',
        options: ['How many orders?'],
      }),
    });
    expect(await planner(server, fallbackPlanner()).plan(input({ question: 'Will it rain?' }))).toEqual({
      kind: 'unanswerable',
      message: 'There is no weather data.',
      suggestions: ['How many orders?'],
    });
  });

  it('retries an unknown outcome and a plan outcome without a plan', async () => {
    const server = await scripted(
      { content: answer({ narrative: 'x', outcome: 'sql', plan: 'SELECT 1' }) },
      { content: answer({ narrative: 'x', outcome: 'plan' }) },
    );
    const fallback = fallbackPlanner();
    await planner(server, fallback).plan(input());
    expect(server.requests[1]?.messages.at(-1)?.content).toContain('invalid answer at outcome');
    expect(fallback.plan).toHaveBeenCalledTimes(1);
  });

  it('streams the narrative of a retry only when the first attempt showed none', async () => {
    const bad = planAnswer({ ...COUNT_LAST_MONTH, table: 'payroll' }, 'First try.');
    const server = await scripted({ content: bad }, { content: planAnswer(COUNT_LAST_MONTH, 'Second try.') });
    const deltas: string[] = [];
    await planner(server, fallbackPlanner()).plan(input({ onDelta: (t) => deltas.push(t) }));
    expect(deltas.join('')).toBe('First try.');
    await server.close();

    const server2 = await scripted(
      { content: 'not json' },
      { content: planAnswer(COUNT_LAST_MONTH, 'Second try.') },
    );
    const deltas2: string[] = [];
    await planner(server2, fallbackPlanner()).plan(input({ onDelta: (t) => deltas2.push(t) }));
    expect(deltas2.join('')).toBe('Second try.');
  });

  it('uses a custom validate instead of the dry compile', async () => {
    const server = await scripted(
      { content: planAnswer(COUNT_LAST_MONTH) },
      { content: planAnswer(RULES_PLAN) },
    );
    const validate = vi.fn((plan: QueryPlan) => {
      if (plan.time) throw new PlanError('no time ranges here');
    });
    const outcome = await planner(server, fallbackPlanner(), { validate }).plan(input());
    expect(validate).toHaveBeenCalledTimes(2);
    expect(outcome.kind === 'plan' && outcome.plan.time).toBeUndefined();
    expect(server.requests[1]?.messages.at(-1)?.content).toContain('no time ranges here');
  });

  it('lets an unexpected validation error through rather than hiding it', async () => {
    const server = await scripted({ content: planAnswer(COUNT_LAST_MONTH) });
    const validate = () => {
      throw new TypeError('bug');
    };
    await expect(planner(server, fallbackPlanner(), { validate }).plan(input())).rejects.toThrow('bug');
  });
});

describe('plannerForAgent', () => {
  it('wraps the fallback in an LlmPlanner only when the agent has an llm section', () => {
    const rules = fallbackPlanner();
    expect(plannerForAgent({ config: {} }, rules)).toBe(rules);
    const llm = plannerForAgent({ config: { llm: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } } }, rules);
    expect(llm).toBeInstanceOf(LlmPlanner);
    expect(llm.name).toBe('llm');
  });
});

describe('dryCompile', () => {
  const model = structuredClone(demo.model);
  model.tables.staff_notes = Table.parse({
    visibleWhen: 'isAdmin',
    contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
    columns: { note_text: { type: 'string' } },
  });
  model.tables.orders!.access = 'queryable';
  model.tables.users!.access = 'off';
  const agent = {
    ...demo.config,
    userContext: { organisationId: 'integer' as const, isAdmin: 'boolean' as const },
  };
  const notes: QueryPlanInput = { version: 1, table: 'staff_notes', measures: [{ kind: 'count' }] };

  it('accepts what the view shows and refuses hidden tables, joins into them and context columns', () => {
    const admin = new ModelView(agent, model, { organisationId: 1, isAdmin: true });
    const member = new ModelView(agent, model, { organisationId: 1, isAdmin: false });
    const parse = (p: QueryPlanInput) => p as QueryPlan;
    expect(() => dryCompile(parse(notes), admin, NOW)).not.toThrow();
    expect(() => dryCompile(parse(notes), member, NOW)).toThrow(PlanError);
    expect(() =>
      dryCompile(parse({ version: 1, table: 'users', measures: [{ kind: 'count' }] }), admin, NOW),
    ).toThrow('table "users" is not available');
    expect(() =>
      dryCompile(parse({ version: 1, table: 'orders', select: ['users.email'] }), admin, NOW),
    ).toThrow(PlanError);
    expect(() =>
      dryCompile(
        parse({
          version: 1,
          table: 'orders',
          filters: [{ op: 'eq', field: 'orders.organisation_id', value: 2 }],
        }),
        admin,
        NOW,
      ),
    ).toThrow('column "orders.organisation_id" is not available');
  });
});

describe('NarrativeStream', () => {
  function feed(text: string, size: number): string[] {
    const s = new NarrativeStream();
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) {
      const t = s.push(text.slice(i, i + size));
      if (t !== '') out.push(t);
    }
    return out;
  }

  it('decodes the narrative however the stream is cut', () => {
    const narrative = 'Tab\there, "quoted", back\\slash, \u00e9, emoji 😀, slash / and \u2028.';
    const doc = JSON.stringify({ outcome: 'plan', narrative, plan: { narrative: 'not this' } });
    for (const size of [1, 2, 3, 5, 7, 1000]) expect(feed(doc, size).join('')).toBe(narrative);
    const escaped = doc.replace('😀', '\\ud83d\\ude00').replace('é', '\\u00e9');
    for (const size of [1, 2, 3, 4, 6]) {
      const parts = feed(escaped, size);
      expect(parts.join('')).toBe(narrative);
      // never half of a surrogate pair in one delta
      for (const part of parts) expect(part).not.toMatch(/[\ud800-\udbff]$/);
    }
  });

  it('tolerates whitespace around the colon and stops at the closing quote', () => {
    const s = new NarrativeStream();
    expect(s.push('{ "narrative" :  "Hel')).toBe('Hel');
    expect(s.done).toBe(false);
    expect(s.push('lo", "x": "more"}')).toBe('lo');
    expect(s.done).toBe(true);
    expect(s.push('"narrative":"again"')).toBe('');
  });

  it('finds nothing in an answer without a narrative, or in an escaped one', () => {
    expect(feed('{"outcome":"plan","message":"say \\"narrative\\": \\"x\\""}', 2)).toEqual([]);
  });
});

describe('extractJsonObject', () => {
  it('reads bare, fenced and surrounded objects and refuses the rest', () => {
    expect(extractJsonObject(' {"a":1} ')).toEqual({ a: 1 });
    expect(extractJsonObject('```json\n{"a":1}\n```')).toEqual({ a: 1 });
    expect(extractJsonObject('Sure! {"a":{"b":2}} Hope it helps.')).toEqual({ a: { b: 2 } });
    expect(extractJsonObject('SELECT * FROM orders')).toBeUndefined();
    expect(extractJsonObject('[1,2]')).toBeUndefined();
    expect(extractJsonObject('null')).toBeUndefined();
  });
});
