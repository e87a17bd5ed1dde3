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

describe('"How was this answered?" for a comparison answered like for like', () => {
  it('shows the query behind the like-for-like figures, naming both windows, after the whole-period SQL', () => {
    const host = document.createElement('div');
    const compared: Answer = {
      ...answer,
      likeForLike: {
        window: { label: 'this month', span: '1 Dec 2026, 00:00 – 6 Dec 2026, 09:21' },
        periods: [{ label: 'last month', span: '1 Nov 2026, 00:00 – 6 Nov 2026, 09:21' }],
        readableSql: {
          text: 'select count(*) from `orders` where `orders`.`created_at` >= ? and `orders`.`created_at` < ?',
          values: [
            { label: 'orders.created_at >=', value: '2026-11-01 00:00:00' },
            { label: 'orders.created_at <', value: '2026-11-06 09:21:00' },
          ],
        },
      },
    };
    render(renderAnswerDetails(compared, DEFAULT_STRINGS), host);
    const inner = host.querySelector('details.sql-details');
    expect(inner?.querySelector('.values-heading.like-for-like')?.textContent).toBe(
      'The like-for-like figures (this month: 1 Dec 2026, 00:00 – 6 Dec 2026, 09:21; last month: 1 Nov 2026, 00:00 – 6 Nov 2026, 09:21) came from this query:',
    );
    expect(inner?.querySelector('.sql.like-for-like')?.textContent).toContain('`orders`.`created_at` < ?');
    const bounds = [...(inner?.querySelectorAll('.bindings.like-for-like li') ?? [])].map((li) =>
      li.textContent?.replace(/\s+/g, ' ').trim(),
    );
    expect(bounds).toEqual([
      'orders.created_at >= "2026-11-01 00:00:00"',
      'orders.created_at < "2026-11-06 09:21:00"',
    ]);
    // an answer without the like-for-like part shows one query only
    render(renderAnswerDetails(answer, DEFAULT_STRINGS), host);
    expect(host.querySelectorAll('pre.sql')).toHaveLength(1);
  });
});
