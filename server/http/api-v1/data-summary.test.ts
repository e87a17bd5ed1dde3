// The data summary shows the model people may ask about, and nothing else: no hidden tables, no values.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../../test/support/demo-db.ts';
import { parseConfig } from '../../config/load.ts';
import { dataSummary } from './data-summary.ts';

function demoAgent() {
  const loaded = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {});
  const agent = loaded.agents.get('demo');
  if (!agent) throw new Error('no demo agent');
  return structuredClone(agent);
}

describe('dataSummary', () => {
  it('lists visible tables with columns, computed columns, measures, segments and relations', () => {
    const summary = dataSummary(demoAgent());
    expect(summary.agent).toEqual({ id: 'demo', name: 'Demo shop analytics' });
    expect(summary.userContext).toEqual({ organisationId: 'integer' });
    const names = summary.tables.map((t) => t.name);
    expect(names).toEqual(['organisations', 'users', 'products', 'orders', 'order_items']);
    const items = summary.tables.find((t) => t.name === 'order_items');
    expect(items?.columns.find((c) => c.name === 'line_total')).toMatchObject({
      computed: true,
      unit: 'USD',
    });
    expect(items?.measures.map((m) => m.name)).toEqual(['product_revenue', 'units_sold']);
    expect(summary.tables.find((t) => t.name === 'users')?.segments.map((s) => s.name)).toEqual(['customer']);
    expect(summary.tables.find((t) => t.name === 'orders')?.relations).toContainEqual({
      name: 'user',
      table: 'users',
      kind: 'many-to-one',
    });
    expect(summary.tables.find((t) => t.name === 'organisations')?.access).toBe('joinable');
    expect(summary.dataSummary).toContain('Measure revenue: Total amount of completed orders');
    expect(summary.dataSummary).toContain('How many orders did we have last month?');
  });

  it("never includes a column's configured values", () => {
    const summary = dataSummary(demoAgent());
    const text = JSON.stringify(summary);
    for (const status of ['pending', 'cancelled', 'refunded']) expect(text).not.toContain(status);
  });

  it('leaves out tables that are off, and on a multi-tenant agent tables without a context filter', () => {
    const agent = demoAgent();
    const tables = agent.model.tables;
    const products = tables.products;
    if (!products) throw new Error('no products table');
    tables.secrets = { ...products, contextFilters: [], prompt: 'unscoped' };
    tables.archive = { ...products, access: 'off', prompt: 'switched off' };
    const users = tables.users;
    if (users) users.relations.secret = { table: 'secrets', kind: 'one-to-many', on: { id: 'user_id' } };
    const summary = dataSummary(agent);
    const names = summary.tables.map((t) => t.name);
    expect(names).not.toContain('secrets');
    expect(names).not.toContain('archive');
    expect(summary.dataSummary).not.toContain('secrets');
    expect(summary.tables.find((t) => t.name === 'users')?.relations.map((r) => r.table)).not.toContain(
      'secrets',
    );

    agent.config.multiTenant = false;
    expect(dataSummary(agent).tables.map((t) => t.name)).toContain('secrets');
  });
});
