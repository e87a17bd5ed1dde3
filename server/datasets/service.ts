// The dataset service: upload (check, parse, store, flip), list, delete and read files of a scope, the datasets a
// user can see, quotas, the orphan sweep and the query cache. Metadata lives in the store database
// (parley_dataset_files); bytes live in a DatasetStorage by version (see storage.ts).

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { USER_IDENTIFIER, USER_IDENTIFIER_RULE } from '../auth/claims.ts';
import type { Owner } from '../auth/owner.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { UserContextType } from '../config/schema.ts';
import { once } from '../db/unit-of-work.ts';
import { UserContextError, validateUserContext } from '../semantic/user-context.ts';
import { DatasetError } from './errors.ts';
import { checkFilename, type DatasetFormat, datasetTableName } from './names.ts';
import type { ParseLimits } from './parse.ts';
import { type DatasetWorkers, sharedDatasetWorkers } from './pool.ts';
import { assignDatasetTables, DatasetChangedError, DatasetQueryCache, type DatasetRunner } from './query.ts';
import { type DatasetSettings, type DatasetSettingsInput, resolveDatasetSettings } from './settings.ts';
import { DatabaseDatasetStorage, type DatasetStorage, FilesystemDatasetStorage } from './storage.ts';
import type {
  DatasetColumnInfo,
  DatasetRecord,
  DatasetScope,
  DatasetTenant,
  VisibleDataset,
} from './types.ts';
import { UploadLimiter } from './upload-limits.ts';

export const FILES_TABLE = 'parley_dataset_files';

export interface DatasetAgentInfo {
  userContext: Record<string, UserContextType>;
  /** default true: a user's files then belong to the user within their tenant */
  multiTenant?: boolean;
  timeZone?: string;
  /** the agent's own table names: dataset tables are named around them (e.g. orders.csv -> orders_2) */
  tables?: readonly string[];
}

export type DatasetAgentLookup = (agentId: string) => DatasetAgentInfo | undefined;

/** The agents of a loaded config, as the dataset service looks them up. */
export function datasetAgentsFromConfig(config: Pick<LoadedConfig, 'agents'>): DatasetAgentLookup {
  return (agentId) => {
    const agent = config.agents.get(agentId);
    return agent
      ? {
          userContext: agent.config.userContext,
          multiTenant: agent.config.multiTenant,
          timeZone: agent.config.timeZone,
          tables: Object.keys(agent.model.tables),
        }
      : undefined;
  };
}

export interface DatasetServiceOptions {
  /** the store database (ConversationStore.db), migrated (002_datasets) */
  db: Knex;
  agents: DatasetAgentLookup;
  settings?: DatasetSettingsInput | DatasetSettings;
  /** default: by settings.storage (the database driver unless configured otherwise) */
  storage?: DatasetStorage;
  /** the threads that read uploads and build tables; default: this process's pool for settings.workers */
  workers?: DatasetWorkers;
  clock?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** test hooks */
  hooks?: {
    /** after the bytes are stored, before the metadata flips (a throw simulates a failure there) */
    afterPut?: (versionId: string) => void | Promise<void>;
  };
}

export interface UploadInput {
  filename: unknown;
  bytes: Buffer;
  notes?: unknown;
}

export interface UploadResult {
  record: DatasetRecord;
  /** true when a file of the same name was replaced */
  replaced: boolean;
}

interface FileRow {
  id: string;
  workspace_id: string;
  agent_id: string;
  scope_kind: 'user' | 'context';
  scope_key: string;
  scope_value: string;
  scope_hash: string;
  scope_tenant: string | null;
  name: string;
  format: DatasetFormat;
  version: string;
  size: number | string;
  sha256: string;
  notes: string;
  meta: string;
  created_at: string;
  updated_at: string;
}

interface Meta {
  rowCount: number;
  columns: DatasetColumnInfo[];
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'ER_LOCK_DEADLOCK' ||
    code === 'ER_LOCK_WAIT_TIMEOUT' ||
    code.startsWith('SQLITE_CONSTRAINT') ||
    code === 'SQLITE_BUSY'
  );
}

const SCALAR_CONTEXT: ReadonlySet<UserContextType> = new Set(['integer', 'string']);

export class DatasetService {
  readonly settings: DatasetSettings;
  readonly storage: DatasetStorage;
  readonly workers: DatasetWorkers;
  /** per-user upload rate and concurrency; the HTTP routes admit each upload before reading its body */
  readonly uploads: UploadLimiter;
  private readonly db: Knex;
  private readonly agents: DatasetAgentLookup;
  private readonly clock: () => Date;
  private readonly logger?: Pick<Logger, 'info' | 'warn'>;
  private readonly hooks: NonNullable<DatasetServiceOptions['hooks']>;
  private readonly mysql: boolean;
  private cache?: DatasetQueryCache;
  private maintenance?: NodeJS.Timeout;

  constructor(options: DatasetServiceOptions) {
    this.settings = resolveDatasetSettings(options.settings);
    this.db = options.db;
    this.agents = options.agents;
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger;
    this.hooks = options.hooks ?? {};
    const client = (this.db.client as { config: { client: string } }).config.client;
    this.mysql = client === 'mysql2' || client === 'mysql';
    this.storage =
      options.storage ??
      (this.settings.storage.driver === 'filesystem'
        ? new FilesystemDatasetStorage(this.settings.storage.dir)
        : new DatabaseDatasetStorage(this.db, { chunkBytes: this.settings.chunkBytes, clock: this.clock }));
    this.workers = options.workers ?? sharedDatasetWorkers(this.settings.workers);
    this.uploads = new UploadLimiter({
      perMinute: this.settings.uploadsPerMinute,
      concurrent: this.settings.concurrentUploads,
    });
  }

  get limits(): ParseLimits {
    return {
      maxColumns: this.settings.maxColumns,
      maxRows: this.settings.maxRows,
      maxCellBytes: this.settings.maxCellBytes,
    };
  }

  // ---- agents and scopes --------------------------------------------------------------------------

  /** The agent, or 404 unknown_agent. */
  agent(agentId: string): DatasetAgentInfo {
    const agent = this.agents(agentId);
    if (!agent) throw new DatasetError(404, 'unknown_agent', 'no such agent');
    return agent;
  }

  /**
   * The scope of one user's own files, named by the host backend: in a multi-tenant agent the userContext says
   * which tenant the user is in (400 tenant_required without it, 400 invalid_user_context when it does not fit
   * the agent's declaration). 400 invalid_scope for a malformed userIdentifier.
   */
  userScope(agentId: string, userIdentifier: string, userContext?: unknown): DatasetScope {
    if (!USER_IDENTIFIER.test(userIdentifier))
      throw new DatasetError(400, 'invalid_scope', USER_IDENTIFIER_RULE);
    const agent = this.agent(agentId);
    if (agent.multiTenant === false) return { kind: 'user', userIdentifier };
    if (userContext === undefined) {
      throw new DatasetError(
        400,
        'tenant_required',
        `a user's files belong to their tenant in agent ${agentId}: give the user's userContext ` +
          `(fields: ${Object.keys(agent.userContext).join(', ')}) as JSON in the userContext query parameter`,
      );
    }
    let checked: Owner['userContext'];
    try {
      checked = validateUserContext(agent.userContext, userContext);
    } catch (err) {
      if (err instanceof UserContextError) throw new DatasetError(400, 'invalid_user_context', err.message);
      throw err;
    }
    return { kind: 'user', userIdentifier, tenant: this.tenantOf(agent, checked) };
  }

  /** The scope of a verified user's own files (widget, answers): their identifier within their tenant. */
  ownerScope(owner: Owner): DatasetScope {
    const agent = this.agent(owner.agentId);
    if (agent.multiTenant === false) return { kind: 'user', userIdentifier: owner.userIdentifier };
    return {
      kind: 'user',
      userIdentifier: owner.userIdentifier,
      tenant: this.tenantOf(agent, owner.userContext),
    };
  }

  /** The integer and string fields of a (validated) userContext, in declaration order. */
  private tenantOf(agent: DatasetAgentInfo, userContext: Owner['userContext']): DatasetTenant {
    const tenant: Record<string, number | string> = {};
    for (const [key, type] of Object.entries(agent.userContext)) {
      const value = Object.hasOwn(userContext, key) ? userContext[key] : undefined;
      if (SCALAR_CONTEXT.has(type) && (typeof value === 'number' || typeof value === 'string'))
        tenant[key] = value;
    }
    return tenant;
  }

  private contextType(agentId: string, contextKey: string): 'integer' | 'string' {
    const declared = this.agent(agentId).userContext;
    const type = Object.hasOwn(declared, contextKey) ? declared[contextKey] : undefined;
    if (type === undefined) {
      throw new DatasetError(
        400,
        'invalid_scope',
        `${safeText(contextKey)} is not a userContext field of this agent`,
      );
    }
    if (!SCALAR_CONTEXT.has(type)) {
      throw new DatasetError(
        400,
        'invalid_scope',
        `${contextKey} is a ${type} field; only integer and string fields can scope datasets`,
      );
    }
    return type as 'integer' | 'string';
  }

  /** A context scope from path text (host API): the key must be declared, the value parses by its declared type. */
  contextScope(agentId: string, contextKey: string, contextValue: string): DatasetScope {
    const type = this.contextType(agentId, contextKey);
    if (type === 'integer') {
      const n = /^-?\d{1,16}$/.test(contextValue) ? Number(contextValue) : Number.NaN;
      if (!Number.isSafeInteger(n))
        throw new DatasetError(400, 'invalid_scope', `${contextKey} must be an integer`);
      return { kind: 'context', contextKey, contextValue: n };
    }
    if (contextValue.length === 0 || contextValue.length > 256) {
      throw new DatasetError(400, 'invalid_scope', `${contextKey} must be 1-256 characters`);
    }
    return { kind: 'context', contextKey, contextValue };
  }

  /**
   * The context scope an end user shares to with `contextKey` (widget): the value is the user's own, from the
   * verified token. 400 when the key is not one end users may share to (settings.widgetContextKeys).
   */
  contextScopeFor(owner: Owner, contextKey: string): DatasetScope {
    this.contextType(owner.agentId, contextKey);
    if (!this.widgetContextKeys(owner.agentId).includes(contextKey)) {
      throw new DatasetError(400, 'invalid_scope', `files cannot be shared by ${contextKey}`);
    }
    const value = owner.userContext[contextKey];
    if (typeof value !== 'number' && typeof value !== 'string') {
      throw new DatasetError(400, 'invalid_scope', `the session has no ${contextKey}`);
    }
    return { kind: 'context', contextKey, contextValue: value };
  }

  /** The userContext keys end users of an agent may share files to. */
  widgetContextKeys(agentId: string): string[] {
    const declared = this.agent(agentId).userContext;
    const scalar = Object.keys(declared).filter((k) => SCALAR_CONTEXT.has(declared[k] as UserContextType));
    const allowed = this.settings.widgetContextKeys;
    return allowed === undefined ? scalar : scalar.filter((k) => allowed.includes(k));
  }

  /** The scopes whose files a user sees: their own, and one per integer/string field of their userContext. */
  visibleScopes(owner: Owner): DatasetScope[] {
    const declared = this.agent(owner.agentId).userContext;
    const scopes: DatasetScope[] = [this.ownerScope(owner)];
    for (const [key, type] of Object.entries(declared)) {
      if (!SCALAR_CONTEXT.has(type)) continue;
      const value = Object.hasOwn(owner.userContext, key) ? owner.userContext[key] : undefined;
      if (
        (type === 'integer' && typeof value === 'number') ||
        (type === 'string' && typeof value === 'string')
      ) {
        scopes.push({ kind: 'context', contextKey: key, contextValue: value });
      }
    }
    return scopes;
  }

  private scopeParts(scope: DatasetScope): { kind: 'user' | 'context'; key: string; value: string } {
    return scope.kind === 'user'
      ? { kind: 'user', key: 'userIdentifier', value: scope.userIdentifier }
      : { kind: 'context', key: scope.contextKey, value: String(scope.contextValue) };
  }

  private scopeHash(agentId: string, scope: DatasetScope): string {
    const p = this.scopeParts(scope);
    const parts: unknown[] = [this.settings.workspaceId, agentId, p.kind, p.key, p.value];
    // a user's files in a multi-tenant agent hash with their tenant: the same id in another tenant is another scope
    // (files stored before tenants were part of the scope hash without one and so are visible to no tenant)
    if (scope.kind === 'user' && scope.tenant) parts.push(canonicalTenant(scope.tenant));
    return sha256(JSON.stringify(parts));
  }

  /** Who an upload counts against for rate and concurrency limits: the scope's user (or context) in this agent. */
  uploaderKey(agentId: string, scope: DatasetScope): string {
    return this.scopeHash(agentId, scope);
  }

  /**
   * Admits one upload by `key` (see uploaderKey) or throws 429 rate_limited with Retry-After; the limit is released
   * when the response ends, however it ends.
   */
  async admitUpload(
    key: string,
    res: { once(event: 'close', listener: () => void): unknown },
  ): Promise<void> {
    const release = await this.uploads.admit(key);
    res.once('close', release);
  }

  /** The logical path of a file: /{workspaceId}/{agentId}/userIdentifier/{id}/{name} or .../userContext/{k}:{v}/{name} */
  logicalPath(agentId: string, scope: DatasetScope, name: string): string {
    const where =
      scope.kind === 'user'
        ? `userIdentifier/${scope.userIdentifier}`
        : `userContext/${scope.contextKey}:${String(scope.contextValue)}`;
    return `/${this.settings.workspaceId}/${agentId}/${where}/${name}`;
  }

  // ---- reading metadata ---------------------------------------------------------------------------

  private toRecord(row: FileRow): DatasetRecord {
    const meta = JSON.parse(row.meta) as Meta;
    let scope: DatasetScope;
    if (row.scope_kind === 'user') {
      scope = { kind: 'user', userIdentifier: row.scope_value };
      if (row.scope_tenant) scope.tenant = JSON.parse(row.scope_tenant) as DatasetTenant;
    } else {
      const type = this.agents(row.agent_id)?.userContext[row.scope_key];
      scope = {
        kind: 'context',
        contextKey: row.scope_key,
        contextValue: type === 'integer' ? Number(row.scope_value) : row.scope_value,
      };
    }
    return {
      id: row.id,
      agentId: row.agent_id,
      scope,
      name: row.name,
      path: this.logicalPath(row.agent_id, scope, row.name),
      format: row.format,
      size: Number(row.size),
      sha256: row.sha256,
      version: row.version,
      notes: row.notes,
      rowCount: meta.rowCount,
      columns: meta.columns,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private scopeQuery(
    db: Knex | Knex.Transaction,
    agentId: string,
    scope: DatasetScope,
  ): Knex.QueryBuilder<FileRow> {
    return db<FileRow>(FILES_TABLE).where({
      scope_hash: this.scopeHash(agentId, scope),
      workspace_id: this.settings.workspaceId,
      agent_id: agentId,
    });
  }

  /** The files of one scope, by name. */
  async list(agentId: string, scope: DatasetScope): Promise<DatasetRecord[]> {
    this.agent(agentId);
    const rows: FileRow[] = await this.scopeQuery(this.db, agentId, scope).orderBy('name', 'asc');
    return rows.map((r) => this.toRecord(r));
  }

  async get(agentId: string, scope: DatasetScope, name: string): Promise<DatasetRecord | undefined> {
    this.agent(agentId);
    const row: FileRow | undefined = await this.scopeQuery(this.db, agentId, scope)
      .andWhere('name', name)
      .first();
    return row ? this.toRecord(row) : undefined;
  }

  /** A file's metadata and the complete bytes of that same version (never a mix of two uploads). */
  async read(
    agentId: string,
    scope: DatasetScope,
    name: string,
  ): Promise<{ record: DatasetRecord; bytes: Buffer } | undefined> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const record = await this.get(agentId, scope, name);
      if (!record) return undefined;
      const bytes = await this.storage.get(record.version);
      if (bytes && bytes.length === record.size && sha256(bytes) === record.sha256) return { record, bytes };
      // replaced (or deleted) between reading the row and the bytes: read the row again
    }
    throw new DatasetError(404, 'not_found', 'the dataset changed too often while reading it');
  }

  /** The bytes of exactly this version; DatasetChangedError when it is no longer stored. */
  async readVersion(dataset: Pick<DatasetRecord, 'version' | 'size' | 'sha256'>): Promise<Buffer> {
    const bytes = await this.storage.get(dataset.version);
    if (!bytes || bytes.length !== dataset.size || sha256(bytes) !== dataset.sha256) {
      throw new DatasetChangedError('the dataset was replaced or deleted');
    }
    return bytes;
  }

  /**
   * Every dataset the user can see (their own files, then files shared with their context), each with a table
   * name unique among them and not in `reservedTables` (default: the agent's own tables).
   */
  async listVisibleDatasets(
    owner: Owner,
    options: { reservedTables?: Iterable<string> } = {},
  ): Promise<VisibleDataset[]> {
    const reserved = options.reservedTables ?? this.agent(owner.agentId).tables ?? [];
    const scopes = this.visibleScopes(owner);
    const hashes = scopes.map((s) => this.scopeHash(owner.agentId, s));
    // asked before every answer: a statement prepared once (unit-of-work.ts)
    const rows = await once(this.db, (unit) =>
      unit.rows<FileRow>(
        this.db<FileRow>(FILES_TABLE)
          .where({ workspace_id: this.settings.workspaceId, agent_id: owner.agentId })
          .whereIn('scope_hash', hashes)
          .orderBy([
            { column: 'scope_kind', order: 'desc' },
            { column: 'scope_key', order: 'asc' },
            { column: 'name', order: 'asc' },
            { column: 'id', order: 'asc' },
          ]),
      ),
    );
    return assignDatasetTables(
      rows.map((r) => this.toRecord(r)),
      reserved,
    );
  }

  // ---- writing ------------------------------------------------------------------------------------

  private checkNotes(raw: unknown): string {
    if (raw === undefined || raw === null) return '';
    if (typeof raw !== 'string') throw new DatasetError(400, 'invalid_request', 'notes must be text');
    const notes = raw.trim();
    if (notes.length > this.settings.maxNotesLength) {
      throw new DatasetError(
        400,
        'invalid_request',
        `notes must be at most ${this.settings.maxNotesLength} characters`,
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters (but tab and newlines) are refused
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(notes)) {
      throw new DatasetError(400, 'invalid_request', 'notes contain control characters');
    }
    return notes;
  }

  /**
   * Checks, parses and stores a file in a scope, replacing a file of the same name atomically. Refusals: 400
   * invalid_filename / invalid_request, 404 unknown_agent, 413 too large, 415 unsupported type or content, 422
   * malformed_file / dataset_too_large (with line and column), 409 quota_exceeded. A refused or failed upload
   * stores nothing.
   */
  async upload(agentId: string, scope: DatasetScope, input: UploadInput): Promise<UploadResult> {
    const agentInfo = this.agent(agentId);
    const { name, format } = checkFilename(input.filename);
    const notes = this.checkNotes(input.notes);
    const bytes = input.bytes;
    if (bytes.length > this.settings.maxFileBytes) {
      throw new DatasetError(
        413,
        'dataset_too_large',
        `files are limited to ${this.settings.maxFileBytes} bytes`,
      );
    }
    const hash = this.scopeHash(agentId, scope);
    // refuse early, before reading or storing anything, when the quota is already used up (checked again in the flip)
    await this.checkQuota(this.db, agentId, scope, hash, name, bytes.length);

    // checked, parsed, typed (once) and built as a queryable table in a worker thread, never on this one
    const cache = this.queryCache();
    const timeZone = agentInfo.timeZone ?? 'UTC';
    const scratch = cache.scratchFile();
    let built: { rowCount: number; columns: DatasetColumnInfo[]; sha256: string };
    try {
      built = await this.workers.build({
        bytes,
        format,
        limits: this.limits,
        timeZone,
        file: scratch,
        table: datasetTableName(name),
      });
    } catch (err) {
      fs.rmSync(scratch, { force: true });
      throw err;
    }
    const meta: Meta = { rowCount: built.rowCount, columns: built.columns };

    const version = randomUUID();
    const digest = built.sha256;
    const now = this.clock().toISOString();
    const parts = this.scopeParts(scope);
    let flipped: { id: string; createdAt: string; old?: string };
    try {
      await this.storage.put(version, bytes);
    } catch (err) {
      fs.rmSync(scratch, { force: true });
      throw err;
    }
    try {
      await this.hooks.afterPut?.(version);
      flipped = await this.retrying(() =>
        this.db.transaction(async (trx) => {
          const existing = await this.checkQuota(trx, agentId, scope, hash, name, bytes.length);
          const fields = {
            format,
            version,
            size: bytes.length,
            sha256: digest,
            notes,
            meta: JSON.stringify(meta),
            updated_at: now,
          };
          if (existing) {
            await trx(FILES_TABLE).where({ id: existing.id }).update(fields);
            return { id: existing.id, createdAt: existing.created_at, old: existing.version };
          }
          const id = randomUUID();
          await trx(FILES_TABLE).insert({
            id,
            workspace_id: this.settings.workspaceId,
            agent_id: agentId,
            scope_kind: parts.kind,
            scope_key: parts.key,
            scope_value: parts.value,
            scope_hash: hash,
            scope_tenant: scope.kind === 'user' && scope.tenant ? canonicalTenant(scope.tenant) : null,
            name,
            created_at: now,
            ...fields,
          });
          return { id, createdAt: now };
        }),
      );
    } catch (err) {
      fs.rmSync(scratch, { force: true });
      await this.storage
        .delete(version)
        .catch((e: unknown) => this.logger?.warn({ err: e }, 'dataset cleanup failed'));
      throw err;
    }
    // the first question reads the table built above; the replaced version's files and runners go
    cache.adopt({ id: flipped.id, version }, timeZone, scratch);
    cache.retireDataset(flipped.id, version);
    if (flipped.old) await this.deleteBytes(flipped.old);
    this.logger?.info(
      { agentId, scope: parts.kind, size: bytes.length, replaced: flipped.old !== undefined },
      'dataset stored',
    );
    const record: DatasetRecord = {
      id: flipped.id,
      agentId,
      scope,
      name,
      path: this.logicalPath(agentId, scope, name),
      format,
      size: bytes.length,
      sha256: digest,
      version,
      notes,
      rowCount: meta.rowCount,
      columns: meta.columns,
      createdAt: flipped.createdAt,
      updatedAt: now,
    };
    return { record, replaced: flipped.old !== undefined };
  }

  /** Quotas of the scope for one more file (or a replacement); returns the file being replaced, if any. */
  private async checkQuota(
    db: Knex | Knex.Transaction,
    agentId: string,
    scope: DatasetScope,
    hash: string,
    name: string,
    size: number,
  ): Promise<FileRow | undefined> {
    const q = db<FileRow>(FILES_TABLE)
      .where({ scope_hash: hash })
      .select('id', 'name', 'size', 'version', 'created_at');
    // in MySQL the locking read also locks the scope's index range, so concurrent uploads to one scope queue here
    if (this.mysql && db !== this.db) q.forUpdate();
    const rows = (await q) as FileRow[];
    const existing = rows.find((r) => r.name === name);
    const others = rows.filter((r) => r !== existing);
    const quota = this.settings.quotas[scope.kind];
    if (others.length + 1 > quota.files) {
      throw new DatasetError(
        409,
        'quota_exceeded',
        `this scope already holds ${others.length} files (the limit is ${quota.files})`,
      );
    }
    const bytes = others.reduce((sum, r) => sum + Number(r.size), 0);
    if (bytes + size > quota.bytes) {
      throw new DatasetError(
        409,
        'quota_exceeded',
        `this file would take the scope past its ${quota.bytes} byte limit`,
      );
    }
    if (scope.kind === 'context' && rows.length === 0) {
      const counted = (await db(FILES_TABLE)
        .where({ workspace_id: this.settings.workspaceId, agent_id: agentId, scope_kind: 'context' })
        .countDistinct({ n: 'scope_hash' })
        .first()) as { n: number | string } | undefined;
      if (Number(counted?.n ?? 0) >= this.settings.maxContextScopesPerAgent) {
        throw new DatasetError(
          409,
          'quota_exceeded',
          `this agent already has files in ${this.settings.maxContextScopesPerAgent} context scopes`,
        );
      }
    }
    return existing ? ({ ...existing } as FileRow) : undefined;
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 5 || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.floor(Math.random() * 20)));
      }
    }
  }

  private async deleteBytes(version: string): Promise<void> {
    // a failure leaves bytes no row references; sweepOrphans removes them later
    await this.storage
      .delete(version)
      .catch((err: unknown) => this.logger?.warn({ err }, 'dataset bytes not deleted'));
  }

  /** Deletes a file of a scope; false when there is none of that name. */
  async remove(agentId: string, scope: DatasetScope, name: string): Promise<boolean> {
    this.agent(agentId);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const row: FileRow | undefined = await this.scopeQuery(this.db, agentId, scope)
        .andWhere('name', name)
        .first();
      if (!row) return false;
      // by version too: when a replacement flipped the row meanwhile this deletes nothing and we read it again
      const n = await this.retrying(() =>
        this.db(FILES_TABLE).where({ id: row.id, version: row.version }).delete(),
      );
      if (n > 0) {
        this.cache?.retireDataset(row.id);
        await this.deleteBytes(row.version);
        return true;
      }
    }
    throw new DatasetError(409, 'conflict', 'the dataset changed too often while deleting it');
  }

  /**
   * Deletes stored versions that no file references and that are older than settings.orphanGraceMs (left by a
   * crash mid-upload or a failed cleanup), and stale temp files. Returns how many versions it deleted.
   */
  async sweepOrphans(): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - this.settings.orphanGraceMs);
    await this.storage.cleanPartial?.(cutoff);
    const stored = await this.storage.versions();
    if (stored.length === 0) return 0;
    const referenced = new Set(
      ((await this.db(FILES_TABLE).select('version')) as Array<{ version: string }>).map((r) => r.version),
    );
    let removed = 0;
    for (const v of stored) {
      if (referenced.has(v.versionId) || v.createdAt >= cutoff) continue;
      await this.storage.delete(v.versionId);
      removed += 1;
    }
    return removed;
  }

  // ---- querying -----------------------------------------------------------------------------------

  /** The shared query cache (built on first use from settings.cache). */
  queryCache(): DatasetQueryCache {
    this.cache ??= new DatasetQueryCache({
      load: (d) => this.readVersion(d),
      limits: this.limits,
      workers: this.workers,
      dir: this.settings.cache.dir,
      maxBytes: this.settings.cache.maxBytes,
    });
    return this.cache;
  }

  /**
   * A runner over every dataset the user sees (undefined when there are none); release() it when done. Retries
   * once when a file changes between listing and loading.
   */
  async runnerFor(
    owner: Owner,
    options: { timeZone?: string; reservedTables?: Iterable<string> } = {},
  ): Promise<DatasetRunner | undefined> {
    const reserved = options.reservedTables ? [...options.reservedTables] : undefined;
    const timeZone = options.timeZone ?? this.agent(owner.agentId).timeZone ?? 'UTC';
    for (let attempt = 1; ; attempt += 1) {
      const visible = await this.listVisibleDatasets(owner, { reservedTables: reserved });
      if (visible.length === 0) return undefined;
      try {
        return await this.queryCache().runnerFor(visible, { timeZone });
      } catch (err) {
        if (!(err instanceof DatasetChangedError) || attempt >= 3) throw err;
      }
    }
  }

  /**
   * Runs sweepOrphans now and then every `intervalMs` (default 1 h) until close(); failures are logged. Every
   * instance may run it (deleting an unreferenced version twice is harmless).
   */
  startMaintenance(options: { intervalMs?: number } = {}): void {
    if (this.maintenance) return;
    const run = (): void => {
      this.sweepOrphans().catch((err: unknown) => this.logger?.warn({ err }, 'dataset orphan sweep failed'));
    };
    run();
    this.maintenance = setInterval(run, options.intervalMs ?? 60 * 60 * 1000);
    this.maintenance.unref();
  }

  async close(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    this.maintenance = undefined;
    await this.cache?.close();
    this.cache = undefined;
  }
}

/** Canonical JSON of a tenant (sorted keys), so equal tenants hash equal. */
function canonicalTenant(tenant: DatasetTenant): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(tenant).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

function safeText(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_.:-]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}

export function createDatasetService(options: DatasetServiceOptions): DatasetService {
  return new DatasetService(options);
}
