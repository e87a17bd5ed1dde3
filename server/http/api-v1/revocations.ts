// POST /api/v1/revocations: the host backend ends Parley sessions. Either one token by its `jti`, or every token of
// a user issued before a time (default now), for one agent or all, one tenant or all. Kept in the store, so every
// instance refuses the tokens at once; open sockets close within the socket server's check interval (5 s).
// The HTTP layer of auth/revocations.ts (which keeps and checks revocations), hence the same name.
import type { Router } from 'express';
import { MAX_LIFETIME_SEC } from '../../auth/session-token.ts';
import type { AppDeps } from '../../deps.ts';
import type { UserContext } from '../../semantic/user-context.ts';
import { HttpError, notFound } from '../errors.ts';
import { type ApiDeps, checkUserContext } from './context.ts';
import { RevocationBody } from './schemas.ts';
import { tenantWithinPin } from './tenant-pin.ts';

const FUTURE_SLACK_MS = 60_000;

export type RevocationDeps = ApiDeps & Pick<AppDeps, 'revocations'>;

export function revocationRoutes(router: Router, deps: RevocationDeps): void {
  router.post('/revocations', async (req, res) => {
    const revocations = deps.revocations;
    // an app built without a revocation store (some tests) has no such route
    if (!revocations) throw notFound('no such route');
    const body = RevocationBody.parse(req.body ?? {});
    // the key must be allowed for the named agent; an agent-scoped key must name one of its agents
    const key = deps.apiKeys.check(req.headers.authorization, body.agentId);
    if ((body.tokenId === undefined) === (body.userIdentifier === undefined))
      throw new HttpError(400, 'invalid_request', 'give exactly one of tokenId and userIdentifier');
    const now = Date.now();
    if (body.tokenId !== undefined && key.userContext !== undefined) {
      // a token id does not say whose token it is: a tenant-pinned key revokes per user, inside its tenant
      throw new HttpError(
        403,
        'tenant_not_allowed',
        'a tenant-pinned API key revokes by userIdentifier, not tokenId',
      );
    }
    if (body.tokenId !== undefined) {
      if (body.issuedBefore !== undefined || body.userContext !== undefined)
        throw new HttpError(
          400,
          'invalid_request',
          'tokenId revokes one token: issuedBefore and userContext do not apply',
        );
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : new Date(now + MAX_LIFETIME_SEC * 1000);
      await revocations.revokeToken(body.tokenId, expiresAt);
      res.json({ revoked: 'token', tokenId: body.tokenId, until: expiresAt.toISOString() });
      return;
    }
    if (body.agentId === undefined && (key.agents !== undefined || key.userContext !== undefined))
      throw new HttpError(
        400,
        'agent_required',
        'this API key is scoped to agents or a tenant: give agentId',
      );
    let userContext: UserContext | undefined;
    const agent = body.agentId === undefined ? undefined : deps.config.agents.get(body.agentId);
    if (body.agentId !== undefined && !agent) throw new HttpError(404, 'unknown_agent', 'no such agent');
    if (body.userContext !== undefined) {
      if (!agent)
        throw new HttpError(400, 'agent_required', 'a userContext is typed by its agent: give agentId');
      userContext = checkUserContext(agent, body.userContext);
    }
    // a tenant-pinned key revokes only inside its tenant
    if (agent) userContext = tenantWithinPin(key, agent.config.userContext, userContext);
    const issuedBefore = body.issuedBefore ? new Date(body.issuedBefore) : new Date(now);
    if (issuedBefore.getTime() > now + FUTURE_SLACK_MS)
      throw new HttpError(400, 'invalid_request', 'issuedBefore may not be in the future');
    await revocations.revokeSessions({
      userIdentifier: body.userIdentifier as string,
      ...(body.agentId !== undefined ? { agentId: body.agentId } : {}),
      ...(userContext !== undefined ? { userContext } : {}),
      issuedBefore,
    });
    res.json({
      revoked: 'sessions',
      userIdentifier: body.userIdentifier,
      agentId: body.agentId ?? null,
      userContext: userContext ?? null,
      issuedBefore: issuedBefore.toISOString(),
    });
  });
}
