// Asking through the real widget in a real browser: each organisation gets its own numbers, a breakdown draws a chart
// with a table behind it, an answer can be stopped, and the conversation is there again after a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.ts';
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
  type UserSession,
  waitConnected,
} from './browser.ts';

// PARLEY_NOW is 2026-11-25T12:00:00Z: "last month" is October 2026
const ORDERS_LAST_MONTH = `SELECT COUNT(*) FROM orders WHERE organisation_id = ?
  AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`;
const REVENUE_BY_MONTH = `SELECT substr(created_at, 1, 7) AS month, ROUND(SUM(total_amount), 2) AS revenue FROM orders
  WHERE organisation_id = ? AND status = 'completed' AND created_at >= '2026-01-01 00:00:00'
  GROUP BY month ORDER BY month`;

describe.skipIf(Boolean(SKIP_REASON))(titled('chat in the browser'), () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let alice: UserSession;
  let ivy: UserSession;

  beforeAll(async () => {
    // acme-sales plans with a (fake) model that takes its time: a question to it can be stopped for sure
    fake = await startFakeOpenAI(() => ({
      delayMs: 30_000,
      status: 500,
      body: '{"error":{"message":"slow"}}',
    }));
    stack = await startStack({
      configText: (text) =>
        text.replace(
          /\n {2}- id: acme-sales\n/,
          `\n  - id: acme-sales\n    llm: { baseUrl: ${fake.url}, model: fake-model, timeoutMs: 60000 }\n`,
        ),
    });
    [alice, ivy] = await Promise.all([stack.loginAs('alice'), stack.loginAs('ivy')]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('answers users of two organisations, each with their own organisation’s numbers (Enter sends)', async () => {
    const expected = {
      acme: stack.sqlValue(ORDERS_LAST_MONTH, 1),
      initech: stack.sqlValue(ORDERS_LAST_MONTH, 3),
    };
    expect(expected.acme).toBeGreaterThan(expected.initech);

    const [acme, initech] = await Promise.all(
      [alice, ivy].map(async ({ page }) => {
        const widget = chat(page);
        await waitConnected(widget);
        const answer = await ask(widget, 'How many orders did we have last month?');
        return (await textOf(answer.locator('p.text'))).trim();
      }),
    );
    expect(integersIn(acme ?? '')).toContain(expected.acme);
    expect(integersIn(initech ?? '')).toContain(expected.initech);
    expect(acme).toMatch(/October 2026/);
    await screenshot(alice.page, 'chat-acme-orders-last-month');
    await screenshot(ivy.page, 'chat-initech-orders-last-month');
  });

  it('draws a breakdown as a chart, with the same numbers in its table', async () => {
    const widget = chat(alice.page);
    const answer = await ask(widget, 'What was our revenue by month this year?');
    const graphic = answer.locator('parley-result-chart').locator('svg, canvas').first();
    await graphic.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await graphic.evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(200);
    await screenshot(alice.page, 'chat-revenue-chart');

    await answer.getByRole('button', { name: 'Show table' }).click();
    const rows = answer.locator('parley-result-table tbody tr');
    const months = stack.sqlValue(`SELECT COUNT(*) FROM (${REVENUE_BY_MONTH})`, 1);
    expect(months).toBe(11);
    await expect.poll(() => rows.count()).toBe(months);
    const january = await textOf(rows.first());
    expect(january).toMatch(/Jan/);
    const db = stack.sqlValue(`SELECT revenue FROM (${REVENUE_BY_MONTH}) LIMIT 1`, 1);
    expect(integersIn(january)).toContain(db);
    await screenshot(alice.page, 'chat-revenue-table');
  });

  it('stops an answer that is still being made', async () => {
    const { page } = alice;
    await page.goto(`${stack.host.url}/app/patterns`);
    const widget = chat(page, 'assistant-acme-sales');
    await waitConnected(widget);
    const input = widget.locator('textarea[part~="input"]');
    await input.fill('What was our revenue by month this year?');
    await input.press('Enter');

    const stop = widget.getByRole('button', { name: 'Stop' });
    await stop.waitFor({ timeout: 10_000 });
    await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBe(1);
    await widget.locator('[part~="progress"] [aria-current="step"]').waitFor();
    await screenshot(page, 'chat-answer-in-progress');
    await stop.click();

    const stopped = answers(widget).last();
    await stopped.waitFor({ timeout: 10_000 });
    expect(await stopped.getAttribute('class')).toContain('cancelled');
    expect(await textOf(stopped)).toContain('Stopped.');
    await expect(widget.getByRole('button', { name: 'Stop' }).count()).resolves.toBe(0);
    await screenshot(page, 'chat-answer-stopped');

    // the server recorded it as stopped: it is there, stopped, after a reload
    await page.reload();
    const again = chat(page, 'assistant-acme-sales');
    await waitConnected(again);
    await again.getByRole('button', { name: 'Conversations', exact: true }).click();
    await again.getByRole('button', { name: /^What was our revenue by month this year\?/ }).click();
    const recorded = answers(again).last();
    await recorded.waitFor();
    expect(await recorded.getAttribute('class')).toContain('cancelled');
    expect(fake.requests.length).toBe(1);
  });

  it('finds the conversation again after a reload', async () => {
    const { page } = alice;
    await page.goto(`${stack.host.url}/app`);
    const widget = chat(page);
    await waitConnected(widget);
    // the conversation that was open is open again (issue 16), and it is also in the list
    await expect.poll(() => answers(widget).count()).toBe(2);
    await widget.getByRole('button', { name: 'Conversations', exact: true }).click();
    const item = widget.getByRole('button', { name: /^How many orders did we have last month\?/ });
    await item.waitFor({ timeout: 10_000 });
    await screenshot(page, 'chat-conversation-list');
    await item.click();
    await expect.poll(() => answers(widget).count()).toBe(2);
    const restored = await textOf(answers(widget).first().locator('p.text'));
    expect(integersIn(restored)).toContain(stack.sqlValue(ORDERS_LAST_MONTH, 1));
    await widget.locator('parley-result-chart').locator('svg, canvas').first().waitFor({ state: 'visible' });
    await screenshot(page, 'chat-conversation-restored');

    // Initech's user sees only her own conversation
    await ivy.page.reload();
    const other = chat(ivy.page);
    await waitConnected(other);
    await other.getByRole('button', { name: 'Conversations', exact: true }).click();
    await other.getByRole('button', { name: /^How many orders did we have last month\?/ }).waitFor();
    await expect(other.getByRole('button', { name: /^What was our revenue by month/ }).count()).resolves.toBe(
      0,
    );
  });
});
