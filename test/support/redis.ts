// The Redis test gate: on when PARLEY_TEST_REDIS_URL is set or CI=true (default redis://127.0.0.1:6379). When on,
// a Redis that does not answer fails the tests loudly: nothing here turns into a silent skip.
export const REDIS_URL: string | undefined =
  process.env.PARLEY_TEST_REDIS_URL || (process.env.CI === 'true' ? 'redis://127.0.0.1:6379' : undefined);

export const redisEnabled = REDIS_URL !== undefined;

export function redisTitle(title: string): string {
  return redisEnabled ? `${title} (Redis)` : `${title} (requires Redis: set PARLEY_TEST_REDIS_URL)`;
}
