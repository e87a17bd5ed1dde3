// The end user's widget, the polish of issue 16 in a real browser: with dir="rtl" dates read in their own order, an
// answer's actions share one line from its start on short answers, "Copy answer" copies the data too, going offline
// says offline (never "Could not sign in"), and a rate limit's countdown ticks. Screenshots at 320, 420 and 1280 px
// in light and dark go to test-artifacts/screenshots.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  chat,
  SHOT_WIDTHS,
  SKIP_REASON,
  type Stack,
  screenshot,
  startStack,
  textOf,
  themedShots,
  titled,
  type UserSession,
  waitConnected,
} from './browser.ts';

/** A date as the server writes it at the start of a cell ("2 Oct 2026, 15:55 UTC"). */
const LEADING_DAY = /^\d{1,2} [A-Z][a-z]{2} \d{4}/;

/**
 * Whether the text of `el` is laid out in reading order: its first character (the day) is drawn before (left of)
 * the first letter of the month, as in "2 Oct 2026", not "Oct 2026, 15:55 UTC 2".
 */
function dayDrawnFirst(cell: Locator): Promise<boolean> {
  return cell.evaluate((el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (node && !(node.textContent ?? '').trim()) node = walker.nextNode();
    const text = node?.textContent ?? '';
    const start = text.search(/\d/);
    const month = text.search(/[A-Za-z]/);
    if (!node || start < 0 || month < 0) throw new Error(`no date in "${text}"`);
    const rectOf = (i: number) => {
      const range = document.createRange();
      range.setStart(node as Node, i);
      range.setEnd(node as Node, i + 1);
      return range.getBoundingClientRect();
    };
    return rectOf(start).left < rectOf(month).left;
  });
}

/** The top and left of each visible action button of an answer (copy, retry, the thumbs). */
async function actionBoxes(answer: Locator): Promise<Array<{ label: string; top: number; left: number }>> {
  const buttons = answer.locator('.actions button');
  const out: Array<{ label: string; top: number; left: number }> = [];
  for (let i = 0; i < (await buttons.count()); i++) {
    const button = buttons.nth(i);
    if (!(await button.isVisible())) continue;
    const box = await button.boundingBox();
    if (box) out.push({ label: (await button.getAttribute('aria-label')) ?? '', top: box.y, left: box.x });
  }
  return out;
}

describe.skipIf(Boolean(SKIP_REASON))(titled('the widget’s polish (issue 16)'), () => {
  let stack: Stack;
  let alice: UserSession;

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.loginAs('alice');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('keeps copy, retry and the thumbs on one line from the answer’s start on short answers and refusals', async () => {
    const { page } = alice;
    const widget = chat(page);
    await waitConnected(widget);
    const short = await ask(widget, 'How many customers do we have?');
    const refusal = await ask(widget, 'What will the weather be tomorrow?');
    for (const width of SHOT_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const answer of [short, refusal]) {
        await answer.locator('button[aria-label="Helpful"]').waitFor({ timeout: 20_000 });
        const boxes = await actionBoxes(answer);
        expect(boxes.map((b) => b.label)).toEqual(['Copy answer', 'Retry', 'Helpful', 'Not helpful']);
        const first = boxes[0] ?? { top: 0, left: 0 };
        for (const b of boxes)
          expect(Math.abs(b.top - first.top), `${b.label} at ${width}px`).toBeLessThan(2);
        // the row starts where the answer starts: no offset second row
        const start = (await answer.boundingBox())?.x ?? 0;
        expect(Math.abs(first.left - start), `first action at ${width}px`).toBeLessThan(12);
      }
    }
    await themedShots(page, 'polish-short-answer-actions', refusal);
  });

  it('"Copy answer" puts the sentence and the table on the clipboard', async () => {
    const { page, context } = alice;
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const widget = chat(page);
    const answer = await ask(widget, 'What are our top 5 products by revenue, as a table?');
    const head = await answer.locator('parley-result-table th').allInnerTexts();
    const firstRow = await answer
      .locator('parley-result-table tbody tr')
      .first()
      .locator('td')
      .allInnerTexts();
    expect(head.length).toBeGreaterThan(1);
    await answer.locator('button[aria-label="Copy answer"]').click();
    await answer.locator('button[aria-label="Copied"]').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const sentence = await textOf(answer.locator('p.text bdi'));
    const lines = copied.split('\n');
    expect(lines[0]).toBe(sentence);
    expect(lines[1]).toBe('');
    expect(lines[2]?.split('\t')).toEqual(head.map((h) => h.trim()));
    expect(lines[3]?.split('\t')).toEqual(firstRow.map((c) => c.trim()));
    await screenshot(page, 'polish-copied', { fullPage: false });
  });

  it('with dir="rtl" a date reads in its own order in a table cell and in the conversation list', async () => {
    const session = await stack.loginAs('alice');
    const { page } = session;
    await page.evaluate(() => document.querySelector('parley-chat')?.setAttribute('dir', 'rtl'));
    const widget = chat(page);
    await waitConnected(widget);
    const answer = await ask(widget, 'show me all orders from last month');
    const cells = answer.locator('parley-result-table tbody td');
    await cells.first().waitFor();
    const texts = await cells.allInnerTexts();
    const index = texts.findIndex((t) => LEADING_DAY.test(t.trim()));
    expect(index, texts.slice(0, 8).join(' | ')).toBeGreaterThanOrEqual(0);
    const cell = cells.nth(index);
    expect(await dayDrawnFirst(cell)).toBe(true);

    // the conversation list's date (the browser's own format), in the same RTL panel
    await widget.getByRole('button', { name: 'Conversations' }).click();
    const date = widget.locator('parley-conversation-list .date').first();
    await date.waitFor();
    const shown = (await textOf(date)).trim();
    if (LEADING_DAY.test(shown)) expect(await dayDrawnFirst(date)).toBe(true);
    await themedShots(page, 'polish-rtl-conversations', date);
    await widget.getByRole('button', { name: 'Conversations' }).click();
    await themedShots(page, 'polish-rtl-dates', cell);
    await session.context.close();
  });

  it('going offline says offline, never "Could not sign in", and reconnects when back online', async () => {
    const session = await stack.loginAs('alice');
    const { page, context } = session;
    const widget = chat(page);
    await waitConnected(widget);
    await context.setOffline(true);
    const status = widget.locator('[part~="status"]');
    await expect.poll(() => textOf(status), { timeout: 10_000 }).toContain('Offline');
    // a few reconnect attempts (each asks for a token and opens a socket) go by
    await page.waitForTimeout(5_000);
    expect(await widget.locator('[part~="banner"]').count()).toBe(0);
    expect(await widget.getByText('Could not sign in').count()).toBe(0);
    await themedShots(page, 'polish-offline', status);
    await context.setOffline(false);
    await widget
      .getByRole('button', { name: 'Reconnect now' })
      .click({ timeout: 5_000 })
      .catch(() => {});
    await waitConnected(widget);
    expect(await widget.locator('[part~="banner"]').count()).toBe(0);
    await session.context.close();
  });

  it('a rate limit counts down live in the answer', async () => {
    // another user: the question limit is per user
    const session = await stack.loginAs('bob');
    const { page } = session;
    const widget = chat(page);
    await waitConnected(widget);
    const countdown = widget.locator('parley-countdown');
    for (let i = 0; i < 12 && (await countdown.count()) === 0; i++)
      await ask(widget, 'How many orders did we have?');
    await countdown.first().waitFor({ timeout: 5_000 });
    const seconds = async () => Number(/(\d+) s/.exec(await textOf(countdown.first()))?.[1] ?? 0);
    const first = await seconds();
    expect(first).toBeGreaterThan(1);
    await expect.poll(seconds, { timeout: 3_000 }).toBeLessThan(first);
    await themedShots(page, 'polish-countdown', countdown.first());
    await session.context.close();
  });
});
