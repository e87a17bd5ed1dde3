// Runs a few statements built with knex as one transaction, at the cost of their SQL: on SQLite synchronously on
// the pool's one better-sqlite3 connection with each statement prepared once and reused (knex prepares every query
// anew and goes through its async runner per statement); on MySQL as one knex transaction.
import type { Knex } from 'knex';
import { dialectOf } from './connect.ts';

/** Runs one built statement inside the unit of work; the builder is only compiled, never run by knex itself. */
export interface UnitOfWork {
  /** rows of a select (`.first()` gives at most one) */
  rows<T>(query: Knex.QueryBuilder): Promise<T[]>;
  /** rows changed by an insert, update or delete */
  write(query: Knex.QueryBuilder): Promise<number>;
}

interface Statement {
  reader: boolean;
  all(...bindings: unknown[]): unknown[];
  get(...bindings: unknown[]): unknown;
  run(...bindings: unknown[]): { changes: number };
}

interface SqliteConnection {
  prepare(sql: string): Statement;
  readonly inTransaction: boolean;
}

/** Prepared statements per connection (a reconnect gets a fresh cache); bounded, the store's SQL is a few dozen texts. */
const prepared = new WeakMap<SqliteConnection, Map<string, Statement>>();
const MAX_PREPARED = 200;

function statement(conn: SqliteConnection, sql: string): Statement {
  let cache = prepared.get(conn);
  if (!cache) {
    cache = new Map();
    prepared.set(conn, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= MAX_PREPARED) cache.clear();
    stmt = conn.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}

/**
 * `.first()` binds its LIMIT 1, and SQLite prepares a statement with a bound LIMIT again on every run (it plans with
 * the limit's value: 13 against 5 µs a read of the store, measured): written as the constant, it stays prepared.
 * Anything but knex's usual ending keeps the bound form.
 */
function constantFirstLimit(compiled: Knex.Sql & { method: string }): {
  sql: string;
  bindings: readonly unknown[];
} {
  const { sql, bindings, method } = compiled;
  if (method === 'first' && sql.endsWith(' limit ?') && bindings.at(-1) === 1)
    return { sql: `${sql.slice(0, -1)}1`, bindings: bindings.slice(0, -1) };
  return { sql, bindings };
}

function sqliteUnit(conn: SqliteConnection): UnitOfWork {
  return {
    async rows<T>(query: Knex.QueryBuilder): Promise<T[]> {
      const compiled = query.toSQL() as Knex.Sql & { method: string };
      const { sql, bindings } = constantFirstLimit(compiled);
      const stmt = statement(conn, sql);
      if (compiled.method === 'first') {
        const row = stmt.get(...bindings);
        return row === undefined ? [] : [row as T];
      }
      return stmt.all(...bindings) as T[];
    },
    async write(query: Knex.QueryBuilder): Promise<number> {
      const { sql, bindings } = query.toSQL();
      return statement(conn, sql).run(...bindings).changes;
    },
  };
}

function knexUnit(trx: Knex.Transaction | Knex): UnitOfWork {
  return {
    async rows<T>(query: Knex.QueryBuilder): Promise<T[]> {
      const { method } = query.toSQL() as Knex.Sql & { method: string };
      const q =
        'isTransaction' in trx && trx.isTransaction ? query.transacting(trx as Knex.Transaction) : query;
      const result = (await q) as unknown;
      if (method === 'first') return result === undefined ? [] : [result as T];
      return result as T[];
    },
    async write(query: Knex.QueryBuilder): Promise<number> {
      const q =
        'isTransaction' in trx && trx.isTransaction ? query.transacting(trx as Knex.Transaction) : query;
      const result = (await q) as unknown;
      // knex gives the affected rows of an update/delete, and [insertId] of a MySQL insert
      return typeof result === 'number' ? result : 1;
    },
  };
}

/**
 * `work` as one transaction. On SQLite the connection is held until `work` settles: `work` must await only this
 * unit's statements (anything else would hold every other store call back meanwhile).
 */
export async function inTransaction<T>(db: Knex, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  if (dialectOf(db) === 'mysql') return db.transaction((trx) => work(knexUnit(trx)));
  const client = db.client as {
    acquireConnection(): Promise<SqliteConnection>;
    releaseConnection(c: unknown): unknown;
  };
  const conn = await client.acquireConnection();
  try {
    statement(conn, 'BEGIN IMMEDIATE').run();
    try {
      const result = await work(sqliteUnit(conn));
      statement(conn, 'COMMIT').run();
      return result;
    } catch (err) {
      if (conn.inTransaction) statement(conn, 'ROLLBACK').run();
      throw err;
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** One statement (or a few reads) outside a transaction: a prepared statement on SQLite, knex on MySQL. */
export async function once<T>(db: Knex, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  if (dialectOf(db) === 'mysql') return work(knexUnit(db));
  const client = db.client as {
    acquireConnection(): Promise<SqliteConnection>;
    releaseConnection(c: unknown): unknown;
  };
  const conn = await client.acquireConnection();
  try {
    return await work(sqliteUnit(conn));
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * `work` at the least cost for writes that need not be atomic together: one transaction on SQLite, where each
 * commit is the expensive part, statement by statement on MySQL, where BEGIN and COMMIT would be two more round trips.
 */
export function fewestCommits<T>(db: Knex, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  return dialectOf(db) === 'mysql' ? once(db, work) : inTransaction(db, work);
}
