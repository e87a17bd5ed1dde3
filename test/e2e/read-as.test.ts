// "Read as" in a real browser: the chips under an answer show the reading taken; a chip with other readings opens a
// menu inside the widget; choosing one by keyboard asks that reading in the same conversation, and the answer has
// the figure the database gives for it. Words the planner did not use are shown flagged.

import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answers,
  ask,
  chat,
  integersIn,
  SHOT_THEMES,
  SKIP_REASON,
  type Stack,
  screenshot,
  setTheme,
  startStack,
  textOf,
  themedShots,
  titled,
  unreachableParts,
  waitConnected,
} from './browser.ts';

// PARLEY_NOW is 2026-11-25T12:00:00Z: "the previous month" is October 2026
const ACCOUNTS = 'count the accounts from the previous month';
const ACCOUNTS_WITH_ORDERS_IN_OCTOBER = `SELECT COUNT(*) FROM users u WHERE u.organisation_id = ?
  AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.organisation_id = u.organisation_id
    AND o.created_at >= '2026-10-01 00:00:00' AND o.created_at < '2026-11-01 00:00:00')`;
const ACCOUNTS_CREATED_IN_OCTOBER = `SELECT COUNT(*) FROM users WHERE organisation_id = ?
  AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`;

describe.skipIf(Boolean(SKIP_REASON))(titled('"Read as" chips in the browser'), () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('a chip offers the other reading; choosing it by keyboard answers that reading', async () => {
    const { page, console: log } = await stack.loginAs('alice');
    const widget = chat(page);
    await waitConnected(widget);

    const first = await ask(widget, ACCOUNTS);
    const created = stack.sqlValue(ACCOUNTS_CREATED_IN_OCTOBER, 1);
    const ordering = stack.sqlValue(ACCOUNTS_WITH_ORDERS_IN_OCTOBER, 1);
    expect(created).not.toBe(ordering);
    expect(integersIn(await textOf(first.locator('p.text')))).toContain(created);

    const chips = first.locator('[part~="read-as-chip"]');
    await expect.poll(() => chips.count()).toBeGreaterThan(0);
    const period = first.getByRole('button', { name: /Last month/i });
    expect(await period.getAttribute('aria-expanded')).toBe('false');
    expect(await period.getAttribute('aria-haspopup')).toBe('menu');
    expect(await first.locator('[part~="read-as-unused"]').count()).toBe(0);

    // keyboard: focus the chip, Enter opens its menu with the focus on the first reading, Enter asks it
    await period.focus();
    await page.keyboard.press('Enter');
    expect(await period.getAttribute('aria-expanded')).toBe('true');
    const menu = first.getByRole('menu');
    const items = menu.getByRole('menuitem');
    expect((await items.allTextContents()).map((t) => t.trim())).toEqual([
      'Dated by when the order was placed',
    ]);
    const axe = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await themedShots(page, 'read-as-menu', menu);
    // a host page can style every part of the chips and their open menu
    expect(await unreachableParts(widget)).toEqual([]);
    expect(await period.getAttribute('aria-expanded')).toBe('true');
    // Escape closes it and gives the focus back to the chip; Enter opens it again
    await page.keyboard.press('Escape');
    expect(await period.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');

    const second = answers(widget).nth(1);
    await second.waitFor({ timeout: 20_000 });
    const questions = widget.locator('p[part~="user-message"]');
    expect(await textOf(questions.nth(1))).toMatch(/count the accounts with orders from the previous month$/);
    expect(integersIn(await textOf(second.locator('p.text')))).toContain(ordering);
    await screenshot(page, 'read-as-answered');
    expect(log.filter((l) => l.startsWith('pageerror') || l.startsWith('error'))).toEqual([]);
  });

  it('shows the words the planner did not use, flagged, and stays readable at 320 px in light and dark (screenshots at 320, 420, 1280)', async () => {
    const { page } = await stack.loginAs('alice', { viewport: { width: 320, height: 640 } });
    const widget = chat(page);
    await waitConnected(widget);
    const answer = await ask(widget, 'takings from young customers over the past 30 days');
    const unused = answer.locator('[part~="read-as-unused"]');
    await unused.waitFor();
    expect((await textOf(unused)).trim()).toBe('Not used: young');
    const box = await unused.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(320);
    const measure = answer.getByRole('button', { name: /^Revenue/ });
    await measure.click();
    expect(await answer.getByRole('menuitem').allTextContents()).toEqual([
      expect.stringContaining('Product revenue'),
    ]);
    for (const theme of SHOT_THEMES) {
      await setTheme(page, theme);
      const axe = await new AxeBuilder({ page })
        .include('parley-chat')
        .withTags(['wcag2a', 'wcag2aa'])
        .analyze();
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    }
    await themedShots(page, 'read-as-unused', unused, 640);
  });
});
