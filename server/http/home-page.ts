// GET /: what a person who opens the server's URL needs first: the version, the agents, the API document, the health
// checks, the widget's embed snippet for this server, and (under `parley demo`) the demo host app. Plain HTML with no
// script and no style, so any Content-Security-Policy allows it; every value is escaped.
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Router } from 'express';
import type { ResolvedAgent } from '../config/load.ts';
import type { AppDeps } from '../deps.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { type Html, html } from './html.ts';

export type HomePageDeps = Pick<AppDeps, 'config' | 'demoHostUrl' | 'widgetDir'>;

/** The package's version (package.json), read once. */
export const PARLEY_VERSION =
  // (from the package root: the built server runs from dist/build, two folders further down)
  (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;

/** The policy of Parley's own pages: nothing but the document itself. */
export const PAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The origin the request reached, as a browser would write it (the Host header, escaped where it is shown). */
export function serverOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The two tags a host page adds to embed the widget for `agentId` from this server. */
export function embedSnippet(origin: string, agentId: string): string {
  return [
    `<script type="module" src="${origin}/widget/parley-widget.js"></script>`,
    `<parley-chat server="${origin}" agent="${agentId}" token-endpoint="/parley/token"></parley-chat>`,
  ].join('\n');
}

/** Sends a page of Parley's own, under PAGE_CSP. */
export function sendPage(res: express.Response, title: string, body: Html): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.type('html').send(
    html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body>
${body}
</body>
</html>
`.value,
  );
}

function agentRow(agent: ResolvedAgent): Html {
  const { config } = agent;
  const fields = Object.entries(config.userContext).map(([k, t]) => `${k}: ${t}`);
  const tenancy = config.multiTenant
    ? `multi-tenant (userContext ${fields.join(', ') || 'none'})`
    : 'single tenant';
  return html`<tr>
<td><code>${config.id}</code></td>
<td>${config.name ?? ''}</td>
<td>${tenancy}</td>
<td>${agent.connection ? html`<code>${agent.connection.id}</code>` : 'not linked'}</td>
<td>${config.allowedOrigins.length > 0 ? config.allowedOrigins.join(', ') : 'none'}</td>
<td><a href="/agents/${encodeURIComponent(config.id)}">/agents/${config.id}</a></td>
</tr>`;
}

export function homePageRouter(deps: HomePageDeps): Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const agents = [...deps.config.agents.values()];
    const origin = serverOrigin(req);
    const first = agents[0]?.config.id ?? 'AGENT_ID';
    const demoHost = deps.demoHostUrl?.();
    sendPage(
      res,
      `Parley ${PARLEY_VERSION}`,
      html`<header><h1>Parley <span id="version">${PARLEY_VERSION}</span></h1>
<p>A self-hosted "chat with your data" server: a host-backend API, a widget API and the <code>&lt;parley-chat&gt;</code> widget.</p></header>
<main>
${demoHost ? html`<section id="demo"><h2>Demo</h2><p>The demo host app, where you log in as users of different organisations and ask: <a id="demo-host" href="${demoHost}">${demoHost}</a></p></section>` : ''}
<section id="agents"><h2>Agents</h2>
<table>
<thead><tr><th>id</th><th>name</th><th>tenancy</th><th>connection</th><th>allowed origins</th><th>what it understands (API key)</th></tr></thead>
<tbody>${agents.map(agentRow)}</tbody>
</table>
<p>An agent's page lists its tables, measures, segments, synonyms and starter questions, with example questions checked
against the embedded planner; send your API key (<code>Authorization: Bearer …</code>) to read it.</p>
</section>
<section id="embed"><h2>Embed the widget</h2>
${deps.widgetDir === undefined ? html`<p id="widget-missing"><strong>The widget bundle is not built on this server:</strong> run <code>npm run build:widget</code> and restart.</p>` : ''}
<p>Put these two tags on a page of your product. <code>token-endpoint</code> is a route of <em>your</em> backend that answers
<code>{ "token": "&lt;session token&gt;" }</code> for the logged-in user; add the page's origin to the agent's
<code>allowedOrigins</code>.</p>
<pre id="snippet"><code>${embedSnippet(origin, first)}</code></pre>
</section>
<section id="links"><h2>Links</h2>
<ul>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: the host-backend API (OpenAPI 3.1; the Inconvo Node SDK works against <code>${origin}/api/v1</code>)</li>
<li><a href="/healthz">/healthz</a>: the process is up</li>
<li><a href="/readyz">/readyz</a>: the databases answer</li>
</ul>
</section>
</main>`,
    );
  });
  return router;
}
