// The `parley` command as a user runs it: a child process of bin/parley.mjs, against a seeded SQLite file.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAmbiguousSales } from './support/config-text.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'parley.mjs');
const NOW = '2026-11-25T12:00:00Z';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cli-'));
const dbFile = path.join(dir, 'demo.sqlite');
const env = {
  ...process.env,
  DATABASE_URL: `sqlite://${dbFile}`,
  PARLEY_STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`,
};

async function parley(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function lastMonthOrders(org: number): number {
  const db = new Database(dbFile, { readonly: true });
  const row = db
    .prepare(
      "SELECT COUNT(*) AS n FROM orders WHERE organisation_id = ? AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'",
    )
    .get(org) as { n: number };
  db.close();
  return row.n;
}

beforeAll(async () => {
  const seeded = await parley(['seed', '--database', `sqlite://${dbFile}`, '--anchor', NOW]);
  expect(seeded.code, seeded.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parley ask', () => {
  it('reads the uploaded datasets of the configured store (PARLEY_STORE_URL)', async () => {
    const { ConversationStore } = await import('../server/conversations/store.ts');
    const { DatasetService } = await import('../server/datasets/service.ts');
    const store = await ConversationStore.open(env.PARLEY_STORE_URL);
    const datasets = new DatasetService({
      db: store.db,
      agents: () => ({ userContext: { organisationId: 'integer' } }),
    });
    await datasets.upload(
      'demo',
      { kind: 'context', contextKey: 'organisationId', contextValue: 1 },
      { filename: 'pricing.csv', bytes: Buffer.from('plan,price\nTeam,99\nEnterprise,499\n') },
    );
    await datasets.close();
    await store.close();
    const args = ['--agent', 'demo', '--user', 'carol', '--now', NOW, '--json'];
    const q = "What's the price for the Enterprise plan?";
    const one = await parley(['ask', q, ...args, '--context', 'organisationId=1']);
    expect(one.code, one.stderr).toBe(0);
    const answer = JSON.parse(one.stdout);
    expect(answer.plan.source).toBe('datasets');
    expect(answer.data.rows.flat()).toContain(499);
    // another organisation does not see the file
    const three = await parley(['ask', q, ...args, '--context', 'organisationId=3']);
    expect(JSON.stringify(JSON.parse(three.stdout).data ?? null)).not.toContain('499');
  });

  it('answers for the organisation given and only for it', async () => {
    const q = 'How many orders did we have last month?';
    const one = await parley([
      'ask',
      q,
      '--agent',
      'demo',
      '--user',
      'alice',
      '--context',
      'organisationId=1',
      '--now',
      NOW,
      '--json',
    ]);
    const three = await parley([
      'ask',
      q,
      '--agent',
      'demo',
      '--user',
      'ivy',
      '--context',
      'organisationId=3',
      '--now',
      NOW,
      '--json',
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).data.rows).toEqual([[lastMonthOrders(1)]]);
    expect(JSON.parse(three.stdout).data.rows).toEqual([[lastMonthOrders(3)]]);
    expect(lastMonthOrders(1)).not.toBe(lastMonthOrders(3));
  });

  it('prints a clarification: the answer object with --json, else the message and numbered choices', async () => {
    const config = path.join(dir, 'ambiguous.config.yaml');
    fs.writeFileSync(
      config,
      withAmbiguousSales(fs.readFileSync(path.join(ROOT, 'parley.config.yaml'), 'utf8')),
    );
    const args = ['ask', 'what were our sales last month', '--agent', 'demo', '--user', 'alice'];
    const rest = ['--context', 'organisationId=1', '--now', NOW, '--config', config];
    const json = await parley([...args, ...rest, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout);
    expect(answer).toMatchObject({ type: 'clarification', code: 'ambiguous' });
    expect(answer.choices).toHaveLength(2);
    expect(answer.choices[0]).toEqual({
      label: expect.stringMatching(/^revenue/),
      question: expect.any(String),
    });

    const text = await parley([...args, ...rest]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      [
        answer.message,
        '',
        `1) ${answer.choices[0].label}`,
        `   ask: ${answer.choices[0].question}`,
        `2) ${answer.choices[1].label}`,
        `   ask: ${answer.choices[1].question}`,
        '',
      ].join('\n'),
    );
  });

  it('refuses a userContext that does not fit the declared types', async () => {
    const out = await parley([
      'ask',
      'How many orders?',
      '--agent',
      'demo',
      '--user',
      'x',
      '--context',
      'organisationId=1 OR 1=1',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/organisationId is an integer, got "1 OR 1=1"/);
  });

  it('reads a list field from a JSON array or a comma list, and refuses a broken list', async () => {
    const ask = (countries: string) =>
      parley([
        'ask',
        'How many accounts do we have?',
        '--agent',
        'globex-support',
        '--user',
        'x',
        '--json',
        '--context',
        'organisationId=2',
        '--context',
        `countries=${countries}`,
      ]);
    const db = new Database(dbFile, { readonly: true });
    const { n } = db
      .prepare(
        "SELECT COUNT(*) AS n FROM users WHERE organisation_id = 2 AND country IN ('Germany', 'France')",
      )
      .get() as { n: number };
    db.close();
    expect(n).toBeGreaterThan(0);
    for (const countries of ['["Germany","France"]', 'Germany,France']) {
      const out = await ask(countries);
      expect(out.code, out.stderr).toBe(0);
      expect(JSON.parse(out.stdout).data.rows).toEqual([[n]]);
    }
    const broken = await ask('["Germany","France"');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/countries is a list of strings: .* is not a JSON array/);
  });

  it('answers a JSONL batch one line per question, with the same ids', async () => {
    const file = path.join(dir, 'batch.jsonl');
    fs.writeFileSync(
      file,
      [
        {
          id: 'a',
          question: 'How many orders did we have last month?',
          userIdentifier: 'alice',
          userContext: { organisationId: 1 },
        },
        {
          id: 'b',
          question: 'How many orders did we have last month?',
          userIdentifier: 'ivy',
          userContext: { organisationId: 3 },
        },
        {
          id: 'c',
          question: 'what is our profit margin?',
          userIdentifier: 'ivy',
          userContext: { organisationId: 3 },
        },
        {
          id: 'd',
          question: 'How many orders?',
          userIdentifier: 'eve',
          userContext: { organisationId: '*' },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const out = await parley(['ask', '--batch', file, '--agent', 'demo', '--now', NOW]);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(lines[0].data.rows).toEqual([[lastMonthOrders(1)]]);
    expect(lines[1].data.rows).toEqual([[lastMonthOrders(3)]]);
    expect(lines[2]).toMatchObject({ type: 'error', code: 'unanswerable' });
    expect(lines[2].data).toBeUndefined();
    expect(lines[3]).toMatchObject({ type: 'error' });
    expect(lines[3].data).toBeUndefined();
  });
});

describe('parley migrate', () => {
  it('migrates a fresh store, and clears a lock a crash left with `parley migrate unlock`', async () => {
    const storeUrl = `sqlite://${path.join(dir, 'migrated.sqlite')}`;
    const first = await parley(['migrate'], { PARLEY_STORE_URL: storeUrl });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied 001_conversations, .*004_instance_leases/);
    expect((await parley(['migrate'], { PARLEY_STORE_URL: storeUrl })).stdout).toMatch(/already up to date/);

    const db = new Database(path.join(dir, 'migrated.sqlite'));
    db.prepare('UPDATE parley_migrations_lock SET is_locked = 1').run();
    db.close();
    const config = path.join(dir, 'short-wait.yaml');
    fs.writeFileSync(
      config,
      `${fs.readFileSync(path.join(ROOT, 'parley.config.yaml'), 'utf8')}\nstore:\n  migrationLockWaitMs: 200\n`,
    );
    const locked = await parley(['migrate', '--config', config], { PARLEY_STORE_URL: storeUrl });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('parley migrate unlock');
    expect(locked.stderr + locked.stdout).not.toMatch(/knex/);
    const unlocked = await parley(['migrate', 'unlock'], { PARLEY_STORE_URL: storeUrl });
    expect(unlocked.stdout).toMatch(/migration lock cleared/);
    expect((await parley(['migrate'], { PARLEY_STORE_URL: storeUrl })).code).toBe(0);
    // five starts of the CLI
  }, 120_000);
});

describe('parley serve', () => {
  it('exits at once, naming the port, when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const out = await parley(['serve', '--port', String(port)], { PARLEY_SESSION_SECRET: 'x'.repeat(40) });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      taken.close();
    }
  }, 60_000);
});

describe('parley query, check, token, connection list', () => {
  it('runs a plan file and prints tenant values only as bindings', async () => {
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(
      planFile,
      JSON.stringify({
        version: 1,
        table: 'orders',
        measures: [{ kind: 'count' }],
        time: { field: 'orders.created_at', range: { kind: 'last', unit: 'month', n: 1 } },
      }),
    );
    const out = await parley([
      'query',
      '--agent',
      'demo',
      '--plan',
      planFile,
      '--context',
      'organisationId=3',
      '--now',
      NOW,
      '--json',
    ]);
    expect(out.code, out.stderr).toBe(0);
    const body = JSON.parse(out.stdout);
    expect(body.rows).toEqual([[lastMonthOrders(3)]]);
    expect(body.sql.bindings).toContain(3);
    expect(body.sql.text).not.toMatch(/organisation_id`\s*=\s*3/);
  });

  it('checks the model against the live database', async () => {
    const out = await parley(['check', '--agent', 'demo']);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/demo: ok/);
    // and says what the table prompts were read as
    expect(out.stdout).toContain(
      '    segment customer (also customers) = last_order_at is not null: not added, the YAML declares segment customer (with the same filter)',
    );
  });

  it('mints a token only with a long enough secret', async () => {
    const without = await parley(
      ['token', '--user', 'alice', '--agent', 'demo', '--context', 'organisationId=1'],
      { PARLEY_SESSION_SECRET: '' },
    );
    expect(without.code).toBe(1);
    const secret = 'a-session-secret-that-is-long-enough-123';
    const ok = await parley(
      ['token', '--user', 'alice', '--agent', 'demo', '--context', 'organisationId=1'],
      { PARLEY_SESSION_SECRET: secret },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('.')).toHaveLength(3);
    expect(ok.stdout).not.toContain(secret);
  });

  it('lists connections without printing their URLs', async () => {
    const out = await parley(['connection', 'list']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('demo-db');
    expect(out.stdout).not.toContain(dbFile);
  });
});

describe('table prompts', () => {
  // no synonyms and no segments for users in the YAML: only the prompt says what members and VIPs are
  const configFile = path.join(dir, 'prompts.config.yaml');
  const write = () =>
    fs.writeFileSync(
      configFile,
      `connections:
  - { id: shop, url: "sqlite://${dbFile}", owner: shop }
agents:
  - id: shop
    connection: shop
    userContext: { organisationId: integer }
    model:
      tables:
        users:
          prompt: Users are also referred to as members. A member is considered a VIP if their country is Germany.
          labelColumn: name
          timeColumn: created_at
          contextFilters: [{ column: organisation_id, field: organisationId }]
          columns:
            id: { type: integer }
            name: { type: string }
            country: { type: string }
            created_at: { type: datetime }
`,
    );

  function usersOf(org: number, where = '1 = 1'): number {
    const db = new Database(dbFile, { readonly: true });
    const row = db
      .prepare(`SELECT COUNT(*) AS n FROM users WHERE organisation_id = ? AND ${where}`)
      .get(org) as { n: number };
    db.close();
    return row.n;
  }

  const ask = (question: string) =>
    parley([
      'ask',
      question,
      '--config',
      configFile,
      '--agent',
      'shop',
      '--user',
      'alice',
      '--context',
      'organisationId=2',
      '--now',
      NOW,
      '--json',
    ]);

  it('parley check prints what each sentence was read as', async () => {
    write();
    const out = await parley(['check', '--config', configFile]);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain('shop: table prompts: 1 synonym and 1 segment added, 0 sentences not used');
    expect(out.stdout).toContain('    synonym members -> table users: added');
    expect(out.stdout).toContain('    segment vip (also vips) = country = "Germany": added');
  });

  it('parley ask answers with the synonym and the segment the prompt states', async () => {
    write();
    const members = await ask('how many members do we have');
    expect(members.code, members.stderr).toBe(0);
    expect(JSON.parse(members.stdout).data.rows).toEqual([[usersOf(2)]]);
    const vips = await ask('how many VIPs');
    expect(vips.code, vips.stderr).toBe(0);
    expect(JSON.parse(vips.stdout).data.rows).toEqual([[usersOf(2, "country = 'Germany'")]]);
  });
});

describe('parley serve, the built process', () => {
  it('is the process the bin started: SIGTERM reaches the server, which closes and exits', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: ROOT,
      env: {
        ...env,
        INITECH_DATABASE_URL: `sqlite://${dbFile}`,
        PARLEY_SESSION_SECRET: 'cli-test-session-secret-0123456789abcdef',
        PARLEY_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`parley serve exited early: ${stderr}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: finishing in-flight answers and closing/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 60_000);
});
