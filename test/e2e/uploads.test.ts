// Uploading a CSV through the widget in a real browser: the preview, the progress bar (on a throttled connection),
// the file in the user's list, sharing with the organisation (the admin's token permission), and a question about it;
// in a short panel (320x480) the percentage and the stop control stay in view, and the questions the widget suggests
// after an upload are answered from the file.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contrast, MIN_TEXT_CONTRAST, parseRgb, type Rgb } from '../../widget/theme/contrast.ts';
import {
  answers,
  ask,
  chat,
  datasetsMounted,
  integersIn,
  SKIP_REASON,
  type Stack,
  screenshot,
  setTheme,
  startStack,
  textOf,
  themedShots,
  titled,
  type UserSession,
  waitConnected,
} from './browser.ts';

const MOUNTED = datasetsMounted();
const REASON =
  SKIP_REASON || (MOUNTED ? '' : 'skipped: the widget API does not mount the datasets routes yet');

/**
 * Daily sales targets of 40 stores for 2026 (~420 KB): big enough that, on a throttled connection, the browser
 * reports the upload's progress in steps (a few KB would sit in the socket buffer at once: 0% then 100%).
 */
function targetsCsv(): {
  text: string;
  total: number;
  byMonth: Map<string, number>;
  byStore: Map<string, number>;
} {
  const lines = ['date,store,region,target_usd'];
  const regions = ['North', 'South', 'East', 'West'];
  let total = 0;
  const byMonth = new Map<string, number>();
  const byStore = new Map<string, number>();
  for (let day = 0; day < 365; day += 1) {
    const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
    for (let store = 1; store <= 40; store += 1) {
      const target = 1000 + ((day * 37 + store * 101) % 500);
      total += target;
      byMonth.set(date.slice(0, 7), (byMonth.get(date.slice(0, 7)) ?? 0) + target);
      const name = `S${String(store).padStart(3, '0')}`;
      byStore.set(name, (byStore.get(name) ?? 0) + target);
      lines.push(`${date},S${String(store).padStart(3, '0')},${regions[store % 4]},${target}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, total, byMonth, byStore };
}

describe.skipIf(Boolean(REASON))(
  REASON ? `uploads in the browser (${REASON})` : titled('uploads in the browser'),
  () => {
    let stack: Stack;
    let ada: UserSession;
    const csv = targetsCsv();

    beforeAll(async () => {
      stack = await startStack();
      ada = await stack.loginAs('ada');
    }, 120_000);

    afterAll(async () => {
      await stack?.close();
    });

    it('uploads a CSV with a progress bar and shares it with the organisation', async () => {
      const { page, context } = ada;
      const widget = chat(page);
      await waitConnected(widget);
      await widget.getByRole('button', { name: 'Upload data' }).click();
      await widget.locator('input[type="file"]').setInputFiles({
        name: 'sales_targets.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv.text),
      });
      await widget.getByText('Preview of sales_targets.csv').first().waitFor();
      expect(await widget.locator('[part~="preview"] tbody tr').count()).toBeGreaterThan(0);
      // the organisation admin may share the file with everyone in Acme Corp
      await widget.getByRole('radio', { name: 'Everyone in my organisation' }).check();
      await screenshot(page, 'upload-preview');

      // ~160 KB/s up: the upload takes a few seconds, so its progress shows
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 160 * 1024,
      });
      const seen = new Set<number>();
      const progress = widget.locator('progress[part~="progress"]');
      await widget.getByRole('button', { name: 'Upload', exact: true }).click();
      await progress.waitFor({ timeout: 10_000 });
      const watch = (async () => {
        for (let i = 0; i < 100 && (await progress.count()) > 0; i += 1) {
          const value = await progress.getAttribute('value', { timeout: 100 }).catch(() => null);
          if (value !== null) seen.add(Number(value));
          if (i === 3) await screenshot(page, 'upload-progress').catch(() => {});
          await page.waitForTimeout(100);
        }
      })();
      await widget.getByText('Uploaded sales_targets.csv.').waitFor({ timeout: 30_000 });
      await watch;
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
      await widget.getByText('sales_targets.csv').first().waitFor();
      await screenshot(page, 'upload-done');

      // another user of Acme Corp sees the shared file; a Globex user does not
      const alice = await stack.loginAs('alice');
      const aliceWidget = chat(alice.page);
      await waitConnected(aliceWidget);
      await aliceWidget.getByRole('button', { name: 'Upload data' }).click();
      await aliceWidget.getByText('sales_targets.csv').first().waitFor({ timeout: 10_000 });
      const bob = await stack.loginAs('bob');
      const bobWidget = chat(bob.page);
      await waitConnected(bobWidget);
      await bobWidget.getByRole('button', { name: 'Upload data' }).click();
      await bobWidget.getByText('My files').waitFor();
      await bob.page.waitForTimeout(500);
      expect(await bobWidget.getByText('sales_targets.csv').count()).toBe(0);
    });

    it('in a short panel keeps the percentage and Stop in view, then suggests questions the file answers', async () => {
      const session = await stack.loginAs('ada', { viewport: { width: 320, height: 480 } });
      const { page, context } = session;
      await page.goto(`${stack.host.url}/app/floating`);
      const widget = chat(page);
      await widget.getByRole('button', { name: 'Open chat' }).click();
      await waitConnected(widget);
      await widget.getByRole('button', { name: 'Upload data' }).click();
      await widget.locator('input[type="file"]').setInputFiles({
        name: 'store_targets.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv.text),
      });
      await widget.getByText('Preview of store_targets.csv').first().waitFor();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 160 * 1024,
      });
      await widget.getByRole('button', { name: 'Upload', exact: true }).click();
      const stop = widget.getByRole('button', { name: 'Stop upload' });
      await stop.waitFor({ timeout: 10_000 });
      // inside the window and inside the files panel's scroll box: reachable without scrolling
      const placement = await stop.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const box = ((el.getRootNode() as ShadowRoot).host as HTMLElement).getBoundingClientRect();
        return {
          inWindow:
            r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth,
          inPanel: r.top >= box.top && r.bottom <= box.bottom,
        };
      });
      expect(placement).toEqual({ inWindow: true, inPanel: true });
      const percent = widget.locator('.percent');
      expect(await textOf(percent)).toMatch(/^\d{1,3}%$/);
      await screenshot(page, 'upload-short-panel-progress', { fullPage: false });
      await widget.getByText('Uploaded store_targets.csv.').waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });

      const chips = widget.locator('.suggestions button');
      expect(await chips.allInnerTexts()).toEqual([
        'What is the total target usd by month in my store targets file?',
        'What is the total target usd by store in my store targets file?',
      ]);
      expect(await widget.getByRole('button', { name: 'Back to the chat' }).isVisible()).toBe(true);
      // the host's brand colour (#8a4b16 on this page) stays readable in dark mode: the text on the button is
      // derived from it, and the link falls back to a readable colour on the dark panel
      await setTheme(page, 'dark');
      const colours = (locator: Locator) =>
        locator.evaluate((el) => {
          const host = (el.getRootNode() as ShadowRoot).host;
          const style = getComputedStyle(el);
          const panel = getComputedStyle(host).getPropertyValue('--parley-color-bg');
          const probe = document.createElement('span');
          probe.style.color = panel;
          el.parentElement?.append(probe);
          const panelBg = getComputedStyle(probe).color;
          probe.remove();
          return { fg: style.color, bg: style.backgroundColor, panelBg };
        });
      const button = await colours(widget.getByRole('button', { name: 'Back to the chat' }));
      const link = await colours(widget.getByRole('button', { name: 'choose a file' }));
      const rgb = (c: string) => parseRgb(c) as Rgb;
      expect(contrast(rgb(button.fg), rgb(button.bg))).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(contrast(rgb(link.fg), rgb(link.panelBg))).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      await setTheme(page, 'light');
      await themedShots(page, 'upload-short-panel-suggestions', chips.first(), 480);
      await page.setViewportSize({ width: 320, height: 480 });
      // each suggestion, asked in the chat, is answered with the file's own figures
      const byStore = new Set(csv.byStore.values());
      for (const [i, figures] of [
        [0, new Set(csv.byMonth.values())],
        [1, byStore],
      ] as const) {
        if (i > 0) {
          await widget.getByRole('button', { name: 'Upload data' }).click();
          await widget.locator('input[type="file"]').setInputFiles({
            name: 'store_targets.csv',
            mimeType: 'text/csv',
            buffer: Buffer.from(csv.text),
          });
          await widget.getByRole('button', { name: 'Upload', exact: true }).click();
          await widget.getByText('Uploaded store_targets.csv.').waitFor({ timeout: 30_000 });
        }
        await widget.locator('.suggestions button').nth(i).click();
        // the chat was empty: the i-th suggestion asked is the i-th answer
        const answer = answers(widget).nth(i);
        await answer.waitFor({ timeout: 20_000 });
        expect(await answer.getAttribute('class')).not.toMatch(/failed|error|refus/);
        const text = (await answer.locator('p.text, td').allInnerTexts()).join(' | ');
        expect(
          integersIn(text).some((n) => figures.has(n)),
          text,
        ).toBe(true);
      }
      await screenshot(page, 'upload-short-panel-answer', { fullPage: false });

      // the way back to the chat after an upload
      await widget.getByRole('button', { name: 'Upload data' }).click();
      await widget.locator('input[type="file"]').setInputFiles({
        name: 'store_targets.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv.text),
      });
      await widget.getByRole('button', { name: 'Upload', exact: true }).click();
      await widget.getByRole('button', { name: 'Back to the chat' }).click();
      await widget.locator('textarea[part~="input"]').waitFor();
      expect(await widget.getByRole('button', { name: 'Upload data' }).getAttribute('aria-pressed')).toBe(
        'false',
      );
      await context.close();
    });

    it('answers a question about the uploaded file', async () => {
      const { page } = ada;
      const widget = chat(page);
      // back from the files panel to the chat
      const toggle = widget.getByRole('button', { name: 'Upload data' });
      if ((await toggle.getAttribute('aria-pressed')) === 'true') await toggle.click();
      const answer = await ask(widget, 'What is the total target usd in my sales targets file?');
      expect(await answer.getAttribute('class')).not.toMatch(/failed|error/);
      // a figure that only the file holds: its total, or a month's total
      const figures = new Set([csv.total, ...csv.byMonth.values()]);
      // (the table lives in the result element's shadow root: innerText of the answer does not reach it)
      const text = (await answer.locator('p.text, td').allInnerTexts()).join(' | ');
      expect(
        integersIn(text).some((n) => figures.has(n)),
        text,
      ).toBe(true);
      await screenshot(page, 'upload-question');
    });
  },
);
