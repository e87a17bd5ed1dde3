// @vitest-environment happy-dom
import { render } from 'lit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STRINGS } from '../strings.ts';
import type { Answer } from '../types.ts';
import { renderAnswerDetails } from './answer-details.ts';

const answer: Answer = {
  id: 'r1',
  conversationId: 'c1',
  type: 'text',
  message: '880 orders in October 2026.',
  sql: { text: 'select count(*) from `orders` as `t0` where `t0`.`status` = ?', bindings: ['completed'] },
  account: [
    {
      label: 'Counted',
      text: 'Orders where status is completed, created at in October 2026, for your organisation only',
    },
  ],
  readableSql: {
    text: 'select count(*) from `orders` where `orders`.`status` = ?',
    values: [{ label: 'orders.status =', value: 'completed' }],
  },
};

describe('"How was this answered?"', () => {
  it('leads with the account in words; the SQL, with named tables and labelled values, is a second disclosure', () => {
    const host = document.createElement('div');
    render(renderAnswerDetails(answer, DEFAULT_STRINGS), host);
    const outer = host.querySelector('details.how');
    expect(outer?.querySelector('summary')?.textContent).toBe('How was this answered?');
    const terms = [...(outer?.querySelectorAll('.account dt') ?? [])].map((dt) => dt.textContent);
    expect(terms).toEqual(['Counted']);
    expect(outer?.querySelector('.account dd')?.textContent).toContain('for your organisation only');
    const inner = outer?.querySelector<HTMLDetailsElement>('details.sql-details');
    expect(inner?.open).toBe(false);
    expect(inner?.querySelector('summary')?.textContent).toBe('Show the SQL');
    expect(inner?.querySelector('.sql')?.textContent).not.toContain('t0');
    expect(inner?.querySelector('.bindings li')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'orders.status = "completed"',
    );
  });
});
