// The browser origins that may use the widget API and socket: each agent's `allowedOrigins` ('*' = any), plus, only
// when configured, the origin of `server.publicUrl` (a same-origin deployment: the host app and Parley behind one
// public URL). Never anything the request says about itself (the Host header is the client's to choose: trusting it
// would let `Origin: http://evil` + `Host: evil` through, the DNS-rebinding shape). Requests without an Origin header
// come from non-browser clients, which the session token alone authenticates.
import type { RequestHandler } from 'express';
import type { AppDeps } from '../../deps.ts';

/** `https://App.example.com/` -> `https://app.example.com` */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function listAllows(list: readonly string[], origin: string): boolean {
  const wanted = normalizeOrigin(origin);
  return list.some((entry) => entry === '*' || normalizeOrigin(entry) === wanted);
}

type OriginDeps = Pick<AppDeps, 'config'>;

function publicOrigin(deps: OriginDeps): string | undefined {
  const url = deps.config.config.server.publicUrl;
  return url === undefined ? undefined : new URL(url).origin.toLowerCase();
}

function isPublicOrigin(deps: OriginDeps, origin: string): boolean {
  const own = publicOrigin(deps);
  return own !== undefined && normalizeOrigin(origin) === own;
}

/** May a page of `origin` use the agent? */
export function originAllowedForAgent(
  deps: OriginDeps,
  agentId: string,
  origin: string | undefined,
): boolean {
  if (origin === undefined) return true;
  if (isPublicOrigin(deps, origin)) return true;
  const agent = deps.config.agents.get(agentId);
  return agent !== undefined && listAllows(agent.config.allowedOrigins, origin);
}

/** May a page of `origin` use any agent? (CORS preflights, before the token and so the agent are known.) */
export function originAllowedForAnyAgent(deps: OriginDeps, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (isPublicOrigin(deps, origin)) return true;
  for (const agent of deps.config.agents.values())
    if (listAllows(agent.config.allowedOrigins, origin)) return true;
  return false;
}

const MAX_LOGGED = 1000;
const logged = new WeakMap<object, Set<string>>();

/**
 * Logs a refused origin once per server (not per attempt), at warn, with what to change; at most 1000 distinct
 * origins are remembered, so a flood of made-up origins cannot grow memory or the log without bound.
 */
export function logRefusedOrigin(
  deps: Pick<AppDeps, 'config' | 'logger'>,
  origin: string,
  agentId: string | undefined,
): void {
  let seen = logged.get(deps.config);
  if (!seen) {
    seen = new Set();
    logged.set(deps.config, seen);
  }
  const key = `${agentId ?? ''}\n${origin}`;
  if (seen.has(key) || seen.size >= MAX_LOGGED) return;
  seen.add(key);
  deps.logger.warn(
    { origin: origin.slice(0, 200), agentId },
    agentId === undefined
      ? 'refused a page origin no agent allows: add it to the agent’s allowedOrigins in parley.config.yaml'
      : `refused a page origin agent ${agentId} does not allow: add it to its allowedOrigins in parley.config.yaml`,
  );
}

/**
 * GET /widget/v1/origin?agent=ID: may the calling page's origin use the agent? A page whose origin is refused cannot
 * read any other widget answer (CORS hides it; a refused WebSocket handshake looks like a network error), so this one
 * answers every origin, without credentials, so the widget can name the cause instead of reconnecting forever. It
 * says only what the page's own CORS failures already imply. A refused origin is logged once.
 */
export function originCheckRoute(deps: Pick<AppDeps, 'config' | 'logger'>): RequestHandler {
  return (req, res) => {
    const origin = req.headers.origin;
    const agent = typeof req.query.agent === 'string' ? req.query.agent : undefined;
    const allowed =
      agent !== undefined && deps.config.agents.has(agent)
        ? originAllowedForAgent(deps, agent, origin)
        : originAllowedForAnyAgent(deps, origin);
    if (!allowed && origin !== undefined) logRefusedOrigin(deps, origin, agent);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ origin: origin ?? null, allowed });
  };
}
