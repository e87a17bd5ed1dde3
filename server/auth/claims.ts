// What a verified session token says, checked after the signature: who, which agent, which tenant, which permissions.
import type { UserContextType } from '../config/schema.ts';
import { ParleyError } from '../errors.ts';
import { type UserContext, UserContextError, validateUserContext } from '../semantic/user-context.ts';

/**
 * A userIdentifier: 1-256 characters of any printable Unicode (identity providers' ids look like `auth0|abc123`,
 * `google-oauth2:1234`, an email), but no control characters, line separators, lone surrogates or the invisible
 * bidi controls that make one id display as another. Compared exactly (case and accents matter).
 */
export const USER_IDENTIFIER =
  /^[^\p{Cc}\p{Cs}\u2028\u2029\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]{1,256}$/u;
/** What USER_IDENTIFIER accepts, in words, for error messages. */
export const USER_IDENTIFIER_RULE =
  'the userIdentifier must be 1-256 printable characters (no control or bidi-override characters)';
/** An agent id, as the config schema spells it. */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A permission name, e.g. `datasets:context:write`. */
export const PERMISSION = /^[A-Za-z0-9_.:-]{1,128}$/;
export const MAX_PERMISSIONS = 50;

/** Lets the user share files with their context (the dataset is visible to everyone with the same userContext). */
export const PERMISSION_DATASETS_CONTEXT_WRITE = 'datasets:context:write';

export type AuthErrorCode =
  | 'missing_credentials'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'invalid_api_key'
  | 'forbidden'
  | 'auth_unavailable';

const STATUS: Record<AuthErrorCode, number> = {
  missing_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  token_revoked: 401,
  invalid_api_key: 401,
  forbidden: 403,
  auth_unavailable: 503,
};

/**
 * A refused request. `status` is the HTTP status to answer with (401, 403 for a key not scoped to the agent,
 * 503 when the signing keys cannot be fetched). Messages are fixed text: never the token, a key or a secret.
 */
export class AuthError extends ParleyError {
  override name = 'AuthError';
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string) {
    super(STATUS[code], code, message);
  }
}

/** Where a claim lives: a top-level claim name (taken verbatim, dots included), or a path into nested objects. */
export type ClaimPath = string | readonly string[];

/** How the claims of a token map to a session; the defaults are the claims `mintSessionToken` writes. */
export interface ClaimMapping {
  /** default 'sub' */
  userIdentifier?: ClaimPath;
  /** default 'userContext' (a claim holding the whole object); or one claim per field: { organisationId: 'org_id' } */
  userContext?: ClaimPath | Record<string, ClaimPath>;
  /** default 'agentId' */
  agentId?: ClaimPath;
  /** the agent for tokens that name none; absent = such tokens are refused */
  defaultAgentId?: string;
  /** default 'permissions': a list of strings, or absent */
  permissions?: ClaimPath;
}

export const DEFAULT_CLAIM_MAPPING = {
  userIdentifier: 'sub',
  userContext: 'userContext',
  agentId: 'agentId',
  permissions: 'permissions',
} as const satisfies ClaimMapping;

export interface AgentAuthInfo {
  userContext: Record<string, UserContextType>;
}

export type AgentLookup = (agentId: string) => AgentAuthInfo | undefined;

export interface SessionClaims {
  userIdentifier: string;
  agentId: string;
  userContext: UserContext;
  permissions: string[];
}

function isPath(value: unknown): value is ClaimPath {
  return (
    (typeof value === 'string' && value.length > 0) ||
    (Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'string' && s.length > 0))
  );
}

/** Checks a mapping from config; throws a plain Error naming the bad entry (a startup problem, not a 401). */
export function checkClaimMapping(mapping: ClaimMapping | undefined): void {
  if (mapping === undefined) return;
  for (const key of ['userIdentifier', 'agentId', 'permissions'] as const) {
    if (mapping[key] !== undefined && !isPath(mapping[key])) {
      throw new Error(`claims.${key} must be a claim name or a non-empty list of names`);
    }
  }
  const uc = mapping.userContext;
  if (uc !== undefined && !isPath(uc)) {
    if (uc === null || typeof uc !== 'object' || Array.isArray(uc)) {
      throw new Error('claims.userContext must be a claim name or a map of userContext field -> claim name');
    }
    for (const [field, path] of Object.entries(uc)) {
      if (!isPath(path)) {
        throw new Error(`claims.userContext.${field} must be a claim name or a list of names`);
      }
    }
  }
  if (mapping.defaultAgentId !== undefined && !AGENT_ID.test(mapping.defaultAgentId)) {
    throw new Error('claims.defaultAgentId must be an agent id');
  }
}

function claimAt(payload: Record<string, unknown>, path: ClaimPath): unknown {
  const segments = typeof path === 'string' ? [path] : path;
  let at: unknown = payload;
  for (const segment of segments) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, segment)) {
      return undefined;
    }
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

/** Makes a message safe to send back: printable ASCII only, bounded length (field names come from the token). */
function safeDetail(message: string): string {
  const clean = message.replace(/[^A-Za-z0-9_ .,:;'()\-[\]]/g, '?');
  return clean.length > 160 ? `${clean.slice(0, 160)}...` : clean;
}

/** Reads permissions: absent (or null) is none; anything but a list of at most 50 permission names is refused. */
export function checkPermissions(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > MAX_PERMISSIONS) {
    throw new AuthError('invalid_token', `permissions must be a list of at most ${MAX_PERMISSIONS} strings`);
  }
  for (const p of raw) {
    if (typeof p !== 'string' || !PERMISSION.test(p)) {
      throw new AuthError('invalid_token', 'permissions must be strings of letters, digits, _ . : -');
    }
  }
  return [...new Set(raw as string[])];
}

/**
 * The session a verified token's payload describes, by the mapping. Everything is checked: the userIdentifier's
 * shape, an agent that exists, the userContext against that agent's declared types (a missing, null, "*", list or
 * string organisationId is refused, never read as "no filter"), the permissions. Throws AuthError 401.
 */
export function sessionFromClaims(
  payload: Record<string, unknown>,
  mapping: ClaimMapping | undefined,
  agents: AgentLookup,
): SessionClaims {
  const map = { ...DEFAULT_CLAIM_MAPPING, ...stripUndefined(mapping ?? {}) };

  const userIdentifier = claimAt(payload, map.userIdentifier);
  if (typeof userIdentifier !== 'string' || !USER_IDENTIFIER.test(userIdentifier)) {
    throw new AuthError('invalid_token', USER_IDENTIFIER_RULE);
  }

  let agentId = claimAt(payload, map.agentId);
  if (agentId === undefined && map.defaultAgentId !== undefined) agentId = map.defaultAgentId;
  if (agentId === undefined) throw new AuthError('invalid_token', 'the token names no agent');
  if (typeof agentId !== 'string' || !AGENT_ID.test(agentId)) {
    throw new AuthError('invalid_token', 'the agent id is malformed');
  }
  const agent = agents(agentId);
  if (!agent) throw new AuthError('invalid_token', 'unknown agent');

  let rawContext: unknown;
  if (isPath(map.userContext)) {
    rawContext = claimAt(payload, map.userContext);
  } else {
    const picked: Record<string, unknown> = {};
    for (const [field, path] of Object.entries(map.userContext)) picked[field] = claimAt(payload, path);
    rawContext = picked;
  }
  let userContext: UserContext;
  try {
    userContext = validateUserContext(agent.userContext, rawContext);
  } catch (err) {
    if (err instanceof UserContextError) throw new AuthError('invalid_token', safeDetail(err.message));
    throw err;
  }

  const permissions = checkPermissions(claimAt(payload, map.permissions));
  return { userIdentifier, agentId, userContext, permissions };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function hasPermission(session: { permissions: readonly string[] }, permission: string): boolean {
  return session.permissions.includes(permission);
}
