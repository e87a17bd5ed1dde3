import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, TokenBucket } from './question-rate.ts';

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate and says when to retry', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 5, perMinute: 10 }, clock.now);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take()).toEqual({ ok: false, retryAfter: 6 });
    clock.advance(3_000);
    expect(bucket.take()).toEqual({ ok: false, retryAfter: 3 });
    clock.advance(3_000);
    expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take().ok).toBe(false);
    clock.advance(10 * 60_000);
    expect(bucket.isFull()).toBe(true);
    for (let i = 0; i < 5; i++) expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
  });

  it('never answers a retryAfter under one second', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ burst: 1, perMinute: 600 }, clock.now);
    expect(bucket.take().ok).toBe(true);
    clock.advance(90);
    expect(bucket.take()).toEqual({ ok: false, retryAfter: 1 });
  });

  it('refuses nonsense options', () => {
    expect(() => new TokenBucket({ burst: 0, perMinute: 1 })).toThrow(/burst/);
    expect(() => new TokenBucket({ burst: 1, perMinute: 0 })).toThrow(/perMinute/);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps one bucket per key', () => {
    const clock = fakeClock();
    const limiter = new KeyedRateLimiter({ burst: 1, perMinute: 1 }, clock.now);
    expect(limiter.take('alice').ok).toBe(true);
    expect(limiter.take('alice').ok).toBe(false);
    expect(limiter.take('bob').ok).toBe(true);
  });

  it('stays bounded: full buckets are forgotten first, then the oldest', () => {
    const clock = fakeClock();
    const limiter = new KeyedRateLimiter({ burst: 2, perMinute: 60 }, clock.now, 3);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect(limiter.size).toBe(3);
    clock.advance(5_000); // a, b, c are full again
    limiter.take('d');
    expect(limiter.size).toBe(1);
    limiter.take('e');
    limiter.take('f');
    limiter.take('g'); // none full: the oldest goes
    expect(limiter.size).toBe(3);
  });
});
