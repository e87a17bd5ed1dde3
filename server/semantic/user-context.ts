// Validates a tenant's userContext against the types the agent declares; anything that does not fit is refused.
import type { UserContextType } from '../config/schema.ts';

export type UserContextValue = number | string | boolean | number[] | string[];
export type UserContext = Readonly<Record<string, UserContextValue>>;

export class UserContextError extends Error {
  override name = 'UserContextError';
  readonly code = 'invalid_user_context';
}

const MAX_LIST = 1000;
const MAX_STRING = 256;

function checkScalar(
  key: string,
  type: 'integer' | 'string' | 'boolean',
  value: unknown,
): number | string | boolean {
  switch (type) {
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw new UserContextError(`userContext.${key} must be an integer`);
    case 'string':
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_STRING) return value;
      throw new UserContextError(
        `userContext.${key} must be a non-empty string of at most ${MAX_STRING} characters`,
      );
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw new UserContextError(`userContext.${key} must be a boolean`);
    default:
      throw new UserContextError(`userContext.${key} has an unsupported type`);
  }
}

/**
 * Checks every declared field: present, of its declared type, nothing undeclared. Returns a frozen copy.
 * Strict types on purpose: "1 OR 1=1", "*", null or an array where a scalar is declared are refused, never coerced.
 */
export function validateUserContext(declared: Record<string, UserContextType>, raw: unknown): UserContext {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    if (raw === undefined && Object.keys(declared).length === 0) return Object.freeze({});
    throw new UserContextError('userContext must be an object');
  }
  const input = raw as Record<string, unknown>;
  const out: Record<string, UserContextValue> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(declared, key))
      throw new UserContextError(`userContext.${key} is not a declared field`);
  }
  for (const [key, type] of Object.entries(declared)) {
    if (!Object.hasOwn(input, key) || input[key] === undefined) {
      throw new UserContextError(`userContext.${key} is required`);
    }
    const value = input[key];
    if (type === 'integer[]' || type === 'string[]') {
      if (!Array.isArray(value) || value.length > MAX_LIST) {
        throw new UserContextError(`userContext.${key} must be a list of at most ${MAX_LIST} values`);
      }
      const itemType = type === 'integer[]' ? 'integer' : 'string';
      out[key] = value.map((v) => checkScalar(key, itemType, v)) as number[] | string[];
    } else {
      out[key] = checkScalar(key, type, value);
    }
  }
  return Object.freeze(out);
}

/**
 * Converts CLI-style `key=value` strings into typed values by the declared types, then validates.
 * Lists are comma-separated. A value that does not parse cleanly is refused.
 */
export function userContextFromStrings(
  declared: Record<string, UserContextType>,
  raw: Record<string, string>,
): UserContext {
  const typed: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) {
    const type = declared[key];
    if (type === undefined) throw new UserContextError(`userContext.${key} is not a declared field`);
    const integer = (s: string): unknown => (/^-?\d+$/.test(s) ? Number(s) : s);
    switch (type) {
      case 'integer':
        typed[key] = integer(text);
        break;
      case 'boolean':
        typed[key] = text === 'true' ? true : text === 'false' ? false : text;
        break;
      case 'string':
        typed[key] = text;
        break;
      case 'integer[]':
        typed[key] = text === '' ? [] : text.split(',').map((s) => integer(s.trim()));
        break;
      case 'string[]':
        typed[key] = text === '' ? [] : text.split(',').map((s) => s.trim());
        break;
    }
  }
  return validateUserContext(declared, typed);
}
