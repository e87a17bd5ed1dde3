// The end user's widget in a real browser (issue 16): an unfinished month drawn apart and never called the lowest,
// a listing cut at the row cap that says how many matched and downloads them all, the chart tooltip inside the
// widget's shadow root, and readable colours (axe-core and computed styles) with a host's own bubble colour, in
// light and dark. Screenshots at 320, 420 and 1280 px in both themes go to test-artifacts/screenshots.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'csv-parse/sync';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answers,
  ask,
  chat,
  SHOT_THEMES,
  SHOT_WIDTHS,
  SKIP_REASON,
  type Stack,
  screenshot,
  setTheme,
  startStack,
  textOf,
  themedShots,
  titled,
  type UserSession,
  unreachableParts,
  waitConnected,
} from './browser.ts';

const CAP = 40;
const ORDERS_LAST_MONTH = `SELECT COUNT(*) FROM orders WHERE organisation_id = ?
  AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`;
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const shots = (page: Page, name: string, focus?: Locator) => themedShots(page, name, focus);

/** WCAG contrast of two computed colours ("rgb(…)"), in the page. */
function contrastOf(page: Page, fg: string, bg: string): Promise<number> {
  return page.evaluate(
    ([a, b]) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = (c: string) => {
        const [r, g, bl] = rgb(c).map((v) => {
          const s = v / 255;
          return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        }) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
      };
      const [hi, lo] = [lum(a ?? ''), lum(b ?? '')].sort((x, y) => y - x) as [number, number];
      return (hi + 0.05) / (lo + 0.05);
    },
    [fg, bg],
  );
}

describe.skipIf(Boolean(SKIP_REASON))(titled('the end user’s widget (issue 16)'), () => {
  let stack: Stack;
  let alice: UserSession;

  beforeAll(async () => {
    stack = await startStack({ configText: (text) => text.replace('maxRows: 1000', `maxRows: ${CAP}`) });
    alice = await stack.loginAs('alice');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('marks the unfinished month in the chart and never calls it the lowest; the tooltip stays in the widget', async () => {
    const { page } = alice;
    const widget = chat(page);
    await waitConnected(widget);
    const answer = await ask(widget, 'What was our revenue by month this year?');
    const message = await textOf(answer.locator('p.text'));
    expect(message).toContain('Nov 2026 is partial');
    expect(message).not.toMatch(/(lowest|highest) in Nov 2026/);
    const chart = answer.locator('parley-result-chart');
    const svg = chart.locator('svg').first();
    await svg.waitFor({ state: 'visible', timeout: 15_000 });
    // the dashed segment into November, and the note under the chart
    expect(await chart.locator('path[stroke-dasharray]').count()).toBeGreaterThan(0);
    expect(
      await chart
        .locator('.role-title')
        .first()
        .evaluate((g) => g.textContent),
    ).toContain('Nov 2026 is partial');

    // the tooltip: inside the chart's shadow root, never in the page's body
    const points = chart.locator('.mark-symbol path');
    await points.last().hover({ force: true });
    const tip = chart.locator('.chart-tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await tip.evaluate((el) => el.getRootNode() instanceof ShadowRoot)).toBe(true);
    expect(
      await page.evaluate(() => document.body.querySelector('#vg-tooltip-element, .vg-tooltip')),
    ).toBeNull();
    expect(await textOf(tip)).toMatch(/Revenue/);
    // a host page can style every part drawn so far, the tooltip, the account and the chips included
    expect(await unreachableParts(widget)).toEqual([]);
    // themed with the widget: the surface colour in dark mode, whatever the page's own styles
    await setTheme(page, 'dark');
    await points.last().hover({ force: true });
    const [tipBg, surface] = await tip.evaluate((el) => {
      const host = (el.getRootNode() as ShadowRoot).host;
      const probe = document.createElement('span');
      probe.style.color = getComputedStyle(host).getPropertyValue('--parley-color-surface');
      host.shadowRoot?.append(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return [getComputedStyle(el).backgroundColor, colour];
    });
    expect(tipBg).toBe(surface);
    await screenshot(page, 'widget-ux-tooltip-dark', { fullPage: false });
    // the tooltip at every width, light and dark (hovered again after each resize)
    for (const width of SHOT_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const theme of SHOT_THEMES) {
        await setTheme(page, theme);
        await svg.scrollIntoViewIfNeeded();
        await points.last().hover({ force: true });
        await tip.waitFor({ state: 'visible', timeout: 5_000 });
        await screenshot(page, `widget-ux-tooltip-${width}-${theme}`, { fullPage: false });
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await setTheme(page, 'light');
    await shots(page, 'widget-ux-partial-month', answer);
  });

  it('a listing cut at the row cap says how many matched, and downloads them all as <measure>-<period>.csv', async () => {
    const { page } = alice;
    const widget = chat(page);
    const total = stack.sqlValue(ORDERS_LAST_MONTH, 1);
    expect(total).toBeGreaterThan(CAP);
    const answer = await ask(widget, 'show me all orders from last month');
    const shown = total.toLocaleString('en-US');
    expect(await textOf(answer.locator('p.text'))).toContain(`${CAP} of ${shown} orders`);
    const table = answer.locator('parley-result-table');
    expect(await textOf(table.locator('.truncated'))).toContain(`Showing the first ${CAP} of ${shown} rows.`);
    const button = table.getByRole('button', { name: `Download all ${shown} rows (CSV)` });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('orders-october-2026.csv');
    const file = await download.path();
    const records = parse(fs.readFileSync(file), { bom: true }) as string[][];
    expect(records).toHaveLength(total + 1);
    // the rows shown download under a name of their own, never taken for the full file
    const [pageFile] = await Promise.all([
      page.waitForEvent('download'),
      table.getByRole('button', { name: 'Download CSV', exact: true }).click(),
    ]);
    expect(pageFile.suggestedFilename()).toBe(`orders-october-2026-first-${CAP}.csv`);
    await shots(page, 'widget-ux-truncated-listing', answer);
  });

  it('"How was this answered?" reads as words first, the SQL behind a second disclosure', async () => {
    const { page } = alice;
    const widget = chat(page);
    const answer = answers(widget).last();
    const how = answer.locator('details.how');
    await how.locator('summary').first().click();
    expect(await textOf(how.locator('.account'))).toMatch(/Listed\s+Orders,? .*for your organisation only/s);
    expect(await how.locator('details.sql-details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(
      false,
    );
    await how.locator('details.sql-details summary').click();
    expect(await textOf(how.locator('.sql'))).not.toMatch(/`t\d+`/);
    expect(await textOf(how.locator('.bindings'))).toContain('(from your sign-in)');
    await shots(page, 'widget-ux-how-answered', how);
  });

  it('a reload opens the conversation that was open, and only for its own user', async () => {
    const { page } = alice;
    const widget = chat(page);
    const before = await answers(widget).count();
    expect(before).toBeGreaterThan(1);
    const first = await textOf(answers(widget).first().locator('p.text'));
    await page.reload();
    const again = chat(page);
    await waitConnected(again);
    await expect.poll(() => answers(again).count(), { timeout: 10_000 }).toBe(before);
    expect(await textOf(answers(again).first().locator('p.text'))).toBe(first);
    await shots(page, 'widget-ux-reload-restored', answers(again).last());
    // a stored id that is not this user's is refused by the server and forgotten: an empty chat, no error
    const key = await page.evaluate(() => Object.keys(sessionStorage).find((k) => k.startsWith('parley:')));
    expect(key).toBeDefined();
    await page.evaluate(
      (k) => sessionStorage.setItem(k as string, '00000000-0000-4000-8000-000000000000'),
      key,
    );
    await page.reload();
    const fresh = chat(page);
    await waitConnected(fresh);
    await expect.poll(() => page.evaluate((k) => sessionStorage.getItem(k as string), key)).toBeNull();
    expect(await answers(fresh).count()).toBe(0);
  });

  it('refuses a Windows program renamed .csv in plain words, without a preview', async () => {
    const session = await stack.loginAs('alice');
    const { page } = session;
    const widget = chat(page);
    await waitConnected(widget);
    await widget.getByRole('button', { name: 'Upload data' }).click();
    const exe = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]), Buffer.alloc(2048, 0)]);
    await widget
      .locator('input[type="file"]')
      .setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: exe });
    const alert = widget.getByText('This file is a Windows program, not a CSV or JSON file.');
    await alert.waitFor({ timeout: 10_000 });
    expect(await widget.locator('[part~="preview"]').count()).toBe(0);
    expect(await widget.getByRole('button', { name: 'Upload', exact: true }).count()).toBe(0);
    await shots(page, 'widget-ux-binary-upload-refused', alert);
    await session.context.close();
  });

  for (const [theme, bubble] of [
    ['dark', '#e7f0fb'],
    ['light', '#0b3d91'],
  ] as const) {
    it(`keeps every text readable with the host's bubble colour ${bubble} in ${theme} (axe-core and computed styles)`, async () => {
      const session = await stack.loginAs('alice');
      const { page } = session;
      await page.addStyleTag({ content: `parley-chat { --parley-color-user-bg: ${bubble}; }` });
      const widget = chat(page);
      await waitConnected(widget);
      await setTheme(page, theme);
      await ask(widget, 'How many orders did we have last month?');
      const user = widget.locator('p.user').last();
      const [fg, bg] = await user.evaluate((el) => [
        getComputedStyle(el).color,
        getComputedStyle(el).backgroundColor,
      ]);
      expect(await contrastOf(page, fg, bg)).toBeGreaterThanOrEqual(4.5);

      // the focus ring against the panel, reached with the keyboard
      const input = widget.locator('textarea[part~="input"]');
      await input.focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      const ring = await input.evaluate((el) => {
        const panelBg = getComputedStyle((el.getRootNode() as ShadowRoot).host).getPropertyValue(
          '--parley-color-bg',
        );
        const probe = document.createElement('span');
        probe.style.color = panelBg;
        el.parentElement?.append(probe);
        const background = getComputedStyle(probe).color;
        probe.remove();
        return {
          outline: getComputedStyle(el).outlineColor,
          style: getComputedStyle(el).outlineStyle,
          background,
        };
      });
      if (ring.style !== 'none')
        expect(await contrastOf(page, ring.outline, ring.background)).toBeGreaterThanOrEqual(3);

      await page.evaluate(AXE_SOURCE);
      const { violations, checked, incomplete } = await page.evaluate(async () => {
        type Rule = { id: string; nodes: Array<{ target: unknown; failureSummary: string }> };
        const axe = (
          window as unknown as { axe: { run: (...a: unknown[]) => Promise<Record<string, Rule[]>> } }
        ).axe;
        const result = await axe.run(
          { include: [['parley-chat']] },
          { runOnly: { type: 'rule', values: ['color-contrast'] } },
        );
        const targets = (rules: Rule[] | undefined) =>
          (rules ?? []).flatMap((r) => r.nodes.map((n) => JSON.stringify(n.target)));
        return {
          violations: result.violations ?? [],
          checked: targets(result.passes),
          incomplete: targets(result.incomplete),
        };
      });
      // axe reached into the shadow roots: the user's question (and the answer, the composer) were checked
      expect(checked.some((t) => t.includes('.user'))).toBe(true);
      expect(incomplete.filter((t) => t.includes('.user'))).toEqual([]);
      expect(
        violations.flatMap((v) => v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`)),
      ).toEqual([]);
      await shots(page, `widget-ux-host-bubble-${theme}`, user);
      await session.context.close();
    });
  }
});
