import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJwksUrl, createJwksClient, JwksUnavailableError, keysFromJwks, selectKeys } from './jwks.ts';

const rsaJwk = (bits = 2048) =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
const ecJwk = (namedCurve = 'P-256') =>
  generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' });

describe('keysFromJwks', () => {
  it('keeps RSA (2048+) as RS256 and P-256 as ES256; skips everything else', () => {
    const privateRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      format: 'jwk',
    });
    const keys = keysFromJwks({
      keys: [
        { ...rsaJwk(), kid: 'r1' },
        { ...ecJwk(), kid: 'e1', alg: 'ES256' },
        { ...rsaJwk(1024), kid: 'weak' },
        { ...ecJwk('P-384'), kid: 'p384' },
        { kty: 'oct', kid: 'o1', k: randomBytes(32).toString('base64url') },
        { ...rsaJwk(), kid: 'enc', use: 'enc' },
        { ...rsaJwk(), kid: 'ps', alg: 'PS256' },
        { ...rsaJwk(), kid: 42 },
        { kty: 'RSA', kid: 'broken', n: '!!', e: 'AQAB' },
        { ...privateRsa, kid: 'priv' },
        null,
        'x',
      ],
    });
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      ['r1', 'RS256'],
      ['e1', 'ES256'],
      ['priv', 'RS256'],
    ]);
    // only the public members were read
    expect(keys[2]?.key.type).toBe('public');
    expect(() => keysFromJwks({})).toThrow();
    expect(() => keysFromJwks(null)).toThrow();
  });

  it('selects by kid, or the only key of the alg when the token has no kid', () => {
    const keys = keysFromJwks({
      keys: [
        { ...rsaJwk(), kid: 'a' },
        { ...rsaJwk(), kid: 'b' },
        { ...ecJwk(), kid: 'c' },
      ],
    });
    expect(selectKeys(keys, 'a', 'RS256').map((k) => k.kid)).toEqual(['a']);
    expect(selectKeys(keys, 'a', 'ES256')).toEqual([]);
    expect(selectKeys(keys, undefined, 'RS256')).toEqual([]);
    expect(selectKeys(keys, undefined, 'ES256').map((k) => k.kid)).toEqual(['c']);
  });
});

describe('checkJwksUrl', () => {
  it('wants https, except on loopback', () => {
    expect(() => checkJwksUrl('https://auth.example/jwks.json')).not.toThrow();
    expect(() => checkJwksUrl('http://127.0.0.1:8080/jwks')).not.toThrow();
    expect(() => checkJwksUrl('http://localhost/jwks')).not.toThrow();
    expect(() => checkJwksUrl('http://auth.example/jwks.json')).toThrow(/https/);
    expect(() => checkJwksUrl('file:///etc/passwd')).toThrow(/https/);
    expect(() => checkJwksUrl('https://u:p@auth.example/jwks')).toThrow(/credentials/);
    expect(() => checkJwksUrl('not a url')).toThrow(/not a URL/);
  });
});

describe('createJwksClient', () => {
  let served: unknown = { keys: [] };
  let status = 200;
  let requests = 0;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests += 1;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function fresh(keys: object[]) {
    served = { keys };
    status = 200;
    requests = 0;
  }

  it('caches, refetches for an unknown kid, and rate-limits fetches per minute', async () => {
    fresh([{ ...rsaJwk(), kid: 'a' }]);
    let clock = 1_000_000;
    const client = createJwksClient(url, { fetchesPerMinute: 3, cacheTtlSec: 600, now: () => clock });
    expect(await client.keysFor('a', 'RS256')).toHaveLength(1);
    expect(await client.keysFor('a', 'RS256')).toHaveLength(1);
    expect(requests).toBe(1);
    expect(await client.keysFor('x1', 'RS256')).toEqual([]);
    expect(await client.keysFor('x2', 'RS256')).toEqual([]);
    expect(await client.keysFor('x3', 'RS256')).toEqual([]);
    expect(requests).toBe(3);
    expect(client.fetchCount).toBe(3);
    // a minute later the window has room again
    clock += 61_000;
    served = {
      keys: [
        { ...rsaJwk(), kid: 'a' },
        { ...rsaJwk(), kid: 'x4' },
      ],
    };
    expect(await client.keysFor('x4', 'RS256')).toHaveLength(1);
    expect(requests).toBe(4);
  });

  it('refetches when the cache is stale, and keeps stale keys while the endpoint fails', async () => {
    fresh([{ ...rsaJwk(), kid: 'a' }]);
    let clock = 0;
    const client = createJwksClient(url, { cacheTtlSec: 10, now: () => clock });
    expect(await client.keysFor('a', 'RS256')).toHaveLength(1);
    clock += 11_000;
    status = 500;
    expect(await client.keysFor('a', 'RS256')).toHaveLength(1);
    expect(requests).toBe(2);
    // an unknown kid when the endpoint is down: unavailable, not "unknown"
    clock += 1_000;
    await expect(client.keysFor('b', 'RS256')).rejects.toBeInstanceOf(JwksUnavailableError);
  });

  it('is unavailable when nothing was ever fetched', async () => {
    fresh([]);
    status = 503;
    const client = createJwksClient(url);
    await expect(client.keysFor('a', 'RS256')).rejects.toBeInstanceOf(JwksUnavailableError);
    served = 'not json at all';
    status = 200;
    const other = createJwksClient(url);
    await expect(other.keysFor('a', 'RS256')).rejects.toThrow(/JWK Set/);
  });

  it('shares one fetch between concurrent callers', async () => {
    fresh([{ ...rsaJwk(), kid: 'a' }]);
    const client = createJwksClient(url);
    const results = await Promise.all(Array.from({ length: 20 }, () => client.keysFor('a', 'RS256')));
    expect(results.every((r) => r.length === 1)).toBe(true);
    expect(requests).toBe(1);
  });

  it('times out a hanging endpoint', async () => {
    const hanging = http.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const client = createJwksClient(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`, {
      timeoutMs: 200,
    });
    await expect(client.keysFor('a', 'RS256')).rejects.toBeInstanceOf(JwksUnavailableError);
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  });

  it('builds usable public keys', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fresh([{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'e' }]);
    const [key] = await createJwksClient(url).keysFor('e', 'ES256');
    expect(key?.key.equals(createPublicKey(pair.publicKey.export({ format: 'pem', type: 'spki' })))).toBe(
      true,
    );
  });
});
