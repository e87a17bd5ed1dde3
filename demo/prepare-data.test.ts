// prepareDemoData: the dedicated single-organisation database of connection pattern (c), built from the demo data,
// and every agent of the repository's parley.config.yaml passing `parley check` once it exists.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../server/cli/check.ts';
import { parseConfig } from '../server/config/load.ts';
import { openDatabase } from '../server/db/connect.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl, tableCounts } from '../test/support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from '../test/support/mysql.ts';
import { TEST_NOW } from '../test/support/server.ts';
import { buildSingleOrganisationDatabase, prepareDemoData } from './prepare-data.ts';

let dir: string;
let demoFile: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = makeTempDir('parley-demo-prepare');
  demoFile = path.join(dir, 'demo.sqlite');
  await seedDemo(sqliteUrl(demoFile), { anchor: TEST_NOW });
  env = {
    DATABASE_URL: sqliteUrl(demoFile),
    INITECH_DATABASE_URL: sqliteUrl(path.join(dir, 'initech.sqlite')),
  };
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const loadRepoConfig = () => parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, env);

function counts(file: string, where = ''): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const table of ['organisations', 'users', 'products', 'orders', 'order_items']) {
      const column = table === 'organisations' ? 'id' : 'organisation_id';
      const row = db
        .prepare(`SELECT COUNT(*) AS n FROM ${table} ${where.replaceAll('$col', column)}`)
        .get() as {
        n: number;
      };
      out[table] = row.n;
    }
    return out;
  } finally {
    db.close();
  }
}

describe('prepareDemoData', () => {
  it('builds Initech’s own database (its rows only, same ids), which the committed config links', async () => {
    const config = loadRepoConfig();
    const prepared = await prepareDemoData(config);
    expect(prepared).toEqual([
      expect.objectContaining({ agentId: 'initech', connectionId: 'initech-db', built: true, linked: false }),
    ]);
    const agent = config.agents.get('initech');
    expect(agent?.connection?.id).toBe('initech-db');
    expect(agent?.config.connection).toBe('initech-db');

    const file = path.join(dir, 'initech.sqlite');
    expect(counts(file)).toEqual(counts(demoFile, 'WHERE $col = 3'));
    expect(counts(file, 'WHERE $col <> 3')).toEqual({
      organisations: 0,
      users: 0,
      products: 0,
      orders: 0,
      order_items: 0,
    });
    const db = new Database(file, { readonly: true });
    const source = new Database(demoFile, { readonly: true });
    try {
      const q = 'SELECT id, total_amount, created_at FROM orders WHERE organisation_id = 3 ORDER BY id';
      expect(db.prepare(q).all()).toEqual(source.prepare(q).all());
    } finally {
      db.close();
      source.close();
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves an up-to-date copy alone and rebuilds it when the demo data is newer', async () => {
    const again = await prepareDemoData(loadRepoConfig());
    expect(again[0]).toMatchObject({ built: false, linked: false });
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(demoFile, later, later);
    const rebuilt = await prepareDemoData(loadRepoConfig());
    expect(rebuilt[0]).toMatchObject({ built: true });
  });

  it('makes `parley check` pass for every agent of parley.config.yaml', async () => {
    const config = loadRepoConfig();
    await prepareDemoData(config);
    const lines: string[] = [];
    const ok = await runCheck(config, undefined, (line) => lines.push(line));
    // no issue at all: only the summaries, besides the report of what the table prompts were read as
    const promptReport = (line: string) => line.startsWith('  ') || line.includes(': table prompts: ');
    expect(lines.filter((line) => !promptReport(line))).toEqual([
      'demo: ok',
      'acme-sales: ok',
      'globex-support: ok',
      'initech: ok',
    ]);
    expect(ok).toBe(true);
  });

  it('builds into any target URL from any source, replacing what was there', async () => {
    const target = path.join(dir, 'acme.sqlite');
    await buildSingleOrganisationDatabase(sqliteUrl(demoFile), sqliteUrl(target), 1);
    await buildSingleOrganisationDatabase(sqliteUrl(demoFile), sqliteUrl(target), 1);
    expect(counts(target)).toEqual(counts(demoFile, 'WHERE $col = 1'));
  });
});

// DATABASE_URL=mysql://... : the dedicated copy is built from the MySQL demo data (and can live in MySQL too)
describe.skipIf(!mysqlEnabled)(mysqlTitle('prepareDemoData from MySQL'), () => {
  const source = testDatabaseName('parley_demo_src');
  const target = testDatabaseName('parley_demo_initech');
  let root: ReturnType<typeof openMysqlRoot>;
  let sourceUrl: string;
  let targetUrl: string;

  beforeAll(async () => {
    root = openMysqlRoot();
    await assertMysqlReachable(root);
    sourceUrl = await createMysqlDatabase(root, source);
    targetUrl = await createMysqlDatabase(root, target);
    await seedDemo(sourceUrl, { anchor: TEST_NOW });
  }, 120_000);
  afterAll(async () => {
    if (root) {
      await dropMysqlDatabase(root, source);
      await dropMysqlDatabase(root, target);
      await root.destroy();
    }
  });

  it('copies organisation 3 from MySQL into SQLite and into MySQL, values unchanged', async () => {
    const file = path.join(dir, 'initech-from-mysql.sqlite');
    await buildSingleOrganisationDatabase(sourceUrl, sqliteUrl(file), 3);
    await buildSingleOrganisationDatabase(sourceUrl, targetUrl, 3);
    expect(counts(file)).toEqual(counts(demoFile, 'WHERE $col = 3'));
    const q = 'SELECT id, total_amount, created_at FROM orders ORDER BY id';
    const sqlite = new Database(file, { readonly: true });
    const mysql = openDatabase(targetUrl);
    try {
      const expected = new Database(demoFile, { readonly: true });
      const want = expected
        .prepare(`SELECT id, total_amount, created_at FROM orders WHERE organisation_id = 3 ORDER BY id`)
        .all();
      expected.close();
      expect(sqlite.prepare(q).all()).toEqual(want);
      const rows = (await mysql.raw(q)) as [Array<{ id: number; total_amount: string; created_at: string }>];
      expect(rows[0].map((r) => ({ ...r, total_amount: Number(r.total_amount) }))).toEqual(want);
      expect(await tableCounts(mysql)).toEqual(counts(demoFile, 'WHERE $col = 3'));
    } finally {
      sqlite.close();
      await mysql.destroy();
    }
  });

  it('links the dedicated agent and passes `parley check` with DATABASE_URL on MySQL', async () => {
    const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {
      DATABASE_URL: sourceUrl,
      INITECH_DATABASE_URL: sqliteUrl(path.join(dir, 'initech-mysql-demo.sqlite')),
    });
    const prepared = await prepareDemoData(config);
    expect(prepared[0]).toMatchObject({ built: true, linked: false });
    const lines: string[] = [];
    expect(await runCheck(config, undefined, (line) => lines.push(line))).toBe(true);
    // no issue at all: only the summaries, besides the report of what the table prompts were read as
    const reportLine = (line: string) => line.startsWith('  ') || line.includes(': table prompts: ');
    expect(lines.filter((line) => !reportLine(line))).toEqual([
      'demo: ok',
      'acme-sales: ok',
      'globex-support: ok',
      'initech: ok',
    ]);
  });
});
