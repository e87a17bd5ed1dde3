// Where every rate-limiter-flexible limiter of the front door is built (socket message budgets, conversation
// creation). In memory per process today; a store shared by every instance (Redis) is a different `LimiterStore`
// passed in AppDeps.limiterStore, not a change to the modules that consume points (they ask deps.limiters).
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface LimitSpec {
  /** points (messages, creations) allowed per window */
  points: number;
  /** the window, in seconds */
  durationSec: number;
  /** once over, the key stays refused this many seconds (default: until the window ends) */
  blockSec?: number;
}

/** Builds one named limiter; `name` is its key prefix, unique per purpose. */
export type LimiterStore = (name: string, spec: LimitSpec) => RateLimiterAbstract;

export const memoryLimiterStore: LimiterStore = (name, spec) =>
  new RateLimiterMemory({
    keyPrefix: name,
    points: spec.points,
    duration: spec.durationSec,
    ...(spec.blockSec ? { blockDuration: spec.blockSec } : {}),
  });

export type Consumed =
  | { ok: true }
  | { ok: false /** whole seconds until a point is available */; retryAfter: number };

/** Takes `points` for `key`; a refusal is a value, a store failure still throws (callers fail closed). */
export async function consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<Consumed> {
  try {
    await limiter.consume(key, points);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    return { ok: false, retryAfter: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
  }
}

/** Seconds `key` is still refused for, 0 when it may consume (checked without consuming). */
export async function blockedFor(limiter: RateLimiterAbstract, key: string): Promise<number> {
  const res = await limiter.get(key);
  if (!res || res.remainingPoints > 0) return 0;
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * The named limiters of one server, each built once from its spec by `store` (`name`: its key prefix, unique per
 * purpose). Created once per server by createAppDeps (server/deps.ts); every instance sharing a store shares the
 * limiters' counts.
 */
export class NamedLimiters {
  private readonly built = new Map<string, RateLimiterAbstract>();

  constructor(private readonly store: LimiterStore = memoryLimiterStore) {}

  get(name: string, spec: LimitSpec): RateLimiterAbstract {
    let limiter = this.built.get(name);
    if (!limiter) {
      limiter = this.store(name, spec);
      this.built.set(name, limiter);
    }
    return limiter;
  }
}
