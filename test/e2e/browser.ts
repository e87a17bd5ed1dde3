// Real-browser end-to-end tests: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, the Parley server
// on a freshly seeded SQLite database (startTestServer), and the demo host app (demo/server.ts) in front of it.
//
// Without Chromium the suites are skipped with the reason in their name, except in CI (CI=true), where they run and
// fail: .ci/run installs Chromium with apt-get when it is missing.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { buildSingleOrganisationDatabase } from '../../demo/prepare-data.ts';
import { type DemoHost, startDemoHost } from '../../demo/server.ts';
import { ensureWidgetBundle } from '../../demo/widget-bundle.ts';
import { makeTempDir, seedDemo, sqliteUrl } from '../support/demo-db.ts';
import { startTestServer, TEST_NOW, TEST_SECRET, type TestServer } from '../support/server.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const IN_CI = process.env.CI === 'true';
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

/** Why the browser suites are skipped here, or '' when they run. */
export const SKIP_REASON =
  fs.existsSync(CHROMIUM_PATH) || IN_CI
    ? ''
    : `skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium; in CI they run)`;

/** A suite title that carries the skip reason when there is one. */
export const titled = (title: string): string => (SKIP_REASON ? `${title} (${SKIP_REASON})` : title);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Headless Chromium; playwright gives every launch a fresh temporary profile (its own --user-data-dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

// ---- the stack: Parley server + demo host + browser ----------------------------------------------------------

export interface StackOptions {
  /** extra config changes (after the demo host's origin was allowed) */
  configText?: (text: string) => string;
}

export interface Stack {
  bff: TestServer;
  host: DemoHost;
  browser: Browser;
  /** the seeded multi-tenant demo database (SQLite file) */
  demoFile: string;
  /** one SQL value from the seeded demo database */
  sqlValue(sql: string, ...params: unknown[]): number;
  /** a fresh browser context (its own cookies) logged in as a persona of demo/personas.ts */
  loginAs(persona: string, options?: { viewport?: { width: number; height: number } }): Promise<UserSession>;
  close(): Promise<void>;
}

export interface UserSession {
  context: BrowserContext;
  page: Page;
  /** console messages and page errors seen so far */
  console: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const DEMO_ORIGINS = 'allowedOrigins: [http://localhost:3000, http://127.0.0.1:3000]';

/** The repository's config, with the test host's origin allowed for every agent. */
export function e2eConfigText(text: string, hostOrigin: string): string {
  if (!text.includes(DEMO_ORIGINS)) throw new Error('parley.config.yaml no longer lists the demo origins');
  return text.replaceAll(DEMO_ORIGINS, `allowedOrigins: [${hostOrigin}]`);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // the server serves dist/widget only when it exists at start
  await ensureWidgetBundle({ rebuildStale: true });
  const dir = makeTempDir('parley-e2e');
  const demoFile = path.join(dir, 'demo.sqlite');
  const databaseUrl = sqliteUrl(demoFile);
  await seedDemo(databaseUrl, { anchor: TEST_NOW });
  const initechUrl = sqliteUrl(path.join(dir, 'initech.sqlite'));
  await buildSingleOrganisationDatabase(databaseUrl, initechUrl, 3);

  const port = await freePort();
  const hostOrigin = `http://127.0.0.1:${port}`;
  const bff = await startTestServer({
    databaseUrl,
    env: { INITECH_DATABASE_URL: initechUrl },
    configText: (text) => {
      const base = e2eConfigText(text, hostOrigin);
      return options.configText ? options.configText(base) : base;
    },
  });
  const host = await startDemoHost({ parleyUrl: bff.url, port, secret: TEST_SECRET });
  const browser = await launchChromium();
  const db = new Database(demoFile, { readonly: true });
  const contexts: BrowserContext[] = [];

  return {
    bff,
    host,
    browser,
    demoFile,
    sqlValue(sql, ...params) {
      const row = db.prepare(sql).get(...params) as Record<string, unknown> | undefined;
      return Number(Object.values(row ?? {})[0]);
    },
    async loginAs(persona, opts = {}) {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      const log: string[] = [];
      page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
      await page.goto(`${host.url}/login`);
      await page.locator(`button[data-persona="${persona}"]`).click();
      await page.waitForURL(`${host.url}/app`);
      return { context, page, console: log };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      db.close();
      await host.close();
      await bff.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- the widget, seen from the page (playwright's CSS locators pierce open shadow roots) ------------------------

export function chat(page: Page, id = 'assistant'): Locator {
  return page.locator(`parley-chat#${id}`);
}

/** Waits for the widget's socket to be open (the element mirrors its status in data-connection). */
export async function waitConnected(widget: Locator): Promise<void> {
  // attached, not visible: a closed launcher's host element has no height
  await widget
    .and(widget.page().locator('[data-connection="open"]'))
    .waitFor({ state: 'attached', timeout: 15_000 });
}

export function answers(widget: Locator): Locator {
  return widget.locator('article[part~="answer"]');
}

/** Types a question and presses Enter; resolves to the locator of that question's answer once it is final. */
export async function ask(widget: Locator, question: string): Promise<Locator> {
  const before = await answers(widget).count();
  const input = widget.locator('textarea[part~="input"]');
  await input.fill(question);
  await input.press('Enter');
  const answer = answers(widget).nth(before);
  await answer.waitFor({ timeout: 20_000 });
  return answer;
}

/**
 * The parts drawn somewhere inside the widget that a host page cannot style with `parley-chat::part(...)`: a part
 * in a nested shadow root is reachable only when every element on the way exports it (`exportparts`).
 */
export function unreachableParts(widget: Locator): Promise<string[]> {
  return widget.evaluate((host) => {
    const missing = new Set<string>();
    // visible(name): the name a part of this root has from the page, or undefined when some host keeps it in
    const walk = (root: ShadowRoot, visible: (name: string) => string | undefined): void => {
      for (const el of root.querySelectorAll('*')) {
        for (const name of (el.getAttribute('part') ?? '').split(/\s+/).filter(Boolean))
          if (visible(name) === undefined) missing.add(name);
        if (!el.shadowRoot) continue;
        const exported = new Map<string, string>();
        for (const entry of (el.getAttribute('exportparts') ?? '').split(',')) {
          const [inner, outer = inner] = entry.split(':').map((x) => x.trim());
          if (inner) exported.set(inner, outer as string);
        }
        walk(el.shadowRoot, (name) => {
          const outer = exported.get(name);
          return outer === undefined ? undefined : visible(outer);
        });
      }
    };
    if (host.shadowRoot) walk(host.shadowRoot, (name) => name);
    return [...missing].sort();
  });
}

/** The rendered text of an element (playwright's innerText, not the DOM property the lint rule means). */
export function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Locator.innerText() is rendered text, as a person reads it
  return locator.innerText();
}

/** The integers in a text ("1,234 orders" -> [1234]). */
export function integersIn(text: string): number[] {
  return [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => Number(m[0].replaceAll(',', '')));
}

export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/** The widths and themes every widget screenshot set covers (issue 16: 320, 420 and 1280 px, light and dark). */
export const SHOT_WIDTHS = [320, 420, 1280] as const;
export const SHOT_THEMES = ['light', 'dark'] as const;
export type ShotTheme = (typeof SHOT_THEMES)[number];

/** The page's colour scheme and every widget's theme attribute. */
export async function setTheme(page: Page, theme: ShotTheme): Promise<void> {
  await page.emulateMedia({ colorScheme: theme });
  await page.evaluate((t) => {
    for (const el of document.querySelectorAll('parley-chat')) el.setAttribute('theme', t);
  }, theme);
}

/** Screenshots of the window at each width, light and dark, `focus` scrolled into view; back to 1280 light. */
export async function themedShots(page: Page, name: string, focus?: Locator, height = 900): Promise<void> {
  for (const width of SHOT_WIDTHS) {
    await page.setViewportSize({ width, height });
    for (const theme of SHOT_THEMES) {
      await setTheme(page, theme);
      await focus?.scrollIntoViewIfNeeded();
      await screenshot(page, `${name}-${width}-${theme}`, { fullPage: false });
    }
  }
  await page.setViewportSize({ width: 1280, height });
  await setTheme(page, 'light');
}

/** Whether the widget API mounts the datasets routes (another part of the project, still being built). */
export function datasetsMounted(): boolean {
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(ROOT, file), 'utf8');
    } catch {
      return '';
    }
  };
  return (
    /from '\.\/datasets\.ts'/.test(read('server/http/widget-v1/router.ts')) ||
    /widget-v1\/datasets\.ts'/.test(read('server/app.ts'))
  );
}

export { TEST_NOW };
