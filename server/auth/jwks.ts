// A JWKS client for host apps that sign their own session tokens: cached keys, a bounded refetch on an unknown kid.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { ParleyError } from '../errors.ts';

export type AsymmetricAlg = 'RS256' | 'ES256';

export interface JwksKey {
  kid?: string;
  alg: AsymmetricAlg;
  key: KeyObject;
}

export interface JwksOptions {
  /** how long fetched keys are fresh; default 600 s (stale keys stay usable while a refetch is refused or fails) */
  cacheTtlSec?: number;
  /** at most this many fetches in any 60 s, whatever triggers them (an unknown kid, expiry); default 5 */
  fetchesPerMinute?: number;
  /** default 5000 ms */
  timeoutMs?: number;
  /** the clock, in ms; for tests */
  now?: () => number;
}

export interface JwksClient {
  /** The keys usable for a token with this kid (undefined: a token without kid) and alg. Throws JwksUnavailableError. */
  keysFor(kid: string | undefined, alg: AsymmetricAlg): Promise<JwksKey[]>;
  /** How many times the JWKS URL was fetched. */
  readonly fetchCount: number;
}

/** The JWKS could not be fetched and no cached key answers the question. */
export class JwksUnavailableError extends ParleyError {
  override name = 'JwksUnavailableError';
  /** session-token.ts answers it as AuthError('auth_unavailable'), the same 503 */
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'auth_unavailable', message, options);
  }
}

const MAX_BYTES = 512 * 1024;
const MIN_RSA_BITS = 2048;

/** Only https, except on the loopback interface (tests, a sidecar). */
export function checkJwksUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the JWKS URL is not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new Error('the JWKS URL must use https (plain http only on localhost)');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error('the JWKS URL must not hold credentials');
  }
  return parsed;
}

/**
 * The usable signing keys of a JWK Set. RSA keys become RS256 (2048 bits or more), P-256 EC keys ES256; symmetric
 * (`oct`) keys, encryption keys and keys whose `alg` says otherwise are skipped. Only public members are read.
 */
export function keysFromJwks(body: unknown): JwksKey[] {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('not a JWK Set');
  }
  const out: JwksKey[] = [];
  for (const jwk of (body as { keys: unknown[] }).keys) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const k = jwk as Record<string, unknown>;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (k.kid !== undefined && (typeof k.kid !== 'string' || k.kid.length === 0 || k.kid.length > 256)) {
      continue;
    }
    const kid = k.kid as string | undefined;
    try {
      if (k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256')) {
        if (typeof k.n !== 'string' || typeof k.e !== 'string') continue;
        const key = createPublicKey({ key: { kty: 'RSA', n: k.n, e: k.e }, format: 'jwk' });
        if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) continue;
        out.push({ kid, alg: 'RS256', key });
      } else if (k.kty === 'EC' && k.crv === 'P-256' && (k.alg === undefined || k.alg === 'ES256')) {
        if (typeof k.x !== 'string' || typeof k.y !== 'string') continue;
        const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: k.x, y: k.y }, format: 'jwk' });
        out.push({ kid, alg: 'ES256', key });
      }
    } catch {
      // a malformed key is skipped; the others stay usable
    }
  }
  return out;
}

/** Matching keys: by kid when the token has one; without a kid, only when the set has exactly one key of that alg. */
export function selectKeys(keys: readonly JwksKey[], kid: string | undefined, alg: AsymmetricAlg): JwksKey[] {
  const ofAlg = keys.filter((k) => k.alg === alg);
  if (kid !== undefined) return ofAlg.filter((k) => k.kid === kid);
  return ofAlg.length === 1 ? ofAlg : [];
}

export function createJwksClient(url: string, options: JwksOptions = {}): JwksClient {
  const target = checkJwksUrl(url);
  const ttlMs = (options.cacheTtlSec ?? 600) * 1000;
  const perMinute = options.fetchesPerMinute ?? 5;
  const timeoutMs = options.timeoutMs ?? 5000;
  const now = options.now ?? Date.now;
  if (!(perMinute >= 1) || !(ttlMs >= 0) || !(timeoutMs > 0)) throw new Error('invalid JWKS client options');

  let keys: JwksKey[] | undefined;
  let fetchedAt = 0;
  let inFlight: Promise<void> | undefined;
  const recentFetches: number[] = [];
  let fetchCount = 0;

  function mayFetch(): boolean {
    const t = now();
    while (recentFetches.length > 0 && (recentFetches[0] ?? 0) <= t - 60_000) recentFetches.shift();
    return recentFetches.length < perMinute;
  }

  async function fetchKeys(): Promise<void> {
    recentFetches.push(now());
    fetchCount += 1;
    let response: Response;
    try {
      response = await fetch(target, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new JwksUnavailableError('the JWKS URL cannot be reached');
    }
    if (!response.ok) throw new JwksUnavailableError(`the JWKS URL answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_BYTES) throw new JwksUnavailableError('the JWKS is too large');
    let parsed: JwksKey[];
    try {
      parsed = keysFromJwks(JSON.parse(text));
    } catch {
      throw new JwksUnavailableError('the JWKS URL did not answer a JWK Set');
    }
    keys = parsed;
    fetchedAt = now();
  }

  /** One fetch at a time: concurrent callers share it. Returns false when the rate limit refused a fetch. */
  async function refresh(): Promise<boolean> {
    if (inFlight) {
      await inFlight;
      return true;
    }
    if (!mayFetch()) return false;
    inFlight = fetchKeys().finally(() => {
      inFlight = undefined;
    });
    await inFlight;
    return true;
  }

  return {
    get fetchCount() {
      return fetchCount;
    },
    async keysFor(kid, alg) {
      if (inFlight) await inFlight.catch(() => undefined);
      const stale = keys === undefined || now() - fetchedAt >= ttlMs;
      let failure: unknown;
      if (stale) {
        try {
          await refresh();
        } catch (err) {
          if (keys === undefined) throw err;
          // the endpoint is down: keep answering from the keys we have
          failure = err;
        }
      }
      if (keys === undefined) throw new JwksUnavailableError('no JWKS fetched yet (rate limited)');
      const found = selectKeys(keys, kid, alg);
      if (found.length > 0 || kid === undefined) return found;
      // an unknown kid while the endpoint is down: unavailable rather than "no such key"
      if (failure !== undefined) throw failure;
      if (stale) return [];
      // an unknown kid: the host may have rotated its keys; refetch, within the rate limit
      if (!(await refresh())) return [];
      return selectKeys(keys, kid, alg);
    },
  };
}
