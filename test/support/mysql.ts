// The MySQL/MariaDB test gate shared by every test that needs a server.
// Enabled when PARLEY_TEST_MYSQL_URL is set or CI=true (default mysql://root@127.0.0.1:3306/test). When enabled,
// a server that cannot be reached fails the tests loudly: nothing here ever turns into a silent skip.
import { execFileSync } from 'node:child_process';
import knex, { type Knex } from 'knex';
import { describe } from 'vitest';

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/test';

/** The server URL from the environment, or undefined when MySQL tests are off. */
export const MYSQL_URL: string | undefined =
  process.env.PARLEY_TEST_MYSQL_URL || (process.env.CI === 'true' ? DEFAULT_URL : undefined);

/** Use as `describe.skipIf(!mysqlEnabled)(mysqlTitle('...'), ...)`. */
export const mysqlEnabled = MYSQL_URL !== undefined;

export const MYSQL_SKIP_NOTE = '(requires MySQL: set PARLEY_TEST_MYSQL_URL)';

/** A describe title that says why it is skipped when the gate is off. */
export function mysqlTitle(title: string): string {
  return mysqlEnabled ? `${title} (MySQL)` : `${title} ${MYSQL_SKIP_NOTE}`;
}

function serverUrl(): URL {
  if (!MYSQL_URL) throw new Error(`MySQL tests are off ${MYSQL_SKIP_NOTE}`);
  return new URL(MYSQL_URL.replace(/^mariadb:/, 'mysql:'));
}

/** A Parley database URL for `database` on the configured server (same host, port, user and password). */
export function mysqlDatabaseUrl(database: string): string {
  const u = serverUrl();
  u.pathname = `/${database}`;
  return u.toString();
}

/** A per-process database name such as `parley_iso_12345`; `parts` are appended with `_`. */
export function testDatabaseName(prefix: string, ...parts: Array<string | number>): string {
  return [prefix, String(process.pid), ...parts.map(String)].join('_');
}

/** A connection to the server itself (no default database) for CREATE/DROP DATABASE and admin checks. */
export function openMysqlRoot(): Knex {
  const u = serverUrl();
  return knex({
    client: 'mysql2',
    connection: {
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      timezone: 'Z',
      dateStrings: true,
      charset: 'utf8mb4',
      connectTimeout: 5000,
    },
    pool: { min: 0, max: 2 },
  });
}

/** Fails with a message that names the server when it cannot be reached (the gate is on: no silent skip). */
export async function assertMysqlReachable(root: Knex): Promise<void> {
  try {
    await root.raw('SELECT 1');
  } catch (err) {
    const u = serverUrl();
    throw new Error(
      `MySQL tests are enabled (PARLEY_TEST_MYSQL_URL or CI=true) but ${u.hostname}:${u.port || 3306} ` +
        `cannot be reached: ${(err as Error).message}`,
    );
  }
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `\`${name}\``;
}

/** Drops (if present) and creates an empty utf8mb4 database; returns its Parley URL. */
export async function createMysqlDatabase(root: Knex, name: string): Promise<string> {
  await root.raw(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  await root.raw(`CREATE DATABASE ${quoteIdent(name)} CHARACTER SET utf8mb4`);
  return mysqlDatabaseUrl(name);
}

export async function dropMysqlDatabase(root: Knex, name: string): Promise<void> {
  await root.raw(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
}

async function convertTzWorks(root: Knex): Promise<boolean> {
  const result = (await root.raw(
    "SELECT CONVERT_TZ('2024-01-01 00:00:00', '+00:00', 'America/New_York') AS v",
  )) as [Array<{ v: string | null }>, unknown];
  return result[0][0]?.v != null;
}

/**
 * Named time zones (CONVERT_TZ with 'America/New_York') need the server's time zone tables. When they are empty,
 * loads them with `mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql ... mysql` (CI should do this up front).
 * Returns true when it had to load them.
 */
export async function ensureMysqlTimeZones(root: Knex): Promise<boolean> {
  if (await convertTzWorks(root)) return false;
  const u = serverUrl();
  const args = [
    `-h${u.hostname}`,
    `-P${u.port || 3306}`,
    `-u${decodeURIComponent(u.username) || 'root'}`,
    ...(u.password ? [`-p${decodeURIComponent(u.password)}`] : []),
  ];
  try {
    const sql = execFileSync('mysql_tzinfo_to_sql', ['/usr/share/zoneinfo'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    execFileSync('mysql', [...args, 'mysql'], {
      input: sql,
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: 120_000,
    });
  } catch (err) {
    throw new Error(
      `the MySQL time zone tables are empty and loading them failed (${(err as Error).message}); ` +
        'run: mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql -uroot mysql',
    );
  }
  if (!(await convertTzWorks(root))) {
    throw new Error("CONVERT_TZ(..., 'America/New_York') is still NULL after loading the time zone tables");
  }
  return true;
}

/**
 * Runs a test file's database contract (`contract(title, setup, teardown)`, the same one it runs on SQLite) on a
 * scratch MySQL database named from `prefix`, created before and dropped after; skipped, with the note, when the
 * MySQL gate is off.
 */
export function onScratchMysql(
  title: string,
  prefix: string,
  contract: (title: string, setup: () => Promise<string>, teardown: () => Promise<void>) => void,
): void {
  const name = testDatabaseName(prefix);
  describe.skipIf(!mysqlEnabled)(mysqlTitle(title), () => {
    const root = mysqlEnabled ? openMysqlRoot() : undefined;
    contract(
      'on MySQL',
      async () => {
        if (!root) throw new Error('MySQL gate is off');
        await assertMysqlReachable(root);
        return createMysqlDatabase(root, name);
      },
      async () => {
        if (!root) return;
        await dropMysqlDatabase(root, name);
        await root.destroy();
      },
    );
  });
}
