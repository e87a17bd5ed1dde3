// The shapes the widget exchanges with the BFF (REST under /widget/v1 and the parley.v1 WebSocket).
// They mirror server/ws/protocol.ts and docs/protocol.md; the widget imports no server code but server/ws/wire.ts,
// the dependency-free wire constants both ends share.

export type AnswerType = 'text' | 'table' | 'chart' | 'error' | 'clarification';
export type ColumnType = 'number' | 'string' | 'date' | 'boolean';
export type CellValue = number | string | boolean | null;

export interface AnswerColumn {
  name: string;
  type: ColumnType;
}

export interface AnswerTable {
  head: string[];
  body: string[][];
}

export interface AnswerData {
  columns: AnswerColumn[];
  rows: CellValue[][];
  truncated?: boolean;
  /** when truncated: how many rows matched in all */
  total?: number;
}

/** A time bucket the data cannot fill yet (the running month), drawn apart in charts. */
export interface PartialPeriod {
  value: string;
  label: string;
  days: number;
  of: number;
  from: string;
  through: string;
}

/** One reading of an ambiguous question: the button's label, and the question sent when it is chosen. */
export interface AnswerChoice {
  label: string;
  question: string;
}

/** One "Read as" chip; `alternatives` are other readings, each asked by sending its `question`. */
export interface ReadAsChip {
  kind: string;
  text: string;
  alternatives?: AnswerChoice[];
}

/** The answer object of the contract (REST history and the `response.completed` event). */
export interface Answer {
  id: string;
  conversationId: string;
  type: AnswerType;
  message: string;
  table?: AnswerTable;
  /** Vega-Lite v6 */
  spec?: Record<string, unknown>;
  data?: AnswerData;
  plan?: Record<string, unknown>;
  sql?: { text: string; bindings: unknown[] };
  explanation?: string;
  /** the CSV export's file name without ".csv" ("orders-october-2026") */
  exportName?: string;
  partialPeriods?: PartialPeriod[];
  /** the reading the planner took: measure, period, filters, grouping */
  readAs?: ReadAsChip[];
  /** words of the question the planner did not use */
  unusedWords?: string[];
  /** "How was this answered?" line by line, in words */
  account?: Array<{ label: string; text: string }>;
  /** the SQL with table names and labelled values, for reading */
  readableSql?: { text: string; values: Array<{ label: string; value: unknown }> };
  /**
   * a comparison with a running period, also compared over the same elapsed time: the windows, and the query
   * behind those (headline) figures
   */
  likeForLike?: {
    window?: { label: string; span: string };
    periods: Array<{ label: string; span: string }>;
    sql?: { text: string; bindings: unknown[] };
    readableSql?: { text: string; values: Array<{ label: string; value: unknown }> };
  };
  code?: string;
  suggestions?: string[];
  /** type clarification: 2-4 readings; choosing one sends its `question` in the same conversation */
  choices?: AnswerChoice[];
}

export type Stage = 'planning' | 'querying' | 'composing';
export type Rating = 'positive' | 'negative' | null;

export interface AgentInfo {
  id: string;
  name: string;
  starterQuestions: string[];
}

/** `GET /config`: the agent and what this session may do (see server/http/widget-v1/schemas.ts). */
export interface WidgetConfig {
  agent: AgentInfo;
  user?: { userIdentifier: string; permissions: string[]; canShareWithContext?: boolean };
  /** older servers put the permissions at the top level */
  permissions?: string[];
  session?: { expiresAt: string };
  limits?: { maxQuestionLength?: number; maxCommentLength?: number };
  [key: string]: unknown;
}

/** The context key the server lets this user share files with (its first), or '' when none. */
export function shareContextKey(config: WidgetConfig | undefined): string {
  const datasets = config?.datasets as { shareContextKeys?: unknown } | undefined;
  const keys = datasets?.shareContextKeys;
  return Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : '';
}

/** The session's permissions, wherever the server put them. */
export function permissionsOf(config: WidgetConfig | undefined): string[] {
  if (!config) return [];
  const list = config.user?.permissions ?? config.permissions;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

/** Whether the session may upload files shared with its whole context (`datasets:context:write`). */
export function canShareWithContext(config: WidgetConfig | undefined): boolean {
  if (!config) return false;
  if (typeof config.user?.canShareWithContext === 'boolean') return config.user.canShareWithContext;
  return permissionsOf(config).includes(PERMISSION_DATASETS_CONTEXT_WRITE);
}

export const PERMISSION_DATASETS_CONTEXT_WRITE = 'datasets:context:write';

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt?: string;
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export type HistoryStatus = 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** One question of a conversation and what became of it, as `GET /conversations/:id` returns it. */
export interface HistoryResponse {
  id: string;
  question: string;
  status: HistoryStatus;
  answer?: Answer;
  error?: { code: string; message: string };
  createdAt?: string;
  completedAt?: string;
  feedback?: { rating: Rating; comment: string | null } | null;
}

export interface ConversationDetail extends ConversationSummary {
  responses: HistoryResponse[];
}

export type DatasetScope = 'user' | 'context';

export interface DatasetInfo {
  scope: DatasetScope;
  filename: string;
  size?: number;
  notes?: string;
  createdAt?: string;
  [key: string]: unknown;
}

// ---- WebSocket: client -> server --------------------------------------------------------------

export type ClientMessage =
  | { type: 'message.send'; clientId: string; conversationId?: string; text: string }
  | { type: 'response.cancel'; responseId: string }
  | { type: 'sync'; since: string }
  | { type: 'ping' };

// ---- WebSocket: server -> client --------------------------------------------------------------

export interface ConversationCreatedEvent {
  type: 'conversation.created';
  conversationId: string;
  clientId: string;
}
export interface ResponseCreatedEvent {
  type: 'response.created';
  responseId: string;
  conversationId: string;
  clientId: string;
}
export interface ResponseProgressEvent {
  type: 'response.progress';
  responseId: string;
  stage: Stage;
  message: string;
}
export interface ResponseDeltaEvent {
  type: 'response.delta';
  responseId: string;
  text: string;
}
export interface ResponseCompletedEvent {
  type: 'response.completed';
  responseId: string;
  conversationId: string;
  clientId?: string;
  answer: Answer;
  completedAt?: string;
}
export interface ResponseErrorEvent {
  type: 'response.error';
  responseId?: string;
  clientId?: string;
  conversationId?: string;
  code: string;
  message: string;
  retryAfter?: number;
  completedAt?: string;
}
export interface SyncCompletedEvent {
  type: 'sync.completed';
  since: string;
  until: string;
  count: number;
  more: boolean;
}
export interface PongEvent {
  type: 'pong';
}

export type ServerEvent =
  | ConversationCreatedEvent
  | ResponseCreatedEvent
  | ResponseProgressEvent
  | ResponseDeltaEvent
  | ResponseCompletedEvent
  | ResponseErrorEvent
  | SyncCompletedEvent
  | PongEvent;

const SERVER_EVENT_TYPES: ReadonlySet<string> = new Set<ServerEvent['type']>([
  'conversation.created',
  'response.created',
  'response.progress',
  'response.delta',
  'response.completed',
  'response.error',
  'sync.completed',
  'pong',
]);

/** A server frame as an event, or undefined for anything that is not JSON with a known `type`. */
export function parseServerEvent(text: unknown): ServerEvent | undefined {
  if (typeof text !== 'string') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !SERVER_EVENT_TYPES.has(type)) return undefined;
  return raw as ServerEvent;
}

/** The refusal body every REST endpoint answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; [key: string]: unknown };
}
