import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { type AgentConfig, type SemanticModel, Table } from '../../config/schema.ts';
import { QueryPlan } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { applyTablePrompts } from '../../semantic/prompts.ts';
import {
  buildSystemPrompt,
  describeModel,
  PlannerResponse,
  ResponseEnvelope,
  responseJsonSchema,
  visibleColumns,
} from './model-prompt.ts';

const CONFIG_FILE = path.resolve(import.meta.dirname, '../../../parley.config.yaml');
const loaded = parseConfig(fs.readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE, {});
const demo = loaded.agents.get('demo');
if (!demo) throw new Error('the demo agent is missing from parley.config.yaml');

const NOW = new Date('2026-11-25T12:00:00Z');

/**
 * The demo model plus: a table that is off, a table visible only to admins, a declared column that is also a
 * context filter column, a relation to the hidden table and a string userContext field holding a secret.
 */
function variant(): { agent: AgentConfig; model: SemanticModel } {
  const model = structuredClone(demo!.model);
  model.tables.internal_costs = Table.parse({
    access: 'off',
    prompt: 'Supplier costs per product (confidential margin data).',
    contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
    columns: { supplier_cost: { type: 'number', unit: 'USD' }, margin_secret: { type: 'number' } },
  });
  model.tables.staff_notes = Table.parse({
    visibleWhen: 'isAdmin',
    prompt: 'Notes staff keep about accounts.',
    contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
    columns: { note_text: { type: 'string', description: 'The note' }, written_at: { type: 'datetime' } },
  });
  const organisations = model.tables.organisations!;
  organisations.columns = { id: { type: 'integer', synonyms: [] }, ...organisations.columns };
  const products = model.tables.products!;
  products.relations.costs = { table: 'internal_costs', kind: 'one-to-many', on: { id: 'product_id' } };
  products.contextFilters = [
    ...products.contextFilters,
    { column: 'region_code', field: 'region', op: 'eq' },
  ];
  products.columns.region_code = { type: 'string', synonyms: [] };
  const agent: AgentConfig = {
    ...demo!.config,
    userContext: { organisationId: 'integer', isAdmin: 'boolean', region: 'string' },
    model,
  };
  return { agent, model };
}

function viewOf(userContext: Record<string, unknown>, v = variant()): ModelView {
  return new ModelView(v.agent, v.model, userContext as never);
}

const SECRET_REGION = 'region-7f3a-secret';

describe('describeModel', () => {
  it('describes the demo model: tables, columns, computed columns, relations, measures, segments', () => {
    const text = describeModel(new ModelView(demo.config, demo.model, { organisationId: 1 }));
    for (const expected of [
      '## orders (queryable)',
      '## organisations (joinable only',
      '- orders.status (string; values: pending, completed, cancelled, refunded): Order status',
      '- orders.total_amount (number, USD): Order total (also: amount, order value, total, value)',
      '- order_items.line_total (number, USD) = quantity * unit_price',
      '- user -> users (many-to-one)',
      '- revenue (sum of orders.total_amount, USD): Total amount of completed orders',
      '- customer: Users who have ordered at least once',
      'Main time column orders.created_at',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('never shows context filter columns, join keys or userContext names and values', () => {
    const view = viewOf({ organisationId: 1, isAdmin: true, region: SECRET_REGION });
    const text = buildSystemPrompt(view, NOW);
    for (const hidden of [
      'organisation_id',
      'organisationId',
      'organisations.id',
      'region_code',
      SECRET_REGION,
      'isAdmin',
      'user_id',
      'order_id',
      'product_id',
    ]) {
      expect(text).not.toContain(hidden);
    }
    expect(visibleColumns(view.table('organisations'))).toEqual(['name']);
  });

  it('never shows a table that is off, nor relations that lead to it', () => {
    const text = buildSystemPrompt(viewOf({ organisationId: 1, isAdmin: true, region: 'r' }), NOW);
    expect(text).not.toContain('internal_costs');
    expect(text).not.toContain('supplier_cost');
    expect(text).not.toContain('margin');
    expect(text).not.toContain('costs ->');
  });

  it('shows a visibleWhen table only when the userContext flag is true', () => {
    const admin = describeModel(viewOf({ organisationId: 1, isAdmin: true, region: 'r' }));
    const member = describeModel(viewOf({ organisationId: 1, isAdmin: false, region: 'r' }));
    expect(admin).toContain('## staff_notes (queryable)');
    expect(admin).toContain('- staff_notes.note_text (string): The note');
    expect(member).not.toContain('staff_notes');
    expect(member).not.toContain('note_text');
  });

  it('is deterministic whatever the order of the tables in the config', () => {
    const v = variant();
    const reversed = {
      ...v,
      model: { tables: Object.fromEntries(Object.entries(v.model.tables).reverse()) },
    };
    const ctx = { organisationId: 1, isAdmin: true, region: 'r' };
    const a = describeModel(viewOf(ctx, v));
    expect(describeModel(viewOf(ctx, v))).toBe(a);
    expect(describeModel(viewOf(ctx, reversed))).toBe(a);
    const headings = a
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.split(' ')[1]);
    expect(headings).toEqual([...headings].sort());
  });

  it('says so when no table is visible', () => {
    const v = variant();
    const none = new ModelView(
      { ...v.agent },
      { tables: {} },
      { organisationId: 1, isAdmin: false, region: 'r' },
    );
    expect(describeModel(none)).toContain('No tables are available');
  });
});

describe('entries read from table prompts', () => {
  it('are shown apart from the YAML: synonyms as read from the prompt, segments marked', () => {
    const model = structuredClone(demo!.config.model as SemanticModel);
    const users = model.tables.users!;
    users.prompt =
      'Users are also referred to as patrons. A patron is considered a VIP if their country is Germany.';
    const merged = applyTablePrompts(demo!.config, model).model;
    const text = describeModel(new ModelView(demo!.config, merged, { organisationId: 1 }));
    expect(text).toContain(
      'sign ups, registrations, new users, new accounts, new signups; read from the prompt: patrons)',
    );
    expect(text).toContain(
      '- vip (read from the prompt): A patron is considered a VIP if their country is Germany. (also: vips)',
    );
    expect(text).toContain('- customer: Users who have ordered at least once (also: customers,');
  });
});

describe('buildSystemPrompt', () => {
  it('states the time, the date and plan rules and the safety rules', () => {
    const text = buildSystemPrompt(new ModelView(demo.config, demo.model, { organisationId: 1 }), NOW);
    expect(text).toContain('Now is Wednesday 25 November 2026, 12:00 in the time zone UTC.');
    expect(text).toContain('# Date rules');
    expect(text).toContain('{"kind":"last","unit":"day","n":N}');
    expect(text).toContain('# QueryPlan rules');
    expect(text).toContain('{"op":"segment","segment":"<name>"}');
    expect(text).toContain('"compare"');
    expect(text).toContain('Never write SQL');
    expect(text).toContain("scoping to the user's own data is automatic");
    expect(text).toContain('Answer only from the data model above');
  });

  it("uses the agent's time zone", () => {
    const agent = { ...demo.config, timeZone: 'Pacific/Auckland' };
    const text = buildSystemPrompt(new ModelView(agent, demo.model, { organisationId: 1 }), NOW);
    expect(text).toContain('Now is Thursday 26 November 2026, 01:00 in the time zone Pacific/Auckland.');
  });
});

describe('the response schema', () => {
  /** every `$ref` in a JSON Schema, with the `$defs` it may point to */
  function refs(node: unknown, out: string[] = []): string[] {
    if (Array.isArray(node)) for (const item of node) refs(item, out);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') out.push(value);
        else refs(value, out);
      }
    }
    return out;
  }

  it('is generated from zod with the recursive QueryPlan under $defs', () => {
    const schema = responseJsonSchema() as {
      type: string;
      properties: Record<string, { type?: string; enum?: string[]; properties?: Record<string, unknown> }>;
      required: string[];
      $defs: Record<string, unknown>;
    };
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(expect.arrayContaining(['narrative', 'outcome']));
    expect(schema.properties.outcome?.enum).toEqual(['plan', 'clarify', 'unanswerable']);
    expect(schema.properties.presentation?.enum).toEqual(['auto', 'chart', 'table', 'text']);
    expect(Object.keys(schema.properties.plan?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'version',
        'table',
        'measures',
        'dimensions',
        'time',
        'filters',
        'select',
        'order',
        'limit',
      ]),
    );
    const all = refs(schema);
    expect(all.length).toBeGreaterThan(0);
    for (const ref of all) {
      expect(ref.startsWith('#/$defs/')).toBe(true);
      expect(schema.$defs[ref.slice('#/$defs/'.length)]).toBeDefined();
    }
    expect(JSON.stringify(schema)).not.toContain('$schema');
  });

  it('asks for clarify choices as label + question pairs, 2 to 4 of them', () => {
    const schema = responseJsonSchema() as {
      properties: Record<string, { minItems?: number; maxItems?: number; items?: Record<string, unknown> }>;
    };
    const choices = schema.properties.choices;
    expect(choices).toMatchObject({ minItems: 2, maxItems: 4 });
    expect(choices?.items).toMatchObject({
      type: 'object',
      properties: { label: { type: 'string' }, question: { type: 'string' } },
      required: ['label', 'question'],
    });
  });

  it('is a fresh copy each time', () => {
    const a = responseJsonSchema();
    a.type = 'changed';
    expect(responseJsonSchema().type).toBe('object');
  });

  it('accepts a full answer with the zod schema it is generated from, and the envelope is lenient', () => {
    const plan = { version: 1, table: 'orders', measures: [{ kind: 'count' }] };
    expect(QueryPlan.safeParse(plan).success).toBe(true);
    expect(PlannerResponse.safeParse({ narrative: 'Counting orders.', outcome: 'plan', plan }).success).toBe(
      true,
    );
    const envelope = ResponseEnvelope.parse({
      outcome: 'plan',
      plan: { anything: true },
      presentation: 'hologram',
      extra: 1,
    });
    expect(envelope.presentation).toBeUndefined();
    expect(envelope.plan).toEqual({ anything: true });
    expect(ResponseEnvelope.safeParse({ narrative: 'x', outcome: 'sql' }).success).toBe(false);
  });
});
