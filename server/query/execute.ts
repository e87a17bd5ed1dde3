// Runs compiled queries on a connection: read-only, with a statement time limit, cancellable, rows typed.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import {
  type DatabaseTarget,
  type Dialect,
  killQuery,
  openDatabase,
  parseDatabaseUrl,
} from '../db/connect.ts';
import { ParleyError } from '../errors.ts';
import type { CompiledQuery, OutputColumn } from './compile.ts';

export type CellValue = number | string | boolean | null;

export interface QueryResult {
  columns: OutputColumn[];
  rows: CellValue[][];
  /** true when the row cap cut the result */
  truncated: boolean;
  durationMs: number;
}

export class QueryTimeoutError extends ParleyError {
  override name = 'QueryTimeoutError';
  constructor(message: string) {
    super(504, 'query_timeout', message);
  }
}

/** 499: the asker went away (nginx's "client closed request") */
export class QueryCancelledError extends ParleyError {
  override name = 'QueryCancelledError';
  constructor(message: string) {
    super(499, 'query_cancelled', message);
  }
}

/** The database refused or broke the statement: answers say "the query failed", HTTP a plain 500. */
export class QueryFailedError extends ParleyError {
  override name = 'QueryFailedError';
  constructor(message: string) {
    super(500, 'query_failed', message);
  }
}

export interface RunOptions {
  signal?: AbortSignal;
}

export interface QueryRunner {
  readonly dialect: Dialect;
  run(compiled: CompiledQuery, options?: RunOptions): Promise<QueryResult>;
  /** raw rows for SQL that the compiler produced; exported for the executor's own tests */
  runSql(text: string, bindings: readonly unknown[], options?: RunOptions): Promise<unknown[][]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  statementTimeoutMs?: number;
  poolMax?: number;
}

export function createQueryRunner(url: string, options: RunnerOptions = {}): QueryRunner {
  const target = parseDatabaseUrl(url);
  const timeoutMs = options.statementTimeoutMs ?? 15_000;
  const exec = EXECUTORS[target.dialect]({ url, target, timeoutMs, poolMax: options.poolMax });
  return {
    dialect: target.dialect,
    runSql: (text, bindings, opts) => exec.run(text, bindings, opts?.signal),
    async run(compiled, opts) {
      const started = performance.now();
      const raw = await exec.run(compiled.sql.text, compiled.sql.bindings, opts?.signal);
      let rows = raw.map((r) => compiled.columns.map((c, i) => typeCell(r[i], c)));
      let truncated = false;
      if (compiled.capped && rows.length > compiled.limit) {
        rows = rows.slice(0, compiled.limit);
        truncated = true;
      }
      if (compiled.compareLabels) {
        const order = compiled.compareLabels;
        const periodIndex = compiled.columns.findIndex((c) => c.name === 'period');
        rows.sort((a, b) => order.indexOf(String(a[periodIndex])) - order.indexOf(String(b[periodIndex])));
      }
      return { columns: compiled.columns, rows, truncated, durationMs: performance.now() - started };
    },
    ping: () => exec.run('SELECT 1', [], undefined).then(() => undefined),
    close: () => exec.close(),
  };
}

/** Drivers disagree on types (MySQL sums are decimal strings, SQLite booleans are 0/1): normalise by column. */
function typeCell(value: unknown, column: OutputColumn): CellValue {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) return null;
      return Number.isInteger(n) ? n : Math.round(n * 1e6) / 1e6;
    }
    case 'boolean':
      return value === true || value === 1 || value === '1';
    case 'date': {
      const s = String(value);
      return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(s) ? `${s.slice(0, 10)}T${s.slice(11, 19)}Z` : s;
    }
    case 'string':
      return String(value);
    default:
      throw new Error(`unknown column type ${column.type satisfies never}`);
  }
}

interface Executor {
  run(text: string, bindings: readonly unknown[], signal: AbortSignal | undefined): Promise<unknown[][]>;
  close(): Promise<void>;
}

const SQLITE_WORKER = new URL('./sqlite-worker.mjs', import.meta.url);

/**
 * The process's Node.js flags less those that load modules first (`--import tsx` when run from the TypeScript
 * sources): the query thread is plain JS, and a thread inherits the flags, so in development each new one loaded the
 * TypeScript loader, 150-500 ms before it could open its file (the first question on a file just uploaded waited
 * for that).
 */
export function threadExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] as string;
    if (/^--(import|loader|experimental-loader|require)$/.test(arg) || arg === '-r') i += 1;
    else if (!/^--(import|loader|experimental-loader|require)=/.test(arg)) out.push(arg);
  }
  return out;
}

/**
 * A query thread, without the module-loading flags when there are some. A flag list given to a thread is checked,
 * and a flag a thread may not take (`--expose-gc`, say) refuses it, where an inherited one is let be: then the
 * thread inherits the flags, loader and all.
 */
export function sqliteThread(
  workerData: { filename?: string },
  execArgv: readonly string[] = process.execArgv,
): Worker {
  const argv = threadExecArgv(execArgv);
  if (argv.length === execArgv.length) return new Worker(SQLITE_WORKER, { workerData });
  try {
    return new Worker(SQLITE_WORKER, { workerData, execArgv: argv });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(SQLITE_WORKER, { workerData });
  }
}

/**
 * A query thread started ahead of need: better-sqlite3 loaded, no file open yet, or one file opened ahead of need
 * (`file`, ready once `ready` resolves); it ends unless taken in time.
 */
let spare: { worker: Worker; timer: NodeJS.Timeout; file?: string; ready?: Promise<void> } | undefined;

/**
 * Starts a spare query thread, so the next new SQLite runner (the first question on a file just uploaded) does not
 * wait for a thread to start: 75-150 ms on a busy machine. It ends by itself after `idleMs` when nobody took it.
 * A spare that opened an earlier file nobody asked about yet makes way for it (the newer upload's question is the
 * likelier next).
 */
export function prestartSqliteThread(idleMs = 30_000): void {
  if (spare && spare.file === undefined) return;
  if (spare) {
    clearTimeout(spare.timer);
    void spare.worker.terminate();
    spare = undefined;
  }
  const worker = sqliteThread({});
  worker.unref();
  const drop = (): void => {
    if (spare?.worker !== worker) return;
    clearTimeout(spare.timer);
    spare = undefined;
  };
  // a spare that failed or ended is never handed out
  worker.once('error', drop).once('exit', drop);
  const timer = setTimeout(() => {
    drop();
    void worker.terminate();
  }, idleMs);
  timer.unref();
  spare = { worker, timer };
}

/**
 * Has the spare thread (when there is one with no file yet) open `file` now and read its pages once, so the first
 * runner on that file neither waits for it to open nor reads its pages one by one: for a file just built at upload,
 * whose first question is likely next. Only a runner on that same file takes the thread then.
 */
export function openSpareSqliteThread(file: string): void {
  if (!spare || spare.file !== undefined) return;
  const { worker } = spare;
  spare.file = path.resolve(file);
  spare.ready = opened(worker);
  // nobody may take it: its failure is then nobody's
  spare.ready.catch(() => undefined);
  worker.postMessage({ open: spare.file, warm: true });
}

/** Until `worker` says it has opened its file; a QueryFailedError when it fails or ends first. */
function opened(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const onMessage = (msg: { ready?: boolean }): void => {
      if (!msg.ready) return;
      settle();
      resolve();
    };
    const onError = (err: Error): void => {
      settle();
      reject(new QueryFailedError(err.message));
    };
    const onExit = (): void => {
      settle();
      reject(new QueryFailedError('the query thread ended'));
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/** The spare thread now, if any, and the file it opened ahead of need (for tests and metrics). */
export function sqliteSpare(): { file?: string } | undefined {
  return spare && { ...(spare.file !== undefined ? { file: spare.file } : {}) };
}

/** The spare thread for a runner on `filename`: one with no file yet, or one that opened that file. */
function takeSpare(filename: string): { worker: Worker; ready?: Promise<void> } | undefined {
  const taken = spare;
  if (!taken || (taken.file !== undefined && taken.file !== path.resolve(filename))) return undefined;
  spare = undefined;
  clearTimeout(taken.timer);
  return { worker: taken.worker, ready: taken.ready };
}

interface ExecutorOptions {
  url: string;
  target: DatabaseTarget;
  timeoutMs: number;
  poolMax: number | undefined;
}

/** SQLite: a small pool of worker threads; a statement past its limit or cancelled terminates its worker. */
class SqliteExecutor implements Executor {
  private idle: Worker[] = [];
  private live = 0;
  private waiting: Array<(w: Worker | Promise<Worker>) => void> = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly filename: string,
    private readonly timeoutMs: number,
    private readonly max: number,
  ) {}

  /**
   * A new worker, once it has opened the file: a statement's time limit is the statement's own, and a new thread
   * loading better-sqlite3 on a busy machine can take longer than a short limit.
   */
  private spawn(): Promise<Worker> {
    this.live += 1;
    const taken = takeSpare(this.filename);
    const worker = taken?.worker ?? sqliteThread({ filename: this.filename });
    worker.unref();
    let ready = taken?.ready;
    if (!ready) {
      ready = opened(worker);
      taken?.worker.postMessage({ open: this.filename });
    }
    return ready.then(
      () => worker,
      (err: unknown) => {
        this.live -= 1;
        void worker.terminate();
        throw err;
      },
    );
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new QueryFailedError('the connection is closed'));
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.live < this.max) return this.spawn();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private discard(worker: Worker): void {
    void worker.terminate();
    this.live -= 1;
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }

  async run(
    text: string,
    bindings: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown[][]> {
    if (signal?.aborted) throw new QueryCancelledError('the query was cancelled');
    const worker = await this.acquire();
    // cancelled while waiting for a worker: the statement never starts
    if (signal?.aborted) {
      this.release(worker);
      throw new QueryCancelledError('the query was cancelled');
    }
    const id = ++this.nextId;
    return new Promise<unknown[][]>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void, keep: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (keep) this.release(worker);
        else this.discard(worker);
        fn();
      };
      const onMessage = (msg: { id: number; rows?: unknown[][]; error?: string }): void => {
        if (msg.id !== id) return;
        const failure = msg.error;
        if (failure !== undefined) finish(() => reject(new QueryFailedError(failure)), true);
        else finish(() => resolve(msg.rows ?? []), true);
      };
      const onError = (err: Error): void => finish(() => reject(new QueryFailedError(err.message)), false);
      const onAbort = (): void =>
        finish(() => reject(new QueryCancelledError('the query was cancelled')), false);
      const timer = setTimeout(
        () =>
          finish(
            () => reject(new QueryTimeoutError(`the query ran past its ${this.timeoutMs} ms limit`)),
            false,
          ),
        this.timeoutMs,
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ id, sql: text, bindings });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.idle;
    this.idle = [];
    this.live -= all.length;
    await Promise.all(all.map((w) => w.terminate()));
  }
}

/**
 * Only plain reads reach MySQL: the compiler never writes anything else, and a read-only session could still be
 * switched back by SET SESSION TRANSACTION READ WRITE, or write files with INTO OUTFILE.
 */
export function assertReadStatement(text: string): void {
  const body = text.replace(/^\s*(\/\*[\s\S]*?\*\/\s*)*/, '');
  if (!/^(select|with)\b/i.test(body)) throw new QueryFailedError('only SELECT statements are run');
  if (/\binto\s+(outfile|dumpfile|@)/i.test(body) || /;\s*\S/.test(body)) {
    throw new QueryFailedError('only a single plain SELECT is run');
  }
}

/** after the kill, how long a silent statement is waited for before it is abandoned */
const ABANDON_AFTER_MS = 600;

interface MysqlConnection {
  threadId: number;
  destroy(): void;
  query(
    options: { sql: string; rowsAsArray: boolean },
    values: readonly unknown[],
    cb: (err: Error | null, rows: unknown) => void,
  ): void;
  query(sql: string, cb: (err: Error | null) => void): void;
  query(sql: string, values: readonly unknown[], cb: (err: Error | null) => void): void;
}

/** MySQL/MariaDB: a knex pool of read-only sessions with the server's own statement limit, plus KILL QUERY. */
class MysqlExecutor implements Executor {
  private readonly db: Knex;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    max: number,
  ) {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const afterCreate = (raw: unknown, done: (err: Error | null, conn: unknown) => void): void => {
      const conn = raw as MysqlConnection;
      conn.query('SET SESSION TRANSACTION READ ONLY', (err) => {
        if (err) return done(err, conn);
        // MariaDB names the limit max_statement_time (seconds), MySQL max_execution_time (milliseconds)
        conn.query('SET SESSION max_statement_time = ?', [seconds], (mariaErr) => {
          if (!mariaErr) return done(null, conn);
          conn.query('SET SESSION max_execution_time = ?', [seconds * 1000], (mysqlErr) =>
            done(mysqlErr, conn),
          );
        });
      });
    };
    // connecting and waiting for a pooled connection stay within the statement limit
    this.db = openDatabase(url, {
      pool: { min: 0, max, afterCreate },
      deadlines: { connectMs: Math.min(5000, timeoutMs), acquireMs: timeoutMs },
    });
  }

  async run(
    text: string,
    bindings: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown[][]> {
    if (signal?.aborted) throw new QueryCancelledError('the query was cancelled');
    assertReadStatement(text);
    const client = this.db.client as {
      acquireConnection(): Promise<MysqlConnection>;
      releaseConnection(c: MysqlConnection): Promise<void>;
    };
    // one deadline for the whole call (connection and statement): the server's limit cannot act when the link is
    // silent, so past the limit the statement is killed from a fresh connection, and a little later abandoned
    const timeout = (): QueryTimeoutError =>
      new QueryTimeoutError(`the query ran past its ${this.timeoutMs} ms limit`);
    let conn: MysqlConnection | undefined;
    let stop: 'timeout' | 'cancel' | undefined;
    let abandon!: (err: Error) => void;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    abandoned.catch(() => undefined);
    const kill = (why: 'timeout' | 'cancel'): void => {
      stop ??= why;
      if (conn) void killQuery(this.url, conn.threadId);
    };
    const killTimer = setTimeout(() => kill('timeout'), this.timeoutMs + 250);
    const abandonTimer = setTimeout(
      () => {
        stop ??= 'timeout';
        abandon(timeout());
      },
      this.timeoutMs + 250 + ABANDON_AFTER_MS,
    );
    const onAbort = (): void => {
      kill('cancel');
      // a cancelled answer does not wait for a silent database either
      setTimeout(() => abandon(new QueryCancelledError('the query was cancelled')), ABANDON_AFTER_MS).unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const acquiring = client.acquireConnection();
    try {
      conn = await Promise.race([acquiring, abandoned]);
      const c = conn;
      if (stop === 'cancel') throw new QueryCancelledError('the query was cancelled');
      return await Promise.race([
        new Promise<unknown[][]>((resolve, reject) => {
          c.query({ sql: text, rowsAsArray: true }, bindings, (err, rows) => {
            if (err) reject(err);
            else resolve(rows as unknown[][]);
          });
        }),
        abandoned,
      ]);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: string }).code;
      const name = (err as { name?: string }).name;
      if (stop === 'cancel') throw new QueryCancelledError('the query was cancelled');
      if (
        stop === 'timeout' ||
        name === 'KnexTimeoutError' ||
        code === 'ETIMEDOUT' ||
        code === 'ER_STATEMENT_TIMEOUT' ||
        code === 'ER_QUERY_TIMEOUT' ||
        /max_statement_time|maximum statement execution time/i.test(message)
      ) {
        throw timeout();
      }
      throw new QueryFailedError(message);
    } finally {
      clearTimeout(killTimer);
      clearTimeout(abandonTimer);
      signal?.removeEventListener('abort', onAbort);
      if (conn) {
        // an abandoned connection may still get the late reply: drop it rather than pool it
        if (stop) conn.destroy();
        await client.releaseConnection(conn);
      } else {
        // acquired after we gave up: give it straight back
        acquiring.then((late) => client.releaseConnection(late)).catch(() => undefined);
      }
    }
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

/**
 * How statements run, per database kind (the SQL text's differences are the compiler's, in sql-dialect.ts): SQLite
 * in worker threads, terminated past the limit; MySQL on a read-only pool with the server's own limit and KILL QUERY.
 */
const EXECUTORS: Record<Dialect, (options: ExecutorOptions) => Executor> = {
  sqlite: (o) => new SqliteExecutor(o.target.location, o.timeoutMs, o.poolMax ?? 2),
  mysql: (o) => new MysqlExecutor(o.url, o.timeoutMs, o.poolMax ?? 10),
};
