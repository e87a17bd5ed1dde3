import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onScratchMysql } from '../../test/support/mysql.ts';
import { openDatabase } from './connect.ts';
import { inTransaction, once } from './unit-of-work.ts';

function contract(name: string, makeUrl: () => Promise<string>, cleanup: () => Promise<void>) {
  describe(name, () => {
    let db: Knex;
    beforeAll(async () => {
      db = openDatabase(await makeUrl(), { create: true, writeAheadLog: true });
      await db.schema.createTable('notes', (t) => {
        t.string('id', 36).primary();
        t.string('text', 50).notNullable();
      });
    });
    afterAll(async () => {
      await db?.destroy();
      await cleanup();
    });

    it('commits every write of a unit, reads what it wrote, and reports changed rows', async () => {
      const seen = await inTransaction(db, async (unit) => {
        await unit.write(db('notes').insert({ id: 'a', text: 'one' }));
        await unit.write(db('notes').insert({ id: 'b', text: 'two' }));
        expect(await unit.write(db('notes').where('id', 'b').update({ text: 'deux' }))).toBe(1);
        expect(await unit.write(db('notes').where('id', 'zz').update({ text: 'x' }))).toBe(0);
        return unit.rows<{ id: string; text: string }>(db('notes').select('id', 'text').orderBy('id'));
      });
      expect(seen).toEqual([
        { id: 'a', text: 'one' },
        { id: 'b', text: 'deux' },
      ]);
      const [first] = await once(db, (unit) =>
        unit.rows<{ text: string }>(db('notes').where('id', 'a').first()),
      );
      expect(first?.text).toBe('one');
      expect(await once(db, (unit) => unit.rows(db('notes').where('id', 'none').first()))).toEqual([]);
    });

    it('writes nothing of a unit whose later statement fails', async () => {
      await expect(
        inTransaction(db, async (unit) => {
          await unit.write(db('notes').insert({ id: 'c', text: 'kept only if all succeed' }));
          await unit.write(db('notes').insert({ id: 'c', text: 'the same key again' }));
        }),
      ).rejects.toThrow();
      expect(await db('notes').where('id', 'c')).toEqual([]);
      // the connection is usable afterwards, in and out of knex's own transactions
      await db.transaction((trx) => trx('notes').insert({ id: 'd', text: 'after' }));
      expect(await db('notes').where('id', 'd')).toHaveLength(1);
    });

    it('runs units and knex transactions side by side without mixing their writes', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2
            ? inTransaction(db, async (unit) => {
                await unit.write(db('notes').insert({ id: `u${i}`, text: 'unit' }));
                await unit.write(db('notes').where('id', `u${i}`).update({ text: 'unit done' }));
              })
            : db.transaction(async (trx) => {
                await trx('notes').insert({ id: `k${i}`, text: 'knex' });
              }),
        ),
      );
      const ids = Array.from({ length: 20 }, (_, i) => (i % 2 ? `u${i}` : `k${i}`));
      const rows = await db('notes').whereIn('id', ids);
      expect(rows).toHaveLength(20);
      expect(rows.filter((r) => r.text === 'unit done')).toHaveLength(10);
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-unit-'));
contract(
  'a unit of work (SQLite)',
  async () => `sqlite://${path.join(tmp, 'unit.sqlite')}`,
  async () => fs.rmSync(tmp, { recursive: true, force: true }),
);

onScratchMysql('a unit of work', 'parley_unit', contract);

describe('a unit of work on SQLite, statement by statement', () => {
  it('prepares a first() read with its LIMIT written as the constant, so the prepared statement is kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-unit-'));
    const db = openDatabase(`sqlite://${path.join(dir, 'unit.sqlite')}`, { create: true });
    try {
      await db.schema.createTable('notes', (t) => {
        t.string('id', 36).primary();
        t.string('text', 50);
      });
      await db('notes').insert([
        { id: 'a', text: 'one' },
        { id: 'b', text: 'two' },
      ]);
      const client = db.client as {
        acquireConnection(): Promise<{ prepare(sql: string): unknown }>;
        releaseConnection(c: unknown): Promise<unknown>;
      };
      const conn = await client.acquireConnection();
      const prepared: string[] = [];
      const prepare = conn.prepare.bind(conn);
      conn.prepare = (sql: string) => {
        prepared.push(sql);
        return prepare(sql);
      };
      await client.releaseConnection(conn);
      const query = db('notes').where('id', '>', 'a').orderBy('id').first();
      const read = () => once(db, (unit) => unit.rows<{ text: string }>(query));
      expect(await read()).toEqual([{ id: 'b', text: 'two' }]);
      expect(await read()).toEqual([{ id: 'b', text: 'two' }]);
      // SQLite prepares a statement whose LIMIT is a parameter again on every run
      expect(prepared).toEqual(['select * from `notes` where `id` > ? order by `id` asc limit 1']);
      // the caller's builder is left as it was
      expect(query.toSQL().sql).toMatch(/limit \?$/);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
