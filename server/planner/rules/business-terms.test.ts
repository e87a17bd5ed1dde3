// Business terms the model does not name are written out in its own words, and the answer says how they were read.
import { describe, expect, it } from 'vitest';
import { loadDemoAgent } from '../../../test/support/demo-db.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { withBusinessTerms } from './business-terms.ts';

const demoView = () => {
  const agent = loadDemoAgent();
  return new ModelView(agent, agent.model, { organisationId: 1 });
};

describe('withBusinessTerms', () => {
  it('reads a lifetime value as the money measure per customer, however it is written', () => {
    const view = demoView();
    for (const q of [
      'Customer Lifetime Value for our top 5?',
      'top 5 by LTV',
      'best clv',
      'life time value',
    ]) {
      const out = withBusinessTerms(q, view);
      expect(out.question).toMatch(/revenue per customer/);
      expect(out.question).not.toMatch(/lifetime|ltv|clv|life time/i);
      expect(out.notes).toEqual(["lifetime value is read as each customer's revenue to date, over all time"]);
    }
  });

  it('leaves other questions, and words that only contain the letters, alone', () => {
    const view = demoView();
    expect(withBusinessTerms('revenue by month', view)).toEqual({ question: 'revenue by month', notes: [] });
    expect(withBusinessTerms('orders with the ltvx code', view).question).toBe('orders with the ltvx code');
  });

  it('keeps a model’s own meaning when the model names the term', () => {
    const agent = loadDemoAgent();
    const users = agent.model.tables.users;
    if (!users) throw new Error('the demo model has users');
    users.columns.lifetime_value = { type: 'number', synonyms: ['ltv'] } as (typeof users.columns)[string];
    const view = new ModelView(agent, agent.model, { organisationId: 1 });
    expect(withBusinessTerms('top 5 customers by ltv', view).question).toBe('top 5 customers by ltv');
  });

  it('has nothing to read it as in a model without a money measure', () => {
    const agent = loadDemoAgent();
    for (const table of Object.values(agent.model.tables)) table.measures = {};
    const view = new ModelView(agent, agent.model, { organisationId: 1 });
    expect(withBusinessTerms('which customer has the highest ltv', view).notes).toEqual([]);
  });
});
