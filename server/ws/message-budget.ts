// The message budget of the widget socket: every message counts (ping, response.cancel, sync, invalid ones, those
// answered rate_limited or too_many_in_flight), per socket and per user. Past either the socket closes with 4029;
// past the user's, the user's other sockets close at their next message and new ones are refused (429) for blockSec.
import { blockedFor, type Consumed, consume, type NamedLimiters } from '../limits/limiters.ts';
import type { FrontDoorLimits } from '../limits/settings.ts';

export type MessageBudgetOptions = FrontDoorLimits['socketMessages'];

export interface MessageBudget {
  /** one message of socket `socketKey` (unique across instances) of user `userKey` */
  take(socketKey: string, userKey: string): Promise<Consumed>;
  /** seconds a user who went over must still wait before opening a socket (0: may open) */
  userBlockedFor(userKey: string): Promise<number>;
}

/** `limiters`: the server's (deps.limiters), so every socket of one server counts against the same budget. */
export function messageBudget(limiters: NamedLimiters, options: MessageBudgetOptions): MessageBudget {
  const perSocket = limiters.get('parley-ws-socket', options.perSocket);
  const perUser = limiters.get('parley-ws-user', options.perUser);
  return {
    async take(socketKey, userKey) {
      const [socket, user] = await Promise.all([consume(perSocket, socketKey), consume(perUser, userKey)]);
      if (!user.ok) return user;
      return socket;
    },
    userBlockedFor: (userKey) => blockedFor(perUser, userKey),
  };
}
