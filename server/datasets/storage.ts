// Where dataset bytes live. Bytes are stored per *version* (a fresh id for every upload) and never change once
// stored; the metadata row in parley_dataset_files names the current version. Replacing a file therefore is:
// store the new version, flip the row's version in one transaction, delete the old version. A reader that
// follows the row gets one complete version, old or new, never a mix.
//
// Two drivers:
// - DatabaseDatasetStorage (default, zero configuration): chunks of at most 512 KB in parley_dataset_blobs of the
//   store database, so every instance sharing one MySQL store sees the same files and no single statement comes
//   near MySQL's max_allowed_packet.
// - FilesystemDatasetStorage: one file per version under a directory, written to a temp file, fsynced, renamed.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.ts';
import { MAX_CHUNK_BYTES } from './settings.ts';

export interface StoredVersion {
  versionId: string;
  createdAt: Date;
}

export interface DatasetStorage {
  readonly driver: 'database' | 'filesystem';
  /** Stores the bytes of a new version; durable once it resolves. When it fails, nothing of the version remains. */
  put(versionId: string, bytes: Buffer): Promise<void>;
  /** A version's complete bytes, or undefined when it is not (or no longer, or not completely) stored. */
  get(versionId: string): Promise<Buffer | undefined>;
  /** Deletes a version; no error when it is missing. */
  delete(versionId: string): Promise<void>;
  /** Every stored version and when it was written, for the orphan sweep. */
  versions(): Promise<StoredVersion[]>;
  /** Removes leftovers of interrupted writes older than the time (temp files); returns how many. */
  cleanPartial?(olderThan: Date): Promise<number>;
}

const VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkVersionId(versionId: string): void {
  // version ids are made by the service (randomUUID); never a path or a name from a request
  if (!VERSION_ID.test(versionId)) throw new Error('invalid dataset version id');
}

export const BLOBS_TABLE = 'parley_dataset_blobs';

interface BlobRow {
  version_id: string;
  seq: number;
  data: Buffer;
  created_at: string;
}

export interface DatabaseStorageOptions {
  chunkBytes: number;
  clock?: () => Date;
  /** test hook: runs before each chunk is written (a throw simulates a failure mid-upload) */
  beforeChunk?: (seq: number) => void | Promise<void>;
}

export class DatabaseDatasetStorage implements DatasetStorage {
  readonly driver = 'database';
  private readonly chunkBytes: number;
  /** bytes of chunks written per transaction */
  private readonly batchBytes: number;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Knex,
    private readonly options: DatabaseStorageOptions,
  ) {
    if (
      !Number.isSafeInteger(options.chunkBytes) ||
      options.chunkBytes <= 0 ||
      options.chunkBytes > MAX_CHUNK_BYTES
    ) {
      throw new Error(`chunkBytes must be between 1 and ${MAX_CHUNK_BYTES}`);
    }
    this.chunkBytes = options.chunkBytes;
    this.clock = options.clock ?? (() => new Date());
    // a SQLite store writes on the server's own thread: a quarter of a megabyte per transaction holds it 1-3 ms
    // (a megabyte held it 5-10, and 20-30 when the write-ahead log was copied back), so /healthz and other users'
    // answers wait less while a file is stored; MySQL's writes wait on the network, not on this thread
    this.batchBytes = dialectOf(db) === 'sqlite' ? 256 * 1024 : 1024 * 1024;
  }

  async put(versionId: string, bytes: Buffer): Promise<void> {
    checkVersionId(versionId);
    const createdAt = this.clock().toISOString();
    const count = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    try {
      // a megabyte of chunks per transaction on MySQL (a quarter on SQLite, see batchBytes), never the whole file: a
      // 10 MB transaction of BLOBs can exceed InnoDB's redo-log share, and a SQLite store writes (and syncs)
      // synchronously, so between batches the event loop is yielded to other users; fewer, larger commits also mean
      // fewer disk syncs competing with theirs.
      // A crash part-way leaves rows that no file references, which sweepOrphans removes.
      const perBatch = Math.max(1, Math.floor(this.batchBytes / this.chunkBytes));
      for (let first = 0; first < count; first += perBatch) {
        if (first > 0) await new Promise((resolve) => setImmediate(resolve));
        await this.db.transaction(async (trx) => {
          for (let seq = first; seq < Math.min(count, first + perBatch); seq += 1) {
            await this.options.beforeChunk?.(seq);
            const data = bytes.subarray(seq * this.chunkBytes, (seq + 1) * this.chunkBytes);
            await trx(BLOBS_TABLE).insert({ version_id: versionId, seq, data, created_at: createdAt });
          }
        });
      }
    } catch (err) {
      await this.delete(versionId).catch(() => undefined);
      throw err;
    }
  }

  async get(versionId: string): Promise<Buffer | undefined> {
    checkVersionId(versionId);
    // one statement: a consistent snapshot of the version's chunks
    const rows = await this.db<BlobRow>(BLOBS_TABLE)
      .where('version_id', versionId)
      .orderBy('seq', 'asc')
      .select('seq', 'data');
    if (rows.length === 0) return undefined;
    for (let i = 0; i < rows.length; i += 1) if (Number(rows[i]?.seq) !== i) return undefined;
    return Buffer.concat(rows.map((r) => Buffer.from(r.data)));
  }

  async delete(versionId: string): Promise<void> {
    checkVersionId(versionId);
    // a few chunks per statement, last chunks first, yielding between statements: one DELETE of a 10 MB version
    // holds a SQLite store's event loop for its whole length (a half-deleted version is incomplete, never read)
    const last = (await this.db(BLOBS_TABLE).where('version_id', versionId).max({ n: 'seq' }).first()) as
      | { n: number | string | null }
      | undefined;
    const top = last?.n === null || last?.n === undefined ? -1 : Number(last.n);
    const step = Math.max(1, Math.floor((1024 * 1024) / this.chunkBytes));
    for (let from = top - step + 1; from > -step; from -= step) {
      await this.db(BLOBS_TABLE)
        .where('version_id', versionId)
        .andWhere('seq', '>=', Math.max(0, from))
        .delete();
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // anything left (a concurrent writer of the same version cannot exist: ids are fresh; belt and braces)
    await this.db(BLOBS_TABLE).where('version_id', versionId).delete();
  }

  async versions(): Promise<StoredVersion[]> {
    const rows = (await this.db(BLOBS_TABLE)
      .select('version_id')
      .min({ created_at: 'created_at' })
      .groupBy('version_id')) as Array<{ version_id: string; created_at: string }>;
    return rows.map((r) => ({ versionId: r.version_id, createdAt: new Date(r.created_at) }));
  }
}

export interface FilesystemStorageOptions {
  /** test hook: runs after the temp file is written, before the rename (a throw simulates a failure) */
  beforeRename?: (versionId: string) => void | Promise<void>;
}

export class FilesystemDatasetStorage implements DatasetStorage {
  readonly driver = 'filesystem';
  readonly dir: string;

  constructor(
    dir: string,
    private readonly options: FilesystemStorageOptions = {},
  ) {
    this.dir = path.resolve(dir);
  }

  private file(versionId: string): string {
    checkVersionId(versionId);
    return path.join(this.dir, 'blobs', versionId.slice(0, 2), `${versionId}.bin`);
  }

  private get tmpDir(): string {
    return path.join(this.dir, 'tmp');
  }

  async put(versionId: string, bytes: Buffer): Promise<void> {
    const final = this.file(versionId);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `${versionId}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: fs.FileHandle | undefined;
    let renamed = false;
    try {
      handle = await fs.open(tmp, 'wx', 0o600);
      await handle.writeFile(bytes);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await this.options.beforeRename?.(versionId);
      await fs.rename(tmp, final);
      renamed = true;
      await syncDir(path.dirname(final));
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      if (renamed) await fs.rm(final, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async get(versionId: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file(versionId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(versionId: string): Promise<void> {
    await fs.rm(this.file(versionId), { force: true });
  }

  async versions(): Promise<StoredVersion[]> {
    const out: StoredVersion[] = [];
    const root = path.join(this.dir, 'blobs');
    let shards: string[];
    try {
      shards = await fs.readdir(root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const shard of shards) {
      const names = await fs.readdir(path.join(root, shard)).catch(() => [] as string[]);
      for (const name of names) {
        const versionId = name.replace(/\.bin$/, '');
        if (!name.endsWith('.bin') || !VERSION_ID.test(versionId)) continue;
        const stat = await fs.stat(path.join(root, shard, name)).catch(() => undefined);
        if (stat) out.push({ versionId, createdAt: stat.mtime });
      }
    }
    return out;
  }

  async cleanPartial(olderThan: Date): Promise<number> {
    const names = await fs.readdir(this.tmpDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.tmp')) continue;
      const file = path.join(this.tmpDir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && stat.mtime < olderThan) {
        await fs.rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}

async function syncDir(dir: string): Promise<void> {
  // makes the rename durable; some platforms cannot open directories, which is fine there
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // not supported here
  } finally {
    await handle.close();
  }
}
