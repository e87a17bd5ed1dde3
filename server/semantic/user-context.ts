// Validates a tenant's userContext against the types the agent declares; anything that does not fit is refused.
import type { UserContextType } from '../config/schema.ts';
import { ParleyError } from '../errors.ts';

export type UserContextValue = number | string | boolean | number[] | string[];
export type UserContext = Readonly<Record<string, UserContextValue>>;

export class UserContextError extends ParleyError {
  override name = 'UserContextError';
  constructor(message: string) {
    super(400, 'invalid_user_context', message);
  }
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

/** The declared type in words, for messages that tell a person what to type instead. */
function typeInWords(type: UserContextType): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'integer[]':
      return 'a list of integers';
    case 'string[]':
      return 'a list of strings';
  }
}

/** One list item of a CLI value: JSON items keep their JSON type, comma-list items are text typed by the list. */
function listItem(key: string, type: 'integer[]' | 'string[]', item: unknown): number | string {
  const wanted = type === 'integer[]' ? 'integer' : 'string';
  let value = item;
  if (typeof item === 'string' && wanted === 'integer' && /^-?\d+$/.test(item.trim())) value = Number(item);
  if (typeof item === 'string' && wanted === 'string') value = item.trim();
  if (
    wanted === 'integer'
      ? typeof value === 'number' && Number.isSafeInteger(value)
      : typeof value === 'string' && value !== ''
  )
    return value as number | string;
  throw new UserContextError(
    `userContext.${key} is ${typeInWords(type)}; ${JSON.stringify(item)} is not ${wanted === 'integer' ? 'an integer' : 'a non-empty string'}`,
  );
}

/** A JSON array given on the command line (`["DE","FR"]`), or undefined when the text is not one. */
function jsonList(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) ? parsed : undefined;
}

/**
 * Converts one CLI-style value (`--context key=value`) into the declared type. Lists are a JSON array
 * (`["DE","FR"]`, `[1,2]`) or comma-separated (`DE,FR`); a value that does not fit the type is refused with a message
 * that says what the field takes, never split or coerced into something else.
 */
export function userContextValueFromString(key: string, type: UserContextType, text: string): unknown {
  const list = jsonList(text);
  const example = type === 'integer[]' ? '[1,2] or 1,2' : '["DE","FR"] or DE,FR';
  switch (type) {
    case 'integer':
      if (/^-?\d+$/.test(text.trim())) return Number(text.trim());
      break;
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      break;
    case 'string':
      if (list === undefined) return text;
      break;
    case 'integer[]':
    case 'string[]': {
      if (list !== undefined) return list.map((item) => listItem(key, type, item));
      if (text.trimStart().startsWith('[')) {
        throw new UserContextError(
          `userContext.${key} is ${typeInWords(type)}: "${text}" is not a JSON array (give ${example})`,
        );
      }
      return text.trim() === '' ? [] : text.split(',').map((item) => listItem(key, type, item));
    }
  }
  throw new UserContextError(
    `userContext.${key} is ${typeInWords(type)}, got "${text}"${list !== undefined ? ' (a list)' : ''}`,
  );
}

/**
 * Converts CLI-style `key=value` strings into typed values by the declared types, then validates.
 * A value that does not parse cleanly is refused.
 */
export function userContextFromStrings(
  declared: Record<string, UserContextType>,
  raw: Record<string, string>,
): UserContext {
  const typed: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) {
    const type = declared[key];
    if (type === undefined) throw new UserContextError(`userContext.${key} is not a declared field`);
    typed[key] = userContextValueFromString(key, type, text);
  }
  return validateUserContext(declared, typed);
}

/** Canonical JSON of a userContext (sorted keys), so equal contexts compare equal (in maps and in SQL). */
export function contextKey(userContext: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.entries(userContext).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return JSON.stringify(sorted);
}
