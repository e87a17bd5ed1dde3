// Session tokens: minted by the host backend (HS256), verified by the BFF with jsonwebtoken and pinned algorithms.
// Host apps that already issue JWTs configure RS256/ES256 public keys or a JWKS URL and a claim mapping instead.
import { createPublicKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type jsonwebtoken from 'jsonwebtoken';
import type { UserContextType } from '../config/schema.ts';
import type { UserContext } from '../semantic/user-context.ts';
import {
  AGENT_ID,
  AuthError,
  type ClaimMapping,
  checkClaimMapping,
  checkPermissions,
  sessionFromClaims,
  USER_IDENTIFIER,
  USER_IDENTIFIER_RULE,
} from './claims.ts';
import {
  type AsymmetricAlg,
  createJwksClient,
  type JwksClient,
  type JwksKey,
  type JwksOptions,
  JwksUnavailableError,
} from './jwks.ts';

/**
 * jsonwebtoken, loaded with the first token verified or signed: loading it sets itself up (a semver check of Node's
 * version), some 10 ms that `parley serve` otherwise spent before it listened.
 */
let jwtModule: typeof jsonwebtoken | undefined;
const jwt = (): typeof jsonwebtoken =>
  (jwtModule ??= createRequire(import.meta.url)('jsonwebtoken') as typeof jsonwebtoken);

export { AuthError, type AuthErrorCode, type ClaimMapping, type ClaimPath } from './claims.ts';
export type { JwksOptions } from './jwks.ts';

export const DEFAULT_AUDIENCE = 'parley';
export const DEFAULT_TTL_SEC = 15 * 60;
/** The longest session `mintSessionToken` issues, and the verifier's default maximum lifetime. */
export const MAX_LIFETIME_SEC = 24 * 60 * 60;
export const DEFAULT_CLOCK_TOLERANCE_SEC = 30;
export const MIN_SECRET_BYTES = 32;
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_CLOCK_TOLERANCE_SEC = 300;

export interface SessionAuthConfig {
  /** HS256 shared secret (PARLEY_SESSION_SECRET); at least 32 bytes */
  hs256Secret?: string;
  /** RS256/ES256 public keys (PEM) of a host app that signs its own tokens */
  publicKeys?: Array<{ kid?: string; alg: 'RS256' | 'ES256'; pem: string }>;
  /** or the host app's JWK Set URL (https; http only on localhost) */
  jwksUrl?: string;
  /** fetch, cache and rate-limit settings for jwksUrl */
  jwks?: JwksOptions;
  /** the required `aud`; default 'parley' */
  audience?: string;
  /** the required `iss`, when set */
  issuer?: string;
  /** leeway for exp, nbf and iat; default 30 s, at most 300 */
  clockToleranceSec?: number;
  /** exp - iat (or nbf, or the verification time) may not exceed this; default 24 h */
  maxLifetimeSec?: number;
  /** where the session's fields are in the token; default: the claims mintSessionToken writes */
  claims?: ClaimMapping;
  /** refuse tokens without a `jti` (the id a single token is revoked by); default true */
  requireJti?: boolean;
}

/** What a verified session token says about its bearer; the only source of identity and tenant context. */
export interface VerifiedSession {
  userIdentifier: string;
  agentId: string;
  userContext: UserContext;
  permissions: string[];
  expiresAt: Date;
  /** the token's `jti`: optional, as tokens without one are accepted when `requireJti` is false (such a token is
   * revoked by its subject only) */
  tokenId?: string;
  /** the token's `iat`, when it has one (revocation rules void tokens issued before a time) */
  issuedAt?: Date;
}

export interface SessionVerifier {
  /** Resolves to the session, or rejects with AuthError (401; 503 when the JWKS cannot be fetched). */
  verify(token: string): Promise<VerifiedSession>;
}

export type SessionAgentLookup = (
  agentId: string,
) => { userContext: Record<string, UserContextType> } | undefined;

/** Seconds from `900`, `'900'`, `'30s'`, `'15m'`, `'2h'` or `'1d'`; anything else is refused. */
export function parseDuration(value: string | number, what = 'duration'): number {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else {
    const m = /^\s*(\d{1,9})\s*([smhd]?)\s*$/.exec(value);
    if (m) {
      seconds = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
    }
  }
  if (seconds === undefined || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(`${what} must be a positive whole number of seconds or like 30s, 15m, 2h, 1d`);
  }
  return seconds;
}

/** The HS256 key from a secret; refuses a missing secret or one under 32 bytes (without ever showing it). */
export function sessionSecretKey(secret: string | undefined, source = 'PARLEY_SESSION_SECRET'): KeyObject {
  if (secret === undefined || secret === '') {
    throw new Error(`${source} is not set: give it a random secret of at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new Error(
      `${source} is too short: it must be at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`,
    );
  }
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

interface PinnedKey {
  kid?: string;
  alg: 'HS256' | AsymmetricAlg;
  key: KeyObject;
}

/** A PEM public key checked against the algorithm it is pinned to: RSA of 2048+ bits for RS256, P-256 for ES256. */
function publicKeyFromPem(pem: string, alg: string, where: string): KeyObject {
  if (alg !== 'RS256' && alg !== 'ES256') throw new Error(`${where}.alg must be RS256 or ES256`);
  if (typeof pem !== 'string' || /PRIVATE KEY/.test(pem)) {
    throw new Error(`${where}.pem must be a PEM public key (never give the verifier a private key)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${where}.pem is not a PEM public key`);
  }
  checkKeyType(key, alg, where);
  return key;
}

function checkKeyType(key: KeyObject, alg: AsymmetricAlg, where: string): void {
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`${where}: RS256 needs an RSA key`);
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw new Error(`${where}: RSA keys need 2048+ bits`);
    }
  } else if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${where}: ES256 needs an EC P-256 key`);
  }
}

interface TokenHeader {
  alg: string;
  kid?: string;
}

/** The header, read only to pick a key; its alg is then matched against the pinned list, never trusted. */
function readHeader(token: string): TokenHeader {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p))) {
    throw new AuthError('invalid_token', 'the token is malformed');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('invalid_token', 'the token is malformed');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new AuthError('invalid_token', 'the token is malformed');
  }
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string') throw new AuthError('invalid_token', 'the token is malformed');
  if (h.kid !== undefined && (typeof h.kid !== 'string' || h.kid.length > 256)) {
    throw new AuthError('invalid_token', 'the token is malformed');
  }
  // critical extensions we do not implement must make the token invalid (RFC 7515 4.1.11)
  if (h.crit !== undefined) {
    throw new AuthError('invalid_token', 'the token uses unsupported critical headers');
  }
  return { alg: h.alg, kid: h.kid as string | undefined };
}

/** Why jsonwebtoken refused a token, as fixed text (its own messages may quote the expected audience/issuer). */
function refusal(err: unknown): AuthError {
  if (err instanceof jwt().TokenExpiredError) return new AuthError('token_expired', 'the token has expired');
  if (err instanceof jwt().NotBeforeError)
    return new AuthError('invalid_token', 'the token is not valid yet');
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('jwt audience invalid')) {
    return new AuthError('invalid_token', 'the token has the wrong audience');
  }
  if (message.startsWith('jwt issuer invalid')) {
    return new AuthError('invalid_token', 'the token has the wrong issuer');
  }
  if (message === 'invalid signature') {
    return new AuthError('invalid_token', 'the token signature is invalid');
  }
  return new AuthError('invalid_token', 'the token is invalid');
}

function isSignatureFailure(err: unknown): boolean {
  return err instanceof Error && err.message === 'invalid signature';
}

/**
 * A verifier for session tokens. Throws a plain Error at construction for a bad config (no key at all, a secret
 * under 32 bytes, a key that does not fit its algorithm, a bad claim mapping), so a misconfigured server does not
 * start. Algorithms are pinned per key: HS256 only with the shared secret, RS256/ES256 only with a public key of
 * that type, `none` never.
 */
export function createSessionVerifier(
  config: SessionAuthConfig,
  agents: SessionAgentLookup,
): SessionVerifier {
  const audience = config.audience ?? DEFAULT_AUDIENCE;
  if (typeof audience !== 'string' || audience === '') throw new Error('audience must be a non-empty string');
  if (config.issuer !== undefined && (typeof config.issuer !== 'string' || config.issuer === '')) {
    throw new Error('issuer must be a non-empty string');
  }
  const tolerance = config.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > MAX_CLOCK_TOLERANCE_SEC) {
    throw new Error(`clockToleranceSec must be between 0 and ${MAX_CLOCK_TOLERANCE_SEC}`);
  }
  const maxLifetime = config.maxLifetimeSec ?? MAX_LIFETIME_SEC;
  if (!Number.isFinite(maxLifetime) || maxLifetime <= 0) {
    throw new Error('maxLifetimeSec must be a positive number');
  }
  checkClaimMapping(config.claims);

  const staticKeys: PinnedKey[] = [];
  if (config.hs256Secret !== undefined) {
    staticKeys.push({
      alg: 'HS256',
      key: sessionSecretKey(config.hs256Secret, 'the session secret (hs256Secret)'),
    });
  }
  (config.publicKeys ?? []).forEach((k, i) => {
    if (k.kid !== undefined && (typeof k.kid !== 'string' || k.kid === '')) {
      throw new Error(`publicKeys[${i}].kid must be a non-empty string`);
    }
    staticKeys.push({ kid: k.kid, alg: k.alg, key: publicKeyFromPem(k.pem, k.alg, `publicKeys[${i}]`) });
  });
  const jwks: JwksClient | undefined =
    config.jwksUrl === undefined ? undefined : createJwksClient(config.jwksUrl, config.jwks);
  if (staticKeys.length === 0 && !jwks) {
    throw new Error('no session token key configured: set PARLEY_SESSION_SECRET, a public key or a JWKS URL');
  }

  /** Verifies the signature and the registered claims with one key; undefined when the signature does not match. */
  function tryKey(token: string, key: PinnedKey | JwksKey): Record<string, unknown> | undefined {
    let payload: unknown;
    try {
      payload = jwt().verify(token, key.key, {
        algorithms: [key.alg],
        audience,
        issuer: config.issuer,
        clockTolerance: tolerance,
      });
    } catch (err) {
      if (isSignatureFailure(err)) return undefined;
      throw refusal(err);
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new AuthError('invalid_token', 'the token payload is not an object');
    }
    return payload as Record<string, unknown>;
  }

  async function verifiedPayload(token: string): Promise<Record<string, unknown>> {
    const header = readHeader(token);
    const alg = header.alg;
    if (alg !== 'HS256' && alg !== 'RS256' && alg !== 'ES256') {
      throw new AuthError('invalid_token', 'the token algorithm is not accepted');
    }
    const candidates = staticKeys.filter(
      (k) => k.alg === alg && (k.kid === undefined || header.kid === undefined || k.kid === header.kid),
    );
    if (candidates.length === 0 && (alg === 'HS256' || !jwks)) {
      throw new AuthError('invalid_token', 'the token algorithm is not accepted');
    }
    for (const key of candidates) {
      const payload = tryKey(token, key);
      if (payload) return payload;
    }
    if (jwks && alg !== 'HS256') {
      let keys: JwksKey[];
      try {
        keys = await jwks.keysFor(header.kid, alg);
      } catch (err) {
        if (err instanceof JwksUnavailableError) {
          throw new AuthError('auth_unavailable', 'the signing keys cannot be fetched right now');
        }
        throw err;
      }
      for (const key of keys) {
        const payload = tryKey(token, key);
        if (payload) return payload;
      }
      if (candidates.length === 0 && keys.length === 0) {
        throw new AuthError('invalid_token', 'the token is signed with an unknown key');
      }
    }
    throw new AuthError('invalid_token', 'the token signature is invalid');
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token === '') {
        throw new AuthError('missing_credentials', 'no session token');
      }
      if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('invalid_token', 'the token is too long');
      const payload = await verifiedPayload(token);

      const now = Math.floor(Date.now() / 1000);
      const { exp, iat, nbf } = payload;
      if (typeof exp !== 'number' || !Number.isFinite(exp)) {
        throw new AuthError('invalid_token', 'the token has no expiry (exp)');
      }
      if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
        throw new AuthError('invalid_token', 'the token has an invalid iat');
      }
      if (typeof iat === 'number' && iat > now + tolerance) {
        throw new AuthError('invalid_token', 'the token is issued in the future');
      }
      // lifetime from iat; without iat from nbf; without either from now (both are at most now + tolerance here)
      const start = typeof iat === 'number' ? iat : typeof nbf === 'number' ? nbf : now;
      if (exp - start > maxLifetime) {
        throw new AuthError('invalid_token', 'the token lifetime exceeds the maximum');
      }

      const jti = payload.jti;
      const tokenId = typeof jti === 'string' && jti.length > 0 && jti.length <= 256 ? jti : undefined;
      const session = sessionFromClaims(payload, config.claims, agents);
      if (tokenId === undefined && (jti !== undefined || config.requireJti !== false)) {
        throw new AuthError('invalid_token', 'the token has no valid jti (a 1-256 character token id)');
      }
      // Written out, not `{ ...session, expiresAt }`: on Node 20's V8 an object begun with a spread and then given
      // more properties gets a hidden class of its own after a dozen calls (about 300 bytes kept per open socket)
      const verified: VerifiedSession = {
        userIdentifier: session.userIdentifier,
        agentId: session.agentId,
        userContext: session.userContext,
        permissions: session.permissions,
        expiresAt: new Date(exp * 1000),
      };
      if (tokenId !== undefined) verified.tokenId = tokenId;
      if (typeof iat === 'number') verified.issuedAt = new Date(iat * 1000);
      return verified;
    },
  };
}

export interface MintSessionTokenInput {
  userIdentifier: string;
  userContext: Record<string, unknown>;
  agentId: string;
  /** seconds, or like '15m', '2h'; default 15m, at most 24h */
  ttl?: string | number;
  permissions?: string[];
  /** default process.env.PARLEY_SESSION_SECRET; at least 32 bytes */
  secret?: string;
  /** default 'parley' */
  audience?: string;
  issuer?: string;
}

function isContextValue(v: unknown): boolean {
  const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'boolean' || Number.isSafeInteger(x);
  return scalar(v) || (Array.isArray(v) && v.every(scalar));
}

/**
 * An HS256 session token for one user of one agent: `sub`, `userContext`, `agentId`, `permissions` (when given),
 * `aud`, `iss` (when given), `iat`, `exp`, `jti`. The userContext's shape is checked here (scalars and lists of
 * scalars); its fields are checked against the agent's declared types when the token is verified.
 */
export function mintSessionToken(input: MintSessionTokenInput): string {
  const key =
    input.secret !== undefined
      ? sessionSecretKey(input.secret, 'the session secret')
      : sessionSecretKey(process.env.PARLEY_SESSION_SECRET);
  if (typeof input.userIdentifier !== 'string' || !USER_IDENTIFIER.test(input.userIdentifier)) {
    throw new Error(USER_IDENTIFIER_RULE);
  }
  if (typeof input.agentId !== 'string' || !AGENT_ID.test(input.agentId)) {
    throw new Error('agentId is not an agent id');
  }
  const ctx = input.userContext;
  if (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)) {
    throw new Error('userContext must be an object');
  }
  for (const [field, value] of Object.entries(ctx)) {
    if (!isContextValue(value)) {
      throw new Error(`userContext.${field} must be an integer, a string, a boolean or a list of them`);
    }
  }
  let permissions: string[] | undefined;
  if (input.permissions !== undefined) {
    try {
      permissions = checkPermissions(input.permissions);
    } catch (err) {
      throw new Error(err instanceof Error ? err.message : String(err));
    }
  }
  const ttl = parseDuration(input.ttl ?? DEFAULT_TTL_SEC, 'ttl');
  if (ttl > MAX_LIFETIME_SEC) throw new Error(`ttl must be at most ${MAX_LIFETIME_SEC / 3600}h`);
  const audience = input.audience ?? DEFAULT_AUDIENCE;
  if (typeof audience !== 'string' || audience === '') throw new Error('audience must be a non-empty string');

  const iat = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    sub: input.userIdentifier,
    userContext: ctx,
    agentId: input.agentId,
    ...(permissions ? { permissions } : {}),
    aud: audience,
    ...(input.issuer !== undefined ? { iss: input.issuer } : {}),
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  return jwt().sign(payload, key, { algorithm: 'HS256' });
}

const ENV_FLOAT = /^\d+(\.\d+)?$/;

/**
 * The verifier config from the environment, `overrides` (e.g. from the config file) winning field by field:
 * PARLEY_SESSION_SECRET, PARLEY_SESSION_PUBLIC_KEY (PEM; `\n` escapes allowed; RS256 or ES256 by key type, or
 * PARLEY_SESSION_PUBLIC_KEY_ALG), PARLEY_SESSION_JWKS_URL, PARLEY_SESSION_AUDIENCE, PARLEY_SESSION_ISSUER,
 * PARLEY_SESSION_CLOCK_TOLERANCE (seconds), PARLEY_SESSION_MAX_LIFETIME (e.g. 24h), PARLEY_SESSION_REQUIRE_JTI
 * (true|false), PARLEY_SESSION_CLAIMS (JSON
 * ClaimMapping). Empty variables count as unset; `overrides.secret` is taken as hs256Secret. Keys are checked by
 * createSessionVerifier.
 */
export function sessionAuthConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<SessionAuthConfig> & { secret?: string } = {},
): SessionAuthConfig {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const config: SessionAuthConfig = {};
  const secret = get('PARLEY_SESSION_SECRET');
  if (secret !== undefined) config.hs256Secret = secret;

  const pemText = get('PARLEY_SESSION_PUBLIC_KEY');
  if (pemText !== undefined) {
    const pem = pemText.includes('\\n') ? pemText.replace(/\\n/g, '\n') : pemText;
    let alg = get('PARLEY_SESSION_PUBLIC_KEY_ALG');
    if (alg === undefined) {
      let type: string | undefined;
      try {
        type = createPublicKey(pem).asymmetricKeyType;
      } catch {
        throw new Error('PARLEY_SESSION_PUBLIC_KEY is not a PEM public key');
      }
      alg = type === 'rsa' ? 'RS256' : type === 'ec' ? 'ES256' : undefined;
      if (alg === undefined) {
        throw new Error('PARLEY_SESSION_PUBLIC_KEY must be an RSA or EC P-256 public key');
      }
    }
    if (alg !== 'RS256' && alg !== 'ES256') {
      throw new Error('PARLEY_SESSION_PUBLIC_KEY_ALG must be RS256 or ES256');
    }
    config.publicKeys = [{ alg, pem }];
  }

  const jwksUrl = get('PARLEY_SESSION_JWKS_URL');
  if (jwksUrl !== undefined) config.jwksUrl = jwksUrl;
  const audience = get('PARLEY_SESSION_AUDIENCE');
  if (audience !== undefined) config.audience = audience;
  const issuer = get('PARLEY_SESSION_ISSUER');
  if (issuer !== undefined) config.issuer = issuer;
  const tolerance = get('PARLEY_SESSION_CLOCK_TOLERANCE');
  if (tolerance !== undefined) {
    if (!ENV_FLOAT.test(tolerance.trim())) {
      throw new Error('PARLEY_SESSION_CLOCK_TOLERANCE must be a number of seconds');
    }
    config.clockToleranceSec = Number(tolerance);
  }
  const maxLifetime = get('PARLEY_SESSION_MAX_LIFETIME');
  if (maxLifetime !== undefined) {
    config.maxLifetimeSec = parseDuration(maxLifetime, 'PARLEY_SESSION_MAX_LIFETIME');
  }
  const requireJti = get('PARLEY_SESSION_REQUIRE_JTI');
  if (requireJti !== undefined) {
    if (!/^(true|false)$/i.test(requireJti.trim()))
      throw new Error('PARLEY_SESSION_REQUIRE_JTI must be true or false');
    config.requireJti = requireJti.trim().toLowerCase() === 'true';
  }
  const claims = get('PARLEY_SESSION_CLAIMS');
  if (claims !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(claims);
    } catch {
      throw new Error('PARLEY_SESSION_CLAIMS must be JSON, e.g. {"userContext":{"organisationId":"org_id"}}');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('PARLEY_SESSION_CLAIMS must be a JSON object');
    }
    checkClaimMapping(parsed as ClaimMapping);
    config.claims = parsed as ClaimMapping;
  }

  // `secret` (the config file's name for it) is hs256Secret
  const { secret: fileSecret, ...rest } = overrides;
  if (fileSecret !== undefined && rest.hs256Secret === undefined) config.hs256Secret = fileSecret;
  for (const [field, value] of Object.entries(rest)) {
    if (value !== undefined) (config as Record<string, unknown>)[field] = value;
  }
  return config;
}
