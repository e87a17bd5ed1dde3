// GET / on the Parley server: the first URL `npm run demo` and `parley serve` print leads to a page that names the
// version, the agents, the API document, the health checks, the embed snippet for this server and the demo host app.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../server/http/home-page.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
let server: TestServer;
let demo: TestServer;
let page: string;
beforeAll(async () => {
  server = await startTestServer({
    configText: (text) => text.replace('name: Demo shop analytics', 'name: "<script>alert(1)</script> & co"'),
  });
  const res = await fetch(`${server.url}/`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
  page = await res.text();
  demo = await startTestServer({ demoHostUrl: () => 'http://127.0.0.1:3999' });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await demo?.close();
});

describe('GET /', () => {
  it('names the version and every agent of the config, with its page', () => {
    expect(page).toContain(`<span id="version">${VERSION}</span>`);
    for (const id of ['demo', 'acme-sales', 'globex-support', 'initech']) {
      expect(page).toContain(`<td><code>${id}</code></td>`);
      expect(page).toContain(`<a href="/agents/${id}">`);
    }
    expect(page).toContain('multi-tenant (userContext organisationId: integer, countries: string[])');
  });

  it('escapes what it shows: a name from the config is text, never markup', () => {
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    // no script or style of its own: the page works under its own policy, which allows neither
    expect(page).not.toMatch(/<script|<style|style=|<link/);
  });

  it('links the API document and the health checks, and each link answers', async () => {
    for (const href of ['/api/v1/openapi.json', '/healthz', '/readyz']) {
      expect(page).toContain(`<a href="${href}">`);
      expect((await fetch(`${server.url}${href}`)).status, href).toBe(200);
    }
  });

  it("gives the embed snippet for this server's own origin", () => {
    const origin = server.url;
    expect(page).toContain(
      `&lt;script type=&quot;module&quot; src=&quot;${origin}/widget/parley-widget.js&quot;&gt;&lt;/script&gt;`,
    );
    expect(page).toContain(
      `&lt;parley-chat server=&quot;${origin}&quot; agent=&quot;demo&quot; token-endpoint=`,
    );
  });

  it('links the demo host app only in demo mode', async () => {
    expect(page).not.toContain('id="demo-host"');
    const demoPage = await (await fetch(`${demo.url}/`)).text();
    expect(demoPage).toContain('<a id="demo-host" href="http://127.0.0.1:3999">');
  });
});

describe('GET /agents/{agentId} (host backends, with the API key)', () => {
  it('refuses a request without the API key, and an unknown agent, in the one error shape', async () => {
    const anonymous = await fetch(`${server.url}/agents/demo`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { code: expect.any(String), message: expect.any(String) },
    });
    const unknown = await fetch(`${server.url}/agents/nope`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(unknown.status).toBe(404);
  });

  it("shows the agent's tables, measures, segments and starter questions, each example checked", async () => {
    const res = await fetch(`${server.url}/agents/initech`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    const html = await res.text();
    for (const table of ['users', 'products', 'orders', 'order_items'])
      expect(html).toContain(`<h3><code>${table}</code>`);
    expect(html).toContain(
      '<tr data-ref="orders.revenue"><td><code>orders.revenue</code></td><td>Total amount of completed orders</td><td>sales, turnover, income, total sales</td><td><span class="pass">pass</span> <q>Revenue this year</q> (answered: text, 1 row)</td></tr>',
    );
    expect(html).toContain('data-ref="order_items.units_sold"');
    expect(html).toContain('<tr data-ref="users.customer">');
    expect(html).toContain(
      '<li><span class="pass">pass</span> <q>How many customers do we have?</q> (answered: text, 1 row)</li>',
    );
    expect(html).toContain(
      'Self-check: 6 of 6 questions read as meant by the embedded planner and answered from the database.',
    );
    expect(html).not.toMatch(/<script|<style/);
  });

  it('plans only for a multi-tenant agent, and runs the examples as the tenant given in ?userContext=', async () => {
    const auth = { headers: { authorization: `Bearer ${server.apiKey}` } };
    const planned = await (await fetch(`${server.url}/agents/acme-sales`, auth)).text();
    expect(planned).toContain('<span class="pass">pass</span> <q>Units sold this year</q></td>');
    expect(planned).toContain(
      'planned only; add ?userContext={...} (JSON) to the URL to also run them as a tenant',
    );
    const ran = await (
      await fetch(
        `${server.url}/agents/acme-sales?userContext=${encodeURIComponent('{"organisationId":1}')}`,
        auth,
      )
    ).text();
    expect(ran).toContain('<q>Units sold this year</q> (answered: text, 1 row)');
    expect(ran).toContain(
      'Self-check: 7 of 7 questions read as meant by the embedded planner and answered from the database.',
    );
    const bad = await fetch(
      `${server.url}/agents/acme-sales?userContext=${encodeURIComponent('{"organisationId":"1 OR 1=1"}')}`,
      auth,
    );
    expect(bad.status).toBe(400);
  });
});
