// Uploading a CSV through the widget in a real browser: the preview, the progress bar (on a throttled connection),
// the file in the user's list, sharing with the organisation (the admin's token permission), and a question about it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  chat,
  datasetsMounted,
  integersIn,
  SKIP_REASON,
  type Stack,
  screenshot,
  startStack,
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
function targetsCsv(): { text: string; total: number; byMonth: Map<string, number> } {
  const lines = ['date,store,region,target_usd'];
  const regions = ['North', 'South', 'East', 'West'];
  let total = 0;
  const byMonth = new Map<string, number>();
  for (let day = 0; day < 365; day += 1) {
    const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
    for (let store = 1; store <= 40; store += 1) {
      const target = 1000 + ((day * 37 + store * 101) % 500);
      total += target;
      byMonth.set(date.slice(0, 7), (byMonth.get(date.slice(0, 7)) ?? 0) + target);
      lines.push(`${date},S${String(store).padStart(3, '0')},${regions[store % 4]},${target}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, total, byMonth };
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
