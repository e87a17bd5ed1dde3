// The widget WebSocket protocol `parley.v1`: what a client may send, what the server sends back, and the close codes.
// docs/protocol.md describes the same thing for people; keep the two in step.
import { z } from 'zod';
import { MAX_TEXT_LENGTH } from './wire.ts';

// the constants the widget needs too live in wire.ts, which has no dependencies so the widget bundle can import it
export {
  CloseCode,
  MAX_PAYLOAD_BYTES,
  MAX_TEXT_LENGTH,
  PROTOCOL,
  TOKEN_PROTOCOL_PREFIX,
  WS_PATH,
} from './wire.ts';

/** The `code` values of `response.error` events the server sends itself (others come from the answer engine). */
export const ErrorCode = z.enum([
  'invalid_message',
  'not_found',
  'rate_limited',
  'conversation_limit',
  'too_many_in_flight',
  'cancelled',
  'server_shutdown',
  'invalid_user_context',
  'internal_error',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

const Id = z.string().min(1).max(128);
/** an id the client picks to match `conversation.created` / `response.created` to the message it sent */
const ClientId = z.string().min(1).max(128);
export const Stage = z.enum(['planning', 'querying', 'composing']);
export type Stage = z.infer<typeof Stage>;

// ---- client -> server -------------------------------------------------------------------------
// Unknown fields are ignored. Identity and tenant context never come from a message: they are the token's.

export const MessageSend = z.object({
  type: z.literal('message.send'),
  clientId: ClientId,
  /** continue this conversation; absent = start a new one */
  conversationId: Id.optional(),
  text: z
    .string()
    .trim()
    .min(1, 'text must not be empty')
    .max(MAX_TEXT_LENGTH, `text must be at most ${MAX_TEXT_LENGTH} characters`),
});
export const ResponseCancel = z.object({ type: z.literal('response.cancel'), responseId: Id });
export const Sync = z.object({
  type: z.literal('sync'),
  /** ISO 8601 time: the `completedAt` of the last final event the client saw */
  since: z.iso.datetime({ offset: true }),
});
export const Ping = z.object({ type: z.literal('ping') });

export const ClientMessage = z.discriminatedUnion('type', [MessageSend, ResponseCancel, Sync, Ping]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type MessageSend = z.infer<typeof MessageSend>;

// ---- server -> client -------------------------------------------------------------------------

/** One reading of an ambiguous question: the button's label, and the question to send when it is chosen. */
export const AnswerChoiceSchema = z.object({ label: z.string(), question: z.string() });

/** One chip of "Read as": a part of the reading taken, and the other readings of that part the planner answers. */
export const ReadAsChipSchema = z.object({
  kind: z.enum(['measure', 'listing', 'period', 'filter', 'grouping']),
  text: z.string(),
  alternatives: z.array(AnswerChoiceSchema).optional(),
});

/** The answer object of the contract (CLI --json, REST and the final WebSocket event). */
export const AnswerSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  type: z.enum(['text', 'table', 'chart', 'error', 'clarification']),
  message: z.string(),
  table: z.object({ head: z.array(z.string()), body: z.array(z.array(z.string())) }).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  data: z
    .object({
      columns: z.array(z.object({ name: z.string(), type: z.enum(['number', 'string', 'date', 'boolean']) })),
      rows: z.array(z.array(z.union([z.number(), z.string(), z.boolean(), z.null()]))),
      truncated: z.boolean().optional(),
    })
    .optional(),
  plan: z.record(z.string(), z.unknown()).optional(),
  sql: z.object({ text: z.string(), bindings: z.array(z.unknown()) }).optional(),
  explanation: z.string().optional(),
  code: z.string().optional(),
  suggestions: z.array(z.string()).optional(),
  /** type clarification: 2-4 readings; choosing one = sending its `question` in the same conversation */
  choices: z.array(AnswerChoiceSchema).min(2).max(4).optional(),
  /** the reading taken, as chips; a chip's `alternatives` are other readings, each asked by sending its `question` */
  readAs: z.array(ReadAsChipSchema).optional(),
  /** meaningful words of the question the plan does not reflect */
  unusedWords: z.array(z.string()).optional(),
});

export const ConversationCreatedEvent = z.object({
  type: z.literal('conversation.created'),
  conversationId: z.string(),
  clientId: z.string(),
});
export const ResponseCreatedEvent = z.object({
  type: z.literal('response.created'),
  responseId: z.string(),
  conversationId: z.string(),
  clientId: z.string(),
});
export const ResponseProgressEvent = z.object({
  type: z.literal('response.progress'),
  responseId: z.string(),
  stage: Stage,
  message: z.string(),
});
export const ResponseDeltaEvent = z.object({
  type: z.literal('response.delta'),
  responseId: z.string(),
  text: z.string(),
});
export const ResponseCompletedEvent = z.object({
  type: z.literal('response.completed'),
  responseId: z.string(),
  conversationId: z.string(),
  /** present when the answer belongs to a message.send of this connection */
  clientId: z.string().optional(),
  answer: AnswerSchema,
  /** when the store recorded the answer: the cursor for a later `sync` */
  completedAt: z.string().optional(),
});
export const ResponseErrorEvent = z.object({
  type: z.literal('response.error'),
  responseId: z.string().optional(),
  clientId: z.string().optional(),
  conversationId: z.string().optional(),
  /** one of ErrorCode, or a code of the answer engine (e.g. unknown_agent) */
  code: z.string(),
  message: z.string(),
  /** for rate_limited: seconds until a message will be accepted again */
  retryAfter: z.number().int().positive().optional(),
  completedAt: z.string().optional(),
});
export const SyncCompletedEvent = z.object({
  type: z.literal('sync.completed'),
  since: z.string(),
  /** the completedAt of the last response sent (or `since` when none): the next sync's `since` */
  until: z.string(),
  count: z.number().int().min(0),
  /** more finished responses are waiting: sync again from `until` */
  more: z.boolean(),
});
export const PongEvent = z.object({ type: z.literal('pong') });

export const ServerEvent = z.discriminatedUnion('type', [
  ConversationCreatedEvent,
  ResponseCreatedEvent,
  ResponseProgressEvent,
  ResponseDeltaEvent,
  ResponseCompletedEvent,
  ResponseErrorEvent,
  SyncCompletedEvent,
  PongEvent,
]);
export type ServerEvent = z.infer<typeof ServerEvent>;
export type ResponseErrorEvent = z.infer<typeof ResponseErrorEvent>;

/** What the widget shows while an answer is being made. */
export const STAGE_MESSAGES: Record<Stage, string> = {
  planning: 'Understanding the question…',
  querying: 'Querying the data…',
  composing: 'Writing the answer…',
};

export type ParsedMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; error: string; clientId?: string };

/** Parses one text frame: JSON, then the schema. Never throws; the error text names the first problem. */
export function parseClientMessage(text: string): ParsedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the message is not valid JSON' };
  }
  const clientId =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? ClientId.safeParse((raw as { clientId?: unknown }).clientId)
      : undefined;
  const parsed = ClientMessage.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const first = parsed.error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  return {
    ok: false,
    error: `${where}${first?.message ?? 'not a parley.v1 message'}`,
    ...(clientId?.success ? { clientId: clientId.data } : {}),
  };
}

/** The subprotocols a client offered, in order (lenient split; ws itself checks the header's syntax). */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
