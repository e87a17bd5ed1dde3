// SqlDialect: everything the SQL text of SQLite and MySQL differs in, one object per dialect (as Kysely keeps a
// compiler per dialect), so the compiler asks the dialect instead of branching on its name. `Dialect` (the name,
// from a database URL) lives in db/connect.ts; how the statements run differs in the executor's drivers.
// Every identifier is a `??` binding and every value a `?` binding; the text here is fixed per dialect.
import type { Knex } from 'knex';
import { createKnex, type Dialect } from '../db/connect.ts';
import type { Grain, Scalar } from './plan.ts';

export interface SqlDialect {
  readonly name: Dialect;
  /** a connectionless knex for this dialect: it only writes SQL text; executors run it on real pools */
  builder(): Knex;
  /**
   * `column` equal to one of `values` byte for byte, when a plain `=` / `IN` would not be ('acme' is not 'ACME');
   * `undefined` when the plain comparison already is exact for these values.
   */
  exactMatch(column: Knex.Raw, values: readonly Scalar[]): Knex.Raw | undefined;
  /** text compared and ordered byte-wise; `undefined` when the dialect already compares text by its bytes */
  byteText(text: Knex.Raw): Knex.Raw | undefined;
  /** `text` contains `pattern` (a LIKE pattern escaped with `!`), ignoring case, otherwise byte-wise */
  likeIgnoringCase(text: Knex.Raw, pattern: string): Knex.Raw;
  /** a plan value as the dialect binds it (SQLite has no booleans: 1 and 0) */
  bindable(value: Scalar): Scalar;
  /** a column's UTC timestamp shifted to the agent's wall-clock time (stored values are UTC) */
  localTime(column: string, timeZone: string): Knex.Raw;
  /** the first day of the grain containing `value`, as text `YYYY-MM-DD` (ISO weeks start on Monday) */
  truncateDate(value: Knex.Raw, grain: Grain): Knex.Raw;
  /** the bucket before `bucket` (a `YYYY-MM-DD` first day of a grain, as truncateDate gives), as the same text */
  previousBucket(bucket: Knex.Raw, grain: Grain): Knex.Raw;
  /** the days from one date or time to another, fractions for times; NULL when either is */
  daysBetween(from: Knex.Raw, to: Knex.Raw): Knex.Raw;
}

/** A knex for one client, made on first use (knex loads the client's driver when it is made). */
function lazyBuilder(client: string): () => Knex {
  let built: Knex | undefined;
  return () => {
    built ??= createKnex({ client, useNullAsDefault: true });
    return built;
  };
}

/** SQLite compares text by its bytes already; it has no zones and no booleans. */
function sqliteDialect(): SqlDialect {
  const builder = lazyBuilder('better-sqlite3');
  const raw = (sql: string, bindings: readonly Knex.RawBinding[]) => builder().raw(sql, bindings);
  return {
    name: 'sqlite',
    builder,
    exactMatch: () => undefined,
    byteText: () => undefined,
    likeIgnoringCase: (text, pattern) => raw("(LOWER(?) LIKE LOWER(?) ESCAPE '!')", [text, pattern]),
    bindable: (value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value),
    localTime(column, timeZone) {
      if (timeZone === 'UTC') return raw('??', [column]);
      // parley_tz() is registered on every SQLite connection by the executor (see sqlite-worker.mjs)
      return raw('parley_tz(??, ?)', [column, timeZone]);
    },
    truncateDate(value, grain) {
      switch (grain) {
        case 'day':
          return raw('date(?)', [value]);
        case 'week':
          return raw("date(?, '-6 days', 'weekday 1')", [value]);
        case 'month':
          return raw("strftime('%Y-%m-01', ?)", [value]);
        case 'quarter':
          // printf would turn a NULL date into text; every other grain keeps NULL as NULL
          return raw(
            "CASE WHEN ? IS NULL THEN NULL ELSE printf('%s-%02d-01', strftime('%Y', ?), ((CAST(strftime('%m', ?) AS INTEGER) - 1) / 3) * 3 + 1) END",
            [value, value, value],
          );
        case 'year':
          return raw("strftime('%Y-01-01', ?)", [value]);
        default:
          throw new Error(`unknown grain ${grain satisfies never}`);
      }
    },
    previousBucket(bucket, grain) {
      // the first day of a month minus whole months is the first day of a month: no end-of-month clamping
      switch (grain) {
        case 'day':
          return raw("date(?, '-1 day')", [bucket]);
        case 'week':
          return raw("date(?, '-7 days')", [bucket]);
        case 'month':
          return raw("date(?, '-1 month')", [bucket]);
        case 'quarter':
          return raw("date(?, '-3 months')", [bucket]);
        case 'year':
          return raw("date(?, '-1 year')", [bucket]);
        default:
          throw new Error(`unknown grain ${grain satisfies never}`);
      }
    },
    // dates and times are ISO text: julianday reads both
    daysBetween: (from, to) => raw('(julianday(?) - julianday(?))', [to, from]),
  };
}

/** MySQL's default collations ignore case and accents: text compares and orders as BINARY to agree with SQLite. */
function mysqlDialect(): SqlDialect {
  const builder = lazyBuilder('mysql2');
  const raw = (sql: string, bindings: readonly Knex.RawBinding[]) => builder().raw(sql, bindings);
  return {
    name: 'mysql',
    builder,
    exactMatch(column, values) {
      if (!values.some((v) => typeof v === 'string')) return undefined;
      // the comparison in the column's collation (which its index is sorted by) finds a superset, the BINARY one
      // keeps only exact matches: `BINARY column = ?` alone hides the column from the optimizer (checked with
      // EXPLAIN in test/query-plans.test.ts)
      const [only] = values;
      if (values.length === 1 && only !== undefined)
        return raw('(? = ? AND BINARY ? = ?)', [column, only, column, only]);
      const list = values.map(() => '?').join(', ');
      return raw(`(? IN (${list}) AND BINARY ? IN (${list}))`, [column, ...values, column, ...values]);
    },
    byteText: (text) => raw('BINARY ?', [text]),
    likeIgnoringCase: (text, pattern) => raw("(BINARY LOWER(?) LIKE LOWER(?) ESCAPE '!')", [text, pattern]),
    bindable: (value) => value,
    localTime(column, timeZone) {
      if (timeZone === 'UTC') return raw('??', [column]);
      return raw("CONVERT_TZ(??, '+00:00', ?)", [column, timeZone]);
    },
    truncateDate(value, grain) {
      switch (grain) {
        case 'day':
          return raw("DATE_FORMAT(?, '%Y-%m-%d')", [value]);
        case 'week':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL WEEKDAY(?) DAY), '%Y-%m-%d')", [value, value]);
        case 'month':
          return raw("DATE_FORMAT(?, '%Y-%m-01')", [value]);
        case 'quarter':
          return raw("CONCAT(YEAR(?), '-', LPAD((QUARTER(?) - 1) * 3 + 1, 2, '0'), '-01')", [value, value]);
        case 'year':
          return raw("DATE_FORMAT(?, '%Y-01-01')", [value]);
        default:
          throw new Error(`unknown grain ${grain satisfies never}`);
      }
    },
    previousBucket(bucket, grain) {
      switch (grain) {
        case 'day':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 DAY), '%Y-%m-%d')", [bucket]);
        case 'week':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 7 DAY), '%Y-%m-%d')", [bucket]);
        case 'month':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 MONTH), '%Y-%m-%d')", [bucket]);
        case 'quarter':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 3 MONTH), '%Y-%m-%d')", [bucket]);
        case 'year':
          return raw("DATE_FORMAT(DATE_SUB(?, INTERVAL 1 YEAR), '%Y-%m-%d')", [bucket]);
        default:
          throw new Error(`unknown grain ${grain satisfies never}`);
      }
    },
    daysBetween: (from, to) => raw('(TIMESTAMPDIFF(SECOND, ?, ?) / 86400e0)', [from, to]),
  };
}

const DIALECTS: Record<Dialect, SqlDialect> = { sqlite: sqliteDialect(), mysql: mysqlDialect() };

/** The SQL dialect of a database kind. */
export function sqlDialect(name: Dialect): SqlDialect {
  return DIALECTS[name];
}
