// The worker pool: tables are built off the main thread, refusals cross back as DatasetErrors, a full queue is a
// 503 with Retry-After, and idle threads end.
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/support/demo-db.ts';
import { DatasetError } from './errors.ts';
import { createDatasetWorkers } from './pool.ts';

const LIMITS = { maxColumns: 200, maxRows: 10_000_000, maxCellBytes: 32 * 1024 };
const dir = makeTempDir('parley-pool');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('dataset workers', () => {
  it('build the typed table in a worker thread, and refuse a malformed file with its DatasetError', async () => {
    const workers = createDatasetWorkers({ maxThreads: 1, minThreads: 0, idleTimeoutMs: 200 });
    try {
      const file = path.join(dir, 'a.sqlite');
      const out = await workers.build({
        bytes: Buffer.from('month,target\nQ1 2026,5\nQ2 2026,6\n'),
        format: 'csv',
        limits: LIMITS,
        timeZone: 'UTC',
        file,
      });
      expect(isMainThread).toBe(true);
      expect(out.rowCount).toBe(2);
      expect(out.columns.map((c) => [c.name, c.type, c.grain])).toEqual([
        ['month', 'date', 'quarter'],
        ['target', 'number', undefined],
      ]);
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT month, target FROM data ORDER BY _row').raw().all()).toEqual([
        ['2026-01-01', 5],
        ['2026-04-01', 6],
      ]);
      db.close();
      const refused = await workers
        .build({
          bytes: Buffer.from('a,b\n1\n'),
          format: 'csv',
          limits: LIMITS,
          timeZone: 'UTC',
          file: `${file}2`,
        })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DatasetError);
      expect(refused).toMatchObject({ status: 422, code: 'malformed_file' });
      // the bytes reach the thread in shared memory: a binary file is still named by its signature there, and the
      // caller's buffer is untouched
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.alloc(64),
      ]);
      const binary = await workers
        .build({ bytes: png, format: 'csv', limits: LIMITS, timeZone: 'UTC', file: `${file}3` })
        .catch((e: unknown) => e);
      expect(binary).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      expect(png[0]).toBe(0x89);
      expect(workers.threads).toBe(1);
      // idle threads end (minThreads 0 here), so a quiet server holds none
      await expect.poll(() => workers.threads, { timeout: 5000 }).toBe(0);
    } finally {
      await workers.close();
    }
  });

  it('answer 503 busy with Retry-After when the queue is full', async () => {
    const workers = createDatasetWorkers({ maxThreads: 1, minThreads: 0, maxQueue: 1 });
    try {
      const big = Buffer.from(`n\n${'1\n'.repeat(200_000)}`);
      const runs = Array.from({ length: 4 }, (_, i) =>
        workers
          .build({
            bytes: big,
            format: 'csv',
            limits: LIMITS,
            timeZone: 'UTC',
            file: path.join(dir, `q${i}.sqlite`),
          })
          .then(
            () => 'ok',
            (e: unknown) => e,
          ),
      );
      const outcomes = await Promise.all(runs);
      const busy = outcomes.filter((o) => o instanceof DatasetError);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]).toMatchObject({ status: 503, code: 'busy', retryAfter: 5 });
      expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(0);
    } finally {
      await workers.close();
    }
  });
});
