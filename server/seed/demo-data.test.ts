import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatSummary, parseScale, registerSeedCommand } from '../cli/seed.ts';
import { parseAnchor } from '../cli/seed-anchor.ts';
import { openDatabase } from '../db/connect.ts';
import {
  DEMO_ORGANISATIONS,
  type DemoRows,
  generateDemoData,
  type SeedSummary,
  seedDemoData,
} from './demo-data.ts';

const ANCHOR = new Date('2026-11-25T12:00:00Z');
const ANCHOR_TEXT = '2026-11-25 12:00:00';
const START_TEXT = '2024-01-01 00:00:00';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const MYSQL_URL =
  process.env.PARLEY_TEST_MYSQL_URL ??
  (process.env.CI === 'true' ? 'mysql://root@127.0.0.1:3306/test' : undefined);
const MYSQL_TEST_DATABASE = 'parley_seed_test';

let tmpDir: string;
let sqlite: Knex;
let summary: SeedSummary;
let rows1: DemoRows;

beforeAll(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-seed-'));
  sqlite = openDatabase(`sqlite://${path.join(tmpDir, 'demo.sqlite')}`, { create: true });
  summary = await seedDemoData(sqlite, { anchor: ANCHOR });
  rows1 = generateDemoData({ anchor: ANCHOR });
});

afterAll(async () => {
  await sqlite?.destroy();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

async function all<T = Record<string, unknown>>(db: Knex, sql: string, bindings: Knex.RawBinding[] = []) {
  const result = await db.raw(sql, bindings);
  // better-sqlite3 returns the rows; mysql2 returns [rows, fields]
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

describe('generateDemoData', () => {
  it('is deterministic for a given anchor and scale', () => {
    const again = generateDemoData({ anchor: new Date(ANCHOR.getTime()) });
    expect(again).toEqual(rows1);
  });

  it('changes with the anchor', () => {
    const other = generateDemoData({ anchor: new Date('2026-10-01T08:30:00Z') });
    expect(other.orders.length).toBe(rows1.orders.length);
    expect(other.orders.map((o) => o.created_at)).not.toEqual(rows1.orders.map((o) => o.created_at));
    expect(other.orders.at(-1)!.created_at <= '2026-10-01 08:30:00').toBe(true);
  });

  it('scale 2 doubles users, orders and (roughly) items but not products', () => {
    const rows2 = generateDemoData({ anchor: ANCHOR, scale: 2 });
    for (const org of DEMO_ORGANISATIONS) {
      const count = (list: Array<{ organisation_id: number }>) =>
        list.filter((r) => r.organisation_id === org.id).length;
      expect(count(rows2.orders)).toBe(2 * count(rows1.orders));
      expect(count(rows2.users)).toBe(2 * count(rows1.users));
      expect(count(rows2.products)).toBe(count(rows1.products));
      const itemRatio = count(rows2.orderItems) / count(rows1.orderItems);
      expect(itemRatio).toBeGreaterThan(1.85);
      expect(itemRatio).toBeLessThan(2.15);
    }
  });

  it('rejects an anchor before 2024-01-02 and a bad scale', () => {
    expect(() => generateDemoData({ anchor: new Date('2024-01-01T12:00:00Z') })).toThrow(/after/);
    expect(() => generateDemoData({ anchor: new Date('nope') })).toThrow(/valid/);
    expect(() => generateDemoData({ anchor: ANCHOR, scale: 0 })).toThrow(/positive integer/);
    expect(() => generateDemoData({ anchor: ANCHOR, scale: 1.5 })).toThrow(/positive integer/);
  });

  it('works with the shortest allowed span', () => {
    const rows = generateDemoData({ anchor: new Date('2024-01-02T00:00:01Z') });
    expect(rows.orders.length).toBe(rows1.orders.length);
    for (const o of rows.orders)
      expect(o.created_at >= START_TEXT && o.created_at <= '2024-01-02 00:00:01').toBe(true);
    const signup = new Map(rows.users.map((u) => [u.id, u.created_at]));
    for (const o of rows.orders) expect(signup.get(o.user_id)! < o.created_at).toBe(true);
  });
});

describe('seedDemoData into SQLite', () => {
  it('returns a per-organisation summary matching the tables', async () => {
    expect(summary.anchor).toBe('2026-11-25T12:00:00Z');
    expect(summary.scale).toBe(1);
    expect(summary.organisations.map((o) => [o.id, o.name])).toEqual([
      [1, 'Acme Corp'],
      [2, 'Globex'],
      [3, 'Initech'],
    ]);
    const counts = await all<{ organisation_id: number; n: number }>(
      sqlite,
      'select organisation_id, count(*) as n from orders group by organisation_id order by organisation_id',
    );
    expect(counts.map((c) => c.n)).toEqual(summary.organisations.map((o) => o.orders));
    const items = await all<{ n: number }>(sqlite, 'select count(*) as n from order_items');
    expect(items[0]!.n).toBe(summary.organisations.reduce((n, o) => n + o.orderItems, 0));
  });

  it('has organisations of clearly different sizes', async () => {
    const counts = await all<{ organisation_id: number; n: number }>(
      sqlite,
      'select organisation_id, count(*) as n from orders group by organisation_id order by n desc',
    );
    expect(counts.length).toBeGreaterThanOrEqual(3);
    expect(counts[0]!.organisation_id).toBe(1);
    expect(counts[0]!.n).toBeGreaterThanOrEqual(15_000);
    expect(counts.at(-1)!.organisation_id).toBe(3);
    expect(counts.at(-1)!.n).toBeLessThanOrEqual(1000);
    for (let i = 1; i < counts.length; i++) expect(counts[i - 1]!.n).toBeGreaterThan(2 * counts[i]!.n);
  });

  it('has enough categories and countries', async () => {
    const [cats] = await all<{ n: number }>(sqlite, 'select count(distinct category) as n from products');
    const [countries] = await all<{ n: number }>(sqlite, 'select count(distinct country) as n from users');
    expect(cats!.n).toBeGreaterThanOrEqual(6);
    expect(countries!.n).toBeGreaterThanOrEqual(8);
  });

  it('never shares product names or emails between organisations', async () => {
    const names = await all(
      sqlite,
      'select name from products group by name having count(distinct organisation_id) > 1',
    );
    const emails = await all(sqlite, 'select email from users group by email having count(*) > 1');
    expect(names).toEqual([]);
    expect(emails).toEqual([]);
    const domains = await all<{ organisation_id: number; domain: string }>(
      sqlite,
      "select distinct organisation_id, substr(email, instr(email, '@') + 1) as domain from users",
    );
    expect(domains).toHaveLength(3);
    expect(new Set(domains.map((d) => d.domain)).size).toBe(3);
  });

  it('keeps total_amount equal to the sum of the items', async () => {
    const mismatches = await all(
      sqlite,
      `select o.id, o.total_amount, s.total from orders o
       left join (select order_id, sum(quantity * unit_price) as total from order_items group by order_id) s
         on s.order_id = o.id
       where s.total is null or round(o.total_amount, 2) <> round(s.total, 2)`,
    );
    expect(mismatches).toEqual([]);
    const notCents = await all(
      sqlite,
      `select id from order_items where abs(unit_price * 100 - round(unit_price * 100)) > 1e-6
       union all select id from orders where abs(total_amount * 100 - round(total_amount * 100)) > 1e-6
       union all select id from products where abs(price * 100 - round(price * 100)) > 1e-6 or price <= 0`,
    );
    expect(notCents).toEqual([]);
  });

  it("keeps last_order_at equal to the user's latest order, NULL for users who never ordered", async () => {
    const wrong = await all(
      sqlite,
      `select u.id from users u left join (select user_id, max(created_at) as latest from orders group by user_id) o
         on o.user_id = u.id
       where u.last_order_at is not o.latest`,
    );
    expect(wrong).toEqual([]);
    const [never] = await all<{ n: number }>(
      sqlite,
      'select count(*) as n from users where last_order_at is null',
    );
    expect(never!.n).toBeGreaterThan(0);
    const late = await all(
      sqlite,
      'select o.id from orders o join users u on u.id = o.user_id where o.created_at <= u.created_at',
    );
    expect(late).toEqual([]);
  });

  it("gives every child row its parent's organisation_id", async () => {
    const wrong = await all(
      sqlite,
      `select 'order' as kind, o.id from orders o join users u on u.id = o.user_id
         where u.organisation_id <> o.organisation_id
       union all select 'item/order', i.id from order_items i join orders o on o.id = i.order_id
         where o.organisation_id <> i.organisation_id
       union all select 'item/product', i.id from order_items i join products p on p.id = i.product_id
         where p.organisation_id <> i.organisation_id`,
    );
    expect(wrong).toEqual([]);
    const fkProblems = await all(sqlite, 'pragma foreign_key_check');
    expect(fkProblems).toEqual([]);
  });

  it('keeps timestamps as UTC text within [2024-01-01, anchor]', async () => {
    for (const [table, column] of [
      ['users', 'created_at'],
      ['users', 'last_order_at'],
      ['orders', 'created_at'],
    ] as const) {
      const [range] = await all<{ lo: string; hi: string; types: string }>(
        sqlite,
        `select min(${column}) as lo, max(${column}) as hi, group_concat(distinct typeof(${column})) as types
         from ${table} where ${column} is not null`,
      );
      expect(range!.types).toBe('text');
      expect(range!.lo).toMatch(TIMESTAMP);
      expect(range!.hi).toMatch(TIMESTAMP);
      expect(range!.lo >= START_TEXT).toBe(true);
      expect(range!.hi <= ANCHOR_TEXT).toBe(true);
    }
    const [bad] = await all<{ n: number }>(
      sqlite,
      `select count(*) as n from orders
       where created_at not glob '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]'`,
    );
    expect(bad!.n).toBe(0);
  });

  it('has realistic statuses and recent data for every organisation', async () => {
    const statuses = await all<{ status: string; n: number }>(
      sqlite,
      'select status, count(*) as n from orders group by status order by n desc',
    );
    expect(statuses.map((s) => s.status).sort()).toEqual(['cancelled', 'completed', 'pending', 'refunded']);
    expect(statuses[0]!.status).toBe('completed');
    const [oldPending] = await all<{ n: number }>(
      sqlite,
      "select count(*) as n from orders where status = 'pending' and created_at < '2026-09-25 00:00:00'",
    );
    expect(oldPending!.n).toBe(0);
    const recent = await all<{ organisation_id: number; month: number; week: number; yesterday: number }>(
      sqlite,
      `select organisation_id,
         sum(created_at >= '2026-10-25 12:00:00') as month,
         sum(created_at >= '2026-11-18 12:00:00') as week,
         sum(created_at >= '2026-11-24 00:00:00' and created_at < '2026-11-25 00:00:00') as yesterday
       from orders group by organisation_id order by organisation_id`,
    );
    expect(recent).toHaveLength(3);
    for (const r of recent) {
      expect(r.month).toBeGreaterThan(20);
      expect(r.week).toBeGreaterThan(3);
    }
    expect(recent[0]!.yesterday).toBeGreaterThan(10);
  });

  it('creates primary keys, foreign keys and indexes', async () => {
    const fks = (table: string) =>
      all<{ table: string; from: string; to: string }>(sqlite, `pragma foreign_key_list(${table})`);
    const pairs = async (table: string) =>
      (await fks(table)).map((f) => `${f.from}->${f.table}.${f.to}`).sort();
    expect(await pairs('users')).toEqual(['organisation_id->organisations.id']);
    expect(await pairs('products')).toEqual(['organisation_id->organisations.id']);
    expect(await pairs('orders')).toEqual(['organisation_id->organisations.id', 'user_id->users.id']);
    expect(await pairs('order_items')).toEqual([
      'order_id->orders.id',
      'organisation_id->organisations.id',
      'product_id->products.id',
    ]);
    const indexed = async (table: string) => {
      const list = await all<{ name: string }>(sqlite, `pragma index_list(${table})`);
      const columns: string[] = [];
      for (const index of list) {
        const info = await all<{ name: string }>(sqlite, `pragma index_info('${index.name}')`);
        if (info.length === 1) columns.push(info[0]!.name);
      }
      return columns;
    };
    for (const table of ['users', 'products', 'orders', 'order_items']) {
      expect(await indexed(table)).toContain('organisation_id');
    }
    expect(await indexed('orders')).toContain('created_at');
    expect(await indexed('users')).toContain('created_at');
  });
});

describe('parley seed command', () => {
  it('validates --anchor and --scale', () => {
    expect(parseAnchor('2026-11-25T12:00:00Z').toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(parseAnchor('2026-11-25T13:00:00+01:00').toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(parseAnchor('2026-11-25 12:00').toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(parseAnchor(undefined, { PARLEY_NOW: '2025-06-01T00:00:00Z' }).toISOString()).toBe(
      '2025-06-01T00:00:00.000Z',
    );
    expect(Math.abs(parseAnchor(undefined, {}).getTime() - Date.now())).toBeLessThan(5000);
    expect(() => parseAnchor('yesterday')).toThrow(/--anchor "yesterday" is not a valid ISO 8601 time/);
    expect(() => parseAnchor(undefined, { PARLEY_NOW: 'soon' })).toThrow(/PARLEY_NOW "soon"/);
    expect(() => parseAnchor('2024-01-01T23:00:00Z')).toThrow(/must be after 2024-01-02/);
    expect(parseScale('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', '21', 'two', '']) expect(() => parseScale(bad)).toThrow(/--scale/);
  });

  it('seeds, prints a summary and can run again on the same file', async () => {
    const file = path.join(tmpDir, 'cli', 'cli.sqlite');
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const anchor of ['2024-03-01T00:00:00Z', '2024-06-01T00:00:00Z']) {
        const program = new Command('parley').exitOverride();
        registerSeedCommand(program);
        await program.parseAsync(['seed', '--database', `sqlite://${file}`, '--anchor', anchor], {
          from: 'user',
        });
      }
    } finally {
      write.mockRestore();
      err.mockRestore();
    }
    const text = out.join('');
    expect(text).toMatch(/anchor 2024-06-01T00:00:00Z, scale 1/);
    expect(text).toMatch(/Acme Corp/);
    const db = openDatabase(`sqlite://${file}`);
    try {
      const [latest] = await all<{ hi: string; n: number }>(
        db,
        'select max(created_at) as hi, count(*) as n from orders',
      );
      expect(latest!.hi <= '2024-06-01 00:00:00').toBe(true);
      expect(latest!.hi > '2024-03-01 00:00:00').toBe(true);
      expect(latest!.n).toBe(rows1.orders.length);
    } finally {
      await db.destroy();
    }
  });

  it('needs a database URL', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const program = new Command('parley').exitOverride();
      registerSeedCommand(program);
      await expect(program.parseAsync(['seed'], { from: 'user' })).rejects.toThrow(
        /--database URL or set DATABASE_URL/,
      );
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it('formats the summary as a table', () => {
    const text = formatSummary(summary);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toMatch(/^\s*id\s+organisation\s+users\s+products\s+orders\s+order_items$/m);
  });
});

/** sha256 over a table's rows in id order, with money as 2-decimal strings so REAL and DECIMAL compare. */
async function checksum(db: Knex, table: string, columns: string[], money: string[] = []): Promise<string> {
  const rows = await all<Record<string, unknown>>(
    db,
    `select ${columns.join(', ')} from ${table} order by id`,
  );
  const hash = createHash('sha256');
  for (const row of rows) {
    hash.update(
      columns
        .map((c) =>
          row[c] === null ? '\\N' : money.includes(c) ? Number(row[c]).toFixed(2) : String(row[c]),
        )
        .join('|'),
    );
    hash.update('\n');
  }
  return hash.digest('hex');
}

describe('seedDemoData into MySQL/MariaDB', () => {
  it.skipIf(!MYSQL_URL)(
    'holds the same data as SQLite (requires MySQL: set PARLEY_TEST_MYSQL_URL)',
    async () => {
      const admin = openDatabase(MYSQL_URL!);
      let mysql: Knex | undefined;
      try {
        await admin.raw(`create database if not exists ${MYSQL_TEST_DATABASE}`);
        const url = new URL(MYSQL_URL!.replace(/^mariadb:/, 'mysql:'));
        url.pathname = `/${MYSQL_TEST_DATABASE}`;
        mysql = openDatabase(url.toString());
        const started = performance.now();
        const mysqlSummary = await seedDemoData(mysql, { anchor: ANCHOR });
        const seconds = (performance.now() - started) / 1000;
        expect(seconds).toBeLessThan(60);
        expect(mysqlSummary).toEqual(summary);

        const aggregates = (db: Knex) =>
          all<{ organisation_id: number; n: number; total: number | string }>(
            db,
            `select organisation_id, count(*) as n, sum(total_amount) as total
             from orders group by organisation_id order by organisation_id`,
          ).then((list) =>
            list.map((r) => [Number(r.organisation_id), Number(r.n), Number(r.total).toFixed(2)]),
          );
        expect(await aggregates(mysql)).toEqual(await aggregates(sqlite));

        const tables: Array<[string, string[], string[]?]> = [
          ['organisations', ['id', 'name']],
          ['users', ['id', 'organisation_id', 'name', 'email', 'country', 'created_at', 'last_order_at']],
          ['products', ['id', 'organisation_id', 'name', 'category', 'price'], ['price']],
          [
            'orders',
            ['id', 'organisation_id', 'user_id', 'status', 'total_amount', 'created_at'],
            ['total_amount'],
          ],
          [
            'order_items',
            ['id', 'organisation_id', 'order_id', 'product_id', 'quantity', 'unit_price'],
            ['unit_price'],
          ],
        ];
        for (const [table, columns, money] of tables) {
          expect(await checksum(mysql, table, columns, money), table).toBe(
            await checksum(sqlite, table, columns, money),
          );
        }

        // DECIMAL makes the money invariant exact in MySQL
        const [mismatch] = await all<{ n: number }>(
          mysql,
          `select count(*) as n from orders o
           where o.total_amount <> (select sum(i.quantity * i.unit_price) from order_items i where i.order_id = o.id)`,
        );
        expect(Number(mismatch!.n)).toBe(0);
        const types = await all<{ TABLE_NAME: string; COLUMN_NAME: string; DATA_TYPE: string }>(
          mysql,
          `select TABLE_NAME, COLUMN_NAME, DATA_TYPE from information_schema.COLUMNS
           where TABLE_SCHEMA = ? and COLUMN_NAME in ('total_amount', 'unit_price', 'price', 'created_at', 'status')
`,
          [MYSQL_TEST_DATABASE],
        );
        expect(types.map((t) => `${t.TABLE_NAME}.${t.COLUMN_NAME}:${t.DATA_TYPE}`).sort()).toEqual([
          'order_items.unit_price:decimal',
          'orders.created_at:datetime',
          'orders.status:varchar',
          'orders.total_amount:decimal',
          'products.price:decimal',
          'users.created_at:datetime',
        ]);
        const [fks] = await all<{ n: number }>(
          mysql,
          'select count(*) as n from information_schema.REFERENTIAL_CONSTRAINTS where CONSTRAINT_SCHEMA = ?',
          [MYSQL_TEST_DATABASE],
        );
        expect(Number(fks!.n)).toBe(7);
      } finally {
        await mysql?.destroy();
        await admin.raw(`drop database if exists ${MYSQL_TEST_DATABASE}`).catch(() => {});
        await admin.destroy();
      }
    },
    120_000,
  );
});
