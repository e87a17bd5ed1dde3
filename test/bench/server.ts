// Benchmark: the server against its ceilings (issue 13). Every row is Parley / ceiling / ratio measured side by
// side in one run, the ceiling's runs interleaved with Parley's so a busy shared machine slows both alike:
//   answers/s over the widget WebSocket and /api/v1 at 1/10/50 clients  vs  the same SQL in a loop (better-sqlite3)
//   the server's CPU per answer (main thread, all threads), 10 clients   vs  the SQL's own time per answer
//   the same at 10 clients with each question's first answer replayed (no engine): the server's own floor
//   how busy the server's main thread was, and how idle the machine, meanwhile (what limits the rate)
//   the load generator's own CPU per answer (it shares the cores)        vs  the SQL's own time per answer
//   the answers/s that CPU allows with every core busy (server and load)  vs  the SQL loop's answers/s
//   answers/s on MariaDB, WebSocket at 10 clients                        vs  the same SQL in a loop over mysql2
//   one answer in process (median over the questions)                   vs  its SQL alone
//   its own time per answer in process (the answer's time less its SQL's) vs  what the 1.3x goal leaves it
//   a new tenant's first answer, unprepared and prepared (engine.prepare)  vs  a later one
//   upload of a 9 MB CSV                                                  vs  csv-parse alone on the same file
//   first question on that file                                          vs  a later one
//   /healthz p99 during an upload (probed from a thread of its own); cold start to the first /healthz 200 and
//   to /readyz; `parley --help`
//   the first answer after /readyz                                      vs  the same question again
//   memory per idle widget socket at 5,000 sockets; /healthz p99 with them open    vs  without
// "The same SQL" is every statement an answer runs: its query, and the like-for-like query of a comparison with a
// period that is not over. The server is built first and measured as it ships (built-server.ts); under load it runs in
// a child process (server-child.ts), and the load comes from this one.
// BENCH_PER_QUESTION=1 also prints the in-process part question by question.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import mysql from 'mysql2/promise';
import WebSocket from 'ws';
import { parseDatabaseUrl } from '../../server/db/connect.ts';
import { PROTOCOL, TOKEN_PROTOCOL_PREFIX, WS_PATH } from '../../server/ws/protocol.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from '../support/demo-db.ts';
import { shipmentsCsv } from '../support/shipments.ts';
import { buildServer, builtServerModule } from './built-server.ts';
import { DEMO_QUESTIONS } from './planning.ts';
import { BENCH_API_KEY, BENCH_NOW, BENCH_SECRET, benchToken, median, percentile } from './server-common.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));
const BIN = path.join(ROOT, 'bin/parley.mjs');
const ORGS = [1, 2, 3];
const run = promisify(execFile);

/** Which parts to run: `answers`, `answer`, `upload`, `start`, `sockets`; `mysql` adds the MariaDB row. */
export interface ServerBenchOptions {
  parts: Set<string>;
  /** seconds of load per measurement (default 4) */
  seconds?: number;
  mysqlUrl?: string;
}

interface Row {
  name: string;
  parley: number;
  ceiling: number;
  unit: string;
  /** Parley / ceiling */
  ratio: number;
  goal?: { op: '>=' | '<=' | '<'; value: number; on: 'ratio' | 'parley' };
}

const rows: Row[] = [];

/**
 * Load before a server is measured, per surface: a long-running server's steady state, its JIT settled. V8 was still
 * optimizing some forty functions a second after 1.5 s of load. After 10 s it was still re-optimizing functions that
 * met new object shapes, on V8's helper threads: they took 1.5 s of CPU in the 5 s up to 10 s of load, 0.36 s in
 * the 5 s up to 30 s, and 0.1-0.25 s from 40 s on (WebSocket, 10 clients). Measured after 30 s instead of 10, in
 * three pairs of runs, the server's CPU per answer (all threads) went from 4.19, 4.05, 3.91 to 3.59, 3.48, 3.89 ms.
 */
const WARM_SECONDS = 30;

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function report(row: Row): void {
  rows.push(row);
  const goal = row.goal;
  let verdict = '';
  if (goal) {
    const value = goal.on === 'ratio' ? row.ratio : row.parley;
    const ok =
      goal.op === '>=' ? value >= goal.value : goal.op === '<=' ? value <= goal.value : value < goal.value;
    verdict = `goal ${goal.on === 'ratio' ? 'ratio ' : ''}${goal.op} ${goal.value}${goal.on === 'parley' ? ` ${row.unit}` : 'x'}: ${ok ? 'ok' : 'MISSED'}`;
  }
  const ceiling = Number.isNaN(row.ceiling) ? '-' : `${fmt(row.ceiling)} ${row.unit}`;
  const ratio = Number.isNaN(row.ratio) ? '-' : `${row.ratio.toFixed(2)}x`;
  console.log(
    `${row.name.padEnd(44)} ${`${fmt(row.parley)} ${row.unit}`.padStart(12)}  ${ceiling.padStart(12)}  ${ratio.padStart(7)}  ${verdict}`,
  );
}

export function serverBenchMet(): boolean {
  return rows.every((r) => {
    const goal = r.goal;
    if (!goal) return true;
    const value = goal.on === 'ratio' ? r.ratio : r.parley;
    return goal.op === '>='
      ? value >= goal.value
      : goal.op === '<='
        ? value <= goal.value
        : value < goal.value;
  });
}

// ---- the server under load ----------------------------------------------------------------------

interface Child {
  url: string;
  /** CPU ms the server has used so far: its main thread and all its threads; undefined without Linux's /proc */
  cpu(): { main: number; all: number } | undefined;
  /** the server's resident memory in KB (Linux /proc) */
  rssKb(): number | undefined;
  /**
   * Resolves once the server runs all its own threads: the store's checkpoint thread starts 2 s after the store
   * opens (about 10 MB, once per server; its start takes CPU for a moment). A part that measures a single event
   * (memory per socket, /healthz during an upload) waits for it, as a server that has been up a while has it.
   */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const SETTLED_AFTER_MS = 2500;

/** utime + stime of a process or one of its threads, in ms (Linux /proc; clock ticks are 1/100 s) */
function procCpuMs(statFile: string): number | undefined {
  try {
    const fields = fs.readFileSync(statFile, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Idle and total CPU time of the whole machine so far, in clock ticks (Linux /proc/stat); undefined elsewhere. */
function machineTicks(): { idle: number; total: number } | undefined {
  try {
    const fields =
      fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal: idle and iowait are the time nothing could run
    return {
      idle: (fields[3] ?? 0) + (fields[4] ?? 0),
      total: fields.slice(0, 8).reduce((a, b) => a + b, 0),
    };
  } catch {
    return undefined;
  }
}

async function startChild(
  databaseUrl: string,
  dir: string,
  tag: string,
  extraEnv: Record<string, string> = {},
): Promise<Child> {
  // BENCH_CPU_PROF=<dir>: a CPU profile of the server under load, to see where its time goes
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  // BENCH_NODE_FLAGS="--single-threaded-gc ...": node flags for the server under load, to try one
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...profile, ...flags, '--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_STORE_URL: sqliteUrl(path.join(dir, `store-${tag}-${Date.now()}.sqlite`)),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  const cpu = () => {
    const main = procCpuMs(`/proc/${proc.pid}/task/${proc.pid}/stat`);
    const all = procCpuMs(`/proc/${proc.pid}/stat`);
    return main === undefined || all === undefined ? undefined : { main, all };
  };
  const rssKb = () => {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  };
  const listening = performance.now();
  const settled = () =>
    new Promise<void>((resolve) =>
      setTimeout(resolve, Math.max(0, listening + SETTLED_AFTER_MS - performance.now())),
    );
  return { url, cpu, rssKb, settled, stop: () => stopProcess(proc) };
}

function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** One user's questions: up to `count` of them until `until`, one after another, each in a new conversation. */
interface ClientRun {
  url: string;
  user: string;
  org: number;
  questions: string[];
  until: number;
  count: number;
}

/** One user's widget socket. */
async function wsClient({ url, user, org, questions, until, count }: ClientRun) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${WS_PATH}`, [
    PROTOCOL,
    `${TOKEN_PROTOCOL_PREFIX}${benchToken(user, org)}`,
  ]);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let answered = 0;
  let failed = 0;
  let next: ((ok: boolean) => void) | undefined;
  ws.on('message', (data) => {
    const event = JSON.parse(String(data)) as { type: string; code?: string };
    if (event.type === 'response.completed') next?.(true);
    else if (event.type === 'response.error' || event.type === 'error') next?.(false);
  });
  for (let i = 0; i < count && performance.now() < until; i += 1) {
    const done = new Promise<boolean>((resolve) => {
      next = resolve;
    });
    ws.send(
      JSON.stringify({ type: 'message.send', clientId: `c${i}`, text: questions[i % questions.length] }),
    );
    if (await done) answered += 1;
    else failed += 1;
  }
  ws.close();
  return { answered, failed };
}

/**
 * A POST over keep-alive connections with node:http. Not fetch: undici's own CPU was 1.1 ms an answer against 0.4 ms
 * this way, taken from the two cores the server runs on (a host backend calls from a machine of its own).
 */
const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: apiAgent,
        headers: {
          authorization: `Bearer ${BENCH_API_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** A host backend asking for one user over /api/v1: a new conversation for each question, then the answer. */
async function apiClient({ url, user, org, questions, until, count }: ClientRun) {
  let answered = 0;
  let failed = 0;
  for (let i = 0; i < count && performance.now() < until; i += 1) {
    const created = await postJson(`${url}/api/v1/agents/demo/conversations`, {
      userIdentifier: user,
      userContext: { organisationId: org },
    });
    const conv = created.json as { id: string };
    const res = await postJson(`${url}/api/v1/agents/demo/conversations/${conv.id}/response`, {
      message: questions[i % questions.length],
    });
    if (res.status === 200) answered += 1;
    else failed += 1;
  }
  return { answered, failed };
}

const QUESTIONS_PER_USER = 250;
let benchUsers = 0;

async function load(
  surface: 'ws' | 'api',
  url: string,
  clients: number,
  questions: string[],
  seconds: number,
): Promise<{ rate: number; answered: number }> {
  const client = surface === 'ws' ? wsClient : apiClient;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const run = { answered: 0, failed: 0 };
      // one user after another, each asking QUESTIONS_PER_USER: a user keeps that many conversations, not the
      // thousands one user would pile up over the benchmark (the server keeps at most 1,000 a user by default)
      while (performance.now() < until) {
        benchUsers += 1;
        const user = `bench-${benchUsers}`;
        // each client starts at another question, so the mix at any moment is the whole list
        const r = await client({
          url,
          user,
          org: ORGS[i % ORGS.length] ?? 1,
          questions: rotate(questions, i),
          until,
          count: QUESTIONS_PER_USER,
        });
        run.answered += r.answered;
        run.failed += r.failed;
      }
      return run;
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} answers failed under load (${surface}, ${clients} clients)`);
  const answered = results.reduce((n, r) => n + r.answered, 0);
  return { rate: answered / elapsed, answered };
}

const rotate = <T>(xs: T[], by: number): T[] => [...xs.slice(by % xs.length), ...xs.slice(0, by % xs.length)];

// ---- the ceilings -------------------------------------------------------------------------------

/** What one answer runs on the database: its query, and the like-for-like query of a comparison with a running period. */
interface Sql {
  question: string;
  org: number;
  statements: Array<{ text: string; bindings: unknown[] }>;
}

/**
 * The SQL of each question for each organisation, as the engine makes it (answers without SQL are left out): every
 * statement the answer runs, so a ceiling "the same SQL" does the same database work as the answer.
 */
async function sqlOfQuestions(databaseUrl: string): Promise<Sql[]> {
  const engine = await inProcessEngine(databaseUrl);
  const out: Sql[] = [];
  try {
    for (const org of ORGS) {
      for (const question of DEMO_QUESTIONS) {
        const answer = await engine.ask({ agentId: 'demo', userContext: { organisationId: org }, question });
        if (!answer.sql) continue;
        const statements = [answer.sql, ...(answer.likeForLike?.sql ? [answer.likeForLike.sql] : [])];
        out.push({ question, org, statements });
      }
    }
  } finally {
    await engine.close();
  }
  return out;
}

/** The built server's answer engine (built-server.ts) on the demo config, its clock the benchmark's. */
async function inProcessEngine(databaseUrl: string) {
  const { parseConfig } =
    await builtServerModule<typeof import('../../server/config/load.ts')>('config/load.js');
  const { createAnswerEngine } =
    await builtServerModule<typeof import('../../server/answers/engine.ts')>('answers/engine.js');
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, env);
  return createAnswerEngine({ config, now: () => new Date(BENCH_NOW) });
}

/** The SQL alone, one answer's statements after another's on one better-sqlite3 connection, for `seconds`: answers/s. */
function sqliteLoop(file: string, sqls: Sql[], seconds: number): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.function('parley_tz', { deterministic: true }, (v: unknown) => v as string);
  try {
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    let n = 0;
    while (performance.now() < until) {
      for (const statement of (sqls[n % sqls.length] as Sql).statements) runSqlite(db, statement);
      n += 1;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}

/** Statements prepared once per connection and text, as Parley's SQL threads keep them (sqlite-worker.mjs). */
const preparedStatements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function runSqlite(db: Database.Database, statement: { text: string; bindings: unknown[] }): void {
  let cache = preparedStatements.get(db);
  if (!cache) {
    cache = new Map();
    preparedStatements.set(db, cache);
  }
  let prepared = cache.get(statement.text);
  if (!prepared) {
    prepared = db.prepare(statement.text).raw(true);
    cache.set(statement.text, prepared);
  }
  prepared.all(...statement.bindings);
}

/** The SQL alone over a mysql2 pool, `clients` loops at once, for `seconds`: answers/s. */
async function mysqlLoop(url: string, sqls: Sql[], clients: number, seconds: number): Promise<number> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const pool = mysql.createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit: clients,
    timezone: 'Z',
    dateStrings: true,
  });
  try {
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; performance.now() < until; i += 1) {
          for (const statement of (sqls[i % sqls.length] as Sql).statements)
            await pool.query({ sql: statement.text, values: statement.bindings, rowsAsArray: true });
          n += 1;
        }
      }),
    );
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await pool.end();
  }
}

// ---- parts --------------------------------------------------------------------------------------

async function answersPart(databaseUrl: string, dir: string, seconds: number): Promise<void> {
  const file = parseDatabaseUrl(databaseUrl).location;
  const sqls = await sqlOfQuestions(databaseUrl);
  const questions = [...new Set(sqls.map((s) => s.question))];
  const child = await startChild(databaseUrl, dir, 'answers');
  try {
    // warm: the value caches of every organisation, the SQL workers, and the JIT until it settles
    await load('ws', child.url, 10, questions, WARM_SECONDS);
    await load('api', child.url, 10, questions, WARM_SECONDS);
    for (const surface of ['ws', 'api'] as const) {
      for (const clients of [1, 10, 50]) {
        const before = sqliteLoop(file, sqls, seconds / 2);
        const cpu0 = child.cpu();
        const own0 = process.cpuUsage();
        const ticks0 = machineTicks();
        const { rate: parley, answered } = await load(surface, child.url, clients, questions, seconds);
        const ticks1 = machineTicks();
        const own = process.cpuUsage(own0);
        const cpu1 = child.cpu();
        const after = sqliteLoop(file, sqls, seconds / 2);
        const ceiling = (before + after) / 2;
        report({
          name: `answers/s ${surface === 'ws' ? 'WebSocket' : '/api/v1'}, ${clients} client${clients > 1 ? 's' : ''} (SQLite)`,
          parley,
          ceiling,
          unit: '/s',
          ratio: parley / ceiling,
          ...(clients > 1 ? { goal: { op: '>=', value: 0.8, on: 'ratio' } as const } : {}),
        });
        // where the answers/s go: the server's CPU per answer beside the SQL's own time per answer (a measure
        // that a busy shared machine disturbs far less than a rate)
        if (clients === 10 && cpu0 && cpu1 && answered > 0) {
          const on = surface === 'ws' ? 'WS' : 'API';
          for (const part of ['main', 'all'] as const) {
            reportPerAnswer(
              `server CPU per answer, ${part === 'main' ? 'main thread' : 'all threads'} (${on}, 10)`,
              (cpu1[part] - cpu0[part]) / answered,
              ceiling,
            );
          }
          // what limits the rate: a main thread busy nearly all the time while the machine has cores to spare
          const wallMs = (answered / parley) * 1000;
          report({
            name: `server main thread busy (${on}, 10)`,
            parley: ((cpu1.main - cpu0.main) / wallMs) * 100,
            ceiling: Number.NaN,
            unit: '%',
            ratio: Number.NaN,
          });
          if (ticks0 && ticks1 && ticks1.total > ticks0.total)
            report({
              name: `machine idle meanwhile (${on}, 10)`,
              parley: ((ticks1.idle - ticks0.idle) / (ticks1.total - ticks0.total)) * 100,
              ceiling: Number.NaN,
              unit: '%',
              ratio: Number.NaN,
            });
          // the load generator shares the machine's cores with the server and its SQL: its own CPU per answer
          const loadMs = (own.user + own.system) / 1000 / answered;
          reportPerAnswer(`load generator CPU per answer (${on}, 10)`, loadMs, ceiling);
          // the most this CPU per answer allows, every core busy all the time: a rate goal above it needs less CPU
          // per answer, not more concurrency
          const bound = (os.availableParallelism() * 1000) / ((cpu1.all - cpu0.all) / answered + loadMs);
          report({
            name: `answers/s this CPU allows on ${os.availableParallelism()} cores (${on}, 10)`,
            parley: bound,
            ceiling,
            unit: '/s',
            ratio: bound / ceiling,
          });
        }
      }
    }
  } finally {
    await child.stop();
  }
  await replayedPart(databaseUrl, dir, seconds, sqls, questions);
}

/** CPU milliseconds per answer beside the SQL loop's own time per answer (`ceiling` is its answers/s). */
function reportPerAnswer(name: string, ms: number, ceiling: number): void {
  report({ name, parley: ms, ceiling: 1000 / ceiling, unit: 'ms', ratio: ms / (1000 / ceiling) });
}

/**
 * The floor under the rows above: the same load on a server that replays each question's first answer instead of
 * asking the engine (server-child.ts, BENCH_REPLAY), so the rate and CPU left are the server's own per answer
 * (transport, sessions, limits, the store) with no planning, SQL or composing. No goal: it tells where the rest goes.
 */
async function replayedPart(
  databaseUrl: string,
  dir: string,
  seconds: number,
  sqls: Sql[],
  questions: string[],
): Promise<void> {
  const file = parseDatabaseUrl(databaseUrl).location;
  const child = await startChild(databaseUrl, dir, 'replayed', { BENCH_REPLAY: '1' });
  try {
    await load('ws', child.url, 10, questions, WARM_SECONDS);
    await load('api', child.url, 10, questions, WARM_SECONDS);
    for (const surface of ['ws', 'api'] as const) {
      const on = surface === 'ws' ? 'WS' : '/api/v1';
      const before = sqliteLoop(file, sqls, seconds / 2);
      const cpu0 = child.cpu();
      const { rate, answered } = await load(surface, child.url, 10, questions, seconds);
      const cpu1 = child.cpu();
      const ceiling = (before + sqliteLoop(file, sqls, seconds / 2)) / 2;
      report({
        name: `answers/s ${on}, 10, replayed (no engine)`,
        parley: rate,
        ceiling,
        unit: '/s',
        ratio: rate / ceiling,
      });
      if (cpu0 && cpu1 && answered > 0)
        reportPerAnswer(
          `main thread per answer, replayed (${surface === 'ws' ? 'WS' : 'API'}, 10)`,
          (cpu1.main - cpu0.main) / answered,
          ceiling,
        );
    }
  } finally {
    await child.stop();
  }
}

async function mysqlPart(mysqlUrl: string, dir: string, seconds: number): Promise<void> {
  const sqls = await sqlOfQuestions(mysqlUrl);
  const questions = [...new Set(sqls.map((s) => s.question))];
  const child = await startChild(mysqlUrl, dir, 'mysql');
  try {
    await load('ws', child.url, 10, questions, WARM_SECONDS);
    const before = await mysqlLoop(mysqlUrl, sqls, 10, seconds / 2);
    const { rate: parley } = await load('ws', child.url, 10, questions, seconds);
    const after = await mysqlLoop(mysqlUrl, sqls, 10, seconds / 2);
    const ceiling = (before + after) / 2;
    report({
      name: 'answers/s WebSocket, 10 clients (MariaDB)',
      parley,
      ceiling,
      unit: '/s',
      ratio: parley / ceiling,
      goal: { op: '>=', value: 0.7, on: 'ratio' },
    });
  } finally {
    await child.stop();
  }
}

/**
 * A tenant's first answer in a warm engine: its value lists read and indexed while it waits (organisation 2), or
 * ahead of it, as a socket or a conversation just opened has them (engine.prepare; organisation 3); against a later
 * answer of the same question.
 */
async function newTenantAnswers(
  engine: Awaited<ReturnType<typeof inProcessEngine>>,
  question: string,
): Promise<{ unprepared: number; prepared: number; later: number }> {
  const ask = async (organisationId: number): Promise<number> => {
    const t0 = performance.now();
    await engine.ask({ agentId: 'demo', userContext: { organisationId }, question });
    return performance.now() - t0;
  };
  const unprepared = await ask(2);
  await engine.prepare?.({ agentId: 'demo', userContext: { organisationId: 3 } });
  const prepared = await ask(3);
  const laters: number[] = [];
  for (let i = 0; i < 11; i += 1) laters.push(await ask(2));
  return { unprepared, prepared, later: median(laters) };
}

/** Issue 13's goal for one answer in process: at most this many times its SQL's time. */
const IN_PROCESS_GOAL = 1.3;

/** One answer in the engine (no server, no store) against its SQL alone, per question, interleaved. */
async function answerPart(databaseUrl: string): Promise<void> {
  const file = parseDatabaseUrl(databaseUrl).location;
  const sqls = (await sqlOfQuestions(databaseUrl)).filter((s) => s.org === 1);
  const engine = await inProcessEngine(databaseUrl);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.function('parley_tz', { deterministic: true }, (v: unknown) => v as string);
  const ask = () => ({ agentId: 'demo', userContext: { organisationId: 1 } });
  const perQuestion: Array<{ question: string; answer: number; sql: number }> = [];
  let tenants: { unprepared: number; prepared: number; later: number } | undefined;
  try {
    // warm, as a server that has been answering a while: every question, for as long as the server parts warm up
    for (const until = performance.now() + WARM_SECONDS * 1000; performance.now() < until; ) {
      for (const sql of sqls) await engine.ask({ ...ask(), question: sql.question });
    }
    for (const sql of sqls) {
      const answerMs: number[] = [];
      const sqlMs: number[] = [];
      for (let r = 0; r < 25; r += 1) {
        const t0 = performance.now();
        await engine.ask({ ...ask(), question: sql.question });
        const t1 = performance.now();
        for (const statement of sql.statements) runSqlite(db, statement);
        const t2 = performance.now();
        if (r >= 5) {
          answerMs.push(t1 - t0);
          sqlMs.push(t2 - t1);
        }
      }
      perQuestion.push({ question: sql.question, answer: median(answerMs), sql: median(sqlMs) });
    }
    tenants = await newTenantAnswers(engine, sqls[0]?.question ?? DEMO_QUESTIONS[0] ?? '');
  } finally {
    db.close();
    await engine.close();
  }
  const ratios = perQuestion.map((q) => q.answer / q.sql);
  // the median hides where the ratio comes from: a fixed cost per answer weighs most on the cheapest SQL
  if (process.env.BENCH_PER_QUESTION) {
    for (const q of perQuestion)
      console.log(
        `  ${fmt(q.answer)} ms / ${fmt(q.sql)} ms = ${(q.answer / q.sql).toFixed(2)}x  ${q.question}`,
      );
  }
  if (tenants) {
    report({
      name: "a new tenant's first answer / a later (no goal)",
      parley: tenants.unprepared,
      ceiling: tenants.later,
      unit: 'ms',
      ratio: tenants.unprepared / tenants.later,
    });
    report({
      name: 'the same, its tenant prepared first (no goal)',
      parley: tenants.prepared,
      ceiling: tenants.later,
      unit: 'ms',
      ratio: tenants.prepared / tenants.later,
    });
  }
  report({
    name: `one answer in process (median of ${perQuestion.length} questions)`,
    parley: median(perQuestion.map((q) => q.answer)),
    ceiling: median(perQuestion.map((q) => q.sql)),
    unit: 'ms',
    ratio: median(ratios),
    goal: { op: '<=', value: IN_PROCESS_GOAL, on: 'ratio' },
  });
  // the ratio moves with the machine's SQL speed: the row above as Parley's own time in ms, against what the goal
  // leaves it of each question's SQL time
  const own = perQuestion.map((q) => ({ ms: q.answer - q.sql, allowed: (IN_PROCESS_GOAL - 1) * q.sql }));
  report({
    name: `its own time per answer / what ${IN_PROCESS_GOAL}x leaves (no goal)`,
    parley: median(own.map((o) => o.ms)),
    ceiling: median(own.map((o) => o.allowed)),
    unit: 'ms',
    ratio: median(own.map((o) => o.ms / o.allowed)),
  });
}

async function upload(url: string, user: string, name: string, bytes: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), name);
  const res = await fetch(`${url}/widget/v1/datasets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${benchToken(user, 1)}` },
    body: form,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
  return res.status;
}

async function askApi(url: string, user: string, question: string): Promise<{ ms: number; type: string }> {
  const headers = { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/v1/agents/demo/conversations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ userIdentifier: user, userContext: { organisationId: 1 } }),
  });
  const conv = (await created.json()) as { id: string };
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/agents/demo/conversations/${conv.id}/response`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ message: question }),
  });
  const body = (await res.json()) as { type?: string; out?: { type?: string } };
  return { ms: performance.now() - t0, type: String(body.type ?? body.out?.type ?? res.status) };
}

/** /healthz probed from a thread of its own, as a load balancer would, from now until `stop()`: each probe's ms. */
async function healthProbeDuring(url: string): Promise<{ stop(): Promise<number[]> }> {
  const worker = new Worker(new URL('./health-probe-worker.mjs', import.meta.url), { workerData: { url } });
  const times = new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => worker.once('online', resolve));
  return {
    async stop() {
      worker.postMessage('stop');
      try {
        return await times;
      } finally {
        await worker.terminate();
      }
    },
  };
}

/** timed uploads of the 9 MB file (each with its questions and a probed upload of its own): the rows are their medians */
const UPLOAD_ROUNDS = 5;

async function uploadPart(databaseUrl: string, dir: string): Promise<void> {
  const file = path.join(dir, 'shipments.csv');
  shipmentsCsv(file);
  const bytes = fs.readFileSync(file);
  const question = 'total units by region in my shipments file';
  const child = await startChild(databaseUrl, dir, 'upload');
  const uploads: number[] = [];
  const parses: number[] = [];
  const firsts: number[] = [];
  const laters: number[] = [];
  const health: number[] = [];
  try {
    // warm, as a server that has taken uploads before: the first 9 MB upload and the first question on it ran cold
    // code (412 and 215 ms against 291 and 36 ms for the next ones); with one more slow round, it set a median of three
    await upload(child.url, 'warm', 'shipments.csv', bytes);
    await askApi(child.url, 'warm', question);
    await child.settled();
    for (let r = 0; r < UPLOAD_ROUNDS; r += 1) {
      const p0 = performance.now();
      parse(fs.readFileSync(file, 'utf8'));
      parses.push(performance.now() - p0);
      const u0 = performance.now();
      await upload(child.url, `uploader-${r}`, 'shipments.csv', bytes);
      uploads.push(performance.now() - u0);
      const first = await askApi(child.url, `uploader-${r}`, question);
      if (first.type !== 'table' && first.type !== 'chart' && first.type !== 'text')
        throw new Error(`the question on the file was answered as ${first.type}`);
      firsts.push(first.ms);
      if (process.env.BENCH_DEBUG)
        console.log('first', first.ms.toFixed(1), 'upload', uploads.at(-1)?.toFixed(0));
      for (let k = 0; k < 3; k += 1) laters.push((await askApi(child.url, `uploader-${r}`, question)).ms);
      if (process.env.BENCH_DEBUG)
        console.log(
          'laters',
          laters
            .slice(-3)
            .map((x) => x.toFixed(1))
            .join(' '),
        );
      // /healthz, one request after another, for as long as another user's upload of the file takes: an upload of
      // its own, so that the probes' load (a request every 5 ms) is not in the timed upload
      const probe = await healthProbeDuring(child.url);
      await upload(child.url, `prober-${r}`, 'shipments.csv', bytes);
      health.push(...(await probe.stop()));
    }
  } finally {
    await child.stop();
  }
  const up = median(uploads);
  const alone = median(parses);
  report({
    name: `upload, 9 MB CSV (100k rows x 6 columns)`,
    parley: up,
    ceiling: alone,
    unit: 'ms',
    ratio: up / alone,
    goal: { op: '<=', value: 1.5, on: 'ratio' },
  });
  const first = median(firsts);
  const later = median(laters);
  report({
    name: 'first question on that file / a later one',
    parley: first,
    ceiling: later,
    unit: 'ms',
    ratio: first / later,
    goal: { op: '<=', value: 2, on: 'ratio' },
  });
  report({
    name: `/healthz p99 during an upload (${health.length} probes)`,
    parley: percentile(health, 0.99),
    ceiling: Number.NaN,
    unit: 'ms',
    ratio: Number.NaN,
    goal: { op: '<', value: 50, on: 'parley' },
  });
}

/** `parley serve` from spawn to its first /healthz 200, against `node -e 0`, interleaved. */
/** /healthz one request after another, `n` times: each one's ms */
async function healthProbes(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const h0 = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    out.push(performance.now() - h0);
  }
  return out;
}

/**
 * Idle widget sockets: the server's resident memory per open socket at 5,000 of them (500 users, 10 sockets each,
 * the per-user cap), and /healthz while they are open against before.
 */
async function socketsPart(databaseUrl: string, dir: string): Promise<void> {
  const SOCKETS = 5000;
  const PER_USER = 10;
  const child = await startChild(databaseUrl, dir, 'sockets');
  const sockets: WebSocket[] = [];
  try {
    const open = async (i: number): Promise<void> => {
      const user = `idle-${Math.floor(i / PER_USER)}`;
      const ws = new WebSocket(`${child.url.replace(/^http/, 'ws')}${WS_PATH}`, [
        PROTOCOL,
        `${TOKEN_PROTOCOL_PREFIX}${benchToken(user, ORGS[i % ORGS.length] ?? 1)}`,
      ]);
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    };
    // warm: the upgrade path, the token verifier, /healthz
    for (let i = 0; i < 20; i += 1) await open(SOCKETS + i);
    await healthProbes(child.url, 100);
    const idle = await healthProbes(child.url, 300);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await child.settled();
    const before = child.rssKb();
    for (let i = 0; i < SOCKETS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => open(i + k)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = child.rssKb();
    const busy = await healthProbes(child.url, 300);
    if (before !== undefined && after !== undefined) {
      report({
        name: `memory per idle socket (${SOCKETS.toLocaleString('en')} open)`,
        parley: (after - before) / SOCKETS,
        ceiling: Number.NaN,
        unit: 'KB',
        ratio: Number.NaN,
        goal: { op: '<=', value: 8, on: 'parley' },
      });
    }
    const p99 = percentile(busy, 99);
    const p99Idle = percentile(idle, 99);
    report({
      name: `/healthz p99 with ${SOCKETS.toLocaleString('en')} idle sockets / without`,
      parley: p99,
      ceiling: p99Idle,
      unit: 'ms',
      ratio: p99 / p99Idle,
      goal: { op: '<', value: 50, on: 'parley' },
    });
  } finally {
    for (const ws of sockets) ws.terminate();
    await child.stop();
  }
}

const FIRST_QUESTION = 'Which product categories sold the most units in 2025?';

async function startPart(databaseUrl: string, dir: string): Promise<void> {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    INITECH_DATABASE_URL: databaseUrl,
    PARLEY_STORE_URL: sqliteUrl(path.join(dir, 'store-start.sqlite')),
    PARLEY_SESSION_SECRET: BENCH_SECRET,
    PARLEY_API_KEY: BENCH_API_KEY,
    PARLEY_NOW: BENCH_NOW,
    PARLEY_LOG_LEVEL: 'silent',
  };
  const serveOnce = async (): Promise<{ live: number; ready: number; first: number; later: number }> => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', DEMO_CONFIG_FILE], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        proc.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        proc.once('exit', (code) => reject(new Error(`parley serve exited with ${code}: ${errors}`)));
      });
      for (;;) {
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        if (res?.status === 200) break;
      }
      const live = performance.now() - t0;
      // /healthz says the process is up; /readyz, that its agents, store and app are (what a balancer waits for)
      for (;;) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        if (res?.status === 200) break;
      }
      const ready = performance.now() - t0;
      // the first user after a deploy: their answer, then the same question again (a question of its own, not one
      // the server could have asked itself while starting)
      const first = await askApi(url, 'first-user', FIRST_QUESTION);
      const later = await askApi(url, 'first-user', FIRST_QUESTION);
      for (const { type } of [first, later])
        if (type !== 'table' && type !== 'chart')
          throw new Error(`the first question was answered as ${type}`);
      return { live, ready, first: first.ms, later: later.ms };
    } finally {
      await stopProcess(proc);
    }
  };
  const nodeOnce = async (): Promise<number> => {
    const t0 = performance.now();
    await run(process.execPath, ['-e', '0']);
    return performance.now() - t0;
  };
  const helpOnce = async (): Promise<number> => {
    const t0 = performance.now();
    await run(process.execPath, [BIN, '--help'], { cwd: dir, env });
    return performance.now() - t0;
  };
  // the part measures the server as shipped: the bin says when it falls back to the TypeScript sources
  const { stderr } = await run(process.execPath, [BIN, '--help'], { cwd: dir, env });
  if (stderr.includes('running from the'))
    throw new Error(
      `the start part measures the built server, and the bin has none current: ${stderr.trim()}`,
    );
  await serveOnce(); // the first start also pays for cold disk caches
  const serve: number[] = [];
  const ready: number[] = [];
  const help: number[] = [];
  const bare: number[] = [];
  const firsts: number[] = [];
  const laters: number[] = [];
  for (let r = 0; r < 5; r += 1) {
    bare.push(await nodeOnce());
    const started = await serveOnce();
    serve.push(started.live);
    ready.push(started.ready);
    firsts.push(started.first);
    laters.push(started.later);
    help.push(await helpOnce());
  }
  const node = median(bare);
  report({
    name: 'cold start, `parley serve` to first /healthz 200',
    parley: median(serve),
    ceiling: node,
    unit: 'ms',
    ratio: median(serve) / node,
    goal: { op: '<=', value: 400, on: 'parley' },
  });
  report({
    name: 'cold start to first /readyz 200 (no goal)',
    parley: median(ready),
    ceiling: node,
    unit: 'ms',
    ratio: median(ready) / node,
  });
  report({
    name: 'first answer after /readyz / the same again (no goal)',
    parley: median(firsts),
    ceiling: median(laters),
    unit: 'ms',
    ratio: median(firsts) / median(laters),
  });
  report({
    name: '`parley --help`',
    parley: median(help),
    ceiling: node,
    unit: 'ms',
    ratio: median(help) / node,
    goal: { op: '<=', value: 250, on: 'parley' },
  });
}

export async function runServerBench(options: ServerBenchOptions): Promise<boolean> {
  // every part measures the server as it ships, the cold start included (bin/parley.mjs runs the build when current)
  await buildServer();
  const dir = makeTempDir('parley-bench-server');
  const seconds = options.seconds ?? 4;
  try {
    const databaseUrl = sqliteUrl(path.join(dir, 'demo.sqlite'));
    await seedDemo(databaseUrl, { anchor: new Date(BENCH_NOW) });
    console.log(
      `${'row'.padEnd(44)} ${'Parley'.padStart(12)}  ${'ceiling'.padStart(12)}  ${'ratio'.padStart(7)}`,
    );
    if (options.parts.has('answers')) await answersPart(databaseUrl, dir, seconds);
    if (options.parts.has('mysql')) {
      if (!options.mysqlUrl) console.log('answers/s on MariaDB: skipped (set PARLEY_TEST_MYSQL_URL)');
      else await mysqlPart(await seededMysql(options.mysqlUrl), dir, seconds);
    }
    if (options.parts.has('answer')) await answerPart(databaseUrl);
    if (options.parts.has('upload')) await uploadPart(databaseUrl, dir);
    if (options.parts.has('start')) await startPart(databaseUrl, dir);
    if (options.parts.has('sockets')) await socketsPart(databaseUrl, dir);
    return serverBenchMet();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A database `parley_bench` next to the given MariaDB URL's, seeded with the demo data. */
async function seededMysql(url: string): Promise<string> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const root = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  await root.query('DROP DATABASE IF EXISTS parley_bench');
  await root.query('CREATE DATABASE parley_bench CHARACTER SET utf8mb4');
  await root.end();
  u.pathname = '/parley_bench';
  const benchUrl = u.toString();
  await seedDemo(benchUrl, { anchor: new Date(BENCH_NOW) });
  return benchUrl;
}
