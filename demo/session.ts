// The demo host app's own login session: a cookie `<persona>.<issued-at>.<HMAC-SHA256>` signed with a random key of
// this process (restarting the app logs everyone out). HttpOnly and SameSite=Lax; Secure when served over https.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'demo_session';
export const SESSION_MAX_AGE_SEC = 8 * 60 * 60;

export interface CookieSigner {
  sign(subject: string, issuedAtSec?: number): string;
  /** the subject of a valid, unexpired value; undefined otherwise */
  verify(value: string | undefined, nowSec?: number): string | undefined;
}

export function createCookieSigner(key: Buffer = randomBytes(32)): CookieSigner {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    sign(subject, issuedAtSec = Math.floor(Date.now() / 1000)) {
      if (!/^[a-z0-9_-]{1,64}$/i.test(subject)) throw new Error('a session subject is a short id');
      const payload = `${subject}.${issuedAtSec}`;
      return `${payload}.${mac(payload)}`;
    },
    verify(value, nowSec = Math.floor(Date.now() / 1000)) {
      if (typeof value !== 'string' || value.length > 256) return undefined;
      const m = /^([a-z0-9_-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/i.exec(value);
      if (!m) return undefined;
      const [, subject = '', issued = '', signature = ''] = m;
      const expected = Buffer.from(mac(`${subject}.${issued}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const age = nowSec - Number(issued);
      if (age < -60 || age > SESSION_MAX_AGE_SEC) return undefined;
      return subject;
    },
  };
}

/** One cookie's value from a Cookie header (first occurrence), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value.replace(/^"(.*)"$/, '$1'));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function sessionCookie(value: string, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${SESSION_MAX_AGE_SEC}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return [
    `${SESSION_COOKIE}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    'Max-Age=0',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
