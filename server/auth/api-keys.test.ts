import { describe, expect, it } from 'vitest';
import { apiKeysFromEnv, createApiKeyChecker } from './api-keys.ts';
import { AuthError } from './claims.ts';

const KEY = 'pk_live_0123456789abcdef';
const SCOPED = 'pk_scoped_fedcba9876543210';

const checker = createApiKeyChecker([
  { key: KEY, name: 'backend' },
  { key: SCOPED, name: 'reports', agents: ['demo'] },
]);

function refusal(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    const e = err as AuthError;
    for (const secret of [KEY, SCOPED]) expect(e.message).not.toContain(secret);
    return e;
  }
  throw new Error('expected a refusal');
}

describe('createApiKeyChecker', () => {
  it('accepts a correct key (any case of the Bearer scheme)', () => {
    expect(checker.check(`Bearer ${KEY}`)).toEqual({ name: 'backend' });
    expect(checker.check(`bearer ${KEY}`, 'demo')).toEqual({ name: 'backend' });
    expect(checker.check(`Bearer ${SCOPED}`, 'demo')).toEqual({ name: 'reports', agents: ['demo'] });
    expect(checker.check(`Bearer ${SCOPED}`)).toEqual({ name: 'reports', agents: ['demo'] });
  });

  it('refuses a wrong key with 401', () => {
    for (const wrong of [`${KEY}x`, KEY.slice(0, -1), KEY.toUpperCase(), 'x', 'a'.repeat(10_000)]) {
      const e = refusal(() => checker.check(`Bearer ${wrong}`));
      expect([e.status, e.code]).toEqual([401, 'invalid_api_key']);
    }
  });

  it('refuses a missing header with 401', () => {
    for (const header of [undefined, '', '   ']) {
      const e = refusal(() => checker.check(header, 'demo'));
      expect([e.status, e.code]).toEqual([401, 'missing_credentials']);
    }
  });

  it('refuses another scheme or a malformed header with 401', () => {
    for (const header of [
      `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}`,
      KEY,
      `Token ${KEY}`,
      'Bearer',
      'Bearer ',
      `Bearer ${KEY} extra`,
      `Bearer\t${KEY}`,
    ]) {
      const e = refusal(() => checker.check(header));
      expect([e.status, e.code]).toEqual([401, 'invalid_api_key']);
    }
  });

  it('refuses a scoped key on another agent with 403', () => {
    const e = refusal(() => checker.check(`Bearer ${SCOPED}`, 'hr'));
    expect([e.status, e.code]).toEqual([403, 'forbidden']);
  });

  it('refuses short, blank-holding and duplicate keys at construction, without echoing them', () => {
    expect(() => createApiKeyChecker([{ key: 'short-key-123' }])).toThrow(/key-1 is shorter than 16/);
    expect(() => createApiKeyChecker([{ key: 'short-key-123' }])).not.toThrow(/short-key-123/);
    expect(() => createApiKeyChecker([{ key: '', name: 'ci' }])).toThrow(/ci is shorter/);
    expect(() => createApiKeyChecker([{ key: 'a key with spaces 123' }])).toThrow(/whitespace/);
    expect(() => createApiKeyChecker([{ key: KEY }, { key: KEY, name: 'again' }])).toThrow(
      /again is a duplicate/,
    );
    expect(() => createApiKeyChecker([{ key: KEY, agents: 'demo' as never }])).toThrow(/agents/);
    expect(() => createApiKeyChecker([{ key: 'x'.repeat(16) }])).not.toThrow();
  });

  it('refuses everything when no key is configured', () => {
    expect(refusal(() => createApiKeyChecker([]).check(`Bearer ${KEY}`)).status).toBe(401);
  });
});

describe('apiKeysFromEnv', () => {
  it('reads PARLEY_API_KEY: one key, several comma-separated, or none', () => {
    expect(apiKeysFromEnv({})).toEqual([]);
    expect(apiKeysFromEnv({ PARLEY_API_KEY: '  ' })).toEqual([]);
    expect(apiKeysFromEnv({ PARLEY_API_KEY: KEY })).toEqual([{ key: KEY, name: 'PARLEY_API_KEY' }]);
    expect(apiKeysFromEnv({ PARLEY_API_KEY: `${KEY}, ${SCOPED},` })).toEqual([
      { key: KEY, name: 'PARLEY_API_KEY[0]' },
      { key: SCOPED, name: 'PARLEY_API_KEY[1]' },
    ]);
    const fromEnv = createApiKeyChecker(apiKeysFromEnv({ PARLEY_API_KEY: KEY }));
    expect(fromEnv.check(`Bearer ${KEY}`, 'any')).toEqual({ name: 'PARLEY_API_KEY' });
    expect(() => createApiKeyChecker(apiKeysFromEnv({ PARLEY_API_KEY: 'too-short' }))).toThrow(
      /PARLEY_API_KEY is shorter/,
    );
  });
});
