// Benchmark: uploaded datasets. Each measurement runs in a process of its own (dataset-uploads-child.ts) against one
// seeded demo database. Goals (issue 10): a 10 MB CSV uploads and is queryable (time and peak RSS, against
// csv-parse alone on the same file); another user's question latency while one user uploads 8 MB files back to
// back stays within 2x of idle (p50 and p99); threads and RSS after 100 replace-and-ask cycles are within 10% of
// the start.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir, seedDemo, sqliteUrl } from '../support/demo-db.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./dataset-uploads-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A narrow CSV of 10 MB: month and units, ~650,000 rows. */
function narrowCsv(file: string): number {
  const months = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'];
  const lines = ['month,units'];
  let size = 12;
  for (let i = 0; size < 10 * 1024 * 1024 - 16; i += 1) {
    const line = `${months[i % 6]},${(i * 7919) % 100000}`;
    lines.push(line);
    size += line.length + 1;
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return lines.length - 1;
}

async function child(mode: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, mode], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 1024 * 1024,
    timeout: 10 * 60_000,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as Record<string, unknown>;
}

const f = (n: unknown, digits = 0): string => (typeof n === 'number' ? n.toFixed(digits) : String(n));
const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

export async function runDatasetsBench(): Promise<boolean> {
  const dir = makeTempDir('parley-bench-ds');
  try {
    const file = path.join(dir, 'narrow.csv');
    const rows = narrowCsv(file);
    const databaseUrl = sqliteUrl(path.join(dir, 'demo.sqlite'));
    await seedDemo(databaseUrl, { anchor: new Date('2026-11-25T12:00:00Z') });
    const env = { BENCH_FILE: file, BENCH_DATABASE_URL: databaseUrl, BENCH_DIR: dir };
    let ok = true;

    const alone = await child('csv-parse', env);
    const upload = await child('upload', env);
    const size = (fs.statSync(file).size / 1024 / 1024).toFixed(1);
    console.log(`10 MB CSV (${size} MB, ${rows} rows, 2 columns)`);
    console.log(
      `  csv-parse alone           ${f(alone.ms)} ms   peak RSS ${f(alone.peakRssMb)} MB (process start ${f(alone.baseRssMb)} MB)`,
    );
    console.log(
      `  upload (check, parse, type, build table, store)  ${f(upload.uploadMs)} ms   status ${upload.status}`,
    );
    console.log(
      `  first question on it      ${f(upload.firstQuestionMs)} ms   (${upload.answered}, ${upload.rows} rows; nothing parsed)`,
    );
    console.log(
      `  server peak RSS           ${f(upload.peakRssMb)} MB (before the upload ${f(upload.baseRssMb)} MB; the server also holds the demo engine)`,
    );
    const queryable = upload.status === 201 && upload.rows === 6;
    ok &&= queryable;
    console.log(`  accepted and queryable: ${verdict(queryable)}`);

    const stall = await child('stall', env);
    const p50 = Number(stall.loadedP50) / Number(stall.idleP50);
    const p99 = Number(stall.loadedP99) / Number(stall.idleP99);
    const asked = stall.questions as { idle: number; loaded: number };
    console.log(
      `another user's question while one user (another process) uploads 8 MB files back to back (${asked.idle} idle, ${asked.loaded} loaded)`,
    );
    console.log(
      `  idle        p50 ${f(stall.idleP50, 1)} ms   p99 ${f(stall.idleP99, 1)} ms   (server event loop max ${f(stall.idleEventLoopMaxMs)} ms)`,
    );
    console.log(
      `  uploading   p50 ${f(stall.loadedP50, 1)} ms   p99 ${f(stall.loadedP99, 1)} ms   (${stall.uploadsDuring} uploads meanwhile; server event loop max ${f(stall.eventLoopMaxMs)} ms)`,
    );
    const within = p50 <= 2 && p99 <= 2;
    ok &&= within;
    console.log(
      `  ratio       p50 ${p50.toFixed(2)}x   p99 ${p99.toFixed(2)}x   goal <= 2x: ${verdict(within)}`,
    );

    const leak = await child('leak', env);
    const start = leak.start as { threads: number; rssMb: number };
    const end = leak.end as { threads: number; rssMb: number };
    const dThreads = (end.threads - start.threads) / start.threads;
    const dRss = (end.rssMb - start.rssMb) / start.rssMb;
    const steady = Math.abs(dThreads) <= 0.1 && dRss <= 0.1;
    ok &&= steady;
    console.log(`${leak.cycles} replace-and-ask cycles (each answer checked for the new price)`);
    console.log(
      `  threads ${start.threads} -> ${end.threads} (${(dThreads * 100).toFixed(1)}%)   RSS ${f(start.rssMb, 1)} -> ${f(end.rssMb, 1)} MB (${(dRss * 100).toFixed(1)}%)   goal within 10%: ${verdict(steady)}`,
    );
    return ok;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
