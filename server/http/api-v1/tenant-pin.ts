// The one place that decides what a tenant-pinned API key may touch. A key with a `userContext` pin (auth.apiKeys)
// acts only inside that tenant on every /api/v1 route: what it creates is created there, what it reads must be
// there (another tenant's conversation is as unknown as a made-up id), lists are filtered to it, and naming another
// tenant is 403 tenant_not_allowed. An unpinned key is a trusted backend: it acts for any tenant it names.

import type { ApiKeyIdentity } from '../../auth/api-keys.ts';
import type { UserContextType } from '../../config/schema.ts';
import {
  contextKey,
  type UserContext,
  UserContextError,
  validateUserContext,
} from '../../semantic/user-context.ts';
import { HttpError } from '../errors.ts';

type Declared = Readonly<Record<string, UserContextType>>;

const notAllowed = (message: string): HttpError => new HttpError(403, 'tenant_not_allowed', message);

/** The key's tenant for an agent (its pin, typed by the agent's declaration), or undefined: any tenant. */
export function keyTenant(identity: ApiKeyIdentity, declared: Declared): UserContext | undefined {
  if (identity.userContext === undefined) return undefined;
  try {
    return validateUserContext(declared, identity.userContext);
  } catch (err) {
    if (err instanceof UserContextError)
      throw notAllowed(`API key ${identity.name} is pinned to a userContext this agent does not declare`);
    throw err;
  }
}

/**
 * The userContext a request acts with: `given` (already validated; undefined when the request names none), which a
 * pinned key may only give as its own tenant; a pinned key that names none acts in its tenant.
 */
export function tenantWithinPin(
  identity: ApiKeyIdentity,
  declared: Declared,
  given: UserContext | undefined,
): UserContext | undefined {
  const pin = keyTenant(identity, declared);
  if (pin === undefined) return given;
  if (given !== undefined && contextKey(given) !== contextKey(pin))
    throw notAllowed(`API key ${identity.name} is pinned to another tenant`);
  return pin;
}

/** May this key see a resource of `userContext`? (callers answer 404 when not, as for an unknown id) */
export function pinAllows(identity: ApiKeyIdentity, declared: Declared, userContext: UserContext): boolean {
  const pin = keyTenant(identity, declared);
  return pin === undefined || contextKey(pin) === contextKey(userContext);
}

/** May this key act on the shared files of context `key` = `value`? 403 when its pin says another value. */
export function checkContextWithinPin(
  identity: ApiKeyIdentity,
  declared: Declared,
  key: string,
  value: string | number,
): void {
  const pin = keyTenant(identity, declared);
  if (pin === undefined) return;
  if (!Object.hasOwn(pin, key) || pin[key] !== value)
    throw notAllowed(`API key ${identity.name} is pinned to another tenant`);
}
