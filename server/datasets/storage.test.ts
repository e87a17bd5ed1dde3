// The database storage's transactions: a SQLite store writes on the server's own thread, so a file's chunks are
// committed a quarter of a megabyte at a time (the rest of the storage contract is tested in service.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, sqliteUrl } from '../../test/support/demo-db.ts';
import { openDatabase } from '../db/connect.ts';
import { BLOBS_TABLE, DatabaseDatasetStorage } from './storage.ts';

describe('DatabaseDatasetStorage on SQLite', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('commits a file a quarter of a megabyte at a time, and reads it back whole', async () => {
    const dir = makeTempDir('parley-storage');
    const db = openDatabase(sqliteUrl(path.join(dir, 'store.sqlite')), { create: true, writeAheadLog: true });
    close = async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    await db.schema.createTable(BLOBS_TABLE, (t) => {
      t.string('version_id', 36).notNullable();
      t.integer('seq').notNullable();
      t.binary('data').notNullable();
      t.string('created_at', 32).notNullable();
      t.primary(['version_id', 'seq']);
    });
    const commits: number[] = [];
    let chunks = 0;
    db.on('query', (q: { sql: string }) => {
      if (/^insert/i.test(q.sql)) chunks += 1;
      if (/^commit/i.test(q.sql)) {
        commits.push(chunks);
        chunks = 0;
      }
    });
    const storage = new DatabaseDatasetStorage(db, { chunkBytes: 64 * 1024 });
    const bytes = Buffer.alloc(1024 * 1024 + 10, 7);
    await storage.put('00000000-0000-4000-8000-000000000001', bytes);
    expect(commits).toEqual([4, 4, 4, 4, 1]);
    expect((await storage.get('00000000-0000-4000-8000-000000000001'))?.equals(bytes)).toBe(true);
  });
});
