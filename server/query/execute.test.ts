// Unit tests of the executor: statement time limits, cancellation, read-only sessions, typed rows, the pool.
// SQLite always; MySQL/MariaDB behind the shared gate (PARLEY_TEST_MYSQL_URL or CI=true).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, sqliteUrl } from '../../test/support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from '../../test/support/mysql.ts';
import type { CompiledQuery, OutputColumn } from './compile.ts';
import {
  createQueryRunner,
  openSpareSqliteThread,
  prestartSqliteThread,
  QueryCancelledError,
  QueryFailedError,
  type QueryRunner,
  QueryTimeoutError,
  sqliteSpare,
  sqliteThread,
  threadExecArgv,
} from './execute.ts';
import { QueryPlan } from './plan.ts';

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';

/** Awaits a promise that must reject; returns the error and how long it took. */
async function rejection(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected the query to fail, but it returned rows');
}

function compiled(
  text: string,
  columns: Array<Pick<OutputColumn, 'name' | 'type'>>,
  extra: Partial<CompiledQuery> = {},
) {
  return {
    plan: QueryPlan.parse({ version: 1, table: 't' }),
    sql: { text, bindings: [] },
    columns: columns.map((c) => ({ ...c, label: c.name, role: 'field' as const })),
    limit: 1000,
    capped: false,
    ranges: [],
    contextFilters: [],
    ...extra,
  } satisfies CompiledQuery;
}

describe('SQLite executor', () => {
  let dir: string;
  let url: string;
  let runner: QueryRunner;
  let file: string;

  beforeAll(() => {
    dir = makeTempDir('parley-execute');
    file = path.join(dir, 'tiny.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount REAL, flag INTEGER, at TEXT);
      INSERT INTO t VALUES (1, 'one', 1.5, 1, '2024-03-01 10:00:00'), (2, 'two', 2.25, 0, NULL), (3, 'three', 3, 1, '2024-03-03 00:00:00');`);
    db.close();
    url = sqliteUrl(file);
    runner = createQueryRunner(url, { statementTimeoutMs: 300, poolMax: 1 });
  });

  afterAll(async () => {
    await runner?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops a runaway statement at its time limit and keeps answering', async () => {
    const { error, ms } = await rejection(() => runner.runSql(RUNAWAY, []));
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as QueryTimeoutError).code).toBe('query_timeout');
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
    // the pool has one worker: the next query runs on a fresh one
    expect(await runner.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
  });

  it('cancels a running statement through an AbortSignal, quickly', async () => {
    const slow = createQueryRunner(url, { statementTimeoutMs: 30_000, poolMax: 1 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const { error, ms } = await rejection(() => slow.runSql(RUNAWAY, [], { signal: controller.signal }));
      expect(error).toBeInstanceOf(QueryCancelledError);
      expect(ms).toBeLessThan(1000);
      expect(await slow.runSql('SELECT 1', [])).toEqual([[1]]);
      // a signal that is already aborted never starts the query
      const aborted = AbortSignal.abort();
      expect((await rejection(() => slow.runSql('SELECT 1', [], { signal: aborted }))).error).toBeInstanceOf(
        QueryCancelledError,
      );
    } finally {
      await slow.close();
    }
  });

  it('a timeout in one query does not disturb the others running beside it', async () => {
    const pool = createQueryRunner(url, { statementTimeoutMs: 400, poolMax: 2 });
    try {
      const results = await Promise.allSettled([
        pool.runSql(RUNAWAY, []),
        ...Array.from({ length: 6 }, (_, i) => pool.runSql('SELECT ? + count(*) FROM t', [i])),
      ]);
      expect(results[0]?.status).toBe('rejected');
      expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value : r.reason))).toEqual(
        Array.from({ length: 6 }, (_, i) => [[i + 3]]),
      );
    } finally {
      await pool.close();
    }
  });

  it.each([
    'DELETE FROM t',
    "INSERT INTO t (id, name) VALUES (9, 'x')",
    "UPDATE t SET name = 'x'",
    'DROP TABLE t',
    'CREATE TABLE u (id INTEGER)',
    "ATTACH DATABASE ':memory:' AS other",
    'PRAGMA user_version = 7',
    'VACUUM',
    'SELECT 1; DELETE FROM t',
  ])('refuses a statement that writes: %s', async (sql) => {
    const { error } = await rejection(() => runner.runSql(sql, []));
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(await runner.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
  });

  it('types rows by column: numbers, booleans, dates, text and NULL', async () => {
    const result = await runner.run(
      compiled('SELECT id, name, amount, flag, at, at IS NULL FROM t ORDER BY id', [
        { name: 'id', type: 'number' },
        { name: 'name', type: 'string' },
        { name: 'amount', type: 'number' },
        { name: 'flag', type: 'boolean' },
        { name: 'at', type: 'date' },
        { name: 'missing', type: 'boolean' },
      ]),
    );
    expect(result.rows).toEqual([
      [1, 'one', 1.5, true, '2024-03-01T10:00:00Z', false],
      [2, 'two', 2.25, false, null, true],
      [3, 'three', 3, true, '2024-03-03T00:00:00Z', false],
    ]);
    expect(result.truncated).toBe(false);
  });

  it('cuts a capped result at its limit and says so', async () => {
    const result = await runner.run(
      compiled('SELECT id FROM t ORDER BY id LIMIT 3', [{ name: 'id', type: 'number' }], {
        limit: 2,
        capped: true,
      }),
    );
    expect(result.rows).toEqual([[1], [2]]);
    expect(result.truncated).toBe(true);
  });

  it('refuses to open a file that does not exist, and refuses queries once closed', async () => {
    const missing = createQueryRunner(sqliteUrl(path.join(dir, 'missing.sqlite')), {
      statementTimeoutMs: 2000,
    });
    await expect(missing.ping()).rejects.toThrow();
    await missing.close();
    expect(fs.existsSync(path.join(dir, 'missing.sqlite'))).toBe(false);
    const closing = createQueryRunner(url);
    await closing.ping();
    await closing.close();
    await expect(closing.runSql('SELECT 1', [])).rejects.toBeInstanceOf(QueryFailedError);
  });

  it("a thread started ahead of need opens the next runner's file, refuses a missing one, and still stops a runaway", async () => {
    prestartSqliteThread();
    const missing = createQueryRunner(sqliteUrl(path.join(dir, 'missing-too.sqlite')), {
      statementTimeoutMs: 2000,
    });
    await expect(missing.ping()).rejects.toThrow();
    await missing.close();
    expect(fs.existsSync(path.join(dir, 'missing-too.sqlite'))).toBe(false);
    prestartSqliteThread();
    const ahead = createQueryRunner(url, { statementTimeoutMs: 300, poolMax: 1 });
    try {
      expect(await ahead.runSql('SELECT name FROM t WHERE id = ?', [2])).toEqual([['two']]);
      const { error, ms } = await rejection(() => ahead.runSql(RUNAWAY, []));
      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect(ms).toBeLessThan(2000);
      expect(await ahead.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
    } finally {
      await ahead.close();
    }
  });

  it('a thread that opened a file ahead of need serves the first runner on that file, and no other', async () => {
    const other = path.join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec("CREATE TABLE o (v TEXT); INSERT INTO o VALUES ('x')");
    db.close();
    prestartSqliteThread();
    openSpareSqliteThread(other);
    expect(sqliteSpare()).toEqual({ file: other });
    // a runner on another file starts its own thread, leaving the spare to its file
    const first = createQueryRunner(url, { statementTimeoutMs: 2000, poolMax: 1 });
    const ahead = createQueryRunner(sqliteUrl(other), { statementTimeoutMs: 300, poolMax: 1 });
    try {
      expect(await first.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
      expect(sqliteSpare()).toEqual({ file: other });
      expect(await ahead.runSql('SELECT v FROM o', [])).toEqual([['x']]);
      expect(sqliteSpare()).toBeUndefined();
      // the thread it took is one like any other: a runaway is stopped, the next statement gets a new thread
      const { error } = await rejection(() => ahead.runSql(RUNAWAY, []));
      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect(await ahead.runSql('SELECT v FROM o', [])).toEqual([['x']]);
    } finally {
      await first.close();
      await ahead.close();
    }
    // a spare that opened a file nobody asked about makes way for the next upload's
    prestartSqliteThread();
    openSpareSqliteThread(other);
    prestartSqliteThread();
    expect(sqliteSpare()).toEqual({});
    openSpareSqliteThread(url.replace('sqlite://', ''));
    const next = createQueryRunner(url, { statementTimeoutMs: 2000, poolMax: 1 });
    try {
      expect(await next.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
      expect(sqliteSpare()).toBeUndefined();
    } finally {
      await next.close();
    }
    // opened ahead on a file that is gone: the runner on it fails as it would have on its own
    const gone = path.join(dir, 'gone.sqlite');
    prestartSqliteThread();
    openSpareSqliteThread(gone);
    const missing = createQueryRunner(sqliteUrl(gone), { statementTimeoutMs: 2000 });
    await expect(missing.ping()).rejects.toBeInstanceOf(QueryFailedError);
    await missing.close();
  });

  it('a thread started ahead of need that nobody takes ends by itself; runners start their own', async () => {
    prestartSqliteThread(20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = createQueryRunner(url, { statementTimeoutMs: 2000 });
    try {
      expect(await later.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
    } finally {
      await later.close();
    }
  });
});

describe.skipIf(!mysqlEnabled)(mysqlTitle('MySQL executor'), () => {
  let root: Knex;
  let url: string;
  let runner: QueryRunner;
  const database = testDatabaseName('parley_exec');

  beforeAll(async () => {
    root = openMysqlRoot();
    await assertMysqlReachable(root);
    url = await createMysqlDatabase(root, database);
    await root.raw('CREATE TABLE ??.t (id INT PRIMARY KEY, name VARCHAR(20))', [database]);
    await root.raw("INSERT INTO ??.t VALUES (1, 'one'), (2, 'two'), (3, 'three')", [database]);
    // one connection: "usable afterwards" means the very connection that was stopped
    runner = createQueryRunner(url, { statementTimeoutMs: 1000, poolMax: 1 });
  });

  afterAll(async () => {
    await runner?.close();
    if (root) {
      await dropMysqlDatabase(root, database);
      await root.destroy();
    }
  });

  const connectionId = async (r: QueryRunner) => (await r.runSql('SELECT CONNECTION_ID()', []))[0]?.[0];

  it('stops SELECT SLEEP(5) at a 1 s limit with QueryTimeoutError; the connection is usable afterwards', async () => {
    const before = await connectionId(runner);
    const { error, ms } = await rejection(() => runner.runSql('SELECT SLEEP(5)', []));
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3000);
    expect(await runner.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
    expect(await connectionId(runner)).toBe(before);
  });

  async function cancelSleep(r: QueryRunner): Promise<{ error: unknown; ms: number }> {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    return rejection(() => r.runSql('SELECT SLEEP(5)', [], { signal: controller.signal }));
  }

  const sleeping = async () => {
    const [list] = (await root.raw(
      "SELECT count(*) AS n FROM information_schema.processlist WHERE info = 'SELECT SLEEP(5)'",
    )) as [Array<{ n: number }>];
    return Number(list[0]?.n);
  };

  it('cancels a running SELECT SLEEP(5) through an AbortSignal in well under 2 s', async () => {
    const patient = createQueryRunner(url, { statementTimeoutMs: 30_000 });
    try {
      const { error, ms } = await cancelSleep(patient);
      expect(error).toBeInstanceOf(QueryCancelledError);
      expect(ms).toBeLessThan(2000);
      expect(await patient.runSql('SELECT 1', [])).toEqual([[1]]);
      // and the statement is gone from the server, not left sleeping
      expect(await sleeping()).toBe(0);
    } finally {
      await patient.close();
    }
  });

  // Regression: KILL QUERY used to go through the runner's own pool, so when every
  // connection is busy (here the only one, poolMax 1) the KILL waits behind the very statement it should stop:
  // the "cancelled" SLEEP(5) ran to its end and its rows were returned. KILL now has a connection of its own.
  it('cancels even when every connection of the pool is busy (poolMax 1)', async () => {
    const single = createQueryRunner(url, { statementTimeoutMs: 30_000, poolMax: 1 });
    try {
      const { error, ms } = await cancelSleep(single);
      expect(error).toBeInstanceOf(QueryCancelledError);
      expect(ms).toBeLessThan(2000);
    } finally {
      await single.close();
    }
  });

  it.each([
    'DELETE FROM t',
    "INSERT INTO t VALUES (9, 'x')",
    "UPDATE t SET name = 'x'",
    'CREATE TABLE u (id INT)',
    'DROP TABLE t',
    'TRUNCATE TABLE t',
    'SELECT 1; DELETE FROM t',
  ])('refuses a statement that writes (the session is read-only): %s', async (sql) => {
    const { error } = await rejection(() => runner.runSql(sql, []));
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(await runner.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
  });

  it('sets the session read-only with the server’s statement limit', async () => {
    expect(await runner.runSql('SELECT @@session.tx_read_only, @@session.max_statement_time', [])).toEqual([
      [1, 1],
    ]);
  });

  // Defence in depth (regression): the SQLite executor refuses every statement
  // that is not a read, but a MySQL session can simply be switched back to read-write, and SELECT ... INTO OUTFILE
  // writes a file on the server (with the FILE privilege). The compiler never emits either; the executor now
  // refuses them itself, so the read-only promise holds on its own.
  it('refuses statements that are not plain reads, as the SQLite executor does', async () => {
    const own = createQueryRunner(url, { statementTimeoutMs: 1000, poolMax: 1 });
    try {
      await expect(own.runSql('SET SESSION TRANSACTION READ WRITE', [])).rejects.toBeInstanceOf(
        QueryFailedError,
      );
    } finally {
      await own.close();
    }
    expect(await runner.runSql('SELECT count(*) FROM t', [])).toEqual([[3]]);
  });
});

describe('threadExecArgv', () => {
  it('keeps the process flags a query thread needs and drops those that load modules first', () => {
    expect(
      threadExecArgv([
        '--import',
        'tsx',
        '--max-old-space-size=512',
        '--loader=tsx',
        '-r',
        './x.cjs',
        '--enable-source-maps',
        '--require',
        'y',
        '--import=z',
        '--experimental-loader',
        'w',
      ]),
    ).toEqual(['--max-old-space-size=512', '--enable-source-maps']);
  });

  it('starts a query thread even when the process has a flag a thread may not take (node --expose-gc)', async () => {
    // given to a thread, --expose-gc refuses it (ERR_WORKER_INVALID_EXEC_ARGV): every upload answered 500
    const worker = sqliteThread({}, ['--import', 'tsx', '--expose-gc']);
    const online = await new Promise<boolean>((resolve) => {
      worker.once('online', () => resolve(true));
      worker.once('error', () => resolve(false));
    });
    await worker.terminate();
    expect(online).toBe(true);
  });
});
