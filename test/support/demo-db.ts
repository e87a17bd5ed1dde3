// Temp databases holding the demo data for the query tests: the full multi-tenant database, cross-organisation
// "poison" rows, and single-organisation copies (the rows whose organisation_id is X, and organisation X itself).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { parseConfig } from '../../server/config/load.ts';
import { dialectOf, openDatabase } from '../../server/db/connect.ts';
import type { AgentModel } from '../../server/query/compile.ts';
import type { Scalar } from '../../server/query/plan.ts';
import { DEMO_TABLES, type DemoRows, generateDemoData, seedDemoData } from '../../server/seed/demo-data.ts';

export const DEMO_CONFIG_FILE = fileURLToPath(new URL('../../parley.config.yaml', import.meta.url));
export const DEMO_ORG_IDS = [1, 2, 3] as const;

/** The demo agent as the compiler takes it (`{ ...agent.config, model: agent.model }`), a fresh deep copy each call. */
export function loadDemoAgent(): AgentModel {
  const loaded = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {});
  const agent = loaded.agents.get('demo');
  if (!agent) throw new Error('parley.config.yaml has no "demo" agent');
  return structuredClone({ ...agent.config, model: agent.model });
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export function sqliteUrl(file: string): string {
  return `sqlite://${file}`;
}

export interface SeedSpec {
  anchor: Date;
  scale?: number;
  /**
   * keep only every n-th order (by id) with its items, and the users who still have orders plus every n-th
   * other user: the smallest scale still has ~21k orders, and thousands of random plans must run in seconds
   */
  thin?: number;
}

const keepsOrder = (id: number, thin: number) => id % thin === 0;

/** The rows that `seedDemo` leaves for a spec (the seeder's rows, thinned the same way). */
export function demoRows(spec: SeedSpec): DemoRows {
  const rows = generateDemoData({ anchor: spec.anchor, scale: spec.scale ?? 1 });
  const thin = spec.thin ?? 1;
  if (thin <= 1) return rows;
  const orders = rows.orders.filter((o) => keepsOrder(o.id, thin));
  const buyers = new Set(orders.map((o) => o.user_id));
  return {
    organisations: rows.organisations,
    users: rows.users.filter((u) => buyers.has(u.id) || u.id % thin === 0),
    products: rows.products,
    orders,
    orderItems: rows.orderItems.filter((i) => keepsOrder(i.order_id, thin)),
  };
}

/** Deletes what `demoRows` drops (same predicates; works on SQLite and MySQL, children first). */
async function thinDatabase(db: Knex, thin: number): Promise<void> {
  await db('order_items').whereRaw('order_id % ? <> 0', [thin]).delete();
  await db('orders').whereRaw('id % ? <> 0', [thin]).delete();
  await db('users').whereRaw('id % ? <> 0', [thin]).whereNotIn('id', db('orders').select('user_id')).delete();
}

/** Seeds the demo data into a database URL (SQLite file or MySQL database) and closes the connection. */
export async function seedDemo(
  url: string,
  spec: SeedSpec,
  extra?: (db: Knex) => Promise<void>,
): Promise<void> {
  const db = openDatabase(url, { create: true });
  try {
    await seedDemoData(db, { anchor: spec.anchor, scale: spec.scale ?? 1 });
    if ((spec.thin ?? 1) > 1) await thinDatabase(db, spec.thin ?? 1);
    if (extra) await extra(db);
    // without statistics SQLite drives correlated EXISTS subqueries from the organisation_id index and a
    // users -> orders -> order_items filter takes ~20 s instead of ~5 ms (see the report); MariaDB does the same
    // with a correlated count of related rows (>20 s instead of 80 ms) until InnoDB's background statistics arrive
    await analyze(db);
  } finally {
    await db.destroy();
  }
}

/** Fresh statistics for the demo tables (after bulk inserts and deletes). */
async function analyze(db: Knex, schema?: string): Promise<void> {
  if (dialectOf(db) === 'sqlite') {
    await db.raw('ANALYZE');
    return;
  }
  const tables = DEMO_TABLES.map((t) => (schema ? `${schema}.${t}` : t));
  await db.raw(`ANALYZE TABLE ${tables.map(() => '??').join(', ')}`, tables);
}

/** Deterministic tiny PRNG (mulberry32) so the poison rows are the same in every dialect and run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PoisonRows {
  orders: Array<Record<string, Scalar>>;
  orderItems: Array<Record<string, Scalar>>;
}

/**
 * Rows of one organisation that point at another organisation's rows (corrupt or hostile data): orders of A placed
 * by a user of B, items of A on orders of B, items of A for products of B. A correct compiler scopes every join
 * and subquery, so these references must resolve to nothing, exactly as in A's single-organisation copy where the
 * other organisation's rows do not exist.
 */
export function crossOrgRows(rows: DemoRows): PoisonRows {
  const rand = prng(0x150_1a7e);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const byOrg = <T extends { organisation_id: number }>(list: readonly T[], org: number) =>
    list.filter((r) => r.organisation_id === org);
  let orderId = Math.max(...rows.orders.map((o) => o.id));
  let itemId = Math.max(...rows.orderItems.map((i) => i.id));
  const orders: Array<Record<string, Scalar>> = [];
  const orderItems: Array<Record<string, Scalar>> = [];
  const statuses = ['pending', 'completed', 'cancelled', 'refunded'];
  for (const a of [1, 2, 3]) {
    for (const b of [1, 2, 3]) {
      if (a === b) continue;
      const usersB = byOrg(rows.users, b);
      const ordersA = byOrg(rows.orders, a);
      const ordersB = byOrg(rows.orders, b);
      const productsA = byOrg(rows.products, a);
      const productsB = byOrg(rows.products, b);
      const newOrders: number[] = [];
      for (let i = 0; i < 4; i++) {
        const template = pick(ordersB);
        orderId += 1;
        newOrders.push(orderId);
        orders.push({
          id: orderId,
          organisation_id: a,
          user_id: pick(usersB).id,
          status: i === 0 ? 'completed' : pick(statuses),
          total_amount: Math.round(rand() * 100_000) / 100,
          created_at: template.created_at,
        });
      }
      const item = (order: number, product: number) => {
        itemId += 1;
        orderItems.push({
          id: itemId,
          organisation_id: a,
          order_id: order,
          product_id: product,
          quantity: 1 + Math.floor(rand() * 5),
          unit_price: Math.round(rand() * 50_000) / 100,
        });
      };
      for (let i = 0; i < 3; i++) item(pick(ordersB).id, pick(rand() < 0.5 ? productsA : productsB).id);
      for (let i = 0; i < 3; i++) item(pick(ordersA).id, pick(productsB).id);
      for (const o of newOrders) item(o, pick(rand() < 0.5 ? productsA : productsB).id);
    }
  }
  return { orders, orderItems };
}

/** Inserts the cross-organisation rows (works on SQLite and MySQL). */
export async function insertCrossOrgRows(db: Knex, poison: PoisonRows): Promise<void> {
  await db('orders').insert(poison.orders);
  await db('order_items').insert(poison.orderItems);
}

/** A copy of a seeded SQLite file that keeps only the rows of organisation(s) `orgs` (same schema, same ids). */
export function copySqliteForOrg(source: string, target: string, orgs: number | readonly number[]): void {
  const keep = Array.isArray(orgs) ? orgs : [orgs];
  fs.copyFileSync(source, target);
  const db = new Database(target);
  try {
    db.pragma('foreign_keys = OFF');
    db.transaction(() => {
      for (const table of [...DEMO_TABLES].reverse()) {
        const column = table === 'organisations' ? 'id' : 'organisation_id';
        const list = keep.map(Number).join(', ');
        db.prepare(`DELETE FROM ${table} WHERE ${column} NOT IN (${keep.length > 0 ? list : 'NULL'})`).run();
      }
    })();
    db.exec('VACUUM');
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
}

/** Creates the demo tables in `target` (like `source`) holding only organisation `org`'s rows. */
export async function copyMysqlForOrg(
  root: Knex,
  source: string,
  target: string,
  org: number,
): Promise<void> {
  for (const table of DEMO_TABLES) {
    const column = table === 'organisations' ? 'id' : 'organisation_id';
    await root.raw('CREATE TABLE ??.?? LIKE ??.??', [target, table, source, table]);
    await root.raw('INSERT INTO ??.?? SELECT * FROM ??.?? WHERE ?? = ?', [
      target,
      table,
      source,
      table,
      column,
      org,
    ]);
  }
  await analyze(root, target);
}

/** Row counts per table, for sanity checks of the copies. */
export async function tableCounts(db: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of DEMO_TABLES) {
    const row = (await db(table).count({ n: '*' }).first()) as { n: number | string } | undefined;
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

/** Lower-case ASCII without accents: text on which SQLite (BINARY) and MySQL's default collation agree. */
export function foldText(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const TEXT_COLUMNS: Array<[string, string]> = [
  ['organisations', 'name'],
  ['users', 'name'],
  ['users', 'email'],
  ['users', 'country'],
  ['products', 'name'],
  ['products', 'category'],
  ['orders', 'status'],
];

/** `rows` with every text value folded like `foldTextColumns` does in a database. */
export function foldDemoRows(rows: DemoRows): DemoRows {
  return {
    organisations: rows.organisations.map((o) => ({ ...o, name: foldText(o.name) })),
    users: rows.users.map((u) => ({
      ...u,
      name: foldText(u.name),
      email: foldText(u.email),
      country: foldText(u.country),
    })),
    products: rows.products.map((p) => ({ ...p, name: foldText(p.name), category: foldText(p.category) })),
    orders: rows.orders,
    orderItems: rows.orderItems,
  };
}

/**
 * Folds every text value of the demo tables (see foldText), so that comparisons and ORDER BY on text mean the
 * same in both dialects; the random dialect property runs on such data (the collation difference itself is
 * documented by focused tests on the real data).
 */
export async function foldTextColumns(db: Knex): Promise<void> {
  for (const [table, column] of TEXT_COLUMNS) {
    const values = (await db(table).distinct(column)).map((r: Record<string, string>) => r[column] as string);
    // (under MySQL's collation `= 'Léa …'` also finds 'Lea …', which folds to the same text)
    for (const v of values) {
      if (foldText(v) !== v)
        await db(table)
          .where(column, v)
          .update({ [column]: foldText(v) });
    }
  }
}

export type ValuePools = Record<string, Scalar[]>;

/** `YYYY-MM-DD HH:MM:SS` -> `YYYY-MM-DDTHH:MM:SS` (what the compiler accepts as an ISO date-time). */
function isoLocal(ts: string): string {
  return ts.replace(' ', 'T');
}

/**
 * Real values of every organisation, per `table.column`, for filters: a plan naming another organisation's
 * product, email or id must still see nothing of that organisation. Deterministic (every k-th row per org).
 */
export function demoValuePools(rows: DemoRows, perOrg = 25): ValuePools {
  const pools: Record<string, Set<Scalar>> = {};
  const add = (ref: string, v: Scalar | null) => {
    if (v === null) return;
    pools[ref] ??= new Set();
    pools[ref].add(v);
  };
  const sample = <T extends { organisation_id: number }>(list: readonly T[], fn: (r: T) => void) => {
    for (const org of DEMO_ORG_IDS) {
      const mine = list.filter((r) => r.organisation_id === org);
      const step = Math.max(1, Math.floor(mine.length / perOrg));
      for (let i = 0; i < mine.length; i += step) fn(mine[i] as T);
      if (mine.length > 0) fn(mine[mine.length - 1] as T);
    }
  };
  for (const o of rows.organisations) {
    add('organisations.id', o.id);
    add('organisations.name', o.name);
  }
  sample(rows.users, (u) => {
    add('users.id', u.id);
    add('users.name', u.name);
    add('users.email', u.email);
    add('users.country', u.country);
    add('users.created_at', isoLocal(u.created_at));
    add('users.last_order_at', u.last_order_at === null ? null : isoLocal(u.last_order_at));
  });
  sample(rows.products, (p) => {
    add('products.id', p.id);
    add('products.name', p.name);
    add('products.category', p.category);
    add('products.price', p.price);
  });
  sample(rows.orders, (o) => {
    add('orders.id', o.id);
    add('orders.status', o.status);
    add('orders.total_amount', o.total_amount);
    add('orders.created_at', isoLocal(o.created_at));
    add('orders.created_at', o.created_at.slice(0, 10));
  });
  sample(rows.orderItems, (i) => {
    add('order_items.id', i.id);
    add('order_items.quantity', i.quantity);
    add('order_items.unit_price', i.unit_price);
    add('order_items.line_total', Math.round(i.quantity * i.unit_price * 100) / 100);
  });
  for (const s of ['pending', 'completed', 'cancelled', 'refunded']) add('orders.status', s);
  return Object.fromEntries(Object.entries(pools).map(([k, v]) => [k, [...v]]));
}
