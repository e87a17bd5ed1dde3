// Conversation creation per user: a rate (widget REST, WebSocket and host API together) and a cap on the
// conversations one user keeps. Past the cap creation is REFUSED (409 conversation_limit), never archiving or
// deleting anything: the user (or the host backend) deletes old conversations to make room.
import { type Owner, ownerKey } from '../auth/owner.ts';

import type { ConversationRecord } from '../conversations/store.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { consume } from './limiters.ts';
import { frontDoorLimits } from './settings.ts';

type Deps = Pick<AppDeps, 'config' | 'store' | 'metrics' | 'limiters'>;

/** Creates a conversation for `owner`, or throws 429 rate_limited (Retry-After) / 409 conversation_limit. */
export async function createConversationWithinLimits(
  deps: Deps,
  owner: Owner,
  title?: string,
): Promise<ConversationRecord> {
  await checkConversationLimits(deps, owner);
  return deps.store.createConversation(owner, title);
}

/**
 * Takes one new conversation from `owner`'s allowance, or throws as above; for callers that create the conversation
 * together with its first question.
 */
export async function checkConversationLimits(deps: Deps, owner: Owner): Promise<void> {
  const limits = frontDoorLimits(deps.config.config.limits).conversations;
  const limiter = deps.limiters.get('parley-conversations', limits.perUser);
  const taken = await consume(limiter, ownerKey(owner));
  if (!taken.ok) {
    deps.metrics.refusals.inc({ reason: 'conversation_rate' });
    throw new HttpError(
      429,
      'rate_limited',
      `at most ${limits.perUser.points} new conversations every ${limits.perUser.durationSec} s: try again in ${taken.retryAfter} s`,
      taken.retryAfter,
    );
  }
  if ((await deps.store.countConversations(owner)) >= limits.maxStoredPerUser) {
    deps.metrics.refusals.inc({ reason: 'conversation_limit' });
    throw new HttpError(
      409,
      'conversation_limit',
      `this user already has ${limits.maxStoredPerUser} conversations, the most one user may keep: delete old ones to start a new one`,
    );
  }
}
