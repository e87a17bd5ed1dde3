// The SqlDialect objects on real databases: both dialects bucket dates alike (ISO weeks from Monday, across a year
// boundary and a leap day), step back one bucket alike, and compare text byte for byte, case and accents included.
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, mysqlEnabled, mysqlTitle } from '../../test/support/mysql.ts';
import { type Dialect, openDatabase } from '../db/connect.ts';
import type { Grain } from './plan.ts';
import { type SqlDialect, sqlDialect } from './sql-dialect.ts';

const GRAINS: Grain[] = ['day', 'week', 'month', 'quarter', 'year'];
const DATES = ['2024-02-29', '2024-03-31', '2024-12-29', '2024-12-30', '2025-01-01', '2025-11-15'];

function startOf(date: string, grain: Grain, back = 0): string {
  return DateTime.fromISO(date, { zone: 'UTC' })
    .startOf(grain, { useLocaleWeeks: false })
    .minus({ [grain]: back })
    .toFormat('yyyy-MM-dd');
}

function suite(name: Dialect, url: () => string): void {
  const d: SqlDialect = sqlDialect(name);
  let db: Knex;
  /** the value of one expression of the dialect, run on the real database */
  const value = async (expr: Knex.Raw): Promise<unknown> => {
    const { sql, bindings } = expr.toSQL();
    const result = await db.raw(`SELECT ${sql} AS v`, bindings as Knex.RawBinding[]);
    const rows = (name === 'mysql' ? (result as [Array<{ v: unknown }>])[0] : result) as Array<{
      v: unknown;
    }>;
    return rows[0]?.v;
  };
  const text = (s: string) => d.builder().raw('?', [s]);

  beforeAll(() => {
    db = openDatabase(url());
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('truncates a date to the first day of its grain, and steps back one bucket', async () => {
    for (const grain of GRAINS) {
      for (const date of DATES) {
        const bucket = d.truncateDate(text(date), grain);
        expect(await value(bucket), `${grain} of ${date}`).toBe(startOf(date, grain));
        expect(await value(d.previousBucket(bucket, grain)), `${grain} before ${date}`).toBe(
          startOf(date, grain, 1),
        );
      }
    }
  });

  it('counts the days from one date or time to another, in fractions of a day for times', async () => {
    expect(Number(await value(d.daysBetween(text('2025-02-20'), text('2025-03-02'))))).toBe(10);
    expect(Number(await value(d.daysBetween(text('2025-03-02'), text('2025-02-20'))))).toBe(-10);
    expect(
      Number(await value(d.daysBetween(text('2025-01-01 00:00:00'), text('2025-01-02 12:00:00')))),
    ).toBeCloseTo(1.5, 9);
    expect(await value(d.daysBetween(text('2025-01-01'), d.builder().raw('NULL')))).toBeNull();
  });

  it('matches text exactly: case and accents count', async () => {
    const equal = async (a: string, b: string) =>
      Number(await value(d.exactMatch(text(a), [b]) ?? d.builder().raw('(? = ?)', [text(a), b])));
    expect(await equal('acme', 'acme')).toBe(1);
    expect(await equal('acme', 'ACME')).toBe(0);
    expect(await equal('cafe', 'café')).toBe(0);
  });

  it('finds text ignoring case, but not accents', async () => {
    const like = async (s: string, pattern: string) =>
      Number(await value(d.likeIgnoringCase(text(s), pattern)));
    expect(await like('Acme Corp', '%CME%')).toBe(1);
    expect(await like('Café', '%cafe%')).toBe(0);
  });
}

describe('SQLite', () => suite('sqlite', () => 'sqlite://:memory:'));

describe.skipIf(!mysqlEnabled)(mysqlTitle('MySQL'), () => suite('mysql', () => MYSQL_URL as string));
