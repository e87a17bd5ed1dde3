// Per-user upload limits: how many uploads a user may start per minute, and how many of theirs may be read at the
// same time. Past either, 429 rate_limited with Retry-After, before the body is read.
//
// The rate is rate-limiter-flexible's: a well-kept limiter whose in-memory store has the same interface as its
// Redis and MySQL stores, so sharing limits across instances (PARLEY_REDIS_URL) is a change of store, not of code.
// Concurrency is a counter per user, held for the duration of one upload and forgotten at zero.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DatasetError } from './errors.ts';

export interface UploadLimitOptions {
  perMinute: number;
  concurrent: number;
  /** seconds suggested to a client turned away for concurrency (default 2) */
  busyRetryAfterSec?: number;
}

export class UploadLimiter {
  private readonly rate: RateLimiterMemory;
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: UploadLimitOptions) {
    this.rate = new RateLimiterMemory({
      keyPrefix: 'parley-uploads',
      points: options.perMinute,
      duration: 60,
    });
  }

  /**
   * Admits one upload by `key` (a user), or throws 429 with Retry-After. Call the returned function once when the
   * upload is done, whatever its outcome.
   */
  async admit(key: string): Promise<() => void> {
    const running = this.inFlight.get(key) ?? 0;
    if (running >= this.options.concurrent) {
      throw new DatasetError(
        429,
        'rate_limited',
        `at most ${this.options.concurrent} uploads at a time: wait for the others to finish`,
        this.options.busyRetryAfterSec ?? 2,
      );
    }
    // counted before the await, so two requests at once cannot both take the last place
    this.inFlight.set(key, running + 1);
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
    try {
      await this.rate.consume(key);
    } catch (err) {
      release();
      if (!(err instanceof RateLimiterRes)) throw err;
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new DatasetError(
        429,
        'rate_limited',
        `at most ${this.options.perMinute} uploads a minute: try again in ${seconds} s`,
        seconds,
      );
    }
    return release;
  }

  /** uploads being read now, across users (for tests and metrics) */
  get running(): number {
    let n = 0;
    for (const v of this.inFlight.values()) n += v;
    return n;
  }
}
