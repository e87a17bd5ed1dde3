// `npm run eval`: Parley's measured-quality evaluation. Asks every question of the public sets (test/eval/questions.yaml
// and the blind-written test/eval/questions-blind.yaml, questions-blind-3.yaml and questions-blind-4.yaml, each graded on its own) through
// the answer engine (follow-up chains in one conversation), grades each answer's data rows against the rows of
// the question's hand-written SQL, prints per-category accuracy and the failures, writes a JSON report, and
// exits non-zero when overall accuracy is below 95%.
//
//   npm run eval -- [--database URL] [--now ISO] [--filter CATEGORY|ID,...] [--org N] [--verbose]
//                   [--check-sql] [--questions FILE] [--report FILE] [--timeout MS] [--concurrency N]
//
// Without --database (and without DATABASE_URL) a temporary SQLite file is seeded with the demo data (anchor =
// the question set's now, scale 1). A given database is seeded only when it does not already hold exactly that
// data. Expected results always come from SQLite: the given file, or for MySQL a temporary SQLite copy seeded
// with the same anchor and scale (the seeder is deterministic, so the rows are identical).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import type { Answer } from '../../server/answers/answer.ts';
import type { AnswerEngine, EngineOptions } from '../../server/answers/engine.ts';
import { parseConfig } from '../../server/config/load.ts';
import { openDatabase, parseDatabaseUrl, redactUrl } from '../../server/db/connect.ts';
import { generateDemoData, seedDemoData } from '../../server/seed/demo-data.ts';
import {
  checkTurn,
  computeExpected,
  type ExpectedTurn,
  openExpectationDb,
  type SqlIssue,
} from './expected.ts';
import { type Cell, type ExpectedResult, grade } from './grade.ts';
import { type EvalItem, loadQuestionSet, type QuestionSet, QuestionSetError, turnId } from './questions.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PASS_THRESHOLD = 0.95;
/** The public sets: the original one, and those written blind (before the planner's rework, and later). */
const PUBLIC_SETS = [
  'questions.yaml',
  'questions-blind.yaml',
  'questions-blind-3.yaml',
  'questions-blind-4.yaml',
].map((f) => path.join(HERE, f));

interface Options {
  database?: string;
  now?: string;
  filter: string[];
  org?: number;
  verbose: boolean;
  checkSql: boolean;
  /** the question sets, each evaluated and graded on its own */
  questions: string[];
  report: string;
  timeoutMs: number;
  concurrency: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      database: { type: 'string' },
      now: { type: 'string' },
      filter: { type: 'string', multiple: true },
      org: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      'check-sql': { type: 'boolean', default: false },
      questions: { type: 'string', multiple: true, default: PUBLIC_SETS },
      report: { type: 'string', default: path.join(ROOT, 'test-artifacts', 'eval-report.json') },
      timeout: { type: 'string', default: '60000' },
      concurrency: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(
      [
        'usage: npm run eval -- [options]',
        '  --database URL      sqlite:///file or mysql://user:pass@host/db (default: $DATABASE_URL, else a temp SQLite)',
        "  --now ISO           the clock (default and only valid value: the question set's now, 2026-11-25T12:00:00Z)",
        '  --filter X[,Y]      only these categories or item ids (repeatable)',
        '  --org N             only questions asked for organisation N',
        '  --verbose           print every question, its grade and the first rows',
        '  --check-sql         only run and sanity-check the expected SQL (no engine needed)',
        '  --questions FILE    a question set (repeatable; default the public sets: questions.yaml, questions-blind.yaml, questions-blind-3.yaml, questions-blind-4.yaml)',
        '  --report FILE       JSON report (default test-artifacts/eval-report.json)',
        '  --timeout MS        per-question time limit (default 60000)',
        '  --concurrency N     items asked in parallel (default 1; chains stay sequential)',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const positive = (text: string, name: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name} must be a positive whole number, got "${text}"`);
    return n;
  };
  return {
    database: values.database ?? (process.env.DATABASE_URL || undefined),
    now: values.now,
    filter: (values.filter ?? [])
      .flatMap((f) => f.split(','))
      .map((f) => f.trim())
      .filter(Boolean),
    org: values.org === undefined ? undefined : positive(values.org, 'org'),
    verbose: values.verbose ?? false,
    checkSql: values['check-sql'] ?? false,
    questions: (values.questions ?? PUBLIC_SETS).map((q) => path.resolve(q)),
    report: path.resolve(values.report!),
    timeoutMs: positive(values.timeout!, 'timeout'),
    concurrency: positive(values.concurrency!, 'concurrency'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

/** Per organisation: users, products, orders, items, sum of order totals in cents, latest order time. */
type Fingerprint = Record<string, string>;

function expectedFingerprint(anchor: Date, scale: number): Fingerprint {
  const rows = generateDemoData({ anchor, scale });
  const fp: Fingerprint = {};
  const add = (org: number, key: string, f: (prev: string | undefined) => string) => {
    fp[`${org}.${key}`] = f(fp[`${org}.${key}`]);
  };
  for (const u of rows.users) add(u.organisation_id, 'users', (p) => String(Number(p ?? 0) + 1));
  for (const p of rows.products) add(p.organisation_id, 'products', (v) => String(Number(v ?? 0) + 1));
  for (const i of rows.orderItems) add(i.organisation_id, 'items', (v) => String(Number(v ?? 0) + 1));
  for (const o of rows.orders) {
    add(o.organisation_id, 'orders', (v) => String(Number(v ?? 0) + 1));
    add(o.organisation_id, 'cents', (v) => String(Number(v ?? 0) + Math.round(o.total_amount * 100)));
    add(o.organisation_id, 'last', (v) => (v === undefined || o.created_at > v ? o.created_at : v));
  }
  return fp;
}

async function actualFingerprint(db: Knex): Promise<Fingerprint | null> {
  try {
    const fp: Fingerprint = {};
    const first = (r: unknown) =>
      (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as Array<Record<string, unknown>>;
    const count = async (table: string, key: string) => {
      const rows = first(
        await db.raw(`SELECT organisation_id AS org, COUNT(*) AS n FROM ${table} GROUP BY organisation_id`),
      );
      for (const r of rows) fp[`${Number(r.org)}.${key}`] = String(Number(r.n));
    };
    await count('users', 'users');
    await count('products', 'products');
    await count('order_items', 'items');
    const orders = first(
      await db.raw(
        'SELECT organisation_id AS org, COUNT(*) AS n, SUM(ROUND(total_amount * 100)) AS cents, MAX(created_at) AS last ' +
          'FROM orders GROUP BY organisation_id',
      ),
    );
    for (const r of orders) {
      const org = Number(r.org);
      fp[`${org}.orders`] = String(Number(r.n));
      fp[`${org}.cents`] = String(Math.round(Number(r.cents)));
      fp[`${org}.last`] = String(r.last).replace('T', ' ').slice(0, 19);
    }
    return fp;
  } catch {
    return null; // tables missing
  }
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** Seeds `url` with the demo data for (anchor, scale) unless it already holds exactly that data. */
async function ensureSeeded(
  url: string,
  anchor: Date,
  scale: number,
  fingerprint: Fingerprint,
  log: (m: string) => void,
) {
  const db = openDatabase(url, { create: true });
  try {
    const actual = await actualFingerprint(db);
    if (actual && sameFingerprint(actual, fingerprint)) {
      log(`using the demo data already in ${redactUrl(url)}`);
      return;
    }
    const started = performance.now();
    await seedDemoData(db, { anchor, scale });
    log(
      `seeded ${redactUrl(url)} (anchor ${anchor.toISOString()}, scale ${scale}) in ${((performance.now() - started) / 1000).toFixed(1)}s`,
    );
  } finally {
    await db.destroy();
  }
}

interface Databases {
  /** the database Parley answers from */
  url: string;
  /** the SQLite file the expected SQL runs on */
  expectationsFile: string;
  /** where the engine keeps conversations */
  storeUrl: string;
  cleanup(): void;
}

async function prepareDatabases(
  opts: Options,
  set: QuestionSet,
  log: (m: string) => void,
): Promise<Databases> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-eval-'));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const fingerprint = expectedFingerprint(set.now, set.scale);
    const url = opts.database ?? `sqlite://${path.join(tmp, 'demo.sqlite')}`;
    const target = parseDatabaseUrl(url, ROOT);
    await ensureSeeded(url, set.now, set.scale, fingerprint, log);
    let expectationsFile: string;
    if (target.dialect === 'sqlite' && target.location !== ':memory:') {
      expectationsFile = target.location;
    } else {
      expectationsFile = path.join(tmp, 'expected.sqlite');
      await ensureSeeded(`sqlite://${expectationsFile}`, set.now, set.scale, fingerprint, () => {});
      log(`expected results from a SQLite copy seeded with the same anchor and scale (${expectationsFile})`);
    }
    return { url, expectationsFile, storeUrl: `sqlite://${path.join(tmp, 'store.sqlite')}`, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output helpers

function preview(rows: Cell[][] | undefined, max = 5): string {
  if (!rows || rows.length === 0) return '(no rows)';
  const shown = rows
    .slice(0, max)
    .map((r) => r.map((v) => (typeof v === 'string' ? v : String(v))).join(' | '));
  return shown.join('\n        ') + (rows.length > max ? `\n        … ${rows.length - max} more` : '');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function pct(passed: number, total: number): string {
  return total === 0 ? '-' : ((100 * passed) / total).toFixed(1);
}

function selectItems(set: QuestionSet, opts: Options): EvalItem[] {
  return set.items.filter(
    (item) =>
      (opts.filter.length === 0 || opts.filter.includes(item.category) || opts.filter.includes(item.id)) &&
      (opts.org === undefined || item.org === opts.org),
  );
}

function tally<T>(
  list: T[],
  key: (t: T) => string,
  pass: (t: T) => boolean,
): Map<string, { passed: number; total: number }> {
  const out = new Map<string, { passed: number; total: number }>();
  for (const t of list) {
    const entry = out.get(key(t)) ?? { passed: 0, total: 0 };
    entry.total++;
    if (pass(t)) entry.passed++;
    out.set(key(t), entry);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// --check-sql

function checkSql(set: QuestionSet, items: EvalItem[], expectationsFile: string, opts: Options): number {
  const db = openExpectationDb(expectationsFile);
  const issues: SqlIssue[] = [];
  let queries = 0;
  try {
    for (const item of items) {
      const expected = computeExpected(db, item);
      item.turns.forEach((turn, i) => {
        const id = turnId(item, i);
        if (turn.sql !== undefined) queries++;
        const found = checkTurn(db, id, item.org, turn, expected[i]!);
        issues.push(...found);
        if (opts.verbose) {
          const r = expected[i]!.result;
          process.stdout.write(
            `${found.some((f) => f.level === 'error') ? 'FAIL' : 'ok  '} ${id} [org ${item.org}] ${turn.question}\n` +
              (r
                ? `        ${r.columns.join(' | ')}\n        ${preview(r.rows, 4)}\n`
                : '        (unanswerable)\n'),
          );
        }
      });
    }
  } finally {
    db.close();
  }
  const turns = items.flatMap((item) => item.turns.map(() => item));
  const byCategory = tally(
    turns,
    (i) => i.category,
    () => true,
  );
  const byOrg = tally(
    turns,
    (i) => `org ${i.org}`,
    () => true,
  );
  process.stdout.write(
    `\nQuestion set ${path.relative(ROOT, set.file)}: ${items.length} items, ${turns.length} graded questions ` +
      `(${items.filter((i) => i.turns.length > 1).length} follow-up chains), ${queries} expected queries\n\n`,
  );
  process.stdout.write(
    `${table(
      ['category', 'questions'],
      [...byCategory].map(([k, v]) => [k, String(v.total)]),
    )}\n\n${table(
      ['organisation', 'questions'],
      [...byOrg].sort().map(([k, v]) => [k, String(v.total)]),
    )}\n\n`,
  );
  const errors = issues.filter((i) => i.level === 'error');
  for (const issue of issues)
    process.stdout.write(`${issue.level.toUpperCase()} ${issue.id}: ${issue.message}\n`);
  process.stdout.write(
    errors.length === 0
      ? `check-sql: all ${queries} expected queries ran and returned sensible results` +
          `${issues.length > 0 ? ` (${issues.length} warning(s))` : ''}\n`
      : `check-sql: ${errors.length} error(s)\n`,
  );
  return errors.length === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Asking the engine

interface TurnReport {
  id: string;
  item: string;
  category: string;
  org: number;
  question: string;
  conversation?: string[];
  pass: boolean;
  reason: string;
  ms: number;
  expected?: { columns: string[]; rows: Cell[][]; rowCount: number };
  got?: {
    type: string;
    message: string;
    code?: string;
    columns?: string[];
    rows?: Cell[][];
    rowCount?: number;
  };
  error?: string;
}

const REPORT_ROWS = 10;

function summariseExpected(result: ExpectedResult | undefined): TurnReport['expected'] {
  if (!result) return undefined;
  return { columns: result.columns, rows: result.rows.slice(0, REPORT_ROWS), rowCount: result.rows.length };
}

function summariseAnswer(answer: Answer): NonNullable<TurnReport['got']> {
  const got: NonNullable<TurnReport['got']> = { type: answer.type, message: answer.message };
  if (answer.code) got.code = answer.code;
  if (answer.data) {
    got.columns = answer.data.columns.map((c) => c.name);
    got.rows = answer.data.rows.slice(0, REPORT_ROWS);
    got.rowCount = answer.data.rows.length;
  }
  return got;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function askItem(
  engine: AnswerEngine,
  set: QuestionSet,
  item: EvalItem,
  expected: ExpectedTurn[],
  opts: Options,
): Promise<TurnReport[]> {
  const out: TurnReport[] = [];
  let conversationId: string | undefined;
  const asked: string[] = [];
  for (const [i, turn] of item.turns.entries()) {
    const base = {
      id: turnId(item, i),
      item: item.id,
      category: item.category,
      org: item.org,
      question: turn.question,
      ...(asked.length > 0 ? { conversation: [...asked] } : {}),
    };
    asked.push(turn.question);
    const exp = expected[i]!;
    const started = performance.now();
    if (exp.error !== undefined) {
      out.push({ ...base, pass: false, reason: `expected SQL failed: ${exp.error}`, ms: 0 });
      continue;
    }
    try {
      const controller = new AbortController();
      const answer = await withTimeout(
        engine.ask({
          agentId: set.agent,
          userContext: { organisationId: item.org },
          question: turn.question,
          now: set.now,
          signal: controller.signal,
          ...(conversationId ? { conversationId } : {}),
        }),
        opts.timeoutMs,
        controller,
      );
      conversationId = answer.conversationId || conversationId;
      const g = grade(answer, exp.result ?? null, turn.spec, turn.question);
      out.push({
        ...base,
        pass: g.pass,
        reason: g.reason,
        ms: Math.round(performance.now() - started),
        ...(exp.result ? { expected: summariseExpected(exp.result) } : {}),
        got: summariseAnswer(answer),
      });
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      out.push({
        ...base,
        pass: false,
        reason: `the engine threw ${message}`,
        ms: Math.round(performance.now() - started),
        ...(exp.result ? { expected: summariseExpected(exp.result) } : {}),
        error: err instanceof Error ? (err.stack ?? message) : message,
      });
    }
  }
  return out;
}

async function mapPool<T, R>(list: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      results[i] = await fn(list[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
  return results;
}

type CreateAnswerEngine = (options: EngineOptions) => AnswerEngine;

async function loadEngine(): Promise<CreateAnswerEngine> {
  const file = path.join(ROOT, 'server', 'answers', 'engine.ts');
  if (!fs.existsSync(file)) throw new Error(`the answer engine is missing (${path.relative(ROOT, file)})`);
  const mod = (await import(pathToFileURL(file).href)) as { createAnswerEngine?: unknown };
  if (typeof mod.createAnswerEngine !== 'function') {
    throw new Error(`${path.relative(ROOT, file)} does not export createAnswerEngine()`);
  }
  return mod.createAnswerEngine as CreateAnswerEngine;
}

async function runEval(set: QuestionSet, items: EvalItem[], dbs: Databases, opts: Options): Promise<number> {
  const heldOut = path.basename(set.file).includes('holdout');
  const createAnswerEngine = await loadEngine();
  const configFile = path.join(ROOT, 'parley.config.yaml');
  const config = parseConfig(fs.readFileSync(configFile, 'utf8'), configFile, {
    ...process.env,
    DATABASE_URL: dbs.url,
    PARLEY_STORE_URL: dbs.storeUrl,
    PARLEY_NOW: set.now.toISOString(),
  });
  const expectationsDb = openExpectationDb(dbs.expectationsFile);
  const expected = new Map(items.map((item) => [item.id, computeExpected(expectationsDb, item)]));
  expectationsDb.close();

  const engine = createAnswerEngine({ config, now: () => set.now });
  const started = performance.now();
  let reports: TurnReport[];
  try {
    const perItem = await mapPool(items, opts.concurrency, async (item) => {
      const result = await askItem(engine, set, item, expected.get(item.id)!, opts);
      if (opts.verbose && !heldOut) {
        for (const r of result) {
          process.stdout.write(
            `${r.pass ? 'pass' : 'FAIL'} ${r.id} [org ${r.org}, ${r.ms} ms] ${r.question}\n` +
              `        ${r.reason}\n` +
              (r.got?.rows ? `        got: ${preview(r.got.rows, 3)}\n` : ''),
          );
        }
      }
      return result;
    });
    reports = perItem.flat();
  } finally {
    await engine.close();
  }
  const durationMs = Math.round(performance.now() - started);

  const byCategory = tally(
    reports,
    (r) => r.category,
    (r) => r.pass,
  );
  const byOrg = tally(
    reports,
    (r) => `org ${r.org}`,
    (r) => r.pass,
  );
  const passed = reports.filter((r) => r.pass).length;
  const accuracy = reports.length === 0 ? 0 : passed / reports.length;

  const failures = reports.filter((r) => !r.pass);
  // a held-out set is never read by the people changing Parley: its figures only (the JSON report keeps the rest)
  if (failures.length > 0 && !heldOut) {
    process.stdout.write(`\nFailures (${failures.length}):\n`);
    for (const f of failures) {
      const context = f.conversation ? `  (after: ${f.conversation.map((q) => `"${q}"`).join(' → ')})\n` : '';
      process.stdout.write(
        `\n✗ ${f.id} [${f.category}, org ${f.org}] "${f.question}"\n${context}` +
          `  why:      ${f.reason}\n` +
          (f.expected
            ? `  expected: ${f.expected.columns.join(' | ')}\n        ${preview(f.expected.rows)}\n`
            : '  expected: no figures (decline)\n') +
          (f.got
            ? `  got:      ${f.got.type}: ${f.got.message}\n` +
              (f.got.columns ? `        ${f.got.columns.join(' | ')}\n        ${preview(f.got.rows)}\n` : '')
            : ''),
      );
    }
  }
  const rows = [...byCategory].map(([k, v]) => [
    k,
    String(v.passed),
    String(v.total),
    pct(v.passed, v.total),
  ]);
  rows.push(['overall', String(passed), String(reports.length), pct(passed, reports.length)]);
  process.stdout.write(`\n${table(['category', 'passed', 'total', '%'], rows)}\n\n`);
  process.stdout.write(
    `${table(
      ['organisation', 'passed', 'total', '%'],
      [...byOrg].sort().map(([k, v]) => [k, String(v.passed), String(v.total), pct(v.passed, v.total)]),
    )}\n\n`,
  );
  const ok = accuracy >= PASS_THRESHOLD;
  process.stdout.write(
    `Accuracy ${(accuracy * 100).toFixed(1)}% (${passed}/${reports.length}) in ${(durationMs / 1000).toFixed(1)}s — ` +
      `${ok ? 'PASS' : 'FAIL'} (threshold ${PASS_THRESHOLD * 100}%)\n`,
  );

  fs.mkdirSync(path.dirname(opts.report), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    now: set.now.toISOString(),
    scale: set.scale,
    database: redactUrl(dbs.url).replace(/^sqlite:\/\/.*parley-eval-[^/]+\//, 'sqlite://(temp)/'),
    questions: path.relative(ROOT, set.file),
    filter: opts.filter,
    org: opts.org ?? null,
    durationMs,
    threshold: PASS_THRESHOLD,
    summary: {
      passed,
      total: reports.length,
      accuracy,
      byCategory: Object.fromEntries(
        [...byCategory].map(([k, v]) => [k, { ...v, accuracy: v.passed / v.total }]),
      ),
      byOrg: Object.fromEntries([...byOrg].map(([k, v]) => [k, { ...v, accuracy: v.passed / v.total }])),
    },
    results: reports,
  };
  fs.writeFileSync(opts.report, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`Report: ${path.relative(process.cwd(), opts.report) || opts.report}\n`);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------------------

/** Where one set's report goes: the given file for a single set, else the file name suffixed with the set's name. */
function reportFile(opts: Options, setFile: string): string {
  if (opts.questions.length === 1) return opts.report;
  const ext = path.extname(opts.report);
  return `${opts.report.slice(0, opts.report.length - ext.length)}-${path.basename(setFile, path.extname(setFile))}${ext}`;
}

async function evaluateSet(opts: Options, file: string): Promise<number> {
  const set = loadQuestionSet(file);
  if (opts.now !== undefined) {
    const now = new Date(opts.now);
    if (Number.isNaN(now.getTime())) throw new Error(`--now "${opts.now}" is not an ISO time`);
    if (now.getTime() !== set.now.getTime()) {
      throw new Error(
        `--now ${now.toISOString()} differs from the question set's now (${set.now.toISOString()}): the expected SQL ` +
          'uses literal date bounds computed for that instant; write a question set for another now instead',
      );
    }
  }
  const items = selectItems(set, opts);
  if (items.length === 0) return -1;
  const log = (m: string) => process.stderr.write(`eval: ${m}\n`);
  const dbs = await prepareDatabases(opts, set, log);
  try {
    if (opts.checkSql) return checkSql(set, items, dbs.expectationsFile, opts);
    return await runEval(set, items, dbs, { ...opts, report: reportFile(opts, file) });
  } finally {
    dbs.cleanup();
  }
}

async function main(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  const codes: number[] = [];
  for (const file of opts.questions) {
    if (opts.questions.length > 1) process.stdout.write(`\n===== ${path.relative(ROOT, file)}\n`);
    codes.push(await evaluateSet(opts, file));
  }
  if (codes.every((c) => c === -1)) throw new Error('no questions match --filter/--org');
  return Math.max(0, ...codes);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof QuestionSetError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`eval: ${message}\n`);
    process.exitCode = 2;
  },
);
