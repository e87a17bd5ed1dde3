// An integrator's first hour in a real browser: open Parley's home page, copy the embed snippet into a page of their
// own on another (allowed) origin, ask, get the answer; and the answer's actions (copy, retry, thumbs) stay on one line
// from 320 px up, with screenshots in test-artifacts/screenshots.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWidgetBundle } from '../../demo/widget-bundle.ts';
import { mintSessionToken } from '../../server/auth/session-token.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.ts';
import {
  ask,
  chat,
  integersIn,
  launchChromium,
  SKIP_REASON,
  screenshot,
  textOf,
  titled,
  waitConnected,
} from './browser.ts';

const ORDERS_LAST_MONTH = `SELECT COUNT(*) AS n FROM orders WHERE organisation_id = 1
  AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`;

/** The integrator's own app: a page holding whatever snippet they pasted, and their backend's token route. */
async function startIntegratorApp(): Promise<{
  url: string;
  setSnippet(s: string): void;
  close(): Promise<void>;
}> {
  let snippet = '';
  const app = express();
  app.get('/', (_req, res) => {
    res
      .type('html')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>My product</title>
<style>body { margin: 0 } main { height: 640px }</style></head>
<body><main>${snippet.replace('<parley-chat ', '<parley-chat id="assistant" ')}</main></body></html>`);
  });
  // the integrator's backend: its logged-in user is 'integrator' of organisation 1
  app.get('/parley/token', (_req, res) => {
    res.json({
      token: mintSessionToken({
        userIdentifier: 'integrator',
        userContext: { organisationId: 1 },
        agentId: 'demo',
        ttl: '10m',
        secret: TEST_SECRET,
      }),
    });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setSnippet: (s) => {
      snippet = s;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(Boolean(SKIP_REASON))(titled("an integrator's first hour in the browser"), () => {
  let parley: TestServer;
  let mine: Awaited<ReturnType<typeof startIntegratorApp>>;
  let browser: Browser;
  let expectedOrders: number;

  beforeAll(async () => {
    await ensureWidgetBundle({ rebuildStale: true });
    mine = await startIntegratorApp();
    parley = await startTestServer({
      // the integrator added their page's origin to the agent's allowedOrigins, as the home page says
      configText: (text) =>
        text.replace(
          'allowedOrigins: [http://localhost:3000, http://127.0.0.1:3000]',
          `allowedOrigins: [http://localhost:3000, http://127.0.0.1:3000, ${mine.url}]`,
        ),
    });
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(parley.databaseUrl.replace('sqlite://', ''), { readonly: true });
    expectedOrders = (db.prepare(ORDERS_LAST_MONTH).get() as { n: number }).n;
    db.close();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await parley?.close();
    await mine?.close();
  });

  it('opens /, copies the snippet into a page on another origin, asks and gets the answer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('response', (r) => {
      // the browser asks every origin for a favicon; neither page has one
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(`${parley.url}/`);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/^Parley \d+\.\d+\.\d+/);
    const snippet = (await page.locator('#snippet').textContent()) ?? '';
    expect(snippet).toContain(`src="${parley.url}/widget/parley-widget.js"`);
    await screenshot(page, 'integrator-home');

    mine.setSnippet(snippet);
    await page.goto(mine.url);
    const widget = chat(page);
    await waitConnected(widget);
    const answer = await ask(widget, 'How many orders did we have last month?');
    await answer.locator('.actions button').first().waitFor({ timeout: 20_000 });
    expect(integersIn(await textOf(answer.locator('p.text')))).toContain(expectedOrders);
    await screenshot(page, 'integrator-own-page-answer');
    // the home page and the pasted snippet run under their policies without an error
    expect(problems.filter((p) => !p.startsWith('Failed to load resource'))).toEqual([]);
    await context.close();
  }, 60_000);

  /** The top and bottom of every visible action button of an answer, copy/retry and the thumbs inside feedback. */
  async function actionBoxes(
    answer: Locator,
  ): Promise<Array<{ label: string; top: number; bottom: number }>> {
    const buttons = answer.locator('.actions button');
    const out: Array<{ label: string; top: number; bottom: number }> = [];
    for (let i = 0; i < (await buttons.count()); i++) {
      const button = buttons.nth(i);
      if (!(await button.isVisible())) continue;
      const box = await button.boundingBox();
      if (!box) continue;
      out.push({
        label: (await button.getAttribute('aria-label')) ?? '',
        top: box.y,
        bottom: box.y + box.height,
      });
    }
    return out;
  }

  for (const width of [320, 420, 1024]) {
    it(`keeps copy, retry and the thumbs on one line at ${width} px, also while a comment is typed`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      mine.setSnippet(
        `<script type="module" src="${parley.url}/widget/parley-widget.js"></script>\n` +
          `<parley-chat server="${parley.url}" agent="demo" token-endpoint="/parley/token"></parley-chat>`,
      );
      await page.goto(mine.url);
      const widget = chat(page);
      await waitConnected(widget);
      const answer = await ask(widget, 'How many orders did we have last month?');
      await answer.locator('button[aria-label="Helpful"]').waitFor({ timeout: 20_000 });

      await answer.scrollIntoViewIfNeeded();
      await screenshot(page, `answer-actions-${width}`, { fullPage: false });
      const boxes = await actionBoxes(answer);
      expect(boxes.map((b) => b.label)).toEqual(['Copy answer', 'Retry', 'Helpful', 'Not helpful']);
      const first = boxes[0];
      for (const b of boxes)
        expect(Math.abs(b.top - (first?.top ?? 0)), `${b.label} at ${width}px`).toBeLessThan(2);

      // a thumb opens the comment form: it goes below, the buttons stay where they were
      await answer.locator('button[aria-label="Not helpful"]').click();
      await answer.locator('textarea').waitFor();
      const after = await actionBoxes(answer);
      const row = after.filter((b) => ['Copy answer', 'Retry', 'Helpful', 'Not helpful'].includes(b.label));
      for (const b of row)
        expect(Math.abs(b.top - (first?.top ?? 0)), `${b.label} at ${width}px`).toBeLessThan(2);
      const textarea = await answer.locator('textarea').boundingBox();
      expect(textarea?.y ?? 0).toBeGreaterThan(Math.max(...row.map((b) => b.bottom)) - 1);
      await screenshot(page, `answer-actions-${width}-comment`, { fullPage: false });
      await context.close();
    }, 60_000);
  }
});
