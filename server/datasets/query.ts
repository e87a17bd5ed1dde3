// The query side of datasets: every dataset a user can see becomes one queryable table of a semantic model, and
// its rows are materialised as SQLite so compileQueryPlan (dialect 'sqlite') and createQueryRunner can run plans
// over them, alone or together.
//
// Cache layout (DatasetQueryCache): two levels of SQLite files in a private cache folder.
// - one file per dataset version (`d-<hash>.sqlite`, table `data`), parsed from the stored bytes once;
// - one file per combination of datasets a user sees (`c-<hash>.sqlite`), its tables named by datasetTableName,
//   copied from the dataset files with ATTACH (cheap: no parsing). The query runner opens this one file, so plans
//   need no ATTACH and the read-only SQLite worker of server/query/execute.ts runs them unchanged.
// Keys are dataset id + version (+ time zone), so a replaced file is never served stale. Files are evicted least
// recently used once the folder exceeds maxBytes; a file in use (leased by runnerFor) is never evicted.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SemanticModel, Table } from '../config/schema.ts';
import { type AgentModel, type CompiledQuery, compileQueryPlan } from '../query/compile.ts';
import { createQueryRunner, type QueryResult, type QueryRunner } from '../query/execute.ts';
import { datasetTableName, uniqueIdentifier, words } from './names.ts';
import { type ParsedColumn, type ParseLimits, parseDataset, sqlValue } from './parse.ts';
import type { DatasetColumnInfo, DatasetRecord, VisibleDataset } from './types.ts';

export { datasetTableName } from './names.ts';
export type { DatasetColumnInfo, DatasetRecord, DatasetScope, VisibleDataset } from './types.ts';

/** The hidden primary key column of every dataset table (row number, from 1). */
export const DATASET_ROW_KEY = '_row';

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

function columnSynonyms(column: DatasetColumnInfo): string[] {
  const out = new Set<string>();
  if (column.header !== column.name) out.add(column.header);
  const spoken = words(column.header).join(' ');
  if (spoken !== '' && spoken !== column.name && spoken !== column.header) out.add(spoken);
  return [...out];
}

function scopeLabel(d: DatasetRecord): string {
  return d.scope.kind === 'user' ? 'the user’s own' : `a shared (${d.scope.contextKey})`;
}

function tableFor(d: VisibleDataset): Table {
  const columns: Table['columns'] = Object.fromEntries(
    d.columns.map((c) => [
      c.name,
      {
        type: c.modelType,
        description: `"${c.header}" in ${d.name}`,
        synonyms: columnSynonyms(c),
        ...(c.values !== undefined && c.modelType === 'string' ? { values: [...c.values] } : {}),
      },
    ]),
  );
  const timeColumn = d.columns.find((c) => c.type === 'date')?.name;
  const labelColumn = d.columns.find((c) => c.type === 'string')?.name;
  const stem = words(d.name.replace(/\.(csv|json)$/i, '')).join(' ');
  const notes = d.notes.trim().slice(0, 500);
  return {
    access: 'queryable',
    prompt: `Rows of ${scopeLabel(d)} uploaded file "${d.name}" (${d.rowCount} rows).${notes ? ` Notes: ${notes}` : ''}`,
    synonyms: [...new Set([stem, d.name].filter((s) => s !== '' && s !== d.table))],
    primaryKey: DATASET_ROW_KEY,
    ...(labelColumn !== undefined ? { labelColumn } : {}),
    ...(timeColumn !== undefined ? { timeColumn } : {}),
    // access is enforced by the dataset's scope (only the files this user may see are in the model)
    contextFilters: [],
    columns,
    computed: {},
    relations: {},
    measures: {},
    segments: {},
  };
}

/**
 * One queryable table per dataset (named by `table`), columns typed as inferred (number -> number, date ->
 * date or datetime, boolean -> boolean, string -> string), synonyms from the header words, timeColumn = the first
 * date column, labelColumn = the first string column, no context filters.
 */
export function datasetModel(datasets: readonly VisibleDataset[]): SemanticModel {
  return { tables: Object.fromEntries(datasets.map((d) => [d.table, tableFor(d)])) };
}

/** The agent the compiler takes for a dataset-only plan: not multi-tenant, no userContext. */
export function datasetAgentModel(
  datasets: readonly VisibleDataset[],
  options: { id?: string; timeZone?: string } = {},
): AgentModel {
  return {
    id: options.id ?? 'datasets',
    multiTenant: false,
    timeZone: options.timeZone ?? 'UTC',
    userContext: {},
    model: datasetModel(datasets),
  };
}

// ---- the cache -----------------------------------------------------------------------------------

/** A dataset's stored version is gone (replaced or deleted since it was listed): list again and retry. */
export class DatasetChangedError extends Error {
  override name = 'DatasetChangedError';
  readonly code = 'dataset_changed';
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
  /** a private folder is made inside it; default the OS temp dir */
  dir?: string;
  /** default 512 MB */
  maxBytes?: number;
  /** statement time limit of the runners, ms (default 15 s) */
  statementTimeoutMs?: number;
}

interface Entry {
  key: string;
  file: string;
  size: number;
  lastUsed: number;
  leases: number;
  runner?: QueryRunner;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40);

function sqlType(column: Pick<ParsedColumn, 'type'>): string {
  switch (column.type) {
    case 'number':
      return 'REAL';
    case 'boolean':
      return 'INTEGER';
    case 'date':
    case 'string':
      return 'TEXT';
    default:
      throw new Error(`unknown column type ${column.type satisfies never}`);
  }
}

const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

function tableDdl(table: string, columns: readonly DatasetColumnInfo[]): string {
  const defs = [
    `${quote(DATASET_ROW_KEY)} INTEGER PRIMARY KEY`,
    ...columns.map((c) => `${quote(c.name)} ${sqlType(c)}`),
  ];
  return `CREATE TABLE ${quote(table)} (${defs.join(', ')})`;
}

export class DatasetQueryCache {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<Entry>>();
  private tick = 0;
  private closed = false;
  /** counters, for tests and metrics */
  readonly stats = { parses: 0, combinations: 0, evictions: 0 };

  constructor(private readonly options: DatasetQueryCacheOptions) {
    const parent = options.dir ?? os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(parent, 'parley-datasets-'));
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
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

  /**
   * A lease on one SQLite file holding every given dataset as its `table`. Parses a dataset version only when it
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
    const timeZone = options.timeZone ?? 'UTC';
    const parts = datasets.map((d) => ({
      dataset: d,
      key: `d-${sha(JSON.stringify([d.id, d.version, timeZone]))}`,
    }));
    const comboKey = `c-${sha(JSON.stringify(parts.map((p) => [p.dataset.table, p.key]).sort()))}`;
    const entry = await this.acquire(comboKey, async (file) => {
      const leased: Entry[] = [];
      try {
        for (const p of parts)
          leased.push(await this.acquire(p.key, (f) => this.buildDataset(f, p.dataset, timeZone)));
        this.buildCombination(
          file,
          parts.map((p, i) => ({ dataset: p.dataset, file: (leased[i] as Entry).file })),
        );
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
      entry.runner ??= createQueryRunner(`sqlite://${entry.file}`, {
        statementTimeoutMs: this.options.statementTimeoutMs,
      });
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
  private async acquire(key: string, build: (file: string) => Promise<void> | void): Promise<Entry> {
    for (;;) {
      const cached = this.entries.get(key);
      if (cached) {
        cached.leases += 1;
        cached.lastUsed = ++this.tick;
        return cached;
      }
      let pending = this.building.get(key);
      if (!pending) {
        pending = this.create(key, build);
        this.building.set(key, pending);
        const settle = (): void => {
          this.building.delete(key);
        };
        pending.then(settle, settle);
      }
      const built = await pending;
      // taken while the entry is certainly present (acquire's lease), or loop when it was evicted meanwhile
      if (this.entries.get(key) === built) {
        built.leases += 1;
        built.lastUsed = ++this.tick;
        this.evict();
        return built;
      }
    }
  }

  private async create(key: string, build: (file: string) => Promise<void> | void): Promise<Entry> {
    const file = path.join(this.dir, `${key}.sqlite`);
    const tmp = path.join(this.dir, `${key}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await build(tmp);
      fs.renameSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const entry: Entry = { key, file, size: fs.statSync(file).size, lastUsed: ++this.tick, leases: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  private release(entry: Entry): void {
    entry.leases = Math.max(0, entry.leases - 1);
    entry.lastUsed = ++this.tick;
    this.evict();
  }

  private evict(): void {
    let total = this.size;
    if (total <= this.maxBytes) return;
    const candidates = [...this.entries.values()]
      .filter((e) => e.leases === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of candidates) {
      if (total <= this.maxBytes) break;
      this.entries.delete(e.key);
      total -= e.size;
      this.stats.evictions += 1;
      const runner = e.runner;
      e.runner = undefined;
      void (runner ? runner.close() : Promise.resolve()).finally(() => fs.rmSync(e.file, { force: true }));
    }
  }

  private async buildDataset(file: string, dataset: VisibleDataset, timeZone: string): Promise<void> {
    const bytes = await this.options.load(dataset);
    // the stored column list decides the table; cells are matched by position (the parser is deterministic)
    const parsed = parseDataset(bytes.toString('utf8'), dataset.format, this.options.limits);
    this.stats.parses += 1;
    const columns = dataset.columns;
    const db = new Database(file);
    try {
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec(tableDdl('data', columns));
      const insert = db.prepare(`INSERT INTO "data" VALUES (${['?', ...columns.map(() => '?')].join(', ')})`);
      const typed: ParsedColumn[] = columns.map((c) => ({
        name: c.name,
        header: c.header,
        type: c.type,
        dateKind: c.modelType === 'date' ? 'date' : c.modelType === 'datetime' ? 'datetime' : undefined,
      }));
      db.transaction(() => {
        parsed.rows.forEach((row, r) => {
          insert.run(r + 1, ...typed.map((c, i) => sqlValue(row[i] ?? null, c, timeZone)));
        });
      })();
    } finally {
      db.close();
    }
  }

  private buildCombination(file: string, parts: Array<{ dataset: VisibleDataset; file: string }>): void {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      for (const part of parts) {
        db.prepare('ATTACH DATABASE ? AS src').run(part.file);
        try {
          db.exec(tableDdl(part.dataset.table, part.dataset.columns));
          db.exec(`INSERT INTO main.${quote(part.dataset.table)} SELECT * FROM src."data"`);
        } finally {
          db.exec('DETACH DATABASE src');
        }
      }
      this.stats.combinations += 1;
    } finally {
      db.close();
    }
  }

  /** Closes every runner and deletes the cache folder. */
  async close(): Promise<void> {
    this.closed = true;
    const runners = [...this.entries.values()].flatMap((e) => (e.runner ? [e.runner] : []));
    this.entries.clear();
    await Promise.all(runners.map((r) => r.close().catch(() => undefined)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
