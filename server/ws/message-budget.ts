// The message budget of the widget socket: every message counts (ping, response.cancel, sync, invalid ones, those
// answered rate_limited or too_many_in_flight), per socket and per user. Past either the socket closes with 4029;
// past the user's, the user's other sockets close at their next message and new ones are refused (429) for blockSec.
import type { AppDeps } from '../deps.ts';
import { blockedFor, type Consumed, consume, namedLimiter } from '../limits/limiters.ts';
import type { FrontDoorLimits } from '../limits/settings.ts';

export type MessageBudgetOptions = FrontDoorLimits['socketMessages'];

export interface MessageBudget {
  /** one message of socket `socketKey` (unique across instances) of user `userKey` */
  take(socketKey: string, userKey: string): Promise<Consumed>;
  /** seconds a user who went over must still wait before opening a socket (0: may open) */
  userBlockedFor(userKey: string): Promise<number>;
}

export function messageBudget(
  deps: Pick<AppDeps, 'limiterStore'>,
  owner: object,
  options: MessageBudgetOptions,
): MessageBudget {
  const perSocket = namedLimiter(owner, 'parley-ws-socket', options.perSocket, deps.limiterStore);
  const perUser = namedLimiter(owner, 'parley-ws-user', options.perUser, deps.limiterStore);
  return {
    async take(socketKey, userKey) {
      const [socket, user] = await Promise.all([consume(perSocket, socketKey), consume(perUser, userKey)]);
      if (!user.ok) return user;
      return socket;
    },
    userBlockedFor: (userKey) => blockedFor(perUser, userKey),
  };
}
