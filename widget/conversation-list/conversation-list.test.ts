// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import './conversation-list.ts';

describe('<parley-conversation-list> search', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows only the conversations whose title has every word typed, ignoring case and accents', async () => {
    const el = document.createElement('parley-conversation-list');
    const at = '2026-11-25T12:00:00.000Z';
    el.items = [
      { id: 'a', title: 'How many orders last month? · Orders, October 2026', createdAt: at, updatedAt: at },
      { id: 'b', title: 'Revenue by month this year · Revenue, this year', createdAt: at, updatedAt: at },
      { id: 'c', title: 'Revenue in Zürich', createdAt: at, updatedAt: at },
    ];
    document.body.append(el);
    await el.updateComplete;
    const titles = () =>
      [...(el.shadowRoot?.querySelectorAll('.title') ?? [])].map((t) => t.textContent?.trim() ?? '');
    expect(titles()).toHaveLength(3);
    const search = el.shadowRoot?.querySelector('input[type="search"]') as HTMLInputElement;
    expect(search.getAttribute('aria-label')).toBe('Search conversations');
    search.value = 'revenue  ZURICH';
    search.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(titles()).toEqual(['Revenue in Zürich']);
    search.value = 'nothing like this';
    search.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(titles()).toEqual([]);
    expect(el.shadowRoot?.querySelector('[role="status"]')?.textContent).toBe('No conversation matches.');
  });
});
