import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from '../../test/support/mysql.ts';
import { openDatabase } from '../db/connect.ts';
import { MigrationLockError, unlockStoreMigrations } from './migrate.ts';
import { ConversationStore } from './store.ts';

async function leaveCrashedLock(url: string): Promise<void> {
  const db = openDatabase(url);
  await db('parley_migrations_lock').update({ is_locked: 1 });
  await db.destroy();
}

function migrateContract(name: string, makeUrl: (n: number) => Promise<string>) {
  describe(name, () => {
    it('lets instances that start together on a fresh store all start', async () => {
      const url = await makeUrl(1);
      const stores = await Promise.all([1, 2, 3, 4].map(() => ConversationStore.open(url)));
      for (const s of stores) await s.close();
    });

    it('explains a lock a crash left with the Parley command that clears it, and starts after it', async () => {
      const url = await makeUrl(2);
      await (await ConversationStore.open(url)).close();
      await leaveCrashedLock(url);
      const failure = await ConversationStore.open(url, { migrationLockWaitMs: 300 }).then(
        (s) => s.close().then(() => undefined),
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(MigrationLockError);
      expect((failure as Error).message).toContain('parley migrate unlock');
      expect((failure as Error).message).not.toMatch(/knex/);
      const db = openDatabase(url);
      expect(await unlockStoreMigrations(db)).toEqual({ wasLocked: true });
      await db.destroy();
      await (await ConversationStore.open(url)).close();
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-migrate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
migrateContract('store migrations (SQLite)', async (n) => `sqlite://${path.join(tmp, `store-${n}.sqlite`)}`);

describe.skipIf(!mysqlEnabled)(mysqlTitle('store migrations'), () => {
  const root = mysqlEnabled ? openMysqlRoot() : undefined;
  const names: string[] = [];
  const make = async (n: number) => {
    if (!root) throw new Error('MySQL gate is off');
    await assertMysqlReachable(root);
    const name = testDatabaseName('parley_migrate', n);
    names.push(name);
    return createMysqlDatabase(root, name);
  };
  afterAll(async () => {
    if (!root) return;
    for (const name of names) await dropMysqlDatabase(root, name);
    await root.destroy();
  });
  migrateContract('on MySQL', make);

  it('waits for a migrating instance with a bound, and refuses to unlock under it', async () => {
    const url = await make(3);
    await (await ConversationStore.open(url)).close();
    // another instance "migrating": it holds the named lock on a session of its own
    const holder = knex({ client: 'mysql2', connection: url, pool: { min: 1, max: 1 } });
    await holder.raw("SELECT GET_LOCK('parley_store_migrations', 0)");
    try {
      const failure = await ConversationStore.open(url, { migrationLockWaitMs: 1000 }).then(
        (s) => s.close().then(() => undefined),
        (err: unknown) => err,
      );
      expect((failure as Error).message).toMatch(/another Parley instance has been migrating/);
      const db = openDatabase(url);
      await expect(unlockStoreMigrations(db)).rejects.toThrow(/migrating this store right now/);
      await db.destroy();
    } finally {
      await holder.destroy();
    }
    // the holder is gone (its session ended): the next start goes through
    await (await ConversationStore.open(url, { migrationLockWaitMs: 1000 })).close();
  });
});
