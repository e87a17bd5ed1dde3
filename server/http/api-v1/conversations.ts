// Conversations: create (for an end user and tenant), retrieve (with questions and answers), list (by cursor).
import type { Request, Router } from 'express';
import type { ResolvedAgent } from '../../config/load.ts';
import { createConversationWithinLimits } from '../../limits/conversation-creation.ts';
import { type UserContext, userContextFromStrings } from '../../semantic/user-context.ts';
import { HttpError } from '../errors.ts';
import {
  type ApiDeps,
  agentFor,
  apiKeyOf,
  checkUserContext,
  conversationFor,
  userContextForKey,
} from './context.ts';
import { toConversation, toListItem } from './inconvo.ts';
import { ConversationCreateBody, ConversationListQuery } from './schemas.ts';
import { keyTenant, tenantWithinPin } from './tenant-pin.ts';

export function conversationRoutes(router: Router, deps: ApiDeps): void {
  router.post('/agents/:agentId/conversations', async (req, res) => {
    const agent = agentFor(deps, req);
    const body = ConversationCreateBody.parse(req.body ?? {});
    const userContext = userContextForKey(agent, req, body.userContext);
    const conversation = await createConversationWithinLimits(deps, {
      agentId: agent.config.id,
      userIdentifier: body.userIdentifier,
      userContext,
    });
    // the host backend asks next: the tenant's value lists are read meanwhile (engine.prepare)
    void deps.engine.prepare?.({ agentId: agent.config.id, userContext });
    res.json({
      id: conversation.id,
      createdAt: conversation.createdAt,
      userIdentifier: conversation.userIdentifier,
      userContext: conversation.userContext,
    });
  });

  router.get('/agents/:agentId/conversations', async (req, res) => {
    const agent = agentFor(deps, req);
    const key = apiKeyOf(req);
    const query = listQuery(req, agent, keyTenant(key, agent.config.userContext));
    // a pinned key lists only its tenant's conversations and may not name another; an unpinned key given only a
    // userIdentifier lists that user's conversations in every tenant (the SDK's userContext filter is optional)
    query.userContext = tenantWithinPin(key, agent.config.userContext, query.userContext);
    const page = await deps.store.listConversations({
      agentId: agent.config.id,
      userIdentifier: query.userIdentifier,
      userContext: query.userContext,
      cursor: query.cursor,
      limit: query.limit ?? 20,
    });
    res.json({ items: page.items.map(toListItem), nextCursor: page.nextCursor });
  });

  router.get('/agents/:agentId/conversations/:conversationId', async (req, res) => {
    const agent = agentFor(deps, req);
    const conversation = await conversationFor(deps, agent, req);
    const responses = await deps.store.responses(conversation.id);
    res.json(toConversation(conversation, responses));
  });
}

interface ListQuery {
  userIdentifier?: string;
  /** absent: the user's conversations in every tenant (only with a userIdentifier) */
  userContext?: UserContext;
  cursor?: string;
  limit?: number;
}

/**
 * The list query, read from the raw query string so it does not depend on the app's query parser. The SDK sends
 * userContext as a deep object (`userContext[organisationId]=1`, lists comma-separated); a JSON object
 * (`userContext={"organisationId":1}`) works too. Values are typed by the agent's declared fields, then validated:
 * `1 OR 1=1` for an integer field is refused, never read as "no filter". Without any userContext the list covers one
 * user across tenants, so a userIdentifier is then required on an agent that declares userContext fields.
 */
export function listQuery(req: Request, agent: ResolvedAgent, defaultContext?: UserContext): ListQuery {
  const params = new URL(req.originalUrl, 'http://parley.invalid').searchParams;
  const single = (name: string): string | undefined => {
    const all = params.getAll(name);
    if (all.length > 1) throw new HttpError(400, 'invalid_request', `${name}: give it once`);
    return all[0];
  };
  const deep: Record<string, string> = {};
  let json: string | undefined;
  for (const key of new Set(params.keys())) {
    const m = /^userContext\[([^\]]*)\]$/.exec(key);
    if (m) deep[m[1] ?? ''] = single(key) ?? '';
    else if (key === 'userContext') json = single(key);
  }
  const parsed = ConversationListQuery.parse({
    userIdentifier: single('userIdentifier'),
    cursor: single('cursor'),
    limit: single('limit'),
    ...(Object.keys(deep).length > 0 ? { userContext: deep } : {}),
  });

  let userContext: UserContext | undefined;
  if (json !== undefined) {
    if (Object.keys(deep).length > 0) {
      throw new HttpError(
        400,
        'invalid_request',
        'userContext: give it as a deep object or as JSON, not both',
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      throw new HttpError(
        400,
        'invalid_request',
        'userContext: expected userContext[field]=value or a JSON object',
      );
    }
    userContext = checkUserContext(agent, raw);
  } else if (Object.keys(deep).length > 0) {
    userContext = userContextFromStrings(agent.config.userContext, deep);
  } else if (defaultContext !== undefined) {
    userContext = defaultContext;
  } else if (Object.keys(agent.config.userContext).length === 0) {
    userContext = checkUserContext(agent, undefined);
  } else if (parsed.userIdentifier === undefined) {
    throw new HttpError(
      400,
      'invalid_request',
      'give a userIdentifier (lists that user in every tenant) or a userContext (lists that tenant)',
    );
  }
  return {
    ...(parsed.userIdentifier !== undefined ? { userIdentifier: parsed.userIdentifier } : {}),
    ...(userContext !== undefined ? { userContext } : {}),
    ...(parsed.cursor !== undefined ? { cursor: parsed.cursor } : {}),
    ...(parsed.limit !== undefined ? { limit: parsed.limit } : {}),
  };
}
