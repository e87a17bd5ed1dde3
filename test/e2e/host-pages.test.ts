// The demo host app's pages in a real browser: accessibility (axe-core), the floating launcher and its keyboard, the
// strict-CSP page, the connection patterns with their own agents, and the host's hostile styles kept out.
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONAS } from '../../demo/personas.ts';
import {
  answers,
  ask,
  chat,
  integersIn,
  ROOT,
  SKIP_REASON,
  type Stack,
  screenshot,
  startStack,
  textOf,
  titled,
  waitConnected,
} from './browser.ts';

const ORDERS_LAST_MONTH = `SELECT COUNT(*) FROM orders WHERE organisation_id = ?
  AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`;

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

const axeReport: Record<string, AxeViolation[]> = {};

async function axe(page: Page, name: string): Promise<AxeViolation[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const violations = result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  }));
  axeReport[name] = violations;
  return violations;
}

const serious = (violations: AxeViolation[]) =>
  violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

describe.skipIf(Boolean(SKIP_REASON))(titled('demo host pages in the browser'), () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);

  afterAll(async () => {
    if (Object.keys(axeReport).length > 0) {
      const file = path.join(ROOT, 'test-artifacts', 'axe-report.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(axeReport, null, 2)}\n`);
    }
    await stack?.close();
  });

  it('logs in from a page listing users of every organisation', async () => {
    const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.host.url}/app/floating`);
      expect(new URL(page.url()).pathname).toBe('/login');
      for (const p of PERSONAS) await page.getByRole('button', { name: new RegExp(p.name) }).waitFor();
      expect(serious(await axe(page, 'login'))).toEqual([]);
      await screenshot(page, 'host-login');
      await page.getByRole('button', { name: /Ada Okafor/ }).click();
      await page.waitForURL(`${stack.host.url}/app/floating`);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${stack.host.url}/login`);
    } finally {
      await context.close();
    }
  });

  it('has no serious accessibility violations on the inline page, with an answer shown', async () => {
    const { page } = await stack.loginAs('alice');
    const widget = chat(page);
    await waitConnected(widget);
    await ask(widget, 'What was our revenue by month this year?');
    await widget.locator('parley-result-chart').locator('svg, canvas').first().waitFor({ state: 'visible' });
    const violations = await axe(page, 'inline');
    expect(serious(violations)).toEqual([]);
  });

  it('opens the floating launcher, answers, closes with Esc and gives focus back', async () => {
    const { page } = await stack.loginAs('ivy');
    await page.goto(`${stack.host.url}/app/floating`);
    const widget = chat(page);
    const launcher = widget.getByRole('button', { name: 'Open chat' });
    await launcher.waitFor();
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    expect(await widget.getByRole('dialog').count()).toBe(0);
    expect(serious(await axe(page, 'floating-closed'))).toEqual([]);
    await screenshot(page, 'host-floating-closed', { fullPage: false });

    await launcher.click();
    const panel = widget.getByRole('dialog');
    await panel.waitFor({ state: 'visible' });
    await waitConnected(widget);
    // the panel takes focus in its question box: typing and Enter send right away
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.tagName.toLowerCase()))
      .toBe('parley-chat');
    const answer = await ask(widget, 'How many orders did we have last month?');
    expect(integersIn(await textOf(answer.locator('p.text')))).toContain(
      stack.sqlValue(ORDERS_LAST_MONTH, 3),
    );
    expect(serious(await axe(page, 'floating-open'))).toEqual([]);
    await screenshot(page, 'host-floating-open', { fullPage: false });

    await widget.locator('textarea[part~="input"]').press('Escape');
    await panel.waitFor({ state: 'hidden' });
    const closeLauncher = widget.getByRole('button', { name: 'Open chat' });
    expect(await closeLauncher.getAttribute('aria-expanded')).toBe('false');
    await expect
      .poll(() =>
        page.evaluate(() =>
          document.querySelector('parley-chat')?.shadowRoot?.activeElement?.getAttribute('part'),
        ),
      )
      .toBe('launcher');
  });

  it('works on a page with a strict CSP (no unsafe-inline, no unsafe-eval) without a single violation', async () => {
    const { page } = await stack.loginAs('alice');
    const cspConsole: string[] = [];
    page.on('console', (m) => {
      if (/content security policy|refused to/i.test(m.text())) cspConsole.push(m.text());
    });
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __csp: string[] }).__csp = seen;
      document.addEventListener(
        'securitypolicyviolation',
        (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`),
        true,
      );
    });
    const response = await page.goto(`${stack.host.url}/app/csp`);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain(`script-src 'self' ${stack.bff.url}`);
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);

    const widget = chat(page);
    await waitConnected(widget);
    const count = await ask(widget, 'How many orders did we have last month?');
    expect(integersIn(await textOf(count.locator('p.text')))).toContain(stack.sqlValue(ORDERS_LAST_MONTH, 1));
    const chart = await ask(widget, 'What was our revenue by month this year?');
    await chart.locator('parley-result-chart').locator('svg, canvas').first().waitFor({ state: 'visible' });
    await page.waitForTimeout(300);
    await screenshot(page, 'host-strict-csp');

    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
    expect(cspConsole).toEqual([]);
    expect(await page.locator('#csp-status').getAttribute('data-violations')).toBe('0');
  });

  it('serves each connection pattern with its own agent: a linked customer agent and a dedicated database', async () => {
    const bob = await stack.loginAs('bob');
    await bob.page.goto(`${stack.host.url}/app/patterns`);
    const support = chat(bob.page, 'assistant-globex-support');
    await waitConnected(support);
    const signups = await ask(support, 'How many accounts signed up last month?');
    const countries = PERSONAS.find((p) => p.id === 'bob')?.countries ?? [];
    const expected = stack.sqlValue(
      `SELECT COUNT(*) FROM users WHERE organisation_id = 2 AND country IN (${countries.map(() => '?').join(', ')})
        AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`,
      ...countries,
    );
    expect(integersIn(await textOf(signups.locator('p.text')))).toContain(expected);
    await screenshot(bob.page, 'host-patterns-globex');

    const ivy = await stack.loginAs('ivy');
    await ivy.page.goto(`${stack.host.url}/app/patterns`);
    const dedicated = chat(ivy.page, 'assistant-initech');
    await waitConnected(dedicated);
    const orders = await ask(dedicated, 'How many orders did we have last month?');
    expect(integersIn(await textOf(orders.locator('p.text')))).toContain(
      stack.sqlValue(ORDERS_LAST_MONTH, 3),
    );
    const shared = chat(ivy.page, 'assistant-demo');
    await waitConnected(shared);
    const same = await ask(shared, 'How many orders did we have last month?');
    expect(integersIn(await textOf(same.locator('p.text')))).toContain(stack.sqlValue(ORDERS_LAST_MONTH, 3));
    expect(await ivy.page.locator('parley-chat').count()).toBe(2);
    expect(serious(await axe(ivy.page, 'patterns'))).toEqual([]);
    await screenshot(ivy.page, 'host-patterns-initech');
  });

  it('keeps the host page’s hostile global styles out of the widget', async () => {
    const { page } = await stack.loginAs('alice');
    const widget = chat(page);
    await waitConnected(widget);
    await answers(widget).count();
    const styles = await page.evaluate(() => {
      const root = document.querySelector('parley-chat')?.shadowRoot;
      const panel = root?.querySelector('.panel');
      const input = root?.querySelector('parley-composer')?.shadowRoot?.querySelector('textarea');
      if (!panel || !input) throw new Error('the widget did not render');
      const p = getComputedStyle(panel);
      const i = getComputedStyle(input);
      return {
        font: p.fontFamily,
        letterSpacing: p.letterSpacing,
        boxSizing: p.boxSizing,
        inputBorder: i.borderStyle,
        inputBackground: i.backgroundColor,
      };
    });
    expect(styles.inputBorder).not.toBe('dashed');
    expect(styles.inputBackground).not.toBe('rgb(255, 243, 196)');
    expect(styles.font).not.toMatch(/Georgia/);
    expect(styles.letterSpacing).toBe('normal');
    expect(styles.boxSizing).toBe('border-box');
  });
});
