// `npm run eval:files`: questions about a user's uploaded files, asked through a running server as a host backend
// would (upload, then /api/v1), each graded by grade.ts against its SQL run over the same files' rows. It measures;
// it does not gate (the sets in test/eval/files say what each one is for).
//
//   npm run eval:files                                         # the public sets (blind-written, and the kinds)
//   npm run eval:files -- --questions test/eval/files/files-holdout.yaml
//   npm run eval:files -- --verbose                            # every question with its grade
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { parse as parseCsv } from 'csv-parse/sync';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../../server/config/load.ts';
import { startServer } from '../../server/main.ts';
import { withDatasetsConfig, withSection } from '../support/config-text.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from '../support/demo-db.ts';
import { shipmentsCsv } from '../support/shipments.ts';
import { type Cell, type GradableAnswer, grade } from './grade.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.join(HERE, 'files', 'rows');
// the public sets: written blind before the changes they found, and the kinds set; the held-out ones are asked by name
const DEFAULT_SETS = [
  'files-blind.yaml',
  'files-blind-2.yaml',
  'files-blind-3.yaml',
  'files-blind-4.yaml',
  'files-blind-5.yaml',
  'files-blind-6.yaml',
  'files-blind-7.yaml',
  'files-blind-8.yaml',
  'files-kinds.yaml',
].map((f) => path.join(HERE, 'files', f));
const USER = 'files-eval';
const API_KEY = 'pk_files_eval_0123456789abcdef';
const SECRET = 'files-eval-session-secret-0123456789-abcdef';

const QuestionSet = z.object({
  now: z.string().min(1),
  questions: z
    .array(
      z
        .object({
          id: z.string().min(1),
          file: z.string().regex(/^[\w-]+\.(csv|json)$/),
          question: z.string().min(1),
          sql: z.string().min(1),
          ordered: z.boolean().default(false),
        })
        .strict(),
    )
    .min(1),
});
type QuestionSet = z.infer<typeof QuestionSet>;

const { values: opts } = parseArgs({
  options: {
    questions: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});

/** A file's bytes: the shipments are generated, the others are stored gzipped beside the sets. */
function fileBytes(name: string, dir: string): Buffer {
  if (name === 'shipments.csv') {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) shipmentsCsv(file);
    return fs.readFileSync(file);
  }
  return zlib.gunzipSync(fs.readFileSync(path.join(DATA, `${name}.gz`)));
}

/**
 * A cell as the expected SQL sees it: empty is NULL, numbers are numbers, true/false are 1/0, ISO instants are
 * 'YYYY-MM-DD HH:MM:SS'.
 */
function sqlCell(value: unknown): Cell {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return value;
  // SQLite has no booleans (better-sqlite3 refuses to bind one): 1 and 0, as Parley stores a file's true and false
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const instant = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(text);
  return instant ? `${instant[1]} ${instant[2]}` : text;
}

/** The files' rows as SQLite tables named after the files, for the expected SQL. */
function expectationDb(files: Map<string, Buffer>): Database.Database {
  const db = new Database(':memory:');
  for (const [name, bytes] of files) {
    const rows: Array<Record<string, unknown>> = name.endsWith('.json')
      ? JSON.parse(bytes.toString('utf8'))
      : parseCsv(bytes, { columns: true, skip_empty_lines: true });
    const columns = Object.keys(rows[0] ?? {});
    const table = name.replace(/\.(csv|json)$/, '');
    db.exec(`CREATE TABLE "${table}" (${columns.map((c) => `"${c}"`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO "${table}" VALUES (${columns.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const row of rows) insert.run(...columns.map((c) => sqlCell(row[c])));
    })();
  }
  return db;
}

async function runSet(
  file: string,
  dir: string,
): Promise<{ passed: number; total: number; report: unknown[] }> {
  const set: QuestionSet = QuestionSet.parse(parseYaml(fs.readFileSync(file, 'utf8')));
  const heldOut = path.basename(file).includes('holdout');
  const names = [...new Set(set.questions.map((q) => q.file))];
  const files = new Map(names.map((n) => [n, fileBytes(n, dir)]));
  const expected = expectationDb(files);
  const demo = sqliteUrl(path.join(dir, `demo-${path.basename(file)}.sqlite`));
  await seedDemo(demo, { anchor: new Date(set.now) });
  const env = {
    ...process.env,
    DATABASE_URL: demo,
    INITECH_DATABASE_URL: demo,
    PARLEY_STORE_URL: sqliteUrl(path.join(dir, `store-${path.basename(file)}.sqlite`)),
    PARLEY_SESSION_SECRET: SECRET,
    PARLEY_API_KEY: API_KEY,
    PARLEY_NOW: set.now,
  };
  // one user asks every question, each in a conversation of its own: the per-user caps would measure themselves
  const lifted = { points: 1_000_000_000, durationSec: 60 };
  const text = withSection(
    withDatasetsConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), { uploadsPerMinute: 1000 }),
    'limits',
    { conversations: { perUser: lifted } },
  );
  const running = await startServer({
    config: parseConfig(text, DEMO_CONFIG_FILE, env),
    port: 0,
    host: '127.0.0.1',
    env,
    logger: pino({ level: 'silent' }),
    questionRate: { burst: 1_000_000, perMinute: 60_000_000 },
  });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const post = async (url: string, body: unknown) =>
    (
      await fetch(`${running.url}/api/v1/agents/demo${url}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      })
    ).json();
  const report: unknown[] = [];
  let passed = 0;
  try {
    for (const [name, bytes] of files) {
      const form = new FormData();
      const type = name.endsWith('.json') ? 'application/json' : 'text/csv';
      form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
      const res = await fetch(
        `${running.url}/api/v1/agents/demo/datasets/user/${USER}?userContext=${encodeURIComponent('{"organisationId":1}')}`,
        { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form },
      );
      if (!res.ok) throw new Error(`uploading ${name}: ${res.status} ${await res.text()}`);
    }
    for (const q of set.questions) {
      const stmt = expected.prepare(q.sql);
      const want = { columns: stmt.columns().map((c) => c.name), rows: stmt.raw(true).all() as Cell[][] };
      const conversation = (await post('/conversations', {
        userIdentifier: USER,
        userContext: { organisationId: 1 },
      })) as { id: string };
      const answer = (await post(`/conversations/${conversation.id}/response`, {
        message: q.question,
      })) as GradableAnswer;
      // a share is right as a fraction or a percentage, as in the database sets' `percent` items
      const percent = /%|percent|share|rate/i.test(q.question);
      const g = grade(answer, want, { kind: 'rows', ordered: q.ordered, percent }, q.question);
      if (g.pass) passed += 1;
      report.push({
        id: q.id,
        question: q.question,
        pass: g.pass,
        reason: g.reason,
        message: answer.message,
      });
      // a held-out set is never read by the people changing Parley: it prints its accuracy only
      if (!heldOut && (opts.verbose || !g.pass))
        console.log(
          `${g.pass ? '✓' : '✗'} ${q.id} "${q.question}"${g.pass ? '' : `\n  why: ${g.reason}\n  got: ${String(answer.message).slice(0, 240)}`}`,
        );
    }
  } finally {
    await running.close();
    expected.close();
  }
  return { passed, total: set.questions.length, report };
}

const dir = makeTempDir('parley-files-eval');
const reports: Record<string, unknown[]> = {};
try {
  for (const file of opts.questions ?? DEFAULT_SETS) {
    console.log(`\n===== ${path.relative(process.cwd(), file)}`);
    const { passed, total, report } = await runSet(file, dir);
    reports[file] = report;
    console.log(`Accuracy ${((100 * passed) / total).toFixed(1)}% (${passed}/${total})`);
  }
  if (opts.report) fs.writeFileSync(opts.report, JSON.stringify(reports, null, 1));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
