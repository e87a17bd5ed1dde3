// Dataset settings: limits, quotas, storage driver and query cache, with defaults. A `datasets:` config section
// maps onto DatasetSettingsInput; everything is optional there.
// Same role as limits/settings.ts: each room resolves its config section, with defaults, in settings.ts.

export interface DatasetQuota {
  /** most files in one scope */
  files: number;
  /** most bytes (sum of file sizes) in one scope */
  bytes: number;
}

export type DatasetStorageSettings =
  /** file bytes in the store database (parley_dataset_blobs, in chunks): zero configuration, shared by instances */
  | { driver: 'database' }
  /** file bytes in a directory (shared storage when several instances run); metadata stays in the store database */
  | { driver: 'filesystem'; dir: string };

export interface DatasetSettings {
  /** the first segment of logical paths: /{workspaceId}/{agentId}/... */
  workspaceId: string;
  /** largest upload, bytes (413 above) */
  maxFileBytes: number;
  /** most columns in a file (422 above) */
  maxColumns: number;
  /**
   * most data rows in a file (422 above). The default is above what any file within maxFileBytes can hold (a row
   * takes at least 2 bytes), so rows are bounded by the file size alone unless an operator sets a lower cap.
   */
  maxRows: number;
  /** largest cell, UTF-8 bytes (422 above) */
  maxCellBytes: number;
  /** per user: uploads started per minute (429 with Retry-After above) */
  uploadsPerMinute: number;
  /** per user: uploads being read at the same time (429 with Retry-After above) */
  concurrentUploads: number;
  /** the worker threads that read files and build their tables */
  workers: {
    /** most threads (default: cores - 1, at least 1, at most 4) */
    maxThreads?: number;
    /** most uploads waiting for a thread (503 busy above) */
    maxQueue: number;
  };
  /** longest notes text, characters (400 above) */
  maxNotesLength: number;
  quotas: {
    /** a user's own files (the user scope) */
    user: DatasetQuota;
    /** the files shared in one context scope, e.g. organisationId:7 */
    context: DatasetQuota;
  };
  /** most distinct context scopes holding files, per agent */
  maxContextScopesPerAgent: number;
  /**
   * The userContext keys that end users (widget, with datasets:context:write) may share files to. Absent = every
   * integer or string field the agent declares. Set it when an agent declares fields that are wider than a tenant
   * (e.g. `region`), so that an end user cannot share a file beyond their organisation.
   */
  widgetContextKeys?: string[];
  storage: DatasetStorageSettings;
  /** chunk size of the database driver, bytes (at most 512 KB so MySQL's max_allowed_packet is never hit) */
  chunkBytes: number;
  /** stored bytes that no metadata row references are deleted by sweepOrphans once older than this */
  orphanGraceMs: number;
  cache: {
    /** where materialised SQLite files go; a private folder is made inside it (default: the OS temp dir) */
    dir?: string;
    /** LRU eviction once the cached files exceed this many bytes */
    maxBytes: number;
  };
}

export type DatasetSettingsInput = Partial<Omit<DatasetSettings, 'quotas' | 'cache' | 'workers'>> & {
  quotas?: { user?: Partial<DatasetQuota>; context?: Partial<DatasetQuota> };
  cache?: Partial<DatasetSettings['cache']>;
  workers?: Partial<DatasetSettings['workers']>;
};

const MB = 1024 * 1024;
export const MAX_CHUNK_BYTES = 512 * 1024;

const DEFAULTS: DatasetSettings = {
  workspaceId: 'default',
  maxFileBytes: 10 * MB,
  maxColumns: 200,
  maxRows: 10_000_000,
  maxCellBytes: 32 * 1024,
  uploadsPerMinute: 20,
  concurrentUploads: 2,
  workers: { maxQueue: 64 },
  maxNotesLength: 2000,
  quotas: { user: { files: 50, bytes: 100 * MB }, context: { files: 50, bytes: 100 * MB } },
  maxContextScopesPerAgent: 1000,
  storage: { driver: 'database' },
  chunkBytes: 256 * 1024,
  orphanGraceMs: 60 * 60 * 1000,
  cache: { maxBytes: 512 * MB },
};
export const DEFAULT_DATASET_SETTINGS: Readonly<DatasetSettings> = Object.freeze(DEFAULTS);

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`datasets.${name} must be a positive integer`);
  return value;
}

/** Defaults filled in and checked; throws a plain Error naming the bad setting (a startup problem). */
export function resolveDatasetSettings(input: DatasetSettingsInput = {}): DatasetSettings {
  const d = DEFAULT_DATASET_SETTINGS;
  const s: DatasetSettings = {
    workspaceId: input.workspaceId ?? d.workspaceId,
    maxFileBytes: input.maxFileBytes ?? d.maxFileBytes,
    maxColumns: input.maxColumns ?? d.maxColumns,
    maxRows: input.maxRows ?? d.maxRows,
    maxCellBytes: input.maxCellBytes ?? d.maxCellBytes,
    uploadsPerMinute: input.uploadsPerMinute ?? d.uploadsPerMinute,
    concurrentUploads: input.concurrentUploads ?? d.concurrentUploads,
    workers: { ...d.workers, ...input.workers },
    maxNotesLength: input.maxNotesLength ?? d.maxNotesLength,
    quotas: {
      user: { ...d.quotas.user, ...input.quotas?.user },
      context: { ...d.quotas.context, ...input.quotas?.context },
    },
    maxContextScopesPerAgent: input.maxContextScopesPerAgent ?? d.maxContextScopesPerAgent,
    widgetContextKeys: input.widgetContextKeys,
    storage: input.storage ?? d.storage,
    chunkBytes: input.chunkBytes ?? d.chunkBytes,
    orphanGraceMs: input.orphanGraceMs ?? d.orphanGraceMs,
    cache: { ...d.cache, ...input.cache },
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s.workspaceId)) {
    throw new Error(
      'datasets.workspaceId must be 1-64 letters, digits, _ and - (starting with a letter or digit)',
    );
  }
  positiveInt('maxFileBytes', s.maxFileBytes);
  positiveInt('maxColumns', s.maxColumns);
  // SQLite's column limit is 2000 and every dataset table has its hidden row key
  if (s.maxColumns > 1999)
    throw new Error('datasets.maxColumns must be at most 1999 (SQLite holds 2000 columns)');
  positiveInt('maxRows', s.maxRows);
  positiveInt('maxCellBytes', s.maxCellBytes);
  positiveInt('maxNotesLength', s.maxNotesLength);
  positiveInt('uploadsPerMinute', s.uploadsPerMinute);
  positiveInt('concurrentUploads', s.concurrentUploads);
  positiveInt('workers.maxQueue', s.workers.maxQueue);
  if (s.workers.maxThreads !== undefined) positiveInt('workers.maxThreads', s.workers.maxThreads);
  if (s.maxNotesLength > 4096)
    throw new Error('datasets.maxNotesLength must be at most 4096 (the multipart field limit)');
  positiveInt('quotas.user.files', s.quotas.user.files);
  positiveInt('quotas.user.bytes', s.quotas.user.bytes);
  positiveInt('quotas.context.files', s.quotas.context.files);
  positiveInt('quotas.context.bytes', s.quotas.context.bytes);
  positiveInt('maxContextScopesPerAgent', s.maxContextScopesPerAgent);
  positiveInt('chunkBytes', s.chunkBytes);
  if (s.chunkBytes > MAX_CHUNK_BYTES)
    throw new Error(`datasets.chunkBytes must be at most ${MAX_CHUNK_BYTES}`);
  if (!Number.isSafeInteger(s.orphanGraceMs) || s.orphanGraceMs < 0) {
    throw new Error('datasets.orphanGraceMs must be a non-negative integer');
  }
  positiveInt('cache.maxBytes', s.cache.maxBytes);
  if (s.storage.driver === 'filesystem' && (typeof s.storage.dir !== 'string' || s.storage.dir === '')) {
    throw new Error('datasets.storage.dir is required by the filesystem driver');
  }
  if (s.storage.driver !== 'database' && s.storage.driver !== 'filesystem') {
    throw new Error('datasets.storage.driver must be "database" or "filesystem"');
  }
  return s;
}
