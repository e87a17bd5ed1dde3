// Table prompts read without an LLM: every sentence form, the refusals, the merge rules and the report lines.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../test/support/demo-db.ts';
import { parseConfig } from '../config/load.ts';
import { Agent, type AgentConfig, SemanticModel } from '../config/schema.ts';
import type { Filter } from '../query/plan.ts';
import {
  applyTablePrompts,
  formatPromptReport,
  nameList,
  type PromptReading,
  type PromptReport,
  promptDerivations,
  promptSentences,
  type SegmentReading,
  type SynonymReading,
} from './prompts.ts';
import { validateModel } from './validate.ts';

interface Options {
  /** prompt of the orders table */
  orders?: string;
  /** extra YAML model parts for users */
  users?: Record<string, unknown>;
  multiTenant?: boolean;
  ordersExtra?: Record<string, unknown>;
}

/** A small shop model: users (with a plan enum, a boolean, a number, dates) owning orders; both scoped. */
function shop(prompt: string, options: Options = {}): { agent: AgentConfig; model: SemanticModel } {
  const model = SemanticModel.parse({
    tables: {
      users: {
        prompt,
        synonyms: ['user', 'account'],
        labelColumn: 'name',
        contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
        columns: {
          id: { type: 'integer' },
          name: { type: 'string', synonyms: ['full name'] },
          country: { type: 'string', synonyms: ['nation'] },
          plan: { type: 'string', values: ['free', 'pro', 'enterprise'] },
          created_at: { type: 'datetime' },
          last_order_at: { type: 'datetime', synonyms: ['last order date'] },
          total_spent: { type: 'number' },
          is_active: { type: 'boolean' },
        },
        relations: { orders: { table: 'orders', kind: 'one-to-many', on: { id: 'user_id' } } },
        ...options.users,
      },
      orders: {
        prompt: options.orders,
        synonyms: ['purchases'],
        contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
        columns: {
          id: { type: 'integer' },
          status: { type: 'string', values: ['pending', 'completed', 'cancelled'] },
          total_amount: { type: 'number', synonyms: ['order value'] },
        },
        relations: { user: { table: 'users', kind: 'many-to-one', on: { user_id: 'id' } } },
        measures: {
          revenue: {
            aggregate: 'sum',
            column: 'total_amount',
            synonyms: ['sales'],
            filter: { op: 'eq', field: 'orders.status', value: 'completed' },
          },
        },
        ...options.ordersExtra,
      },
    },
  });
  const agent = Agent.parse({
    id: 'shop',
    multiTenant: options.multiTenant ?? true,
    userContext: { organisationId: 'integer', isAdmin: 'boolean' },
    model,
  });
  return { agent, model };
}

function read(prompt: string, options?: Options) {
  const { agent, model } = shop(prompt, options);
  return { agent, yaml: model, ...applyTablePrompts(agent, model) };
}

function readings(report: PromptReport): PromptReading[] {
  return report.sentences.flatMap((s) => s.readings);
}

function synonymsOf(prompt: string): Array<Pick<SynonymReading, 'word' | 'target' | 'outcome'>> {
  return readings(read(prompt).report)
    .filter((r): r is SynonymReading => r.kind === 'synonym')
    .map(({ word, target, outcome }) => ({ word, target, outcome }));
}

/** The filter of the one segment a prompt adds (fails when it adds none). */
function segmentOf(prompt: string, options?: Options): { name: string; filter: Filter; synonyms: string[] } {
  const { report, model } = read(prompt, options);
  const added = readings(report).filter(
    (r): r is SegmentReading => r.kind === 'segment' && r.outcome === 'added',
  );
  expect(added, JSON.stringify(report, null, 1)).toHaveLength(1);
  const seg = added[0] as SegmentReading;
  expect(model.tables.users?.segments[seg.name]?.filter).toEqual(seg.filter);
  return { name: seg.name, filter: seg.filter, synonyms: seg.synonyms };
}

function notUsed(prompt: string, options?: Options): string {
  const { report } = read(prompt, options);
  expect(readings(report).filter((r) => r.outcome === 'added')).toEqual([]);
  const reasons = report.sentences.map((s) => s.notUsed).filter((r) => r !== undefined);
  expect(reasons.length, JSON.stringify(report, null, 1)).toBeGreaterThan(0);
  return reasons.join('\n');
}

const users = { kind: 'table', table: 'users' } as const;

describe('sentences', () => {
  it('splits at sentence ends and semicolons, never inside parentheses or after e.g.', () => {
    expect(
      promptSentences(
        'Users are people. A VIP (e.g. a big spender; rare) is a user. Prices like 1.5 stay whole; units sold is a sum',
      ),
    ).toEqual([
      'Users are people.',
      'A VIP (e.g. a big spender; rare) is a user.',
      'Prices like 1.5 stay whole',
      'units sold is a sum',
    ]);
  });

  it('reads lists of names and refuses clauses', () => {
    expect(nameList('members, shoppers or "buyers"')).toEqual(['members', 'shoppers', 'buyers']);
    expect(nameList('a member and the patrons')).toEqual(['member', 'patrons']);
    expect(nameList('accounts in the billing system')).toBeUndefined();
  });
});

describe('synonym sentences', () => {
  it('reads "X are also referred to as Y" and "X are also known as Y"', () => {
    expect(synonymsOf('Users are also referred to as members.')).toEqual([
      { word: 'members', target: users, outcome: 'added' },
    ]);
    expect(synonymsOf('Users are sometimes known as clients, patrons or subscribers.')).toEqual([
      { word: 'clients', target: users, outcome: 'added' },
      { word: 'patrons', target: users, outcome: 'added' },
      { word: 'subscribers', target: users, outcome: 'added' },
    ]);
  });

  it('reads "X are (also) called Y (and Z)", also with a singular or a synonym as X', () => {
    expect(synonymsOf('Users are also called members and shoppers.').map((s) => s.word)).toEqual([
      'members',
      'shoppers',
    ]);
    expect(synonymsOf('A user is called a member.')).toEqual([
      { word: 'member', target: users, outcome: 'added' },
    ]);
    expect(synonymsOf('Accounts can also be called logins.')).toEqual([
      { word: 'logins', target: users, outcome: 'added' },
    ]);
  });

  it('reads "Y means X", "Y refers to X", "Y is another word for X", "by Y we mean X" and "we call X Y"', () => {
    for (const sentence of [
      'Members means users.',
      '"Members" refers to users.',
      'Members is another word for users.',
      'By members we mean users.',
      'We call users members.',
    ]) {
      expect(synonymsOf(sentence), sentence).toEqual([{ word: 'members', target: users, outcome: 'added' }]);
    }
  });

  it('reads "X (also Y, Z)" and "X (aka Y)" remarks, for tables, measures and columns', () => {
    const { report, model } = read('Users (also members, shoppers) live in one country (aka nation).', {
      orders:
        'Revenue (also turnover) is the sum of completed orders. The total_amount column (or basket value) is in USD.',
    });
    expect(readings(report)).toMatchObject([
      { word: 'members', target: users, outcome: 'added' },
      { word: 'shoppers', target: users, outcome: 'added' },
      { word: 'nation', target: { kind: 'column', column: 'country' }, outcome: 'declared' },
      {
        word: 'turnover',
        target: { kind: 'measure', table: 'orders', measure: 'revenue' },
        outcome: 'added',
      },
      { word: 'basket value', target: { kind: 'column', column: 'total_amount' }, outcome: 'added' },
    ]);
    expect(model.tables.orders?.measures.revenue?.synonyms).toEqual(['sales', 'turnover']);
    // the rest of a sentence that is more than its remark is reported, not silently dropped
    expect(report.sentences[0]?.notUsed).toMatch(/the rest \("Users live in one country"\)/);
  });

  it('reads "the <column> column is also called Y", with the column written with spaces or by a synonym', () => {
    const { model, report } = read(
      'The last order at column is also called last purchase. The nation field is also known as home country.',
    );
    expect(readings(report).map((r) => r.outcome)).toEqual(['added', 'added']);
    expect(model.tables.users?.columns.last_order_at?.synonyms).toEqual(['last order date', 'last purchase']);
    expect(model.tables.users?.columns.country?.synonyms).toEqual(['nation', 'home country']);
  });
});

describe('segment sentences', () => {
  it('reads "A X is considered a Y if <condition>" and its variants', () => {
    const germany: Filter = { op: 'eq', field: 'users.country', value: 'Germany' };
    expect(segmentOf('A user is considered a VIP if their country is Germany.')).toEqual({
      name: 'vip',
      filter: germany,
      synonyms: ['vips'],
    });
    expect(segmentOf('An account counts as a VIP when the nation equals Germany.').filter).toEqual(germany);
    expect(segmentOf('We consider a user a VIP if country is Germany.').filter).toEqual(germany);
  });

  it('reads "A Y is a X whose/with/that/who <condition>"', () => {
    expect(segmentOf('A customer is a user whose last_order_at is not null.')).toEqual({
      name: 'customer',
      filter: { op: 'isNotNull', field: 'users.last_order_at' },
      synonyms: ['customers'],
    });
    expect(segmentOf('Big spenders are users with total spent over $1,000.')).toEqual({
      name: 'big_spender',
      filter: { op: 'gt', field: 'users.total_spent', value: 1000 },
      synonyms: ['big spenders'],
    });
    expect(segmentOf('A lead is an account that has no last order date.').filter).toEqual({
      op: 'isNull',
      field: 'users.last_order_at',
    });
  });

  it('reads "X are Y when <condition>" and "X whose <condition> are called Y"', () => {
    const pro: Filter = { op: 'eq', field: 'users.plan', value: 'pro' };
    expect(segmentOf('Users are subscribers when their plan is pro.')).toMatchObject({
      name: 'subscriber',
      filter: pro,
    });
    expect(segmentOf('Accounts are subscribers if plan equals PRO.').filter).toEqual(pro);
    expect(segmentOf('Users whose plan is pro are called subscribers.')).toMatchObject({
      name: 'subscriber',
      filter: pro,
    });
  });

  it('takes a condition in parentheses as the definition ("... ordered at least once (last_order_at is not null)")', () => {
    expect(
      segmentOf('A customer is a user who has ordered at least once (last_order_at is not null).').filter,
    ).toEqual({
      op: 'isNotNull',
      field: 'users.last_order_at',
    });
    expect(segmentOf('A user is considered active if they log in often (is_active is true).').filter).toEqual(
      {
        op: 'eq',
        field: 'users.is_active',
        value: true,
      },
    );
  });
});

describe('conditions', () => {
  const cond = (text: string) => segmentOf(`A VIP is a user whose ${text}.`).filter;
  const field = 'users.last_order_at';

  it('reads "is not null / not empty / set" and "is null / empty / missing"', () => {
    for (const t of ['last_order_at is not null', 'last order at is not empty', 'last order date is set']) {
      expect(cond(t), t).toEqual({ op: 'isNotNull', field });
    }
    for (const t of ['last_order_at is null', 'last_order_at is empty', 'last order date is missing']) {
      expect(cond(t), t).toEqual({ op: 'isNull', field });
    }
  });

  it('reads "is / equals <value>", checking declared values and keeping their spelling', () => {
    expect(cond('plan is Enterprise')).toEqual({ op: 'eq', field: 'users.plan', value: 'enterprise' });
    expect(cond('country equals "United States"')).toEqual({
      op: 'eq',
      field: 'users.country',
      value: 'United States',
    });
    expect(cond('plan is not free')).toEqual({ op: 'neq', field: 'users.plan', value: 'free' });
  });

  it('reads "is one of a, b" and "is a or b"', () => {
    const both: Filter = { op: 'in', field: 'users.plan', values: ['pro', 'enterprise'] };
    expect(cond('plan is one of pro, enterprise')).toEqual(both);
    expect(cond('plan is pro or enterprise')).toEqual(both);
    expect(cond('country is one of Germany, France and Spain')).toEqual({
      op: 'in',
      field: 'users.country',
      values: ['Germany', 'France', 'Spain'],
    });
  });

  it('reads comparisons: greater than, over, at least, under, less than, N or more', () => {
    const f = 'users.total_spent';
    expect(cond('total_spent is greater than 500')).toEqual({ op: 'gt', field: f, value: 500 });
    expect(cond('total spent is over 1k')).toEqual({ op: 'gt', field: f, value: 1000 });
    expect(cond('total_spent is at least 250.5')).toEqual({ op: 'gte', field: f, value: 250.5 });
    expect(cond('total_spent is under 10 dollars')).toEqual({ op: 'lt', field: f, value: 10 });
    expect(cond('total_spent is less than 10')).toEqual({ op: 'lt', field: f, value: 10 });
    expect(cond('total_spent is 100 or more')).toEqual({ op: 'gte', field: f, value: 100 });
    expect(cond('created_at is before 2025-01-01')).toEqual({
      op: 'lt',
      field: 'users.created_at',
      value: '2025-01-01',
    });
  });

  it('reads "is true / is false"', () => {
    expect(cond('is_active is true')).toEqual({ op: 'eq', field: 'users.is_active', value: true });
    expect(cond('is active is false')).toEqual({ op: 'eq', field: 'users.is_active', value: false });
  });

  it('joins conditions with "and"', () => {
    expect(cond('country is Germany and plan is pro and last_order_at is set')).toEqual({
      op: 'and',
      filters: [
        { op: 'eq', field: 'users.country', value: 'Germany' },
        { op: 'eq', field: 'users.plan', value: 'pro' },
        { op: 'isNotNull', field },
      ],
    });
  });

  it('reads related rows: has at least once / at least N / no <relation>, by noun, synonym or verb', () => {
    const any: Filter = { op: 'related', table: 'orders' };
    expect(segmentOf('A customer is a user who has at least one order.').filter).toEqual(any);
    expect(segmentOf('A customer is a user who has ordered at least once.').filter).toEqual(any);
    expect(segmentOf('A buyer is an account that has purchases.').filter).toEqual(any);
    expect(segmentOf('A regular is a user with at least 3 orders.').filter).toEqual({
      op: 'related',
      table: 'orders',
      count: { op: 'gte', value: 3 },
    });
    expect(segmentOf('A power user is a user who has placed more than ten purchases.').filter).toEqual({
      op: 'related',
      table: 'orders',
      count: { op: 'gt', value: 10 },
    });
    expect(segmentOf('A user is considered a prospect if they have never ordered.').filter).toEqual({
      op: 'not',
      filter: any,
    });
    expect(segmentOf('Dormant users are users with no orders.').filter).toEqual({ op: 'not', filter: any });
  });
});

describe('refusals', () => {
  it('reports sentences that are no synonym or segment form', () => {
    expect(notUsed('People with an account in the shop. Number of users counts every account.')).toMatch(
      /not one of the synonym or segment forms/,
    );
  });

  it('never reads a condition it cannot fully read, a remark it does not understand, or an unknown value', () => {
    expect(notUsed('A customer is a user who has bought something.')).toMatch(
      /could not read "has bought something"/,
    );
    expect(notUsed('A VIP is a user whose country is Germany (our home market).')).toMatch(
      /could not read the remark "\(our home market\)"/,
    );
    expect(notUsed('A whale is a user whose plan is platinum.')).toMatch(
      /"platinum" is not one of the values of plan \(free, pro, enterprise\)/,
    );
    expect(notUsed('A VIP is a user whose country is the same as the billing country.')).toMatch(
      /does not read as a value of country/,
    );
    expect(notUsed('A VIP is a user whose total_spent is big.')).toMatch(/"big" is not a number/);
    expect(notUsed('Users are also called accounts in the billing system.')).toMatch(
      /is not a list of names/,
    );
  });

  it('never names context filter columns or columns the model does not declare', () => {
    expect(notUsed('A VIP is a user whose organisation_id is 3.')).toMatch(
      /could not read "organisation_id is 3"/,
    );
    expect(notUsed('A VIP is a user whose email is set.')).toMatch(/could not read "email is set"/);
    expect(notUsed('The organisation_id column is also called tenant.')).toMatch(/not a name of table users/);
  });

  it('never follows a relation to a table some users cannot see, or one queries cannot use', () => {
    const hidden = { ordersExtra: { visibleWhen: 'isAdmin' } };
    expect(notUsed('A customer is a user who has at least one order.', hidden)).toMatch(/could not read/);
    const unscoped = { ordersExtra: { contextFilters: [] } };
    expect(notUsed('A customer is a user who has ordered at least once.', unscoped)).toMatch(
      /could not read/,
    );
  });

  it('does not read a sentence about another table as one about this one', () => {
    expect(notUsed('An order is considered big if its total_amount is over 100.')).toMatch(
      /not one of the synonym or segment forms/,
    );
  });

  it('does not take a kind of user for another name of users', () => {
    expect(notUsed('A VIP is a user. Customers are users.')).toMatch(
      /not one of the synonym or segment forms/,
    );
    expect(synonymsOf('Members are the same as users.')).toEqual([
      { word: 'members', target: users, outcome: 'added' },
    ]);
  });

  it('does not take a definition with a condition for a plain synonym', () => {
    expect(notUsed('Users (last_order_at is not null) are also called customers.')).toMatch(/not one of/);
  });
});

describe('merging into the model', () => {
  it('adds to a copy: the YAML model is untouched, derived entries are marked', () => {
    const { yaml, model } = read(
      'Users are also called members. A VIP is a member whose country is Germany.',
    );
    const before = structuredClone(yaml);
    expect(yaml).toEqual(before);
    expect(model).not.toBe(yaml);
    expect(yaml.tables.users?.synonyms).toEqual(['user', 'account']);
    expect(model.tables.users?.synonyms).toEqual(['user', 'account', 'members']);
    expect(model.tables.users?.segments.vip).toEqual({
      filter: { op: 'eq', field: 'users.country', value: 'Germany' },
      description: 'A VIP is a member whose country is Germany.',
      synonyms: ['vips'],
    });
    const marks = promptDerivations(model.tables.users as never);
    expect(marks?.source).toBe('prompt');
    expect(marks?.synonyms.get('table')).toEqual(['members']);
    expect([...(marks?.segments ?? [])]).toEqual(['vip']);
    expect(promptDerivations(yaml.tables.users as never)).toBeUndefined();
  });

  it('returns the YAML model itself when the prompts add nothing', () => {
    const { yaml, model, report } = read('Users are also called accounts. People shop here.');
    expect(model).toBe(yaml);
    expect(readings(report)).toMatchObject([{ word: 'accounts', outcome: 'declared' }]);
  });

  it('deduplicates synonyms and never gives a word the YAML uses for something else', () => {
    const { report, model } = read(
      'Users are also called accounts, members, purchases, full name and members. Nations means users.',
    );
    expect(
      readings(report).map((r) => (r.kind === 'synonym' ? [r.word, r.outcome, r.why ?? ''] : [])),
    ).toEqual([
      ['accounts', 'declared', ''],
      ['members', 'added', ''],
      ['purchases', 'skipped', '"purchases" already names table orders'],
      ['full name', 'skipped', '"full name" already names column users.name'],
      ['members', 'declared', ''],
      ['nations', 'skipped', '"nations" already names column users.country'],
    ]);
    expect(model.tables.users?.synonyms).toEqual(['user', 'account', 'members']);
  });

  it('skips a segment the YAML declares (saying whether the filters agree) or that another table has', () => {
    const yamlCustomer = {
      segments: {
        customer: { filter: { op: 'isNotNull', field: 'users.last_order_at' }, synonyms: ['buyers'] },
      },
    };
    const same = read('A customer is a user whose last_order_at is not null.', { users: yamlCustomer });
    expect(readings(same.report)).toMatchObject([
      {
        kind: 'segment',
        name: 'customer',
        outcome: 'skipped',
        why: 'the YAML declares segment customer (with the same filter)',
      },
    ]);
    expect(same.model).toBe(same.yaml);
    const other = read('A customer is a user who has at least one order.', { users: yamlCustomer });
    expect(readings(other.report)[0]).toMatchObject({
      why: 'the YAML declares segment customer (with another filter)',
    });
    const synonym = read('Buyers are users whose plan is pro.', { users: yamlCustomer });
    expect(readings(synonym.report)[0]).toMatchObject({
      outcome: 'skipped',
      why: '"buyer" already names segment users.customer',
    });
    const elsewhere = read('A VIP is a user whose plan is pro.', {
      ordersExtra: { segments: { vip: { filter: { op: 'gt', field: 'orders.total_amount', value: 100 } } } },
    });
    expect(readings(elsewhere.report)[0]).toMatchObject({
      outcome: 'skipped',
      why: 'table orders already has a segment vip',
    });
  });

  it('skips a segment whose filter does not validate (a table queries cannot use)', () => {
    const { report, model, agent } = read('A VIP is a user whose country is Germany.', {
      users: { contextFilters: [] },
    });
    expect(readings(report)[0]).toMatchObject({ kind: 'segment', name: 'vip', outcome: 'skipped' });
    expect((readings(report)[0] as SegmentReading).why).toMatch(
      /users\.country is on table users, which has no context filter/,
    );
    expect(model.tables.users?.segments).toEqual({});
    expect(validateModel(agent, model).some((i) => i.path.includes('segments.vip'))).toBe(false);
  });

  it('uses names a prompt gave for the segment sentences that follow, in any order', () => {
    const { model } = read(
      'A member is considered a VIP if country is Germany. Users are also referred to as members.',
    );
    expect(model.tables.users?.segments.vip?.filter).toEqual({
      op: 'eq',
      field: 'users.country',
      value: 'Germany',
    });
  });

  it('leaves the merged model as valid as the YAML one', () => {
    const { agent, model } = read(
      'Users are also called members. A VIP is a member whose country is Germany and plan is pro. A regular is a user with at least 3 orders.',
    );
    expect(Object.keys(model.tables.users?.segments ?? {})).toEqual(['vip', 'regular']);
    expect(validateModel(agent, model)).toEqual([]);
  });
});

describe('the report', () => {
  it('prints what each sentence was read as, and what it could not use', () => {
    const { report } = read(
      'People who shop. Users are also called accounts and members. A VIP is a member whose country is Germany.',
    );
    expect(formatPromptReport('shop', report)).toEqual([
      'shop: table prompts: 1 synonym and 1 segment added, 1 sentence not used',
      '  users: "People who shop."',
      '    not used: the sentence is not one of the synonym or segment forms',
      '  users: "Users are also called accounts and members."',
      '    synonym accounts -> table users: already in the model',
      '    synonym members -> table users: added',
      '  users: "A VIP is a member whose country is Germany."',
      '    segment vip (also vips) = country = "Germany": added',
    ]);
  });

  it('reads the demo config: nothing new, the customer definitions agree with the YAML', () => {
    const loaded = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {});
    const demo = loaded.agents.get('demo')?.config as AgentConfig;
    const yaml = demo.model as SemanticModel;
    const { model, report } = applyTablePrompts(demo, yaml);
    expect(model).toBe(yaml);
    const lines = formatPromptReport('demo', report);
    expect(lines[0]).toBe('demo: table prompts: 0 synonyms and 0 segments added, 9 sentences not used');
    expect(lines).toContain('    synonym accounts -> table users: already in the model');
    expect(lines).toContain(
      '    segment customer (also customers) = last_order_at is not null: not added, the YAML declares segment customer (with the same filter)',
    );
    expect(lines).toContain('    synonym turnover -> measure orders.revenue: already in the model');
    expect(lines).toContain('    not used: could not read the remark "(tenant)"');
  });
});
