// What every /api/v1 route does first: check the API key for the agent, find the agent, and find resources only
// within that agent (another agent's conversation is as unknown as a made-up id).
import type { Request } from 'express';
import type { ApiKeyIdentity } from '../../auth/api-keys.ts';
import type { ResolvedAgent } from '../../config/load.ts';
import type { ConversationRecord, ResponseRecord } from '../../conversations/store.ts';
import type { AppDeps } from '../../deps.ts';
import { type UserContext, UserContextError, validateUserContext } from '../../semantic/user-context.ts';
import { HttpError, notFound } from '../errors.ts';
import { AgentId, ResourceId } from './schemas.ts';
import { pinAllows, tenantWithinPin } from './tenant-pin.ts';

export type ApiDeps = Pick<
  AppDeps,
  'config' | 'engine' | 'store' | 'apiKeys' | 'logger' | 'metrics' | 'clock' | 'limiters'
>;

export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  return typeof value === 'string' ? value : '';
}

const keys = new WeakMap<Request, ApiKeyIdentity>();

/** The API key identity agentFor accepted for this request (its agent scope and tenant pin). */
export function apiKeyOf(req: Request): ApiKeyIdentity {
  const identity = keys.get(req);
  if (!identity) throw new Error('agentFor runs first');
  return identity;
}

/** The agent of the route, after the API key was accepted for it; 404 when there is no such agent. */
export function agentFor(deps: ApiDeps, req: Request): ResolvedAgent {
  const agentId = param(req, 'agentId');
  keys.set(req, deps.apiKeys.check(req.headers.authorization, agentId));
  const agent = AgentId.safeParse(agentId).success ? deps.config.agents.get(agentId) : undefined;
  if (!agent) throw new HttpError(404, 'unknown_agent', 'no such agent');
  return agent;
}

/** A conversation of exactly this agent (and of the key's tenant, for a pinned key), or 404. */
export async function conversationFor(
  deps: ApiDeps,
  agent: ResolvedAgent,
  req: Request,
): Promise<ConversationRecord> {
  const id = param(req, 'conversationId');
  const conversation = ResourceId.safeParse(id).success
    ? await deps.store.getConversation(id, { agentId: agent.config.id })
    : undefined;
  if (!conversation || !pinAllows(apiKeyOf(req), agent.config.userContext, conversation.userContext))
    throw notFound('conversation not found');
  return conversation;
}

/** A response of a conversation of exactly this agent, or 404. */
export async function responseFor(
  deps: ApiDeps,
  agent: ResolvedAgent,
  req: Request,
): Promise<{ conversation: ConversationRecord; response: ResponseRecord }> {
  const conversation = await conversationFor(deps, agent, req);
  const id = param(req, 'responseId');
  const response = ResourceId.safeParse(id).success
    ? await deps.store.getResponse(id, conversation.id)
    : undefined;
  if (!response) throw notFound('response not found');
  return { conversation, response };
}

/** checkUserContext, within the key's tenant: a pinned key may name only its tenant, and names it by default. */
export function userContextForKey(agent: ResolvedAgent, req: Request, raw: unknown): UserContext {
  const identity = apiKeyOf(req);
  const given =
    raw === undefined && identity.userContext !== undefined ? undefined : checkUserContext(agent, raw);
  return tenantWithinPin(identity, agent.config.userContext, given) ?? checkUserContext(agent, undefined);
}

/**
 * validateUserContext, with a plain message when the agent declares fields and none were given: required exactly
 * when the agent declares userContext fields.
 */
export function checkUserContext(agent: ResolvedAgent, raw: unknown): UserContext {
  const declared = agent.config.userContext;
  const fields = Object.keys(declared);
  if (raw === undefined && fields.length > 0) {
    throw new UserContextError(`userContext is required for this agent (fields: ${fields.join(', ')})`);
  }
  return validateUserContext(declared, raw);
}
