// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { Turn } from '../turns.ts';
import { type MessageListActions, withoutEllipsis } from './message-list.ts';
import './message-list.ts';

describe('progress text', () => {
  it('drops a trailing ellipsis where animated dots follow (no "Sending……")', () => {
    expect(withoutEllipsis('Sending…')).toBe('Sending');
    expect(withoutEllipsis('Planning the query...')).toBe('Planning the query');
    expect(withoutEllipsis('Querying')).toBe('Querying');
  });
});

describe('"Read as" under an answer', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('asks a chosen reading like a suggestion, and shows the unused words', async () => {
    const asked: string[] = [];
    const actions = { ask: (q: string) => asked.push(q) } as unknown as MessageListActions;
    const turn: Turn = {
      clientId: 'm1',
      question: 'revenue from young customers last month',
      status: 'completed',
      text: '',
      answer: {
        id: 'r1',
        conversationId: 'c1',
        type: 'text',
        message: 'Revenue was $1,000 in October 2026.',
        readAs: [
          {
            kind: 'measure',
            text: 'Revenue',
            alternatives: [
              { label: 'Product revenue', question: 'product revenue from young customers last month' },
            ],
          },
        ],
        unusedWords: ['young'],
      },
    };
    const list = document.createElement('parley-message-list');
    Object.assign(list, { turns: [turn], starters: [], actions, canAsk: true });
    document.body.append(list);
    await list.updateComplete;
    const readAs = list.shadowRoot?.querySelector('parley-read-as');
    await readAs?.updateComplete;
    const root = readAs?.shadowRoot;
    expect(root?.querySelector('[part="read-as-unused"]')?.textContent?.trim()).toBe('Not used: young');
    root?.querySelector<HTMLButtonElement>('#chip-0')?.click();
    await readAs?.updateComplete;
    root?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.click();
    expect(asked).toEqual(['product revenue from young customers last month']);
  });
});
