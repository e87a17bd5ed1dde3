// The query side of datasets: every dataset a user can see becomes one queryable table of a semantic model, and
// its rows are materialised as SQLite so compileQueryPlan (dialect 'sqlite') and createQueryRunner can run plans
// over them, alone or together.
//
// Cache layout (DatasetQueryCache): two levels of SQLite files in a private cache folder.
// - one file per dataset version (`d-<hash>.sqlite`, its table named by datasetTableName), built at upload by the worker pool and adopted
//   here; rebuilt from the stored bytes (with the column types stored at upload, so nothing is inferred again) only
//   when this instance never had it or evicted it;
// - one file per combination of datasets a user sees (`c-<hash>.sqlite`), its tables named by datasetTableName,
//   copied from the dataset files with ATTACH in a worker (no parsing); a user who sees one file queries its own
//   file, no copy. The query runner opens this one file, so
//   plans need no ATTACH and the read-only SQLite worker of server/query/execute.ts runs them unchanged.
// Keys are dataset version (+ time zone), so a replaced file is never served stale. A superseded version (replaced
// or deleted here, or seen replaced in a listing from another instance) is retired: its files and query runners
// go as soon as no lease holds them, so replace-and-ask cycles leak no threads. Runners idle for a while are
// closed (their files stay). Files are evicted least recently used once the folder exceeds maxBytes; a file in use
// (leased by runnerFor) is never evicted.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SemanticModel } from '../config/schema.ts';
import { ParleyError } from '../errors.ts';
import type { AgentModel, CompiledQuery } from '../query/compile.ts';
import {
  createQueryRunner,
  openSpareSqliteThread,
  prestartSqliteThread,
  type QueryResult,
  type QueryRunner,
} from '../query/execute.ts';
import { datasetModel } from './dataset-model.ts';
import { datasetTableName, uniqueIdentifier } from './names.ts';
import type { ParseLimits } from './parse.ts';
import type { DatasetWorkers } from './pool.ts';
import type { DatasetRecord, VisibleDataset } from './types.ts';

export { datasetAgentModel, datasetModel, rowsCalled } from './dataset-model.ts';
export { DATASET_ROW_KEY, datasetTableName } from './names.ts';
export type { DatasetColumnInfo, DatasetRecord, DatasetScope, VisibleDataset } from './types.ts';

/**
 * Table names for datasets seen together: datasetTableName of each filename, with `_2`, `_3`, ... on collisions
 * (in the given order) and around the `reserved` names (e.g. the agent's own tables).
 */
export function assignDatasetTables<T extends { name: string }>(
  datasets: readonly T[],
  reserved: Iterable<string> = [],
): Array<T & { table: string }> {
  const used = new Set<string>();
  for (const name of reserved) used.add(name.toLowerCase());
  return datasets.map((d) => ({ ...d, table: uniqueIdentifier(datasetTableName(d.name), used) }));
}

// ---- the cache -----------------------------------------------------------------------------------

/** A dataset's stored version is gone (replaced or deleted since it was listed): list again and retry. */
export class DatasetChangedError extends ParleyError {
  override name = 'DatasetChangedError';
  /** retried by the dataset service; past its retries, the server's failure */
  constructor(message: string) {
    super(500, 'dataset_changed', message);
  }
}

/** The bytes of exactly this version of a dataset; throws DatasetChangedError when it is no longer stored. */
export type DatasetLoader = (dataset: VisibleDataset) => Promise<Buffer>;

export interface DatasetRunner {
  /** `sqlite:///...` of the materialised file: for createQueryRunner */
  readonly url: string;
  readonly file: string;
  readonly datasets: readonly VisibleDataset[];
  readonly model: SemanticModel;
  /** the agent for compileQueryPlan over these datasets alone */
  readonly agent: AgentModel;
  /** a read-only runner on the file, shared by every lease of the same combination; the cache closes it */
  runner(): QueryRunner;
  /** compiles a plan against the datasets' model and runs it */
  query(
    plan: unknown,
    options: { now: Date; maxRows?: number },
  ): Promise<{ compiled: CompiledQuery; result: QueryResult }>;
  /** ends the lease: the file may be evicted afterwards; call once, when every query on it is done */
  release(): void;
}

export interface DatasetQueryCacheOptions {
  load: DatasetLoader;
  limits: ParseLimits;
  /** the thread pool that builds and combines tables */
  workers: DatasetWorkers;
  /** a private folder is made inside it; default the OS temp dir */
  dir?: string;
  /** default 512 MB */
  maxBytes?: number;
  /** statement time limit of the runners, ms (default 15 s) */
  statementTimeoutMs?: number;
  /** a query runner unused this long is closed (default 30 s) */
  runnerIdleMs?: number;
  /** most query runners open at once; the least recently used idle ones close first (default 16) */
  maxRunners?: number;
}

interface Entry {
  key: string;
  file: string;
  size: number;
  lastUsed: number;
  leases: number;
  /** the dataset versions in the file, by dataset id */
  members: Map<string, string>;
  /** superseded: removed once no lease holds it */
  retired: boolean;
  runner?: QueryRunner;
  idleTimer?: NodeJS.Timeout;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40);

/** The cache key of one built dataset version in one time zone. */
export function datasetFileKey(version: string, timeZone: string): string {
  return `d-${sha(JSON.stringify([version, timeZone]))}`;
}

// the compiler (knex's query builder, the date resolver) loads with the first question, not at start-up; once
let compilerLoading: Promise<typeof import('../query/compile.ts')> | undefined;
const loadCompiler = () => (compilerLoading ??= import('../query/compile.ts'));

export class DatasetQueryCache {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly runnerIdleMs: number;
  private readonly maxRunners: number;
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<Entry>>();
  private tick = 0;
  private closed = false;
  /** counters, for tests and metrics: rebuilds from stored bytes, files adopted from uploads, combinations built */
  readonly stats = { parses: 0, adopted: 0, combinations: 0, evictions: 0, retired: 0, runnersClosed: 0 };

  constructor(private readonly options: DatasetQueryCacheOptions) {
    const parent = options.dir ?? os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(parent, 'parley-datasets-'));
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
    this.runnerIdleMs = options.runnerIdleMs ?? 30_000;
    this.maxRunners = options.maxRunners ?? 16;
  }

  /** Bytes of the cached files. */
  get size(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.size;
    return total;
  }

  /** Cached file count. */
  get count(): number {
    return this.entries.size;
  }

  /** Query runners open now. */
  get openRunners(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.runner) n += 1;
    return n;
  }

  /** A fresh path in the cache folder for an upload to build its table into (then adopt, or delete it). */
  scratchFile(): string {
    // a question usually follows an upload: its query thread starts while the file is read, not when it is asked
    prestartSqliteThread(this.runnerIdleMs);
    return path.join(this.dir, `u-${randomBytes(8).toString('hex')}.tmp`);
  }

  /**
   * Takes a table built at upload as the cached file of that version, so the first question reads it without
   * parsing anything. The file is moved into place (or deleted when the version is cached already).
   */
  adopt(dataset: Pick<DatasetRecord, 'id' | 'version'>, timeZone: string, builtFile: string): void {
    const key = datasetFileKey(dataset.version, timeZone);
    if (this.closed || this.entries.has(key)) {
      fs.rmSync(builtFile, { force: true });
      return;
    }
    const file = path.join(this.dir, `${key}.sqlite`);
    fs.renameSync(builtFile, file);
    this.entries.set(key, {
      key,
      file,
      size: fs.statSync(file).size,
      lastUsed: ++this.tick,
      leases: 0,
      members: new Map([[dataset.id, dataset.version]]),
      retired: false,
    });
    this.stats.adopted += 1;
    this.evict();
    // the spare query thread started with the upload opens the file now: its first question neither waits for that
    // nor reads the file's pages one by one
    openSpareSqliteThread(file);
  }

  /**
   * Retires every cached file holding a version of this dataset other than `current` (undefined: every version,
   * the file was deleted). Their runners close and files go once no lease holds them.
   */
  retireDataset(id: string, current?: string): void {
    for (const e of [...this.entries.values()]) {
      const version = e.members.get(id);
      if (version === undefined || version === current || e.retired) continue;
      e.retired = true;
      this.stats.retired += 1;
      if (e.leases === 0) this.remove(e);
    }
  }

  /**
   * A lease on one SQLite file holding every given dataset as its `table`. Builds a dataset version only when it
   * is not cached. Throws DatasetChangedError when a version is no longer stored.
   */
  async runnerFor(
    datasets: readonly VisibleDataset[],
    options: { timeZone?: string } = {},
  ): Promise<DatasetRunner> {
    if (this.closed) throw new Error('the dataset cache is closed');
    if (datasets.length === 0) throw new Error('runnerFor needs at least one dataset');
    const tables = new Set<string>();
    for (const d of datasets) {
      if (tables.has(d.table.toLowerCase())) throw new Error(`two datasets share the table name ${d.table}`);
      tables.add(d.table.toLowerCase());
    }
    // a listing newer than the cache (another instance replaced a file): the older versions go
    for (const d of datasets) this.retireDataset(d.id, d.version);
    const timeZone = options.timeZone ?? 'UTC';
    const parts = datasets.map((d) => ({ dataset: d, key: datasetFileKey(d.version, timeZone) }));
    const fileOf = (p: (typeof parts)[number]): Promise<Entry> =>
      this.acquire(p.key, new Map([[p.dataset.id, p.dataset.version]]), (f) =>
        this.rebuild(f, p.dataset, timeZone),
      );
    // one file, under its own table name (the usual case): its built file is queried as it is, no copy
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && only.dataset.table === datasetTableName(only.dataset.name)) {
      return this.lease(await fileOf(only), datasets, timeZone);
    }
    const comboKey = `c-${sha(JSON.stringify(parts.map((p) => [p.dataset.table, p.key]).sort()))}`;
    const members = new Map(datasets.map((d) => [d.id, d.version]));
    const entry = await this.acquire(comboKey, members, async (file) => {
      const leased: Entry[] = [];
      try {
        for (const p of parts) leased.push(await fileOf(p));
        await this.options.workers.combine({
          file,
          parts: parts.map((p, i) => ({
            table: p.dataset.table,
            source: datasetTableName(p.dataset.name),
            columns: p.dataset.columns,
            file: (leased[i] as Entry).file,
          })),
        });
        this.stats.combinations += 1;
      } finally {
        for (const e of leased) this.release(e);
      }
    });
    return this.lease(entry, datasets, timeZone);
  }

  private lease(entry: Entry, datasets: readonly VisibleDataset[], timeZone: string): DatasetRunner {
    const model = datasetModel(datasets);
    const agent: AgentModel = { id: 'datasets', multiTenant: false, timeZone, userContext: {}, model };
    let released = false;
    const runner = (): QueryRunner => {
      if (released) throw new Error('the dataset lease was released');
      if (!entry.runner) {
        entry.runner = createQueryRunner(`sqlite://${entry.file}`, {
          statementTimeoutMs: this.options.statementTimeoutMs,
          poolMax: 1,
        });
        this.capRunners(entry);
      }
      return entry.runner;
    };
    return {
      url: `sqlite://${entry.file}`,
      file: entry.file,
      datasets,
      model,
      agent,
      runner,
      query: async (plan, opts) => {
        const { compileQueryPlan } = await loadCompiler();
        const compiled = compileQueryPlan(
          plan,
          agent,
          {},
          { dialect: 'sqlite', now: opts.now, maxRows: opts.maxRows },
        );
        const result = await runner().run(compiled);
        return { compiled, result };
      },
      release: () => {
        if (released) return;
        released = true;
        this.release(entry);
      },
    };
  }

  /** The entry for a key with a lease taken, building it when missing (once, however many ask at the same time). */
  private async acquire(
    key: string,
    members: Map<string, string>,
    build: (file: string) => Promise<void>,
  ): Promise<Entry> {
    for (;;) {
      const cached = this.entries.get(key);
      if (cached && !cached.retired) {
        this.take(cached);
        return cached;
      }
      let pending = this.building.get(key);
      if (!pending) {
        pending = this.create(key, members, build);
        this.building.set(key, pending);
        const settle = (): void => {
          this.building.delete(key);
        };
        pending.then(settle, settle);
      }
      const built = await pending;
      // taken while the entry is certainly present (acquire's lease), or loop when it was evicted meanwhile
      if (this.entries.get(key) === built && !built.retired) {
        this.take(built);
        this.evict();
        return built;
      }
    }
  }

  private take(entry: Entry): void {
    entry.leases += 1;
    entry.lastUsed = ++this.tick;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  private async create(
    key: string,
    members: Map<string, string>,
    build: (file: string) => Promise<void>,
  ): Promise<Entry> {
    const file = path.join(this.dir, `${key}.sqlite`);
    const tmp = path.join(this.dir, `${key}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await build(tmp);
      fs.renameSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const entry: Entry = {
      key,
      file,
      size: fs.statSync(file).size,
      lastUsed: ++this.tick,
      leases: 0,
      members,
      retired: false,
    };
    this.entries.set(key, entry);
    return entry;
  }

  private release(entry: Entry): void {
    entry.leases = Math.max(0, entry.leases - 1);
    entry.lastUsed = ++this.tick;
    if (entry.leases > 0) return;
    if (entry.retired) {
      this.remove(entry);
      return;
    }
    if (entry.runner && !this.closed) {
      entry.idleTimer = setTimeout(() => {
        entry.idleTimer = undefined;
        if (entry.leases === 0) this.closeRunner(entry);
      }, this.runnerIdleMs);
      entry.idleTimer.unref();
    }
    this.evict();
  }

  private closeRunner(entry: Entry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    const runner = entry.runner;
    entry.runner = undefined;
    if (!runner) return Promise.resolve();
    this.stats.runnersClosed += 1;
    return runner.close().catch(() => undefined);
  }

  /** Closes the least recently used idle runners beyond maxRunners (never `keep`'s, never a leased one). */
  private capRunners(keep: Entry): void {
    const open = [...this.entries.values()].filter((e) => e.runner);
    if (open.length <= this.maxRunners) return;
    const idle = open.filter((e) => e !== keep && e.leases === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of idle.slice(0, open.length - this.maxRunners)) void this.closeRunner(e);
  }

  /** Drops an unleased entry: its runner closes, then its file goes. */
  private remove(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    void this.closeRunner(entry).finally(() => fs.rmSync(entry.file, { force: true }));
  }

  private evict(): void {
    let total = this.size;
    if (total <= this.maxBytes) return;
    const candidates = [...this.entries.values()]
      .filter((e) => e.leases === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of candidates) {
      if (total <= this.maxBytes) break;
      total -= e.size;
      this.stats.evictions += 1;
      this.remove(e);
    }
  }

  /** A version this instance has no file for: built again from its stored bytes, with its stored column types. */
  private async rebuild(file: string, dataset: VisibleDataset, timeZone: string): Promise<void> {
    const bytes = await this.options.load(dataset);
    this.stats.parses += 1;
    await this.options.workers.build({
      bytes,
      format: dataset.format,
      limits: this.options.limits,
      timeZone,
      file,
      table: datasetTableName(dataset.name),
      columns: dataset.columns,
    });
  }

  /** Closes every runner and deletes the cache folder. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => this.closeRunner(e)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
