// Opens a knex connection pool from a Parley database URL (sqlite:// or mysql://).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Knex } from 'knex';
import type mysql from 'mysql2/promise';
import { ParleyError } from '../errors.ts';
import { checkpointInBackground, type WalConnection } from './wal-checkpoints.ts';

/**
 * A knex instance; knex (and its dialect drivers) load with the first one made: commands that never connect skip
 * ~0.2 s. Required, not imported: in the built server a static import would also read it at start (see
 * scripts/bundle-server.mjs), and an import of its CommonJS file has Node scan all 560 KB for export names.
 */
export const createKnex = (config: Knex.Config): Knex =>
  (createRequire(import.meta.url)('knex') as (c: Knex.Config) => Knex)(config);

/** The kind of database a URL names; what its SQL differs in is server/query/sql-dialect.ts's SqlDialect. */
export type Dialect = 'sqlite' | 'mysql';

export interface DatabaseTarget {
  dialect: Dialect;
  /** sqlite: absolute file path (or ':memory:'); mysql: the URL as given */
  location: string;
}

/** A database URL that names no database Parley can open: a configuration mistake, the server's own. */
export class DatabaseUrlError extends ParleyError {
  override name = 'DatabaseUrlError';
  constructor(message: string) {
    super(500, 'invalid_database_url', message);
  }
}

/** Parses `sqlite:///abs/file.sqlite`, `sqlite://./rel.sqlite` (relative to baseDir) and `mysql://user:pass@host:port/db`. */
export function parseDatabaseUrl(url: string, baseDir = process.cwd()): DatabaseTarget {
  if (url.startsWith('sqlite://')) {
    const rest = url.slice('sqlite://'.length);
    if (rest === '') throw new DatabaseUrlError(`database URL "${url}" names no file`);
    if (rest === ':memory:') return { dialect: 'sqlite', location: ':memory:' };
    return { dialect: 'sqlite', location: path.isAbsolute(rest) ? rest : path.resolve(baseDir, rest) };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    let parsed: URL;
    try {
      parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
    } catch {
      throw new DatabaseUrlError(`database URL "${redactUrl(url)}" is not a valid URL`);
    }
    if (!parsed.pathname || parsed.pathname === '/') {
      throw new DatabaseUrlError(`database URL "${redactUrl(url)}" names no database`);
    }
    return { dialect: 'mysql', location: parsed.toString() };
  }
  throw new DatabaseUrlError(
    `unsupported database URL "${redactUrl(url)}": expected sqlite:///path, sqlite://./path or mysql://user:pass@host:3306/db`,
  );
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export interface OpenOptions {
  baseDir?: string;
  pool?: {
    min?: number;
    max?: number;
    afterCreate?: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void;
  };
  /** create the SQLite file's folder when missing (seeding, the store); queries never create files */
  create?: boolean;
  readOnly?: boolean;
  /**
   * SQLite only: write-ahead logging with `synchronous = NORMAL`, for a file written often by one process (the
   * store): readers do not wait for the writer and a commit is not a disk sync (a crash loses at most the last
   * commits, never consistency); the log is checkpointed on a thread of its own (wal-checkpoints.ts)
   */
  writeAheadLog?: boolean;
  /**
   * MySQL only: client-side deadlines, so a database that is reachable but silent fails calls instead of hanging
   * them. `connectMs` bounds a new connection's handshake, `acquireMs` the wait for a pooled connection (default
   * both 5 s); `queryMs` one statement: past it the connection is dropped, the statement killed from a fresh
   * connection when the server answers there, and the call fails with a DatabaseTimeoutError. Default: no query
   * deadline (the analytics executor keeps its own).
   */
  deadlines?: { connectMs?: number; acquireMs?: number; queryMs?: number };
}

/** A statement (or a connection) that the database did not answer within its client-side deadline. */
export class DatabaseTimeoutError extends ParleyError {
  override name = 'DatabaseTimeoutError';
  constructor(message: string) {
    super(503, 'store_timeout', message);
  }
}

export function openDatabase(url: string, options: OpenOptions = {}): Knex {
  const target = parseDatabaseUrl(url, options.baseDir);
  if (target.dialect === 'sqlite') {
    if (target.location !== ':memory:') {
      if (options.create) fs.mkdirSync(path.dirname(target.location), { recursive: true });
      else if (!fs.existsSync(target.location)) {
        throw new DatabaseUrlError(`SQLite database file ${target.location} does not exist`);
      }
    }
    const wal = options.writeAheadLog && target.location !== ':memory:' && !options.readOnly;
    return createKnex({
      client: 'better-sqlite3',
      connection: { filename: target.location, options: { readonly: options.readOnly ?? false } },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        ...(wal
          ? {
              afterCreate: (conn: WalConnection, done: (err: Error | null, c: unknown) => void) => {
                try {
                  conn.pragma('journal_mode = WAL');
                  conn.pragma('synchronous = NORMAL');
                  checkpointInBackground(conn, target.location);
                  done(null, conn);
                } catch (err) {
                  done(err as Error, conn);
                }
              },
            }
          : {}),
      },
    });
  }
  const u = new URL(target.location);
  const queryMs = options.deadlines?.queryMs;
  const afterCreate = options.pool?.afterCreate;
  return createKnex({
    client: 'mysql2',
    acquireConnectionTimeout: options.deadlines?.acquireMs ?? 5000,
    connection: {
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.slice(1)),
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      charset: 'utf8mb4',
      connectTimeout: options.deadlines?.connectMs ?? 5000,
    },
    pool: {
      min: options.pool?.min ?? 0,
      max: options.pool?.max ?? 5,
      afterCreate:
        queryMs === undefined
          ? afterCreate
          : (conn: unknown, done: (err: Error | null, c: unknown) => void) => {
              boundQueries(conn as BoundableConnection, queryMs, target.location);
              if (afterCreate) afterCreate(conn, done);
              else done(null, conn);
            },
    },
  });
}

interface BoundableConnection {
  threadId: number;
  query: (...args: unknown[]) => unknown;
  destroy(): void;
}

/**
 * Gives every statement of a mysql2 connection a client-side deadline (mysql2's per-query `timeout`); on expiry the
 * connection is destroyed (knex's pool then discards it: a late reply must not be read as the next one's) and the
 * statement is killed from a fresh connection.
 */
function boundQueries(conn: BoundableConnection, ms: number, url: string): void {
  const query = conn.query.bind(conn);
  conn.query = (...args: unknown[]) => {
    const [first, ...rest] = args;
    const options = typeof first === 'string' ? { sql: first } : (first as Record<string, unknown>);
    const bounded = options.timeout === undefined ? { ...options, timeout: ms } : options;
    const at = rest.findIndex((a) => typeof a === 'function');
    if (at >= 0) {
      const cb = rest[at] as (err: Error | null, ...more: unknown[]) => void;
      rest[at] = (err: (Error & { code?: string }) | null, ...more: unknown[]) => {
        if (err?.code !== 'PROTOCOL_SEQUENCE_TIMEOUT') return cb(err, ...more);
        const threadId = conn.threadId;
        conn.destroy();
        void killQuery(url, threadId, Math.min(ms, 2000));
        cb(new DatabaseTimeoutError(`the database did not answer within ${ms} ms`));
      };
    }
    return query(bounded, ...rest);
  };
}

/**
 * KILL QUERY on a connection of its own (the statement's connection may be stalled or the pool saturated);
 * best effort: the caller has already given up on the statement.
 */
export async function killQuery(url: string, threadId: number, connectMs = 5000): Promise<void> {
  const u = new URL(url);
  let killer: mysql.Connection | undefined;
  try {
    // loaded here: a server on SQLite never needs it
    const { createConnection } = await import('mysql2/promise');
    killer = await createConnection({
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      connectTimeout: connectMs,
    });
    await killer.query({ sql: 'KILL QUERY ?', timeout: connectMs }, [threadId]);
  } catch {
    // the statement may have finished meanwhile, or the server is unreachable: nothing more to do
  } finally {
    killer?.destroy();
  }
}

export function dialectOf(db: Knex): Dialect {
  const client = (db.client as { config: { client: string } }).config.client;
  return client === 'mysql2' || client === 'mysql' ? 'mysql' : 'sqlite';
}
