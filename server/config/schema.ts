// The zod schema of parley.config.yaml: connections, agents, their userContext and semantic models.
// cli/schema.ts is its command (`parley schema`): the same idea one layer up, hence the same name.
import { z } from 'zod';
import { Alias, Filter } from '../query/plan.ts';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected an id of letters, digits, - and _');
const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a SQL identifier');

export const ColumnType = z.enum(['integer', 'number', 'string', 'boolean', 'date', 'datetime']);
export type ColumnType = z.infer<typeof ColumnType>;

export const Column = z
  .object({
    type: ColumnType,
    description: z.string().optional(),
    unit: z.string().optional(),
    synonyms: z.array(z.string()).default([]),
    // enum-like columns: the values the column takes (shared across tenants, e.g. statuses)
    values: z.array(z.union([z.string(), z.number()])).optional(),
  })
  .strict();
export type Column = z.infer<typeof Column>;

export const ComputedColumn = z
  .object({
    // a small arithmetic expression over this table's columns, e.g. "quantity * unit_price"
    expression: z.string().min(1).max(500),
    type: z.enum(['integer', 'number']).default('number'),
    description: z.string().optional(),
    unit: z.string().optional(),
    synonyms: z.array(z.string()).default([]),
  })
  .strict();
export type ComputedColumn = z.infer<typeof ComputedColumn>;

export const Relation = z
  .object({
    table: Identifier,
    // many-to-one: this table holds the foreign key; one-to-many: the other table does
    kind: z.enum(['many-to-one', 'one-to-many', 'one-to-one']),
    // join keys: { localColumn: remoteColumn }
    on: z.record(Identifier, Identifier).refine((o) => Object.keys(o).length > 0, 'a relation needs a key'),
  })
  .strict();
export type Relation = z.infer<typeof Relation>;

export const ContextFilter = z
  .object({
    column: Identifier,
    // the userContext field whose value the column must equal (eq) or be one of (in, for list fields)
    field: Identifier,
    op: z.enum(['eq', 'in']).default('eq'),
  })
  .strict();
export type ContextFilter = z.infer<typeof ContextFilter>;

export const MeasureDefinition = z
  .object({
    aggregate: z.enum(['count', 'countDistinct', 'sum', 'avg', 'min', 'max']),
    // a column or computed column of this table; not needed for count
    column: Identifier.optional(),
    filter: Filter.optional(),
    description: z.string().optional(),
    unit: z.string().optional(),
    synonyms: z.array(z.string()).default([]),
  })
  .strict()
  .refine((m) => m.aggregate === 'count' || m.column !== undefined, {
    message: 'every aggregate but count needs a column',
  });
export type MeasureDefinition = z.infer<typeof MeasureDefinition>;

export const SegmentDefinition = z
  .object({
    filter: Filter,
    description: z.string().optional(),
    synonyms: z.array(z.string()).default([]),
  })
  .strict();
export type SegmentDefinition = z.infer<typeof SegmentDefinition>;

export const Table = z
  .object({
    access: z.enum(['queryable', 'joinable', 'off']).default('queryable'),
    prompt: z.string().optional(),
    synonyms: z.array(z.string()).default([]),
    primaryKey: Identifier.default('id'),
    // the row label people use (e.g. a name column), for listings and value matching
    labelColumn: Identifier.optional(),
    // the table's main time column, for questions like "orders last month"
    timeColumn: Identifier.optional(),
    // visible only when this boolean userContext field is true
    visibleWhen: Identifier.optional(),
    contextFilters: z.array(ContextFilter).default([]),
    columns: z.record(Identifier, Column),
    computed: z.record(Identifier, ComputedColumn).default({}),
    relations: z.record(Identifier, Relation).default({}),
    measures: z.record(Alias, MeasureDefinition).default({}),
    segments: z.record(Alias, SegmentDefinition).default({}),
  })
  .strict();
export type Table = z.infer<typeof Table>;

export const SemanticModel = z
  .object({
    tables: z.record(Identifier, Table),
  })
  .strict();
export type SemanticModel = z.infer<typeof SemanticModel>;

export const UserContextType = z.enum(['integer', 'string', 'boolean', 'integer[]', 'string[]']);
export type UserContextType = z.infer<typeof UserContextType>;

export const LlmConfig = z
  .object({
    baseUrl: z.string().url(),
    model: z.string().min(1),
    apiKey: z.string().optional(),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export const Agent = z
  .object({
    id: Id,
    name: z.string().optional(),
    // the connection this agent queries: one it owns, or a shareable one it is linked to; absent when unlinked
    connection: Id.optional(),
    timeZone: z.string().default('UTC'),
    multiTenant: z.boolean().default(true),
    userContext: z.record(Identifier, UserContextType).default({}),
    starterQuestions: z.array(z.string()).default([]),
    // origins of host pages allowed to open the widget socket and call the widget API (CORS)
    allowedOrigins: z
      .array(z.string().regex(/^(https?:\/\/[^/\s]+|\*)$/, 'expected an origin like https://app.example.com'))
      .default([]),
    llm: LlmConfig.optional(),
    model: SemanticModel.optional(),
    // or: a path to a YAML file holding the model, relative to the config file
    modelFile: z.string().optional(),
  })
  .strict()
  .refine((a) => (a.model === undefined) !== (a.modelFile === undefined), {
    message: 'an agent needs exactly one of model or modelFile',
  });
export type AgentConfig = z.infer<typeof Agent>;

export const Connection = z
  .object({
    id: Id,
    url: z.string().min(1),
    // a shareable connection can be linked to agents other than its owner
    shareable: z.boolean().default(false),
    owner: Id.optional(),
    // statement time limit and row cap for queries on this connection
    statementTimeoutMs: z.number().int().positive().max(600_000).default(15_000),
    maxRows: z.number().int().positive().max(100_000).default(1_000),
    // at most this many statements at once: by default 10 sessions on MySQL (mysql2's own default, as many as the
    // answers a busy instance runs at once), 2 query threads on SQLite (a file read by more threads gains little)
    pool: z
      .object({ min: z.number().int().min(0).default(0), max: z.number().int().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type ConnectionConfig = z.infer<typeof Connection>;

const ClaimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const AuthConfig = z
  .object({
    session: z
      .object({
        // HS256 secret; PARLEY_SESSION_SECRET always works too
        secret: z.string().optional(),
        publicKeys: z
          .array(
            z
              .object({ kid: z.string().optional(), alg: z.enum(['RS256', 'ES256']), pem: z.string().min(1) })
              .strict(),
          )
          .optional(),
        jwksUrl: z.string().url().optional(),
        // defaults (parley, 30 s, 24 h) live in the verifier so PARLEY_SESSION_* env vars can override
        audience: z.string().optional(),
        issuer: z.string().optional(),
        clockToleranceSec: z.number().int().min(0).max(300).optional(),
        maxLifetimeSec: z
          .number()
          .int()
          .positive()
          .max(7 * 24 * 3600)
          .optional(),
        // refuse tokens without a jti (the id one token is revoked by); default true
        requireJti: z.boolean().optional(),
        // claim mapping for host apps that issue their own JWTs, e.g. userContext: { organisationId: org_id }
        claims: z
          .object({
            userIdentifier: ClaimPath.optional(),
            userContext: z.union([ClaimPath, z.record(z.string(), ClaimPath)]).optional(),
            agentId: ClaimPath.optional(),
            defaultAgentId: z.string().optional(),
            permissions: ClaimPath.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    // host-backend API keys; PARLEY_API_KEY always works too
    apiKeys: z
      .array(
        z
          .object({
            name: z.string().optional(),
            key: z.string().min(16),
            agents: z.array(z.string()).optional(),
            // pins the key to one tenant: it acts only inside this userContext (typed by each agent's declaration)
            userContext: z
              .record(
                z.string(),
                z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
              )
              .optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type AuthConfig = z.infer<typeof AuthConfig>;

const Quota = z
  .object({ files: z.number().int().positive().optional(), bytes: z.number().int().positive().optional() })
  .strict();

/** Uploaded datasets: limits, quotas and storage (every key optional; defaults in server/datasets/settings.ts). */
export const DatasetsConfig = z
  .object({
    workspaceId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .max(100 * 1024 * 1024)
      .optional(),
    // the agent of the agent-less dataset routes (/api/v1/datasets/...) for API keys not scoped to exactly one
    defaultAgent: z.string().optional(),
    maxColumns: z.number().int().positive().max(1999).optional(),
    maxRows: z.number().int().positive().optional(),
    maxCellBytes: z.number().int().positive().optional(),
    // per user: uploads started per minute, and read at the same time (429 with Retry-After above)
    uploadsPerMinute: z.number().int().positive().optional(),
    concurrentUploads: z.number().int().positive().optional(),
    // the worker threads that read uploads and build their tables
    workers: z
      .object({
        maxThreads: z.number().int().positive().max(64).optional(),
        maxQueue: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    quotas: z.object({ user: Quota.optional(), context: Quota.optional() }).strict().optional(),
    maxContextScopesPerAgent: z.number().int().positive().optional(),
    // the userContext keys end users may share files to (default: every integer or string field)
    widgetContextKeys: z.array(z.string()).optional(),
    storage: z
      .discriminatedUnion('driver', [
        z.object({ driver: z.literal('database') }).strict(),
        z.object({ driver: z.literal('filesystem'), dir: z.string().min(1) }).strict(),
      ])
      .optional(),
  })
  .strict();
export type DatasetsConfig = z.infer<typeof DatasetsConfig>;

const Limit = z
  .object({ points: z.number().int().positive(), durationSec: z.number().int().positive() })
  .strict();

/** The front door's per-socket and per-user limits (every key optional; defaults in server/limits/settings.ts). */
export const LimitsConfig = z
  .object({
    socketMessages: z
      .object({
        perSocket: Limit.optional(),
        perUser: Limit.optional(),
        blockSec: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    conversations: z
      .object({ perUser: Limit.optional(), maxStoredPerUser: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type LimitsConfig = z.infer<typeof LimitsConfig>;

export const ParleyConfig = z
  .object({
    version: z.literal(1).default(1),
    server: z
      .object({
        port: z.number().int().min(0).max(65535).default(3210),
        host: z.string().default('127.0.0.1'),
        // on SIGTERM: in-flight answers get most of this to finish; past it the process exits regardless
        shutdownTimeoutMs: z.number().int().min(1000).max(600_000).default(15_000),
        // the URL users reach Parley at, when the host app is served from the same origin (behind one proxy):
        // pages of this origin may then use every agent. Never inferred from a request's Host header.
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        // /metrics is off the public port by default: a bearer token for it there (PARLEY_METRICS_TOKEN wins), and/or
        // a separate listen address serving only /metrics (PARLEY_METRICS_PORT wins; host default 127.0.0.1)
        metrics: z
          .object({
            token: z.string().min(16).optional(),
            host: z.string().optional(),
            port: z.number().int().min(0).max(65535).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ port: 3210, host: '127.0.0.1', shutdownTimeoutMs: 15_000 }),
    store: z
      .object({
        url: z.string().min(1).optional(),
        // client-side deadline of one store statement (a silent database fails it, it never hangs)
        queryTimeoutMs: z.number().int().min(100).max(600_000).optional(),
        // instances starting together wait this long for another's migration before giving up
        migrationLockWaitMs: z.number().int().min(0).max(3_600_000).optional(),
      })
      .strict()
      .optional(),
    // several instances behind a load balancer (README: Running several instances)
    cluster: z
      .object({
        // shared state (rate limits, socket caps, answer events) across instances; PARLEY_REDIS_URL overrides
        redisUrl: z.string().min(1).optional(),
        // an instance that has not renewed its lease for this long is gone: its unfinished answers fail
        leaseSeconds: z.number().min(1).max(3600).default(30),
      })
      .strict()
      .optional(),
    auth: AuthConfig.default({ apiKeys: [] }),
    datasets: DatasetsConfig.default({}),
    limits: LimitsConfig.default({}),
    connections: z.array(Connection).default([]),
    agents: z.array(Agent).min(1),
  })
  .strict();
export type ParleyConfigInput = z.input<typeof ParleyConfig>;
export type ParleyConfig = z.infer<typeof ParleyConfig>;
