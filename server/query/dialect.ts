// The few expressions that differ between SQLite and MySQL: time-zone shifts, date truncation and bucket steps.
// Every identifier is a `??` binding and every value a `?` binding; the text here is fixed per dialect.
import type { Knex } from 'knex';
import type { Dialect } from '../db/connect.ts';
import type { Grain } from './plan.ts';

/** A column's UTC timestamp shifted to the agent's wall-clock time (stored values are UTC). */
export function localTime(k: Knex, dialect: Dialect, column: string, timeZone: string): Knex.Raw {
  if (timeZone === 'UTC') return k.raw('??', [column]);
  // SQLite has no zones: parley_tz() is registered on every SQLite connection (see the executor)
  if (dialect === 'sqlite') return k.raw('parley_tz(??, ?)', [column, timeZone]);
  return k.raw("CONVERT_TZ(??, '+00:00', ?)", [column, timeZone]);
}

/** The first day of the grain containing `value`, as text `YYYY-MM-DD` (ISO weeks start on Monday). */
export function truncateDate(k: Knex, dialect: Dialect, value: Knex.Raw, grain: Grain): Knex.Raw {
  if (dialect === 'sqlite') {
    switch (grain) {
      case 'day':
        return k.raw('date(?)', [value]);
      case 'week':
        return k.raw("date(?, '-6 days', 'weekday 1')", [value]);
      case 'month':
        return k.raw("strftime('%Y-%m-01', ?)", [value]);
      case 'quarter':
        // printf would turn a NULL date into text; every other grain keeps NULL as NULL
        return k.raw(
          "CASE WHEN ? IS NULL THEN NULL ELSE printf('%s-%02d-01', strftime('%Y', ?), ((CAST(strftime('%m', ?) AS INTEGER) - 1) / 3) * 3 + 1) END",
          [value, value, value],
        );
      case 'year':
        return k.raw("strftime('%Y-01-01', ?)", [value]);
      default:
        throw new Error(`unknown grain ${grain satisfies never}`);
    }
  }
  switch (grain) {
    case 'day':
      return k.raw("DATE_FORMAT(?, '%Y-%m-%d')", [value]);
    case 'week':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL WEEKDAY(?) DAY), '%Y-%m-%d')", [value, value]);
    case 'month':
      return k.raw("DATE_FORMAT(?, '%Y-%m-01')", [value]);
    case 'quarter':
      return k.raw("CONCAT(YEAR(?), '-', LPAD((QUARTER(?) - 1) * 3 + 1, 2, '0'), '-01')", [value, value]);
    case 'year':
      return k.raw("DATE_FORMAT(?, '%Y-01-01')", [value]);
    default:
      throw new Error(`unknown grain ${grain satisfies never}`);
  }
}

/** The bucket before `bucket` (a `YYYY-MM-DD` first day of a grain, as truncateDate gives), as the same text. */
export function previousBucket(k: Knex, dialect: Dialect, bucket: Knex.Raw, grain: Grain): Knex.Raw {
  if (dialect === 'sqlite') {
    // the first day of a month minus whole months is the first day of a month: no end-of-month clamping
    switch (grain) {
      case 'day':
        return k.raw("date(?, '-1 day')", [bucket]);
      case 'week':
        return k.raw("date(?, '-7 days')", [bucket]);
      case 'month':
        return k.raw("date(?, '-1 month')", [bucket]);
      case 'quarter':
        return k.raw("date(?, '-3 months')", [bucket]);
      case 'year':
        return k.raw("date(?, '-1 year')", [bucket]);
      default:
        throw new Error(`unknown grain ${grain satisfies never}`);
    }
  }
  switch (grain) {
    case 'day':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 DAY), '%Y-%m-%d')", [bucket]);
    case 'week':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 7 DAY), '%Y-%m-%d')", [bucket]);
    case 'month':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 MONTH), '%Y-%m-%d')", [bucket]);
    case 'quarter':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 3 MONTH), '%Y-%m-%d')", [bucket]);
    case 'year':
      return k.raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 YEAR), '%Y-%m-%d')", [bucket]);
    default:
      throw new Error(`unknown grain ${grain satisfies never}`);
  }
}
