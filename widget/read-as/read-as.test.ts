// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadAsChip } from '../types.ts';
import './read-as.ts';

const CHIPS: ReadAsChip[] = [
  {
    kind: 'measure',
    text: 'Revenue',
    alternatives: [{ label: 'Product revenue', question: 'product revenue from young customers last month' }],
  },
  {
    kind: 'period',
    text: 'Last month',
    alternatives: [
      { label: 'Dated by when the order was placed', question: 'a' },
      { label: 'Dated by when the item shipped', question: 'b' },
    ],
  },
  { kind: 'filter', text: 'Customers' },
];

async function mount(disabled = false) {
  const el = document.createElement('parley-read-as');
  const asked: string[] = [];
  el.chips = CHIPS;
  el.unused = ['young'];
  el.disabled = disabled;
  el.ask = (q) => asked.push(q);
  document.body.append(el);
  await el.updateComplete;
  const root = el.shadowRoot as ShadowRoot;
  const key = async (target: Element | null | undefined, k: string) => {
    target?.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true }));
    await el.updateComplete;
  };
  return { el, root, asked, key };
}

describe('<parley-read-as>', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows chips with other readings as menu buttons, plain chips as text, and the unused words flagged', async () => {
    const { root } = await mount();
    const buttons = [...root.querySelectorAll('button[part="read-as-chip"]')];
    expect(buttons.map((b) => b.textContent?.replace('▾', '').trim())).toEqual(['Revenue', 'Last month']);
    expect(buttons.map((b) => [b.getAttribute('aria-haspopup'), b.getAttribute('aria-expanded')])).toEqual([
      ['menu', 'false'],
      ['menu', 'false'],
    ]);
    expect(root.querySelector('li[data-kind="filter"]')?.textContent?.trim()).toBe('Customers');
    expect(root.querySelector('[part="read-as-unused"]')?.textContent?.trim()).toBe('Not used: young');
    // server text is isolated for right-to-left pages
    expect(root.querySelector('[part="read-as-unused"] bdi')?.textContent).toBe('young');
    expect(root.querySelector('li[data-kind="filter"] bdi')?.textContent).toBe('Customers');
    expect(root.querySelector('[role="menu"]')).toBeNull();
  });

  it('opens a menu of the other readings, moves through it with the arrows, and asks the one chosen', async () => {
    const { root, asked, key } = await mount();
    const period = root.querySelector<HTMLButtonElement>('#chip-1');
    period?.click();
    await Promise.resolve();
    expect(period?.getAttribute('aria-expanded')).toBe('true');
    const menu = root.querySelector('[role="menu"]');
    expect(menu?.getAttribute('aria-labelledby')).toBe('chip-1');
    expect(period?.getAttribute('aria-controls')).toBe(menu?.id);
    const items = [...root.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(items.map((i) => i.textContent?.trim())).toEqual([
      'Dated by when the order was placed',
      'Dated by when the item shipped',
    ]);
    expect(root.activeElement).toBe(items[0]);
    await key(items[0], 'ArrowDown');
    expect(root.activeElement).toBe(items[1]);
    await key(items[1], 'ArrowDown');
    expect(root.activeElement).toBe(items[0]);
    await key(items[0], 'End');
    expect(root.activeElement).toBe(items[1]);
    items[1]?.click();
    await Promise.resolve();
    expect(asked).toEqual(['b']);
    expect(root.querySelector('[role="menu"]')).toBeNull();
  });

  it('closes on Escape with the focus back on its chip; while asking is not possible a reading is not sent', async () => {
    const { root, asked, key } = await mount(true);
    const measure = root.querySelector<HTMLButtonElement>('#chip-0');
    await key(measure, 'ArrowDown');
    await Promise.resolve();
    const item = root.querySelector<HTMLButtonElement>('[role="menuitem"]');
    expect(root.activeElement).toBe(item);
    expect(item?.getAttribute('aria-disabled')).toBe('true');
    item?.click();
    expect(asked).toEqual([]);
    await key(item, 'Escape');
    await Promise.resolve();
    expect(root.querySelector('[role="menu"]')).toBeNull();
    expect(measure?.getAttribute('aria-expanded')).toBe('false');
    expect(root.activeElement).toBe(measure);
  });
});
