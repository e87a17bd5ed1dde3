// GET /agents/{agentId}: the agent guide (planner/agent-guide.ts) as a page, for host backends holding the API key
// (`Authorization: Bearer <API key>`, scoped to the agent). Plain HTML under the pages' CSP, every value escaped.
import express, { type Router } from 'express';
import type { ResolvedAgent } from '../config/load.ts';
import type { AppDeps } from '../deps.ts';
import type { AgentGuide, CheckedQuestion, GuideEntry } from '../planner/agent-guide.ts';
import { type UserContext, validateUserContext } from '../semantic/user-context.ts';
import { HttpError } from './errors.ts';
import { sendPage } from './home-page.ts';
import { type Html, html } from './html.ts';

type GuideSummary = typeof import('../planner/agent-guide.ts').guideSummary;

export type AgentPageDeps = Pick<AppDeps, 'config' | 'apiKeys' | 'clock' | 'engine'>;

function checked(q: CheckedQuestion): Html {
  const ran =
    q.ran && !q.why
      ? ` (answered: ${q.ran.type}${q.ran.rows !== undefined ? `, ${q.ran.rows} ${q.ran.rows === 1 ? 'row' : 'rows'}` : ''})`
      : '';
  return html`<span class="${q.pass ? 'pass' : 'fail'}">${q.pass ? 'pass' : 'FAIL'}</span> <q>${q.question}</q>${q.why ? html` (${q.why})` : ran}`;
}

/** The tenant to run the examples as: `?userContext={...}` (JSON), or none needed; undefined: plan only. */
function tenantOf(agent: ResolvedAgent, query: unknown): UserContext | undefined {
  const raw = typeof query === 'string' ? query : undefined;
  if (raw === undefined) {
    return Object.keys(agent.config.userContext).length === 0
      ? validateUserContext({}, undefined)
      : undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid_request', 'userContext: expected a JSON object');
  }
  return validateUserContext(agent.config.userContext, parsed);
}

const synonyms = (list: readonly string[]) => (list.length > 0 ? list.join(', ') : '');

function entries(title: string, id: string, list: readonly GuideEntry[]): Html {
  return html`<section id="${id}"><h2>${title}</h2>
${
  list.length === 0
    ? html`<p>None.</p>`
    : html`<table>
<thead><tr><th>${title.toLowerCase().replace(/s$/, '')}</th><th>definition</th><th>synonyms</th><th>example question (self-check)</th></tr></thead>
<tbody>${list.map((e) => html`<tr data-ref="${e.ref}"><td><code>${e.ref}</code></td><td>${e.description ?? ''}</td><td>${synonyms(e.synonyms)}</td><td>${checked(e.example)}</td></tr>`)}</tbody>
</table>`
}
</section>`;
}

export function agentGuideHtml(guide: AgentGuide, guideSummary: GuideSummary): Html {
  const fields = Object.entries(guide.userContext).map(([k, t]) => `${k}: ${t}`);
  return html`<header><h1>${guide.name ?? guide.id} <code>${guide.id}</code></h1>
<p>${guide.multiTenant ? `Multi-tenant; userContext { ${fields.join(', ')} }` : 'Single tenant'}; connection ${guide.connection ?? 'not linked'}.</p>
<p id="self-check">${guideSummary(guide, 'add ?userContext={...} (JSON) to the URL')}</p>
<p><a href="/">Parley home</a></p></header>
<main>
<section id="tables"><h2>Tables</h2>
${guide.tables.map(
  (t) => html`<h3><code>${t.name}</code> (${t.access})</h3>
${t.prompt ? html`<p>${t.prompt}</p>` : ''}
${t.synonyms.length > 0 ? html`<p>Also called: ${synonyms(t.synonyms)}</p>` : ''}
<table><thead><tr><th>column</th><th>type</th><th>description</th><th>synonyms</th></tr></thead>
<tbody>${t.columns.map((c) => html`<tr><td><code>${c.name}</code></td><td>${c.type}</td><td>${c.description ?? ''}</td><td>${synonyms(c.synonyms)}</td></tr>`)}</tbody></table>`,
)}
</section>
${entries('Measures', 'measures', guide.measures)}
${entries('Segments', 'segments', guide.segments)}
<section id="starter-questions"><h2>Starter questions</h2>
<ul>${guide.starterQuestions.map((q) => html`<li>${checked(q)}</li>`)}</ul>
</section>
</main>`;
}

export function agentPageRouter(deps: AgentPageDeps): Router {
  const router = express.Router();
  router.get('/agents/:agentId', async (req, res) => {
    const agentId = req.params.agentId;
    deps.apiKeys.check(req.headers.authorization, agentId);
    const agent = deps.config.agents.get(agentId);
    if (!agent) throw new HttpError(404, 'unknown_agent', 'no such agent');
    const userContext = agent.connection ? tenantOf(agent, req.query.userContext) : undefined;
    const now = deps.clock();
    // the guide runs the planner: loaded with the first page asked for, not at start (a third of start-up)
    const { agentGuide, guideSummary } = await import('../planner/agent-guide.ts');
    const guide = await agentGuide(
      agent,
      now,
      userContext
        ? async (question) => {
            const answer = await deps.engine.ask({
              agentId: agent.config.id,
              userContext,
              userIdentifier: 'parley-agent-page',
              question,
              now,
            });
            return { type: answer.type, rows: answer.data?.rows.length, message: answer.message };
          }
        : undefined,
    );
    sendPage(res, `${guide.name ?? guide.id}: what it understands`, agentGuideHtml(guide, guideSummary));
  });
  return router;
}
