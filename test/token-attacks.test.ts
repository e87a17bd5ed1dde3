// Hostile session tokens against the BFF's verifier: every forgery, replay-ish or malformed-claims trick we know of
// must end in AuthError 401 without echoing the token or the secret; the legitimate HS256, RS256, ES256 and JWKS
// tokens (with a host claim mapping) must pass.
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  createSessionVerifier,
  mintSessionToken,
  type SessionAgentLookup,
  type SessionAuthConfig,
  type SessionVerifier,
} from '../server/auth/session-token.ts';
import type { UserContextType } from '../server/config/schema.ts';

const SECRET = randomBytes(48).toString('base64');
const OTHER_SECRET = randomBytes(48).toString('base64');

const AGENTS: Record<string, { userContext: Record<string, UserContextType> }> = {
  demo: { userContext: { organisationId: 'integer' } },
  hr: { userContext: { organisationId: 'integer', regions: 'string[]', isAdmin: 'boolean' } },
};
const agents: SessionAgentLookup = (id) => (Object.hasOwn(AGENTS, id) ? AGENTS[id] : undefined);

function pair(kind: 'rsa' | 'ec') {
  return kind === 'rsa'
    ? generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      })
    : generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
}
const RSA = pair('rsa');
const RSA_OTHER = pair('rsa');
const EC = pair('ec');

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    sub: 'user-1',
    userContext: { organisationId: 1 },
    agentId: 'demo',
    aud: 'parley',
    iat: t,
    exp: t + 900,
    jti: `jti-${t}-${Math.random()}`,
    ...extra,
  };
}

function without(o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}

const hs = (payload: object, secret = SECRET, header: object = {}) =>
  jwt.sign(payload, secret, { algorithm: 'HS256', header: { alg: 'HS256', ...header } });
/** jsonwebtoken adds iat unless told not to */
const hsNoIat = (payload: object) => jwt.sign(payload, SECRET, { algorithm: 'HS256', noTimestamp: true });
const rs = (payload: object, key: string = RSA.privateKey, kid?: string) =>
  jwt.sign(payload, key, { algorithm: 'RS256', ...(kid ? { keyid: kid } : {}) });
const es = (payload: object, kid?: string) =>
  jwt.sign(payload, EC.privateKey, { algorithm: 'ES256', ...(kid ? { keyid: kid } : {}) });

/** An HMAC-signed token crafted by hand, with whatever header and key the attacker likes. */
function handHs256(header: object, payload: object, key: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

async function rejected(
  verifier: SessionVerifier,
  token: string,
  why: RegExp,
  code: AuthError['code'] = 'invalid_token',
): Promise<AuthError> {
  let caught: unknown;
  try {
    await verifier.verify(token);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AuthError);
  const err = caught as AuthError;
  expect(err.status).toBe(401);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(why);
  // never echo the token, its parts, or a secret
  for (const part of [token, ...token.split('.').filter((p) => p.length > 8), SECRET, OTHER_SECRET]) {
    expect(err.message).not.toContain(part);
  }
  return err;
}

const hsVerifier = createSessionVerifier({ hs256Secret: SECRET }, agents);
const rsVerifier = createSessionVerifier({ publicKeys: [{ alg: 'RS256', pem: RSA.publicKey }] }, agents);
const esVerifier = createSessionVerifier({ publicKeys: [{ alg: 'ES256', pem: EC.publicKey }] }, agents);

describe('accepted tokens', () => {
  it('HS256 minted by mintSessionToken', async () => {
    const token = mintSessionToken({
      userIdentifier: 'alice@example.com',
      userContext: { organisationId: 7 },
      agentId: 'demo',
      permissions: ['datasets:context:write'],
      secret: SECRET,
    });
    const session = await hsVerifier.verify(token);
    expect(session).toMatchObject({
      userIdentifier: 'alice@example.com',
      agentId: 'demo',
      userContext: { organisationId: 7 },
      permissions: ['datasets:context:write'],
    });
    expect(session.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.expiresAt.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
  });

  it('RS256 with a PEM public key', async () => {
    const session = await rsVerifier.verify(rs(claims()));
    expect(session).toMatchObject({
      userIdentifier: 'user-1',
      userContext: { organisationId: 1 },
      permissions: [],
    });
  });

  it('ES256 with a PEM public key', async () => {
    const session = await esVerifier.verify(es(claims({ agentId: 'hr', userContext: hrContext() })));
    expect(session.userContext).toEqual(hrContext());
  });

  it('RS256 with a host claim mapping (org_id -> organisationId, a default agent)', async () => {
    const verifier = createSessionVerifier(
      {
        publicKeys: [{ kid: 'host-1', alg: 'RS256', pem: RSA.publicKey }],
        audience: 'https://api.host.example',
        issuer: 'https://auth.host.example/',
        claims: { userContext: { organisationId: 'org_id' }, defaultAgentId: 'demo' },
      },
      agents,
    );
    const t = now();
    const token = rs(
      {
        sub: 'u_42',
        jti: 'host-token-42',
        org_id: 42,
        aud: 'https://api.host.example',
        iss: 'https://auth.host.example/',
        iat: t,
        exp: t + 600,
      },
      RSA.privateKey,
      'host-1',
    );
    expect(await verifier.verify(token)).toMatchObject({
      userIdentifier: 'u_42',
      agentId: 'demo',
      userContext: { organisationId: 42 },
    });
  });
});

function hrContext() {
  return { organisationId: 3, regions: ['north', 'east'], isAdmin: false };
}

describe('forged and mis-signed tokens', () => {
  it('alg none, in any spelling, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claims())}.`;
      await rejected(hsVerifier, unsigned, /algorithm is not accepted/);
      await rejected(rsVerifier, unsigned, /algorithm is not accepted/);
      await rejected(hsVerifier, `${unsigned}c2lnbmF0dXJl`, /algorithm is not accepted/);
    }
  });

  it('HS256 signed with the RS public key PEM as the HMAC secret (algorithm confusion)', async () => {
    for (const pem of [RSA.publicKey, RSA.publicKey.trim(), Buffer.from(RSA.publicKey)]) {
      await rejected(
        rsVerifier,
        handHs256({ alg: 'HS256', typ: 'JWT' }, claims(), pem),
        /algorithm is not accepted/,
      );
    }
    await rejected(
      esVerifier,
      handHs256({ alg: 'HS256', typ: 'JWT' }, claims(), EC.publicKey),
      /algorithm is not accepted/,
    );
    // also when an HS secret is configured next to the RS key: the PEM is not that secret
    const both = createSessionVerifier(
      { hs256Secret: SECRET, publicKeys: [{ alg: 'RS256', pem: RSA.publicKey }] },
      agents,
    );
    await rejected(
      both,
      handHs256({ alg: 'HS256', typ: 'JWT' }, claims(), RSA.publicKey),
      /signature is invalid/,
    );
  });

  it('RS256 or ES256 when only the HS secret is configured', async () => {
    await rejected(hsVerifier, rs(claims()), /algorithm is not accepted/);
    await rejected(hsVerifier, es(claims()), /algorithm is not accepted/);
  });

  it('a token of the other asymmetric family, or another key of the same', async () => {
    await rejected(rsVerifier, es(claims()), /algorithm is not accepted/);
    await rejected(esVerifier, rs(claims()), /algorithm is not accepted/);
    await rejected(rsVerifier, rs(claims(), RSA_OTHER.privateKey), /signature is invalid/);
  });

  it('algorithms outside the pinned list (HS384/512, RS512, PS256)', async () => {
    await rejected(
      hsVerifier,
      jwt.sign(claims(), SECRET, { algorithm: 'HS512' }),
      /algorithm is not accepted/,
    );
    await rejected(
      hsVerifier,
      jwt.sign(claims(), SECRET, { algorithm: 'HS384' }),
      /algorithm is not accepted/,
    );
    await rejected(
      rsVerifier,
      jwt.sign(claims(), RSA.privateKey, { algorithm: 'RS512' }),
      /algorithm is not accepted/,
    );
    await rejected(
      rsVerifier,
      jwt.sign(claims(), RSA.privateKey, { algorithm: 'PS256' }),
      /algorithm is not accepted/,
    );
  });

  it('a key embedded in the header (jwk, jku, x5u) is never used', async () => {
    const jwk = (generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey as KeyObject).export({
      format: 'jwk',
    });
    const attacker = pair('rsa');
    const token = jwt.sign(claims(), attacker.privateKey, {
      algorithm: 'RS256',
      header: {
        alg: 'RS256',
        jwk,
        jku: 'http://127.0.0.1:1/jwks',
        x5u: 'http://127.0.0.1:1/x5u',
      } as jwt.JwtHeader,
    });
    await rejected(rsVerifier, token, /signature is invalid/);
  });

  it('a token signed with another secret', async () => {
    await rejected(hsVerifier, hs(claims(), OTHER_SECRET), /signature is invalid/);
  });

  it('a tampered payload (organisationId changed after signing)', async () => {
    const token = hs(claims());
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64(claims({ userContext: { organisationId: 2 } }))}.${signature}`;
    await rejected(hsVerifier, tampered, /signature is invalid/);
    const rsToken = rs(claims());
    const parts = rsToken.split('.');
    await rejected(
      rsVerifier,
      `${parts[0]}.${b64(claims({ userContext: { organisationId: 2 } }))}.${parts[2]}`,
      /signature is invalid/,
    );
  });

  it('malformed tokens, unsupported critical headers, oversize tokens', async () => {
    for (const token of ['abc', 'a.b', 'a.b.c.d', '..', '!!.??.**', `${b64('x')}.${b64(claims())}.sig`]) {
      await rejected(hsVerifier, token, /malformed|invalid/);
    }
    await rejected(hsVerifier, hs(claims(), SECRET, { crit: ['exp'], exp: 1 }), /critical/);
    await rejected(hsVerifier, hs({ ...claims(), pad: 'x'.repeat(20_000) }), /too long/);
    // a payload that is not a JSON object
    const input = `${b64({ alg: 'HS256' })}.${Buffer.from('"just a string"').toString('base64url')}`;
    await rejected(
      hsVerifier,
      `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`,
      /wrong audience|not an object/,
    );
    await expect(hsVerifier.verify('')).rejects.toMatchObject({ status: 401, code: 'missing_credentials' });
  });
});

describe('time and audience claims', () => {
  it('expired (beyond the 30 s tolerance)', async () => {
    const t = now();
    await rejected(hsVerifier, hs(claims({ iat: t - 3600, exp: t - 40 })), /expired/, 'token_expired');
    // within the tolerance it still passes
    await expect(hsVerifier.verify(hs(claims({ iat: t - 3600, exp: t - 10 })))).resolves.toBeDefined();
  });

  it('no exp, or a non-numeric exp', async () => {
    await rejected(hsVerifier, hs(without(claims(), 'exp')), /no expiry/);
    await rejected(
      hsVerifier,
      handHs256({ alg: 'HS256' }, claims({ exp: String(now() + 600) }), SECRET),
      /invalid/,
    );
    await rejected(hsVerifier, handHs256({ alg: 'HS256' }, claims({ exp: null }), SECRET), /invalid/);
    await rejected(rsVerifier, rs(without(claims(), 'exp')), /no expiry/);
  });

  it('nbf in the future (beyond the tolerance); iat in the future', async () => {
    const t = now();
    await rejected(hsVerifier, hs(claims({ nbf: t + 120 })), /not valid yet/);
    await expect(hsVerifier.verify(hs(claims({ nbf: t + 10 })))).resolves.toBeDefined();
    await rejected(hsVerifier, hs(claims({ iat: t + 3600, exp: t + 4000 })), /issued in the future/);
  });

  it('a lifetime over the maximum (24 h by default), with or without iat', async () => {
    const t = now();
    await rejected(hsVerifier, hs(claims({ iat: t, exp: t + 86_401 })), /lifetime exceeds/);
    await expect(hsVerifier.verify(hs(claims({ iat: t, exp: t + 86_400 })))).resolves.toBeDefined();
    // no iat: measured from nbf, else from now
    await rejected(hsVerifier, hsNoIat(without(claims({ exp: t + 25 * 3600 }), 'iat')), /lifetime exceeds/);
    await rejected(
      hsVerifier,
      hsNoIat(without(claims({ nbf: t - 23 * 3600, exp: t + 2 * 3600 }), 'iat')),
      /lifetime exceeds/,
    );
    await expect(
      hsVerifier.verify(hsNoIat(without(claims({ exp: t + 3600 }), 'iat'))),
    ).resolves.toBeDefined();
    await rejected(hsVerifier, handHs256({ alg: 'HS256' }, claims({ iat: 'yesterday' }), SECRET), /iat/);
    // a stricter configured maximum
    const strict = createSessionVerifier({ hs256Secret: SECRET, maxLifetimeSec: 3600 }, agents);
    await rejected(strict, hs(claims({ iat: t, exp: t + 7200 })), /lifetime exceeds/);
  });

  it('wrong or missing aud', async () => {
    await rejected(hsVerifier, hs(claims({ aud: 'someone-else' })), /wrong audience/);
    await rejected(hsVerifier, hs(without(claims(), 'aud')), /wrong audience/);
    await rejected(hsVerifier, hs(claims({ aud: ['a', 'b'] })), /wrong audience/);
    await expect(hsVerifier.verify(hs(claims({ aud: ['a', 'parley'] })))).resolves.toBeDefined();
  });

  it('wrong or missing iss when an issuer is configured', async () => {
    const verifier = createSessionVerifier({ hs256Secret: SECRET, issuer: 'https://host.example' }, agents);
    const err = await rejected(verifier, hs(claims({ iss: 'https://evil.example' })), /wrong issuer/);
    expect(err.message).not.toContain('host.example');
    await rejected(verifier, hs(claims()), /wrong issuer/);
    await expect(verifier.verify(hs(claims({ iss: 'https://host.example' })))).resolves.toBeDefined();
  });
});

describe('claims checked against the agent', () => {
  it.each([
    ['organisationId as "1"', { organisationId: '1' }],
    ['organisationId as "1 OR 1=1"', { organisationId: '1 OR 1=1' }],
    ['organisationId null', { organisationId: null }],
    ['organisationId [1,2]', { organisationId: [1, 2] }],
    ['organisationId missing', {}],
    ['organisationId "*"', { organisationId: '*' }],
    ['organisationId 1.5', { organisationId: 1.5 }],
    ['organisationId true', { organisationId: true }],
    ['organisationId an object', { organisationId: { $ne: 0 } }],
    ['an extra undeclared field', { organisationId: 1, isAdmin: true }],
    ['__proto__ smuggling', JSON.parse('{"organisationId":1,"__proto__":{"x":1}}')],
  ])('refuses a userContext with %s', async (_name, userContext) => {
    await rejected(hsVerifier, hs(claims({ userContext })), /userContext/);
    await rejected(rsVerifier, rs(claims({ userContext })), /userContext/);
  });

  it('refuses a userContext that is not an object, or absent', async () => {
    for (const userContext of [null, [1], 'organisationId=1', 1])
      await rejected(hsVerifier, hs(claims({ userContext })), /userContext/);
    await rejected(hsVerifier, hs(without(claims(), 'userContext')), /userContext/);
  });

  it('refuses a mapped claim of the wrong type (org_id "1", null, missing)', async () => {
    const verifier = createSessionVerifier(
      { hs256Secret: SECRET, claims: { userContext: { organisationId: 'org_id' } } },
      agents,
    );
    for (const org of ['1', null, '*', [1]])
      await rejected(verifier, hs({ ...without(claims(), 'userContext'), org_id: org }), /userContext/);
    await rejected(verifier, hs(without(claims(), 'userContext')), /userContext/);
    // the default userContext claim is not read when a mapping is set
    await rejected(verifier, hs(claims()), /userContext/);
  });

  it.each([
    ['empty', ''],
    ['257 characters', 'a'.repeat(257)],
    ['a newline', 'alice\nbob'],
    ['a NUL', 'alice\u0000'],
    ['a right-to-left override (displays as another id)', 'adm\u202Enimda'],
    ['a number', 123],
    ['null', null],
  ])('refuses a userIdentifier that is %s', async (_name, sub) => {
    await rejected(hsVerifier, hs(claims({ sub })), /userIdentifier/);
  });

  it("refuses a missing sub, and accepts 256 characters and identity providers' id shapes", async () => {
    await rejected(hsVerifier, hs(without(claims(), 'sub')), /userIdentifier/);
    await expect(hsVerifier.verify(hs(claims({ sub: 'a'.repeat(256) })))).resolves.toBeDefined();
    for (const sub of ['auth0|abc123', 'google-oauth2:1234', 'alice smith', 'Zoë']) {
      expect((await hsVerifier.verify(hs(claims({ sub })))).userIdentifier).toBe(sub);
    }
  });

  it('refuses an unknown, malformed or missing agentId', async () => {
    for (const agentId of ['nope', '__proto__', 'constructor', 'demo ', 42, null, ['demo']]) {
      await rejected(hsVerifier, hs(claims({ agentId })), /agent/);
    }
    await rejected(hsVerifier, hs(without(claims(), 'agentId')), /agent/);
  });

  it('refuses bad permissions', async () => {
    for (const permissions of [
      'datasets:context:write',
      [1],
      [''],
      ['a b'],
      Array.from({ length: 51 }, (_, i) => `p${i}`),
      {},
    ]) {
      await rejected(hsVerifier, hs(claims({ permissions })), /permissions/);
    }
    const fifty = Array.from({ length: 50 }, (_, i) => `p${i}`);
    expect((await hsVerifier.verify(hs(claims({ permissions: fifty })))).permissions).toHaveLength(50);
  });
});

describe('JWKS from a real local server', () => {
  const rsa1 = pair('rsa');
  const rsa2 = pair('rsa');
  const ec1 = pair('ec');
  let served: object[] = [];
  let requests = 0;
  let server: http.Server;
  let url: string;

  // the public half as a JWK, the way a host's JWKS endpoint publishes it
  const jwk = (pem: string, kid: string, alg: string) => ({
    ...createPublicKey(pem).export({ format: 'jwk' }),
    kid,
    alg,
    use: 'sig',
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests += 1;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const hostClaims = (extra: Record<string, unknown> = {}) => {
    const t = now();
    return {
      sub: 'u_9',
      jti: `host-${t}-${Math.random()}`,
      org_id: 9,
      agent: 'demo',
      aud: 'parley',
      iss: 'https://auth.host.example',
      iat: t,
      exp: t + 600,
      ...extra,
    };
  };
  const config = (): SessionAuthConfig => ({
    jwksUrl: url,
    issuer: 'https://auth.host.example',
    claims: { userIdentifier: 'sub', userContext: { organisationId: 'org_id' }, agentId: 'agent' },
  });

  it('accepts RS256 and ES256 tokens by kid, with the claim mapping', async () => {
    served = [jwk(rsa1.publicKey, 'rsa-1', 'RS256'), jwk(ec1.publicKey, 'ec-1', 'ES256')];
    requests = 0;
    const verifier = createSessionVerifier(config(), agents);
    const r = await verifier.verify(
      jwt.sign(hostClaims(), rsa1.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }),
    );
    expect(r).toMatchObject({ userIdentifier: 'u_9', agentId: 'demo', userContext: { organisationId: 9 } });
    const e = await verifier.verify(
      jwt.sign(hostClaims(), ec1.privateKey, { algorithm: 'ES256', keyid: 'ec-1' }),
    );
    expect(e.userContext).toEqual({ organisationId: 9 });
    expect(requests).toBe(1);
    // the JWKS keys are only for their own algorithm and kid
    await rejected(
      verifier,
      jwt.sign(hostClaims(), rsa1.privateKey, { algorithm: 'RS256', keyid: 'ec-1' }),
      /unknown key/,
    );
    await rejected(
      verifier,
      handHs256({ alg: 'HS256', kid: 'rsa-1' }, hostClaims(), rsa1.publicKey),
      /algorithm is not accepted/,
    );
    await rejected(
      verifier,
      jwt.sign(hostClaims({ org_id: '9' }), rsa1.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }),
      /userContext/,
    );
  });

  it('refetches once on a rotated kid, and a flood of unknown kids stays within the rate limit', async () => {
    served = [jwk(rsa1.publicKey, 'rsa-1', 'RS256')];
    requests = 0;
    const verifier = createSessionVerifier(config(), agents);
    const signWith = (key: string, kid: string) =>
      jwt.sign(hostClaims(), key, { algorithm: 'RS256', keyid: kid });

    await verifier.verify(signWith(rsa1.privateKey, 'rsa-1'));
    expect(requests).toBe(1);

    // the host rotates to rsa-2: the first token with the new kid triggers exactly one refetch
    served = [jwk(rsa1.publicKey, 'rsa-1', 'RS256'), jwk(rsa2.publicKey, 'rsa-2', 'RS256')];
    await verifier.verify(signWith(rsa2.privateKey, 'rsa-2'));
    expect(requests).toBe(2);
    await verifier.verify(signWith(rsa2.privateKey, 'rsa-2'));
    expect(requests).toBe(2);

    // a flood of unknown kids: at most 5 fetches a minute in all (2 made already)
    for (let i = 0; i < 30; i++)
      await rejected(verifier, signWith(rsa2.privateKey, `unknown-${i}`), /unknown key/);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        expect(verifier.verify(signWith(rsa2.privateKey, `burst-${i}`))).rejects.toMatchObject({
          status: 401,
        }),
      ),
    );
    expect(requests).toBe(5);
    // known keys keep working without fetching
    await verifier.verify(signWith(rsa1.privateKey, 'rsa-1'));
    expect(requests).toBe(5);
  });

  it('concurrent first requests share one fetch', async () => {
    served = [jwk(rsa1.publicKey, 'rsa-1', 'RS256')];
    requests = 0;
    const verifier = createSessionVerifier(config(), agents);
    const token = jwt.sign(hostClaims(), rsa1.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(requests).toBe(1);
  });

  it('ignores symmetric (oct) keys in the JWKS', async () => {
    const octSecret = randomBytes(32);
    served = [{ kty: 'oct', kid: 'oct-1', k: octSecret.toString('base64url'), alg: 'HS256' }];
    const verifier = createSessionVerifier(config(), agents);
    await rejected(
      verifier,
      handHs256({ alg: 'HS256', kid: 'oct-1' }, hostClaims(), octSecret),
      /algorithm is not accepted/,
    );
  });

  it('answers 503 when the JWKS cannot be fetched and nothing is cached', async () => {
    const verifier = createSessionVerifier(
      { ...config(), jwksUrl: url.replace('jwks.json', 'missing.json') },
      agents,
    );
    const token = jwt.sign(hostClaims(), rsa1.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 503, code: 'auth_unavailable' });
  });
});

describe('token ids (jti), for revocation', () => {
  const verifier = (requireJti?: boolean) =>
    createSessionVerifier(
      { hs256Secret: SECRET, ...(requireJti === undefined ? {} : { requireJti }) },
      agents,
    );

  it('refuses a token without a jti by default, and one whose jti is not a 1-256 character string always', async () => {
    await expect(verifier().verify(hs(without(claims(), 'jti')))).rejects.toMatchObject({
      code: 'invalid_token',
      message: expect.stringMatching(/jti/),
    });
    for (const jti of ['', 7, 'x'.repeat(257), ['a']]) {
      await expect(verifier(false).verify(hs(claims({ jti })))).rejects.toMatchObject({
        code: 'invalid_token',
      });
    }
  });

  it('accepts a token without a jti when requireJti is false, and reports jti and iat', async () => {
    await expect(verifier(false).verify(hs(without(claims(), 'jti')))).resolves.toMatchObject({
      userIdentifier: 'user-1',
    });
    const t = now();
    await expect(verifier().verify(hs(claims({ jti: 'abc', iat: t })))).resolves.toMatchObject({
      tokenId: 'abc',
      issuedAt: new Date(t * 1000),
    });
  });
});
