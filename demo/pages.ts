// The demo host app's pages. No inline scripts or styles anywhere (the /app/csp page forbids them): styles and the
// little page scripts are files under demo/public, the widget comes from the Parley server.
import { attr, type Html, html } from '../server/http/html.ts';
import {
  type ConnectionPattern,
  DEMO_AGENTS,
  type DemoAgent,
  mayUseAgent,
  PERSONAS,
  type Persona,
  personasFor,
} from './personas.ts';

export const PRODUCT = 'Storefront HQ';

export interface PageContext {
  parleyUrl: string;
  persona: Persona;
}

const NAV: ReadonlyArray<{ path: string; label: string }> = [
  { path: '/app', label: 'Dashboard' },
  { path: '/app/floating', label: 'Floating assistant' },
  { path: '/app/patterns', label: 'Connection patterns' },
  { path: '/app/csp', label: 'Strict CSP' },
];

/** The pages a login may return to. */
export const APP_PATHS: readonly string[] = NAV.map((n) => n.path);

function document(options: {
  title: string;
  parleyUrl?: string;
  body: Html;
  bodyClass?: string;
  scripts?: readonly string[];
}): string {
  const widget = options.parleyUrl
    ? html`<script type="module" src="${`${options.parleyUrl}/widget/parley-widget.js`}"></script>`
    : '';
  const scripts = (options.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`);
  return `<!doctype html>\n${html`<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${options.title} · ${PRODUCT}</title>
    <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/static/demo.css">
    ${widget}
    ${scripts}
  </head>
  <body class="${options.bodyClass ?? ''}">
    <a class="skip-link" href="#main">Skip to content</a>
    ${options.body}
  </body>
</html>`}\n`;
}

function topbar(ctx: PageContext, current: string): Html {
  const p = ctx.persona;
  return html`<header class="topbar">
    <a class="brand" href="/app"><span class="brand-mark" aria-hidden="true">S</span> ${PRODUCT}</a>
    <nav class="mainnav" aria-label="Main">
      <ul>
        ${NAV.map(
          (n) =>
            html`<li><a href="${n.path}"${attr('aria-current', n.path === current && 'page')}>${n.label}</a></li>`,
        )}
      </ul>
    </nav>
    <div class="who">
      <span class="who-name">${p.name}</span>
      <span class="who-org">${p.organisationName} · ${p.role}</span>
      <form method="post" action="/logout"><button class="host-btn secondary" type="submit">Log out</button></form>
    </div>
  </header>`;
}

function appPage(
  ctx: PageContext,
  current: string,
  title: string,
  main: Html,
  extra: { bodyClass?: string; scripts?: readonly string[] } = {},
): string {
  return document({
    title,
    parleyUrl: ctx.parleyUrl,
    bodyClass: extra.bodyClass,
    scripts: extra.scripts,
    body: html`${topbar(ctx, current)}
      <main id="main">${main}</main>
      <footer class="footer">
        <p>
          ${PRODUCT} is a pretend SaaS app: the host of the <code>&lt;parley-chat&gt;</code> widget. Its styles are
          deliberately hostile (serif everywhere, <code>button { all: unset }</code>, double red table borders) to
          show that they do not reach into the widget.
        </p>
      </footer>`,
  });
}

/** `<parley-chat>` bound to an agent; the token comes from this app's own backend. */
export function widgetTag(
  ctx: PageContext,
  agent: string,
  options: { mode?: 'inline' | 'launcher'; id?: string; label?: string } = {},
): Html {
  return html`<parley-chat${attr('id', options.id)}
    server="${ctx.parleyUrl}"
    agent="${agent}"
    token-endpoint="/parley/token"
    mode="${options.mode ?? 'inline'}"
    uploads="on"
    context-key="organisationId"
  ></parley-chat>`;
}

// ---- login ------------------------------------------------------------------------------------------------------

export function loginPage(options: { current?: Persona; next?: string; error?: string }): string {
  const byOrg = new Map<string, Persona[]>();
  for (const p of PERSONAS) byOrg.set(p.organisationName, [...(byOrg.get(p.organisationName) ?? []), p]);
  const next = options.next && APP_PATHS.includes(options.next) ? options.next : undefined;
  return document({
    title: 'Log in',
    bodyClass: 'login',
    body: html`<main id="main" class="login-main">
      <h1><span class="brand-mark" aria-hidden="true">S</span> ${PRODUCT}</h1>
      <p class="lede">
        Log in as one of the demo users. Each belongs to an organisation of the demo shop data; the data assistant
        answers with that organisation's data only.
      </p>
      ${options.error ? html`<p class="notice error" role="alert">${options.error}</p>` : ''}
      ${
        options.current
          ? html`<p class="notice">
              You are logged in as ${options.current.name} (${options.current.organisationName}).
              <a href="${next ?? '/app'}">Continue</a>
            </p>`
          : ''
      }
      <div class="org-list">
        ${[...byOrg].map(
          ([
            org,
            people,
          ]) => html`<section class="org" aria-labelledby="${`org-${people[0]?.organisationId}`}">
            <h2 id="${`org-${people[0]?.organisationId}`}">${org}</h2>
            <ul class="personas">
              ${people.map(
                (p) => html`<li class="persona">
                  <form method="post" action="/login">
                    <input type="hidden" name="persona" value="${p.id}">
                    ${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
                    <button class="host-btn persona-btn" type="submit" data-persona="${p.id}">
                      <span class="persona-name">${p.name}</span>
                      <span class="persona-role">${p.role}</span>
                      ${p.note ? html`<span class="persona-note">${p.note}</span>` : ''}
                    </button>
                  </form>
                </li>`,
              )}
            </ul>
          </section>`,
        )}
      </div>
    </main>`,
  });
}

// ---- dashboard (inline widget) ----------------------------------------------------------------------------------

export function dashboardPage(ctx: PageContext): string {
  const p = ctx.persona;
  const first = p.name.split(' ')[0] ?? p.name;
  return appPage(
    ctx,
    '/app',
    'Dashboard',
    html`<div class="page-head">
        <h1>Welcome back, ${first}</h1>
        <p>${p.organisationName} workspace · ${p.role}</p>
      </div>
      <div class="dashboard">
        <section class="panel-card assistant" aria-labelledby="assistant-title">
          <h2 id="assistant-title">Ask your data</h2>
          <p class="hint">
            Answers come from ${p.organisationName}'s shop data only. Try “How many orders did we have last month?”
            or “What was our revenue by month this year?”
          </p>
          <div class="widget-frame">${widgetTag(ctx, 'demo', { id: 'assistant' })}</div>
        </section>
        <aside class="side">
          <section class="panel-card" aria-labelledby="tips-title">
            <h2 id="tips-title">How this page embeds Parley</h2>
            <ol class="steps">
              <li>One script tag loads the widget from the Parley server.</li>
              <li><code>&lt;parley-chat&gt;</code> asks this app's backend (<code>/parley/token</code>) for a
                ten-minute session token, with this app's own login cookie.</li>
              <li>The token says who you are and which organisation you belong to; Parley never trusts anything else.</li>
            </ol>
          </section>
          <section class="panel-card" aria-labelledby="events-title">
            <h2 id="events-title">Widget events seen by the host page</h2>
            <ul id="event-log" class="event-log" aria-live="polite"><li class="muted">No events yet.</li></ul>
          </section>
        </aside>
      </div>`,
    { bodyClass: 'app dashboard-page', scripts: ['/static/events.js'] },
  );
}

// ---- floating launcher ------------------------------------------------------------------------------------------

const ACTIVITY: ReadonlyArray<[string, string]> = [
  ['09:12', 'Catalogue sync finished'],
  ['09:40', 'Weekly sales report sent to the team'],
  ['10:05', 'Three new support tickets'],
  ['11:30', 'Price update scheduled for Friday'],
  ['12:15', 'Warehouse stock count imported'],
];

export function floatingPage(ctx: PageContext): string {
  return appPage(
    ctx,
    '/app/floating',
    'Floating assistant',
    html`<div class="page-head">
        <h1>Operations</h1>
        <p>The data assistant waits behind the round button in the bottom-right corner (press Esc to close it).</p>
      </div>
      <section class="panel-card" aria-labelledby="activity-title">
        <h2 id="activity-title">Today's activity</h2>
        <table class="host-table">
          <caption>Things that happened in ${ctx.persona.organisationName}'s workspace today</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Event</th></tr></thead>
          <tbody>
            ${ACTIVITY.map(([time, what]) => html`<tr><td>${time}</td><td>${what}</td></tr>`)}
          </tbody>
        </table>
      </section>
      ${widgetTag(ctx, 'demo', { mode: 'launcher', id: 'assistant' })}`,
    { bodyClass: 'app floating-page' },
  );
}

// ---- connection patterns ----------------------------------------------------------------------------------------

const PATTERN_TEXT: Record<ConnectionPattern, { title: string; body: Html; yaml: string }> = {
  shared: {
    title: 'A. Shared multi-tenant database',
    body: html`<p>
      One database holds every customer organisation and one agent serves them all. Every table carries
      <code>organisation_id</code>, and a context filter pins it to the <code>organisationId</code> in the user's
      signed session token: the same question gives each organisation its own numbers.
    </p>`,
    yaml: `agents:
  - id: demo
    connection: demo-db          # shareable, owned by demo
    multiTenant: true
    userContext: { organisationId: integer }
    model:
      tables:
        orders:
          contextFilters:
            - { column: organisation_id, field: organisationId }`,
  },
  linked: {
    title: 'B. Customer agents on a linked connection',
    body: html`<p>
      The product team's agent owns a shareable connection; customer agents are linked to it, each with its own,
      smaller semantic model and its own userContext. Acme's sales assistant sees orders and products but no personal
      data; Globex's support desk sees accounts only, and only those in the countries the signed-in agent covers.
    </p>`,
    yaml: `agents:
  - id: acme-sales
    connection: demo-db          # linked: parley connection link --agent acme-sales
    userContext: { organisationId: integer }
    model: { tables: { orders: ..., products: ..., order_items: ... } }
  - id: globex-support
    connection: demo-db
    userContext: { organisationId: integer, countries: string[] }
    model:
      tables:
        users:
          contextFilters:
            - { column: organisation_id, field: organisationId }
            - { column: country, field: countries, op: in }`,
  },
  dedicated: {
    title: 'C. A dedicated database per customer',
    body: html`<p>
      Initech's data lives in a database of its own (here a SQLite file built from the demo data with Initech's rows
      only). Its agent owns that connection, which no other agent may use; with <code>multiTenant: false</code> the
      database itself is the tenant boundary, so the token carries no organisation at all.
    </p>`,
    yaml: `connections:
  - id: initech-db
    url: \${INITECH_DATABASE_URL:-sqlite://./data/dedicated-initech.sqlite}
    owner: initech               # not shareable
agents:
  - id: initech
    connection: initech-db
    multiTenant: false           # no userContext, no context filters`,
  },
};

function patternWidgets(ctx: PageContext, agents: readonly DemoAgent[]): Html {
  return html`<div class="pattern-widgets">
    ${agents.map((a) => {
      if (mayUseAgent(ctx.persona, a)) {
        return html`<div class="pattern-widget">
          <p class="agent-label">Agent <code>${a.id}</code> as ${ctx.persona.name} (${ctx.persona.organisationName})</p>
          <div class="widget-frame short">${widgetTag(ctx, a.id, { id: `assistant-${a.id}` })}</div>
        </div>`;
      }
      const people = personasFor(a);
      return html`<div class="pattern-widget unavailable">
        <code>${a.id}</code> serves ${people[0]?.organisationName ?? 'another organisation'} only:
        ${people.map(
          (p, i) => html`${i > 0 ? ' or ' : ''}<form class="inline-form" method="post" action="/login">
              <input type="hidden" name="persona" value="${p.id}">
              <input type="hidden" name="next" value="/app/patterns">
              <button class="host-btn link" type="submit">log in as ${p.name}</button>
            </form>`,
        )}
        to try it.
      </div>`;
    })}
  </div>`;
}

export function patternsPage(ctx: PageContext): string {
  const order: ConnectionPattern[] = ['shared', 'linked', 'dedicated'];
  return appPage(
    ctx,
    '/app/patterns',
    'Connection patterns',
    html`<div class="page-head">
        <h1>Three ways to connect your customers' data</h1>
        <p>Each section runs a live agent of this demo's <code>parley.config.yaml</code>.</p>
      </div>
      ${order.map((pattern) => {
        const text = PATTERN_TEXT[pattern];
        const agents = DEMO_AGENTS.filter((a) => a.pattern === pattern);
        return html`<section class="panel-card pattern" id="${`pattern-${pattern}`}" aria-labelledby="${`pattern-${pattern}-title`}">
          <h2 id="${`pattern-${pattern}-title`}">${text.title}</h2>
          <div class="pattern-body">
            <div class="pattern-text">
              ${text.body}
              <pre class="config" tabindex="0"><code>${text.yaml}</code></pre>
            </div>
            ${patternWidgets(ctx, agents)}
          </div>
        </section>`;
      })}`,
    { bodyClass: 'app patterns-page' },
  );
}

// ---- strict CSP -------------------------------------------------------------------------------------------------

/** The policy of /app/csp: no inline or eval'd script anywhere, scripts only from here and the Parley server. */
export function strictCsp(parleyUrl: string): string {
  const origin = new URL(parleyUrl).origin;
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    `script-src 'self' ${origin}`,
    `connect-src 'self' ${origin} ${ws}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function cspPage(ctx: PageContext): string {
  return appPage(
    ctx,
    '/app/csp',
    'Strict CSP',
    html`<div class="page-head">
        <h1>A page with a strict Content Security Policy</h1>
        <p>No <code>unsafe-inline</code>, no <code>unsafe-eval</code>: the widget still works.</p>
      </div>
      <div class="dashboard">
        <section class="panel-card assistant" aria-labelledby="csp-assistant-title">
          <h2 id="csp-assistant-title">Ask your data</h2>
          <div class="widget-frame">${widgetTag(ctx, 'demo', { id: 'assistant' })}</div>
        </section>
        <aside class="side">
          <section class="panel-card" aria-labelledby="policy-title">
            <h2 id="policy-title">This page's policy</h2>
            <pre class="config" tabindex="0"><code>${strictCsp(ctx.parleyUrl).split('; ').join(';\n')}</code></pre>
          </section>
          <section class="panel-card" aria-labelledby="violations-title">
            <h2 id="violations-title">Policy violations on this page</h2>
            <p id="csp-status" class="csp-status" data-violations="0">None so far.</p>
            <ul id="csp-violations" class="event-log"></ul>
          </section>
        </aside>
      </div>`,
    { bodyClass: 'app csp-page', scripts: ['/static/csp-watch.js'] },
  );
}

export function notFoundPage(): string {
  return document({
    title: 'Not found',
    body: html`<main id="main" class="login-main"><h1>Not found</h1><p><a href="/app">Back to the dashboard</a></p></main>`,
  });
}
