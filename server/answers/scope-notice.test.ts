// Questions that name another tenant, or an id the plan does not filter by, get a notice; others do not.
import { describe, expect, it } from 'vitest';
import type { QueryPlan } from '../query/plan.ts';
import { scopeNotice, tenantLabelField } from './scope-notice.ts';

const agent = {
  userContext: { organisationId: 'integer' as const },
  model: {
    tables: {
      organisations: {
        synonyms: ['organisation', 'company', 'tenant'],
        labelColumn: 'name',
        contextFilters: [{ column: 'id', field: 'organisationId' }],
      },
      orders: { contextFilters: [{ column: 'organisation_id', field: 'organisationId' }] },
    },
  },
};
const plan = (extra: object = {}) =>
  ({ version: 1, table: 'orders', measures: [{ kind: 'count' }], ...extra }) as unknown as QueryPlan;
const notice = (question: string, p: QueryPlan = plan()) =>
  scopeNotice({ question, agent, userContext: { organisationId: 1 }, plan: p, tenantName: 'Acme Corp' });

describe('scope notices', () => {
  it('says the answer covers only the caller’s tenant when another one is named', () => {
    for (const q of [
      'revenue for organisation 2',
      'What was the revenue of org id 2?',
      'orders for organisationId=2',
      'orders of company #3',
      'How many orders does tenant 7 have?',
      'Revenue for organization 2 last month',
    ]) {
      expect(notice(q), q).toMatchObject({
        code: 'outside_scope',
        message: expect.stringContaining("I can only see Acme Corp's data"),
      });
    }
  });

  it('says so when an id the plan does not filter by was asked for', () => {
    expect(notice('orders for user id 5000')).toMatchObject({
      code: 'filter_not_applied',
      message: expect.stringContaining('"user id 5000"'),
    });
    const filtered = plan({ filters: [{ field: 'orders.user_id', op: 'eq', value: 5000 }] });
    expect(notice('orders for user id 5000', filtered)).toBeUndefined();
  });

  it('is quiet for the caller’s own tenant, years and ordinary questions', () => {
    for (const q of [
      'revenue for organisation 1',
      'How many orders did we have last month?',
      'top 5 customers by revenue',
      'company 2025 revenue',
      'revenue by organisation',
      'orders in Q2 2026',
    ]) {
      expect(notice(q), q).toBeUndefined();
    }
  });

  it('finds the table that names the tenant', () => {
    expect(tenantLabelField(agent)).toBe('organisations.name');
  });
});
