// API keys for server-to-server calls: `Authorization: Bearer <key>`, compared in constant time, optionally per agent.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError } from './claims.ts';

export const MIN_API_KEY_LENGTH = 16;

export interface ApiKeyEntry {
  key: string;
  /** the agents the key may be used for; absent = all */
  agents?: string[];
  /** shown in logs instead of the key; default `key-1`, `key-2`, ... */
  name?: string;
  /** the one tenant the key may act in (e.g. { organisationId: 2 }); absent = any tenant it names */
  userContext?: Record<string, unknown>;
}

export interface ApiKeyIdentity {
  name: string;
  /** the key's scope; absent = all agents */
  agents?: readonly string[];
  /** the key's tenant pin; absent = any tenant (server/http/api-v1/tenant-pin.ts applies it) */
  userContext?: Readonly<Record<string, unknown>>;
}

export interface ApiKeyChecker {
  /**
   * The key's identity, or AuthError: 401 for a missing header, another scheme or an unknown key; 403 when the key
   * is not scoped to `agentId`.
   */
  check(authorizationHeader: string | undefined, agentId?: string): ApiKeyIdentity;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Refuses, at construction, keys under 16 characters, duplicate keys and malformed scopes (never echoing a key). */
export function createApiKeyChecker(keys: ReadonlyArray<ApiKeyEntry>): ApiKeyChecker {
  const entries = keys.map((entry, i) => {
    const name = entry.name ?? `key-${i + 1}`;
    if (typeof entry.key !== 'string' || entry.key.length < MIN_API_KEY_LENGTH) {
      throw new Error(`API key ${name} is shorter than ${MIN_API_KEY_LENGTH} characters`);
    }
    if (/\s/.test(entry.key)) throw new Error(`API key ${name} contains whitespace`);
    if (
      entry.agents !== undefined &&
      (!Array.isArray(entry.agents) || entry.agents.some((a) => typeof a !== 'string'))
    ) {
      throw new Error(`API key ${name}: agents must be a list of agent ids`);
    }
    if (
      entry.userContext !== undefined &&
      (entry.userContext === null ||
        typeof entry.userContext !== 'object' ||
        Array.isArray(entry.userContext))
    ) {
      throw new Error(`API key ${name}: userContext must be an object such as { organisationId: 2 }`);
    }
    return {
      name,
      hash: digest(entry.key),
      agents: entry.agents === undefined ? undefined : Object.freeze([...entry.agents]),
      userContext: entry.userContext === undefined ? undefined : Object.freeze({ ...entry.userContext }),
    };
  });
  entries.forEach((a, i) => {
    if (entries.some((b, j) => j < i && timingSafeEqual(a.hash, b.hash))) {
      throw new Error(`API key ${a.name} is a duplicate of another key`);
    }
  });

  return {
    check(authorizationHeader, agentId) {
      if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
        throw new AuthError('missing_credentials', 'an API key is required: Authorization: Bearer <key>');
      }
      const m = /^Bearer +(\S+) *$/i.exec(authorizationHeader);
      if (!m) throw new AuthError('invalid_api_key', 'expected Authorization: Bearer <key>');
      const presented = digest(m[1] ?? '');
      // compare with every key, whichever matches, so the time taken does not tell which one did
      let found: (typeof entries)[number] | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry;
      }
      if (!found) throw new AuthError('invalid_api_key', 'unknown API key');
      if (agentId !== undefined && found.agents !== undefined && !found.agents.includes(agentId)) {
        throw new AuthError('forbidden', 'this API key is not allowed for this agent');
      }
      return {
        name: found.name,
        ...(found.agents !== undefined ? { agents: found.agents } : {}),
        ...(found.userContext !== undefined ? { userContext: found.userContext } : {}),
      };
    },
  };
}

/** PARLEY_API_KEY: one key, or several separated by commas (to rotate without downtime); all agents. */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): ApiKeyEntry[] {
  const raw = env.PARLEY_API_KEY;
  if (raw === undefined || raw.trim() === '') return [];
  const keys = raw
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return keys.map((key, i) => ({ key, name: keys.length === 1 ? 'PARLEY_API_KEY' : `PARLEY_API_KEY[${i}]` }));
}
