// The front door's limits with their defaults, from the `limits:` section of parley.config.yaml (docs/protocol.md
// and README "Limits" say what happens past each one).
// Same role as datasets/settings.ts: each room resolves its config section, with defaults, in settings.ts.
import type { LimitsConfig } from '../config/schema.ts';
import type { LimitSpec } from './limiters.ts';

export interface FrontDoorLimits {
  socketMessages: {
    /** every message a socket sends (any type, valid or not); past it the socket closes with 4029 */
    perSocket: LimitSpec;
    /** every message of one user's sockets together; past it they close with 4029 and new ones get 429 for blockSec */
    perUser: LimitSpec;
  };
  conversations: {
    /** conversations one user may create (widget REST, WebSocket and host API together) */
    perUser: LimitSpec;
    /** conversations one user may keep stored; past it creation is refused with 409 conversation_limit */
    maxStoredPerUser: number;
  };
}

export function frontDoorLimits(config: LimitsConfig | undefined): FrontDoorLimits {
  const socket = config?.socketMessages;
  const conversations = config?.conversations;
  return {
    socketMessages: {
      perSocket: socket?.perSocket ?? { points: 60, durationSec: 60 },
      perUser: { ...(socket?.perUser ?? { points: 120, durationSec: 60 }), blockSec: socket?.blockSec ?? 60 },
    },
    conversations: {
      perUser: conversations?.perUser ?? { points: 20, durationSec: 60 },
      maxStoredPerUser: conversations?.maxStoredPerUser ?? 1000,
    },
  };
}
