// Per-user upload limits: the rate per minute and the uploads in flight, each a 429 with a Retry-After.
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.ts';
import { UploadLimiter } from './upload-limits.ts';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as DatasetError,
  );

describe('UploadLimiter', () => {
  it('admits `concurrent` uploads per user at a time, others wait their turn with 429', async () => {
    const limits = new UploadLimiter({ perMinute: 100, concurrent: 2 });
    const a = await limits.admit('alice');
    const b = await limits.admit('alice');
    const third = await refusal(limits.admit('alice'));
    expect(third).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 2 });
    // another user is not affected
    const other = await limits.admit('bob');
    a();
    a(); // releasing twice frees one place, not two
    const c = await limits.admit('alice');
    expect(await refusal(limits.admit('alice'))).toBeInstanceOf(DatasetError);
    for (const done of [b, c, other]) done();
    expect(limits.running).toBe(0);
  });

  it('admits `perMinute` uploads per user a minute, then 429 with the seconds until the next', async () => {
    const limits = new UploadLimiter({ perMinute: 3, concurrent: 10 });
    for (let i = 0; i < 3; i += 1) (await limits.admit('alice'))();
    const refused = await refusal(limits.admit('alice'));
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(refused?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused?.retryAfter).toBeLessThanOrEqual(60);
    // a refused upload holds no place
    expect(limits.running).toBe(0);
    (await limits.admit('bob'))();
  });
});
