// A question with two readings in a real browser: the widget shows the clarification's message and one button per
// reading, reachable and usable from the keyboard; choosing one asks its question in the same conversation and the
// answer has the figure the database gives for that reading.

import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAmbiguousSales } from '../support/config-text.ts';
import {
  answers,
  ask,
  chat,
  integersIn,
  SKIP_REASON,
  type Stack,
  screenshot,
  startStack,
  textOf,
  titled,
  waitConnected,
} from './browser.ts';

const AMBIGUOUS = 'What were our sales last month?';
// PARLEY_NOW is 2026-11-25T12:00:00Z: "last month" is October 2026
const PRODUCT_REVENUE_LAST_MONTH = `SELECT ROUND(SUM(i.quantity * i.unit_price), 2) FROM order_items i
  JOIN orders o ON o.id = i.order_id WHERE i.organisation_id = ? AND o.status = 'completed'
  AND o.created_at >= '2026-10-01 00:00:00' AND o.created_at < '2026-11-01 00:00:00'`;

/** whether the element has the focus inside its shadow root */
const focused = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    let active: Element | null = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return active?.matches(sel) ? (active.textContent ?? '').trim() : null;
  }, selector);

describe.skipIf(Boolean(SKIP_REASON))(titled('clarification in the browser'), () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ configText: withAmbiguousSales });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('shows the readings as buttons; choosing one by keyboard answers it in the same conversation', async () => {
    const { page, console: log } = await stack.loginAs('alice');
    const widget = chat(page);
    await waitConnected(widget);

    const clarification = await ask(widget, AMBIGUOUS);
    expect(await clarification.getAttribute('class')).toContain('clarification');
    expect(await textOf(clarification.locator('p.text'))).toContain('Which did you mean?');
    const group = clarification.getByRole('group', { name: 'Possible meanings' });
    const buttons = group.getByRole('button');
    await expect.poll(() => buttons.count()).toBe(2);
    const labels = (await buttons.allTextContents()).map((t) => t.trim());
    expect(labels).toEqual([
      expect.stringMatching(/^revenue \(/),
      expect.stringMatching(/^product revenue \(/),
    ]);
    const conversationId = await widget.evaluate(
      (el) => (el as HTMLElement & { conversationId: string }).conversationId,
    );
    expect(conversationId).toEqual(expect.any(String));

    // themed through --parley-* variables set by the host page, like the suggestion and starter chips
    await widget.evaluate((el) =>
      (el as HTMLElement).style.setProperty('--parley-color-accent', 'rgb(200, 0, 100)'),
    );
    const themed = await buttons.first().evaluate((b) => {
      const style = getComputedStyle(b);
      return { border: style.borderTopColor, color: style.color };
    });
    expect(themed).toEqual({ border: 'rgb(200, 0, 100)', color: 'rgb(200, 0, 100)' });
    await widget.evaluate((el) => (el as HTMLElement).style.removeProperty('--parley-color-accent'));

    const axe = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await screenshot(page, 'clarification-choices');

    // keyboard: the first reading, Tab to the second, Enter chooses it
    await buttons.first().focus();
    expect(await focused(page, 'button[part~="choice"]')).toBe(labels[0]);
    await page.keyboard.press('Tab');
    expect(await focused(page, 'button[part~="choice"]')).toBe(labels[1]);
    await page.keyboard.press('Enter');

    const answer = answers(widget).nth(1);
    await answer.waitFor({ timeout: 20_000 });
    const questions = widget.locator('p[part~="user-message"]');
    expect(await textOf(questions.nth(1))).toMatch(/product revenue last month/);
    const text = (await textOf(answer.locator('p.text'))).trim();
    expect(await answer.getAttribute('class')).not.toContain('clarification');
    const expected = stack.sqlValue(PRODUCT_REVENUE_LAST_MONTH, 1);
    expect(expected).toBeGreaterThan(0);
    expect(integersIn(text).some((n) => Math.abs(n - expected) < 1)).toBe(true);
    expect(
      await widget.evaluate((el) => (el as HTMLElement & { conversationId: string }).conversationId),
    ).toBe(conversationId);
    await screenshot(page, 'clarification-answered');
    expect(log.filter((l) => l.startsWith('pageerror') || l.startsWith('error'))).toEqual([]);
  });
});
