// One measurement of the dataset benchmark, in a process of its own (so peak RSS, threads and memory are that
// measurement's alone). Prints one JSON line. Run by dataset-uploads.ts: node --expose-gc --import tsx dataset-uploads-child.ts MODE
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { mintSessionToken } from '../../server/auth/session-token.ts';
import { parseConfig } from '../../server/config/load.ts';
import { startServer } from '../../server/main.ts';
import { withDatasetsConfig, withSection } from '../support/config-text.ts';
import { DEMO_CONFIG_FILE } from '../support/demo-db.ts';

const SECRET = 'bench-session-secret-0123456789-abcdefghij';
const API_KEY = 'pk_bench_0123456789abcdef0123';
const NOW = '2026-11-25T12:00:00Z';

const mode = process.argv[2];
const file = process.env.BENCH_FILE ?? '';
const databaseUrl = process.env.BENCH_DATABASE_URL ?? '';
const dir = process.env.BENCH_DIR ?? '';

/** threads of this process (main, libuv pool, V8 helpers, worker threads) */
function threads(): number {
  return fs.readdirSync('/proc/self/task').length;
}

function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function server(settings: Record<string, unknown> = {}) {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    // the dedicated-database agent reads the same demo data (as the server bench does): start-up checks every agent
    INITECH_DATABASE_URL: databaseUrl,
    PARLEY_STORE_URL: `sqlite://${dir}/store-${mode}-${process.pid}.sqlite`,
    PARLEY_SESSION_SECRET: SECRET,
    PARLEY_API_KEY: API_KEY,
    PARLEY_NOW: NOW,
  };
  // one user asks a hundred times in a row: the per-user conversation limit would measure itself
  const text = withSection(
    withDatasetsConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), settings),
    'limits',
    {
      conversations: { perUser: { points: 1_000_000_000, durationSec: 60 }, maxStoredPerUser: 1_000_000_000 },
    },
  );
  const config = parseConfig(text, DEMO_CONFIG_FILE, env);
  return startServer({ config, port: 0, host: '127.0.0.1', env, logger: pino({ level: 'silent' }) });
}

const token = (user: string, organisationId: number): string =>
  mintSessionToken({
    userIdentifier: user,
    userContext: { organisationId },
    agentId: 'demo',
    ttl: '1h',
    secret: SECRET,
  });

async function uploadFile(url: string, user: string, name: string, bytes: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), name);
  for (;;) {
    const res = await fetch(`${url}/widget/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token(user, 1)}` },
      body: form,
    });
    await res.arrayBuffer();
    if (res.status !== 429) return res.status;
    // a well-behaved client waits as told
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
  }
}

/** A question through the host API (the widget's per-user question limit would throttle a benchmark). */
async function ask(
  url: string,
  user: string,
  question: string,
): Promise<{ ms: number; answer: Record<string, unknown> }> {
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
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
  const answer = (await res.json()) as Record<string, unknown>;
  return { ms: performance.now() - t0, answer };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}

async function main(): Promise<Record<string, unknown>> {
  switch (mode) {
    case 'csv-parse': {
      const base = rssMb();
      const t0 = performance.now();
      const rows = parse(fs.readFileSync(file, 'utf8')) as unknown[];
      return { ms: performance.now() - t0, rows: rows.length - 1, peakRssMb: peakRssMb(), baseRssMb: base };
    }
    case 'upload': {
      const s = await server();
      try {
        // warm: the worker thread and the engine, so the figure is the file's, not the first start's
        await uploadFile(s.url, 'warm', 'warm.csv', Buffer.from('a\n1\n'));
        settle();
        const base = rssMb();
        const t0 = performance.now();
        const status = await uploadFile(s.url, 'big', 'narrow.csv', fs.readFileSync(file));
        const uploadMs = performance.now() - t0;
        const { ms: askMs, answer } = await ask(s.url, 'big', 'total units by month in my narrow file');
        const data = answer.data as { rows?: unknown[][] } | undefined;
        return {
          status,
          uploadMs,
          firstQuestionMs: askMs,
          answered: answer.type,
          rows: data?.rows?.length ?? 0,
          peakRssMb: peakRssMb(),
          baseRssMb: base,
        };
      } finally {
        await s.close();
      }
    }
    case 'stall': {
      const SAMPLES = 120;
      const s = await server({ uploadsPerMinute: 10_000, concurrentUploads: 2 });
      try {
        const question = 'How many orders did we have last month?';
        const sample = async (n: number) => {
          const times: number[] = [];
          for (let i = 0; i < n; i += 1) times.push((await ask(s.url, 'bob', question)).ms);
          return times;
        };
        await sample(5);
        await uploadFile(s.url, 'alice', 'warm.csv', Buffer.from('a\n1\n'));
        const idleLag = monitorEventLoopDelay({ resolution: 5 });
        idleLag.enable();
        const idle = await sample(SAMPLES);
        idleLag.disable();
        // the uploading user is another process, as another user's browser is: its client work is not the server's
        const uploader = spawn(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), 'uploader'],
          {
            env: { ...process.env, BENCH_URL: s.url, BENCH_TOKEN: token('alice', 1) },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let uploads = 0;
        uploader.stdout.on('data', (chunk: Buffer) => {
          uploads += chunk
            .toString()
            .split('\n')
            .filter((l) => l === 'uploaded').length;
        });
        const exited = new Promise((r) => uploader.once('exit', r));
        await new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if (uploads > 0) {
              clearInterval(check);
              resolve();
            }
          }, 50);
        });
        // wait for the first upload to be under way
        await new Promise((r) => setTimeout(r, 200));
        const lag = monitorEventLoopDelay({ resolution: 5 });
        lag.enable();
        // questions for as long as at least two whole uploads take, and at least as many as idle
        const loaded: number[] = [];
        const before = uploads;
        while (loaded.length < SAMPLES || uploads - before < 2) loaded.push(...(await sample(10)));
        const during = uploads - before;
        lag.disable();
        uploader.kill('SIGTERM');
        await exited;
        return {
          idleP50: pct(idle, 0.5),
          idleP99: pct(idle, 0.99),
          loadedP50: pct(loaded, 0.5),
          loadedP99: pct(loaded, 0.99),
          uploadsDuring: during,
          questions: { idle: idle.length, loaded: loaded.length },
          eventLoopMaxMs: lag.max / 1e6,
          idleEventLoopMaxMs: idleLag.max / 1e6,
          eventLoopP99Ms: lag.percentile(99) / 1e6,
        };
      } finally {
        await s.close();
      }
    }
    case 'uploader': {
      // 8 MB files back to back until stopped; one line per stored upload
      const bytes = fs.readFileSync(file).subarray(0, 8 * 1024 * 1024);
      const eight = Buffer.from(bytes.subarray(0, bytes.lastIndexOf(10) + 1));
      const url = process.env.BENCH_URL ?? '';
      for (let i = 0; ; i += 1) {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(eight)], { type: 'text/csv' }), `eight-${i % 2}.csv`);
        const res = await fetch(`${url}/widget/v1/datasets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${process.env.BENCH_TOKEN}` },
          body: form,
        });
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`upload answered ${res.status}`);
        process.stdout.write('uploaded\n');
      }
    }
    case 'leak': {
      const s = await server({ uploadsPerMinute: 10_000 });
      try {
        const cycle = async (i: number) => {
          const price = 100 + i;
          await uploadFile(
            s.url,
            'carol',
            'pricing.csv',
            Buffer.from(`plan,price\nTeam,99\nEnterprise,${price}\n`),
          );
          const { answer } = await ask(s.url, 'carol', "What's the price for the Enterprise plan?");
          const rows = (answer.data as { rows?: unknown[][] } | undefined)?.rows ?? [];
          if (!rows.flat().includes(price))
            throw new Error(`cycle ${i}: expected ${price}, got ${JSON.stringify(answer).slice(0, 700)}`);
        };
        for (let i = 0; i < 5; i += 1) await cycle(i);
        settle();
        await new Promise((r) => setTimeout(r, 500));
        const start = { threads: threads(), rssMb: rssMb() };
        for (let i = 5; i < 105; i += 1) await cycle(i);
        // superseded runners close at once; give their threads a moment to exit
        await new Promise((r) => setTimeout(r, 1000));
        settle();
        const end = { threads: threads(), rssMb: rssMb() };
        return { cycles: 100, start, end };
      } finally {
        await s.close();
      }
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
