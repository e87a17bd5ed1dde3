// Whose conversations, answers and datasets a request may touch: the Owner (agent, user and tenant context),
// derived from a verified session and nothing else. One type and one key for it, used by every room.
import type { UserContext } from '../semantic/user-context.ts';
import { contextKey } from '../semantic/user-context.ts';
import type { VerifiedSession } from './session-token.ts';

/** Always all three of agent, user and tenant context: never a part of them from a request. */
export interface Owner {
  agentId: string;
  userIdentifier: string;
  userContext: UserContext;
}

/** The owner a verified session speaks for. */
export function ownerOf(session: VerifiedSession): Owner {
  return {
    agentId: session.agentId,
    userIdentifier: session.userIdentifier,
    userContext: session.userContext,
  };
}

/**
 * A key equal for the same agent, user and tenant context (the context's fields in any order), for maps and
 * limiters. Without a user it is the tenant's key: the answer engine can be asked without one, and its conversation
 * memory is scoped by agent and tenant.
 */
export function ownerKey(
  owner: Pick<Owner, 'agentId' | 'userContext'> & { userIdentifier?: string },
): string {
  return JSON.stringify([owner.agentId, owner.userIdentifier ?? null, contextKey(owner.userContext)]);
}
