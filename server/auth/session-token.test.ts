import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import jwt from 'jsonwebtoken';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerTokenCommand } from '../cli/token.ts';
import type { UserContextType } from '../config/schema.ts';
import {
  AuthError,
  createSessionVerifier,
  mintSessionToken,
  parseDuration,
  type SessionAgentLookup,
  sessionAuthConfigFromEnv,
  sessionSecretKey,
} from './session-token.ts';

const SECRET = randomBytes(32).toString('hex');
const AGENTS: Record<string, { userContext: Record<string, UserContextType> }> = {
  demo: { userContext: { organisationId: 'integer' } },
};
const agents: SessionAgentLookup = (id) => (Object.hasOwn(AGENTS, id) ? AGENTS[id] : undefined);
const pem = (kind: 'rsa' | 'ec', bits = 2048) =>
  (kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: bits })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  ).publicKey.export({ format: 'pem', type: 'spki' }) as string;
const RSA_PEM = pem('rsa');
const EC_PEM = pem('ec');

const base = { userIdentifier: 'u1', userContext: { organisationId: 1 }, agentId: 'demo', secret: SECRET };
const decode = (token: string) => jwt.decode(token) as Record<string, unknown>;

describe('parseDuration', () => {
  it('reads seconds and s/m/h/d suffixes; refuses the rest', () => {
    expect(parseDuration(90)).toBe(90);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86_400);
    for (const bad of [0, -5, 1.5, Number.NaN, '', '15x', '1.5h', '-1m', 'm', '15 minutes']) {
      expect(() => parseDuration(bad, 'ttl')).toThrow(/ttl must be/);
    }
  });
});

describe('sessionSecretKey', () => {
  it('refuses an unset or short secret with a clear message that does not show it', () => {
    expect(() => sessionSecretKey(undefined)).toThrow(/PARLEY_SESSION_SECRET is not set/);
    expect(() => sessionSecretKey('')).toThrow(/PARLEY_SESSION_SECRET is not set/);
    const short = 'x'.repeat(31);
    expect(() => sessionSecretKey(short)).toThrow(/at least 32 bytes/);
    expect(() => sessionSecretKey(short)).not.toThrow(new RegExp(short));
    // bytes, not characters: 11 three-byte characters are 33 bytes
    expect(() => sessionSecretKey('€'.repeat(11))).not.toThrow();
    expect(sessionSecretKey('x'.repeat(32)).type).toBe('secret');
  });
});

describe('mintSessionToken', () => {
  it('writes the default claims, HS256, 15 minutes', async () => {
    const token = mintSessionToken({ ...base, permissions: ['datasets:context:write'] });
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decode(token);
    expect(claims).toMatchObject({
      sub: 'u1',
      userContext: { organisationId: 1 },
      agentId: 'demo',
      permissions: ['datasets:context:write'],
      aud: 'parley',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims.iss).toBeUndefined();
    const session = await createSessionVerifier({ hs256Secret: SECRET }, agents).verify(token);
    expect(session.tokenId).toBe(claims.jti);
  });

  it('takes a ttl in seconds or as text, and enforces the 24 h maximum', () => {
    const life = (ttl: string | number) => {
      const c = decode(mintSessionToken({ ...base, ttl }));
      return Number(c.exp) - Number(c.iat);
    };
    expect(life('2h')).toBe(7200);
    expect(life(60)).toBe(60);
    expect(life('24h')).toBe(86_400);
    expect(() => mintSessionToken({ ...base, ttl: '25h' })).toThrow(/at most 24h/);
    expect(() => mintSessionToken({ ...base, ttl: 86_401 })).toThrow(/at most 24h/);
    expect(() => mintSessionToken({ ...base, ttl: 0 })).toThrow(/ttl/);
    expect(() => mintSessionToken({ ...base, ttl: 'soon' })).toThrow(/ttl/);
  });

  it('uses PARLEY_SESSION_SECRET by default and refuses without a good one', () => {
    const saved = process.env.PARLEY_SESSION_SECRET;
    try {
      process.env.PARLEY_SESSION_SECRET = SECRET;
      const { secret: _omit, ...noSecret } = base;
      expect(jwt.verify(mintSessionToken(noSecret), SECRET, { algorithms: ['HS256'] })).toBeTruthy();
      delete process.env.PARLEY_SESSION_SECRET;
      expect(() => mintSessionToken(noSecret)).toThrow(/PARLEY_SESSION_SECRET is not set/);
      process.env.PARLEY_SESSION_SECRET = 'too-short';
      expect(() => mintSessionToken(noSecret)).toThrow(/PARLEY_SESSION_SECRET is too short/);
      expect(() => mintSessionToken({ ...base, secret: 'too-short' })).toThrow(/too short/);
    } finally {
      if (saved === undefined) delete process.env.PARLEY_SESSION_SECRET;
      else process.env.PARLEY_SESSION_SECRET = saved;
    }
  });

  it('checks the userIdentifier, agentId, userContext shape and permissions', () => {
    expect(() => mintSessionToken({ ...base, userIdentifier: 'a\u202Eb' })).toThrow(/userIdentifier/);
    expect(() => mintSessionToken({ ...base, userIdentifier: '' })).toThrow(/userIdentifier/);
    expect(() => mintSessionToken({ ...base, agentId: '../demo' })).toThrow(/agentId/);
    expect(() => mintSessionToken({ ...base, userContext: { organisationId: { $ne: 1 } } })).toThrow(
      /organisationId/,
    );
    expect(() => mintSessionToken({ ...base, userContext: { organisationId: null } })).toThrow(
      /organisationId/,
    );
    expect(() => mintSessionToken({ ...base, userContext: { organisationId: 1.5 } })).toThrow(
      /organisationId/,
    );
    expect(() => mintSessionToken({ ...base, userContext: [1] as never })).toThrow(/object/);
    expect(() => mintSessionToken({ ...base, permissions: ['ok', 'not ok'] })).toThrow(/permissions/);
    expect(() => mintSessionToken({ ...base, permissions: Array(51).fill('p') })).toThrow(/at most 50/);
  });

  it('writes a custom audience and issuer', async () => {
    const token = mintSessionToken({ ...base, audience: 'bff', issuer: 'host' });
    expect(decode(token)).toMatchObject({ aud: 'bff', iss: 'host' });
    const verifier = createSessionVerifier({ hs256Secret: SECRET, audience: 'bff', issuer: 'host' }, agents);
    expect((await verifier.verify(token)).userIdentifier).toBe('u1');
    await expect(createSessionVerifier({ hs256Secret: SECRET }, agents).verify(token)).rejects.toBeInstanceOf(
      AuthError,
    );
  });
});

describe('the verified session', () => {
  const sign = (claims: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign({ sub: 'u1', agentId: 'demo', userContext: { organisationId: 7 }, ...claims }, SECRET, {
      algorithm: 'HS256',
      audience: 'parley',
      ...options,
    });
  const exp = Math.floor(Date.now() / 1000) + 600;
  const who = { userIdentifier: 'u1', agentId: 'demo', userContext: { organisationId: 7 } };

  it('says who the token speaks for, when it expires, and its id and issue time', async () => {
    const verifier = createSessionVerifier({ hs256Secret: SECRET }, agents);
    const iat = exp - 900;
    const session = await verifier.verify(
      sign({ exp, iat, jti: 'token-1', permissions: ['datasets:context:write'] }),
    );
    expect(session).toStrictEqual({
      ...who,
      permissions: ['datasets:context:write'],
      expiresAt: new Date(exp * 1000),
      tokenId: 'token-1',
      issuedAt: new Date(iat * 1000),
    });
  });

  it('has no token id or issue time when the token has none (not keys set to undefined)', async () => {
    const verifier = createSessionVerifier({ hs256Secret: SECRET, requireJti: false }, agents);
    const session = await verifier.verify(sign({ exp }, { noTimestamp: true }));
    // toStrictEqual: a key set to undefined would not match
    expect(session).toStrictEqual({ ...who, permissions: [], expiresAt: new Date(exp * 1000) });
  });
});

describe('createSessionVerifier configuration', () => {
  it('refuses to construct with a secret under 32 bytes, without showing it', () => {
    const short = 'a'.repeat(31);
    expect(() => createSessionVerifier({ hs256Secret: short }, agents)).toThrow(/at least 32 bytes/);
    expect(() => createSessionVerifier({ hs256Secret: short }, agents)).not.toThrow(new RegExp(short));
    expect(() => createSessionVerifier({ hs256Secret: '' }, agents)).toThrow(/not set/);
  });

  it('refuses a config without any key', () => {
    expect(() => createSessionVerifier({}, agents)).toThrow(/no session token key configured/);
    expect(() => createSessionVerifier({ publicKeys: [] }, agents)).toThrow(
      /no session token key configured/,
    );
  });

  it('refuses keys that do not fit their pinned algorithm', () => {
    const v = (k: { alg: 'RS256' | 'ES256'; pem: string; kid?: string }) => () =>
      createSessionVerifier({ publicKeys: [k] }, agents);
    expect(v({ alg: 'RS256', pem: EC_PEM })).toThrow(/RS256 needs an RSA key/);
    expect(v({ alg: 'ES256', pem: RSA_PEM })).toThrow(/ES256 needs an EC P-256 key/);
    expect(v({ alg: 'RS256', pem: pem('rsa', 1024) })).toThrow(/2048/);
    expect(v({ alg: 'HS256' as never, pem: RSA_PEM })).toThrow(/alg must be RS256 or ES256/);
    expect(v({ alg: 'RS256', pem: 'not a key' })).toThrow(/not a PEM public key/);
    expect(v({ alg: 'RS256', pem: RSA_PEM, kid: '' })).toThrow(/kid/);
    const privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    expect(v({ alg: 'RS256', pem: privatePem })).toThrow(/never give the verifier a private key/);
    expect(v({ alg: 'RS256', pem: RSA_PEM })).not.toThrow();
    expect(v({ alg: 'ES256', pem: EC_PEM })).not.toThrow();
  });

  it('refuses bad settings', () => {
    const ok = { hs256Secret: SECRET };
    expect(() => createSessionVerifier({ ...ok, audience: '' }, agents)).toThrow(/audience/);
    expect(() => createSessionVerifier({ ...ok, issuer: '' }, agents)).toThrow(/issuer/);
    expect(() => createSessionVerifier({ ...ok, clockToleranceSec: -1 }, agents)).toThrow(
      /clockToleranceSec/,
    );
    expect(() => createSessionVerifier({ ...ok, clockToleranceSec: 3600 }, agents)).toThrow(
      /clockToleranceSec/,
    );
    expect(() => createSessionVerifier({ ...ok, maxLifetimeSec: 0 }, agents)).toThrow(/maxLifetimeSec/);
    expect(() => createSessionVerifier({ ...ok, claims: { agentId: '' } }, agents)).toThrow(/claims.agentId/);
    expect(() => createSessionVerifier({ jwksUrl: 'http://auth.example/jwks' }, agents)).toThrow(/https/);
    expect(() => createSessionVerifier({ jwksUrl: 'https://auth.example/jwks' }, agents)).not.toThrow();
  });

  it('honours a configured clock tolerance', async () => {
    const t = Math.floor(Date.now() / 1000);
    const token = jwt.sign(
      {
        sub: 'u',
        agentId: 'demo',
        userContext: { organisationId: 1 },
        aud: 'parley',
        iat: t - 100,
        exp: t - 10,
        jti: 'tolerance',
      },
      SECRET,
    );
    await expect(createSessionVerifier({ hs256Secret: SECRET }, agents).verify(token)).resolves.toBeDefined();
    await expect(
      createSessionVerifier({ hs256Secret: SECRET, clockToleranceSec: 0 }, agents).verify(token),
    ).rejects.toMatchObject({
      code: 'token_expired',
      status: 401,
    });
  });
});

describe('sessionAuthConfigFromEnv', () => {
  it('reads every variable; empty ones count as unset', () => {
    const config = sessionAuthConfigFromEnv({
      PARLEY_SESSION_SECRET: SECRET,
      PARLEY_SESSION_PUBLIC_KEY: RSA_PEM.replace(/\n/g, '\\n'),
      PARLEY_SESSION_JWKS_URL: 'https://auth.example/.well-known/jwks.json',
      PARLEY_SESSION_AUDIENCE: 'bff',
      PARLEY_SESSION_ISSUER: '',
      PARLEY_SESSION_CLOCK_TOLERANCE: '10',
      PARLEY_SESSION_MAX_LIFETIME: '1h',
      PARLEY_SESSION_CLAIMS: '{"userContext":{"organisationId":"org_id"},"agentId":"agent"}',
    });
    expect(config).toEqual({
      hs256Secret: SECRET,
      publicKeys: [{ alg: 'RS256', pem: RSA_PEM }],
      jwksUrl: 'https://auth.example/.well-known/jwks.json',
      audience: 'bff',
      clockToleranceSec: 10,
      maxLifetimeSec: 3600,
      claims: { userContext: { organisationId: 'org_id' }, agentId: 'agent' },
    });
    expect(() => createSessionVerifier(config, agents)).not.toThrow();
  });

  it('detects ES256 from an EC key, or takes PARLEY_SESSION_PUBLIC_KEY_ALG', () => {
    expect(sessionAuthConfigFromEnv({ PARLEY_SESSION_PUBLIC_KEY: EC_PEM }).publicKeys).toEqual([
      { alg: 'ES256', pem: EC_PEM },
    ]);
    expect(
      sessionAuthConfigFromEnv({ PARLEY_SESSION_PUBLIC_KEY: EC_PEM, PARLEY_SESSION_PUBLIC_KEY_ALG: 'RS256' })
        .publicKeys,
    ).toEqual([{ alg: 'RS256', pem: EC_PEM }]);
    expect(() =>
      sessionAuthConfigFromEnv({ PARLEY_SESSION_PUBLIC_KEY: EC_PEM, PARLEY_SESSION_PUBLIC_KEY_ALG: 'none' }),
    ).toThrow(/RS256 or ES256/);
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_PUBLIC_KEY: 'garbage' })).toThrow(
      /not a PEM public key/,
    );
  });

  it('refuses malformed values with the variable named', () => {
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_CLAIMS: '{bad' })).toThrow(
      /PARLEY_SESSION_CLAIMS must be JSON/,
    );
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_CLAIMS: '[]' })).toThrow(/JSON object/);
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_CLAIMS: '{"agentId":5}' })).toThrow(
      /claims.agentId/,
    );
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_CLOCK_TOLERANCE: 'lots' })).toThrow(
      /CLOCK_TOLERANCE/,
    );
    expect(() => sessionAuthConfigFromEnv({ PARLEY_SESSION_MAX_LIFETIME: 'forever' })).toThrow(
      /MAX_LIFETIME/,
    );
  });

  it('lets overrides win field by field, ignoring undefined', () => {
    const config = sessionAuthConfigFromEnv(
      { PARLEY_SESSION_SECRET: SECRET, PARLEY_SESSION_AUDIENCE: 'env' },
      { audience: 'config', issuer: undefined, maxLifetimeSec: 600 },
    );
    expect(config).toEqual({ hs256Secret: SECRET, audience: 'config', maxLifetimeSec: 600 });
    expect(sessionAuthConfigFromEnv({})).toEqual({});
    expect(sessionAuthConfigFromEnv({ PARLEY_SESSION_SECRET: 'env' }, { secret: SECRET })).toEqual({
      hs256Secret: SECRET,
    });
    expect(sessionAuthConfigFromEnv({ PARLEY_SESSION_SECRET: SECRET }, { secret: undefined })).toEqual({
      hs256Secret: SECRET,
    });
  });
});

describe('parley token', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-token-'));
    file = path.join(dir, 'parley.config.yaml');
    fs.writeFileSync(
      file,
      [
        'agents:',
        '  - id: demo',
        "    userContext: { organisationId: integer, regions: 'string[]' }",
        '    model: { tables: {} }',
        '  - id: open',
        '    model: { tables: {} }',
        '',
      ].join('\n'),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(
    args: string[],
    env: NodeJS.ProcessEnv = { PARLEY_SESSION_SECRET: SECRET },
  ): Promise<string> {
    let out = '';
    const program = new Command('parley')
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerTokenCommand(program, { env, stdout: (text) => (out += text) });
    await program.parseAsync(['node', 'parley', 'token', '--config', file, ...args]);
    return out;
  }

  it('prints only a JWT the verifier accepts, typed by the agent', async () => {
    const out = await run([
      '--user',
      'alice@example.com',
      '--agent',
      'demo',
      '--context',
      'organisationId=42',
      '--context',
      'regions=north,east',
      '--ttl',
      '1h',
      '--permission',
      'datasets:context:write',
    ]);
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verifier = createSessionVerifier({ hs256Secret: SECRET }, (id) =>
      id === 'demo' ? { userContext: { organisationId: 'integer', regions: 'string[]' } } : undefined,
    );
    const session = await verifier.verify(out.trim());
    expect(session).toMatchObject({
      userIdentifier: 'alice@example.com',
      agentId: 'demo',
      userContext: { organisationId: 42, regions: ['north', 'east'] },
      permissions: ['datasets:context:write'],
    });
    const claims = decode(out.trim());
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
  });

  it('refuses a bad context, an unknown agent, a missing agent choice, a bad user or ttl', async () => {
    const ok = ['--user', 'u1', '--agent', 'demo', '--context', 'organisationId=1', '--context', 'regions=n'];
    await expect(run(ok)).resolves.toMatch(/\./);
    await expect(run([...ok, '--context', 'organisationId=1 OR 1=1'])).rejects.toThrow(
      /organisationId is an integer, got "1 OR 1=1"/,
    );
    await expect(run([...ok, '--context', 'tenant=1'])).rejects.toThrow(/not a declared field/);
    await expect(run(['--user', 'u1', '--agent', 'demo', '--context', 'regions=n'])).rejects.toThrow(
      /organisationId is required/,
    );
    await expect(run(['--user', 'u1', '--agent', 'ghost'])).rejects.toThrow(/unknown agent "ghost"/);
    await expect(run(['--user', 'u1'])).rejects.toThrow(/give --agent \(agents: demo, open\)/);
    await expect(run(['--user', 'a\tb', '--agent', 'open'])).rejects.toThrow(/--user/);
    await expect(run([...ok, '--ttl', '2d'])).rejects.toThrow(/at most 24h/);
    await expect(run(['--user', 'u1', '--agent', 'open'])).resolves.toMatch(/\./);
  });

  it('needs PARLEY_SESSION_SECRET of at least 32 bytes', async () => {
    const args = ['--user', 'u1', '--agent', 'open'];
    await expect(run(args, {})).rejects.toThrow(/PARLEY_SESSION_SECRET is not set/);
    await expect(run(args, { PARLEY_SESSION_SECRET: 'short' })).rejects.toThrow(
      /PARLEY_SESSION_SECRET is too short/,
    );
  });
});
