// The browser origins that may use the widget API and socket: each agent's `allowedOrigins` ('*' = any), plus the
// BFF's own origin (a page it serves itself). Requests without an Origin header come from non-browser clients,
// which the session token alone authenticates.
import type { AppDeps } from '../../app.ts';

/** `https://App.example.com/` -> `https://app.example.com` */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function listAllows(list: readonly string[], origin: string): boolean {
  const wanted = normalizeOrigin(origin);
  return list.some((entry) => entry === '*' || normalizeOrigin(entry) === wanted);
}

/** May a page of `origin` use the agent? `host` is the request's Host header (same-origin pages are allowed). */
export function originAllowedForAgent(
  deps: Pick<AppDeps, 'config'>,
  agentId: string,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  if (sameHost(origin, host)) return true;
  const agent = deps.config.agents.get(agentId);
  return agent !== undefined && listAllows(agent.config.allowedOrigins, origin);
}

/** May a page of `origin` use any agent? (CORS preflights, before the token and so the agent are known.) */
export function originAllowedForAnyAgent(
  deps: Pick<AppDeps, 'config'>,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  if (sameHost(origin, host)) return true;
  for (const agent of deps.config.agents.values())
    if (listAllows(agent.config.allowedOrigins, origin)) return true;
  return false;
}
