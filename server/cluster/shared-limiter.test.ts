import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { REDIS_URL, redisEnabled, redisTitle } from '../../test/support/redis.ts';
import { createLimiter } from './shared-limiter.ts';
import { redisState } from './shared-state.ts';

describe('the limiter factory', () => {
  it('builds an in-memory limiter for one instance', async () => {
    const limiter = createLimiter(undefined, { keyPrefix: 'test', points: 1, duration: 60 });
    expect(limiter).toBeInstanceOf(RateLimiterMemory);
    await limiter.consume('k');
    await expect(limiter.consume('k')).rejects.toMatchObject({ remainingPoints: 0 });
  });
});

describe.skipIf(!redisEnabled)(redisTitle('the limiter factory on Redis'), () => {
  it('counts one key across instances', async () => {
    const logger = pino({ level: 'silent' });
    const one = await redisState(REDIS_URL ?? '', 'one', logger);
    const two = await redisState(REDIS_URL ?? '', 'two', logger);
    try {
      const options = { keyPrefix: `test-${randomUUID()}`, points: 2, duration: 60 };
      const onOne = createLimiter(one, options);
      const onTwo = createLimiter(two, options);
      await onOne.consume('user');
      await onTwo.consume('user');
      await expect(onOne.consume('user')).rejects.toMatchObject({ remainingPoints: 0 });
    } finally {
      await one.close();
      await two.close();
    }
  });
});
