// `parley seed --anchor`: the moment the demo data ends. A module of its own, loaded when the command runs: luxon and
// the demo data's first day come with it, and `parley serve` and `parley --help` need neither.
import { DateTime } from 'luxon';
import { MIN_ANCHOR } from '../seed/demo-data.ts';

/** Parses --anchor (ISO 8601; without an offset it is read as UTC); defaults to PARLEY_NOW, else now. */
export function parseAnchor(value: string | undefined, env: NodeJS.ProcessEnv = process.env): Date {
  const source = value !== undefined ? '--anchor' : env.PARLEY_NOW ? 'PARLEY_NOW' : undefined;
  const text = value ?? env.PARLEY_NOW;
  if (source === undefined || text === undefined) return new Date(Math.floor(Date.now() / 1000) * 1000);
  const zone = { zone: 'utc', setZone: true };
  let parsed = DateTime.fromISO(text.trim(), zone);
  if (!parsed.isValid) parsed = DateTime.fromSQL(text.trim(), zone); // `2026-11-25 12:00:00` too
  if (!parsed.isValid) {
    throw new Error(`${source} "${text}" is not a valid ISO 8601 time (e.g. 2026-11-25T12:00:00Z)`);
  }
  const anchor = parsed.toJSDate();
  if (anchor.getTime() <= MIN_ANCHOR.getTime()) {
    throw new Error(
      `${source} "${text}" must be after 2024-01-02T00:00:00Z (the demo data starts on 2024-01-01)`,
    );
  }
  return anchor;
}
