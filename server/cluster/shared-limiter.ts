// A limiter counted across instances: rate-limiter-flexible on Redis when instances share state, in memory for one
// instance (the per-user question limit uses it; limits/limiters.ts builds the front door's others). On Redis, an
// in-memory limiter of the same shape stands in while Redis is away, so a Redis outage degrades limits to per
// instance instead of failing requests.
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { SharedState } from './shared-state.ts';

export interface LimiterOptions {
  /** unique per kind of limit, e.g. 'questions' */
  keyPrefix: string;
  /** how many in a window */
  points: number;
  /** the window, in seconds */
  duration: number;
}

/** `shared`: the server's `deps.shared`; absent (one instance, most tests) means in memory. */
export function createLimiter(
  shared: Pick<SharedState, 'mode' | 'redis'> | undefined,
  options: LimiterOptions,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ ...options, keyPrefix: `parley:${options.keyPrefix}` });
  if (shared?.mode !== 'redis' || !shared.redis) return memory;
  return new RateLimiterRedis({
    ...options,
    keyPrefix: `parley:${options.keyPrefix}`,
    storeClient: shared.redis,
    insuranceLimiter: memory,
    rejectIfRedisNotReady: true,
  });
}
