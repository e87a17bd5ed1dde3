// Token buckets: a per-user limit on questions (shared by the widget's WebSocket and REST surfaces) and small
// per-connection limits (invalid messages, syncs). In memory, per process; with Redis as shared state the per-user
// question limit is counted across instances (server/cluster/shared-limiter.ts).

import { createLimiter } from '../cluster/shared-limiter.ts';
import type { SharedState } from '../cluster/shared-state.ts';

export interface RateLimitOptions {
  /** the most messages accepted at once (the bucket's size); default 5 */
  burst: number;
  /** messages refilled per minute; default 10 */
  perMinute: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 5, perMinute: 10 };

export type Take =
  | { ok: true }
  | { ok: false /** whole seconds until one message is accepted again */; retryAfter: number };

/** A monotonic clock in milliseconds; tests pass their own. */
export type MonotonicClock = () => number;
const monotonic: MonotonicClock = () => performance.now();

/** One bucket: `burst` tokens, refilled continuously at `perMinute` a minute. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: MonotonicClock = monotonic,
  ) {
    checkRateLimit(options);
    this.tokens = options.burst;
    this.at = now();
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.at);
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed * this.options.perMinute) / 60_000);
    this.at = now;
  }

  take(): Take {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    const waitMs = ((1 - this.tokens) * 60_000) / this.options.perMinute;
    return { ok: false, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** true when the bucket is full again (it then behaves like a new one and can be forgotten) */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.options.burst;
  }
}

/** Buckets by key (e.g. one per user); full buckets are forgotten so memory stays bounded. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly now: MonotonicClock = monotonic,
    private readonly maxKeys = 10_000,
  ) {
    checkRateLimit(options);
  }

  take(key: string): Take {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.prune();
      bucket = new TokenBucket(this.options, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** forgets full buckets; if every bucket is in use, the oldest ones go (a burst of new users must not grow it) */
  prune(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** Throws on a burst under 1 or a rate that is not positive. */
export function checkRateLimit(options: RateLimitOptions): void {
  if (!(Number.isFinite(options.burst) && options.burst >= 1))
    throw new Error('rate limit burst must be at least 1');
  if (!(Number.isFinite(options.perMinute) && options.perMinute > 0))
    throw new Error('rate limit perMinute must be positive');
}

export interface UserRateLimiter {
  take(key: string): Promise<Take>;
}

/**
 * The per-user question limiter of one server, built once by createAppDeps (server/deps.ts) and shared by the
 * WebSocket and the REST message route so a user cannot double their rate by switching surface. One instance: a
 * token bucket in memory; with Redis (`shared`): a window of `burst` questions per `burst / perMinute` minutes,
 * across instances.
 */
export function createQuestionLimiter(
  shared: SharedState | undefined,
  options: RateLimitOptions = DEFAULT_RATE_LIMIT,
): UserRateLimiter {
  return shared?.mode === 'redis' ? sharedQuestionLimiter(shared, options) : memoryLimiter(options);
}

function memoryLimiter(options: RateLimitOptions): UserRateLimiter {
  const keyed = new KeyedRateLimiter(options);
  return { take: async (key) => keyed.take(key) };
}

function sharedQuestionLimiter(shared: SharedState, options: RateLimitOptions): UserRateLimiter {
  checkRateLimit(options);
  const limiter = createLimiter(shared, {
    keyPrefix: 'questions',
    points: options.burst,
    duration: Math.max(1, Math.ceil((options.burst * 60) / options.perMinute)),
  });
  return {
    async take(key) {
      try {
        await limiter.consume(key);
        return { ok: true };
      } catch (rejection) {
        if (rejection instanceof Error) throw rejection;
        const ms = (rejection as { msBeforeNext?: number }).msBeforeNext ?? 1000;
        return { ok: false, retryAfter: Math.max(1, Math.ceil(ms / 1000)) };
      }
    },
  };
}
