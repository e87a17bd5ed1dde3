// What the planner works out once per view shape follows what each user may see of the model.
import { describe, expect, it } from 'vitest';
import { loadDemoAgent } from '../../../test/support/demo-db.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { measureAlternatives, personTable } from './model-helpers.ts';

describe('model facts kept per view shape', () => {
  it('are worked out again for a user who sees other tables, in either order', () => {
    const agent = loadDemoAgent();
    const users = agent.model.tables.users;
    const items = agent.model.tables.order_items;
    if (!users || !items) throw new Error('the demo model has users and order_items');
    users.visibleWhen = 'isAdmin';
    items.visibleWhen = 'isAdmin';
    const view = (isAdmin: boolean, organisationId = 1) =>
      new ModelView(agent, agent.model, { organisationId, isAdmin });

    expect(personTable(view(false))).toBeUndefined();
    expect(personTable(view(true))).toBe('users');
    expect(personTable(view(false, 2))).toBeUndefined();
    // "revenue" may be read as product revenue only where the order lines are visible
    expect(measureAlternatives(view(true), 'orders.revenue').map((m) => m.table)).toContain('order_items');
    expect(measureAlternatives(view(false), 'orders.revenue')).toEqual([]);
  });

  it('are shared by views of the same model with the same tables, whoever the tenant', () => {
    const agent = loadDemoAgent();
    const a = new ModelView(agent, agent.model, { organisationId: 1 });
    expect(new ModelView(agent, agent.model, { organisationId: 2 }).shape).toBe(a.shape);
    const copy = loadDemoAgent();
    expect(new ModelView(copy, copy.model, { organisationId: 1 }).shape).not.toBe(a.shape);
  });
});
