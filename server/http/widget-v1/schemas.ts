// The zod schemas of the widget REST API (/widget/v1) and its OpenAPI path items, built from the same schemas.
// Same role as http/api-v1/schemas.ts: each API surface keeps its wire contracts in schemas.ts.
import { z } from 'zod';
import {
  AnswerSchema,
  MAX_TEXT_LENGTH,
  PROTOCOL,
  TOKEN_PROTOCOL_PREFIX,
  WS_PATH,
} from '../../ws/protocol.ts';

export const BASE_PATH = '/widget/v1';
export const MAX_COMMENT_LENGTH = 2000;
export const MAX_TITLE_LENGTH = 200;

// ---- requests ---------------------------------------------------------------------------------

export const IdParam = z.string().min(1).max(128);
export const ConversationParams = z.object({ id: IdParam });
export const ResponseParams = z.object({ id: IdParam, responseId: IdParam });

export const ListConversationsQuery = z.object({
  /** the `nextCursor` of the previous page */
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const CreateConversationBody = z.object({
  title: z.string().trim().max(MAX_TITLE_LENGTH).optional(),
});

export const SendMessageBody = z.object({
  text: z
    .string()
    .trim()
    .min(1, 'text must not be empty')
    .max(MAX_TEXT_LENGTH, `text must be at most ${MAX_TEXT_LENGTH} characters`),
});

export const FeedbackBody = z.object({
  /** null clears an earlier rating */
  rating: z.enum(['positive', 'negative']).nullable(),
  comment: z
    .string()
    .max(MAX_COMMENT_LENGTH, `comment must be at most ${MAX_COMMENT_LENGTH} characters`)
    .nullable()
    .optional(),
});

// ---- responses --------------------------------------------------------------------------------

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const Conversation = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationList = z.object({
  items: z.array(Conversation),
  /** pass as `cursor` for the next (older) page; null on the last page */
  nextCursor: z.string().nullable(),
});

export const Feedback = z.object({
  responseId: z.string(),
  rating: z.enum(['positive', 'negative']).nullable(),
  comment: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Feedback = z.infer<typeof Feedback>;

export const ResponseItem = z.object({
  id: z.string(),
  conversationId: z.string(),
  /** the user's message */
  question: z.string(),
  status: z.enum(['in_progress', 'completed', 'failed', 'cancelled']),
  /** the answer object, when completed */
  answer: AnswerSchema.optional(),
  /** why it failed or was cancelled */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.string(),
  completedAt: z.string().optional(),
  feedback: Feedback.nullable(),
});
export type ResponseItem = z.infer<typeof ResponseItem>;

export const ConversationDetail = Conversation.extend({
  /** the conversation's messages in order, each with the answer it got */
  responses: z.array(ResponseItem),
});

export const WidgetConfig = z.object({
  agent: z.object({ id: z.string(), name: z.string(), starterQuestions: z.array(z.string()) }),
  user: z.object({
    userIdentifier: z.string(),
    permissions: z.array(z.string()),
    /** the `datasets:context:write` permission: the user may share files with their whole context */
    canShareWithContext: z.boolean(),
  }),
  session: z.object({ expiresAt: z.string() }),
  limits: z.object({ maxQuestionLength: z.int().positive(), maxCommentLength: z.int().positive() }),
  websocket: z.object({ path: z.string(), protocol: z.string(), tokenProtocolPrefix: z.string() }),
  /** uploads: what the element may offer (its upload button shows when this is present) */
  datasets: z.object({
    formats: z.array(z.string()),
    /** largest file, bytes (413 above); any CSV/JSON up to it is accepted, however many rows */
    maxFileBytes: z.int().positive(),
    /** most columns (422 above): each becomes a column of a queryable table and of the planners' model */
    maxColumns: z.int().positive(),
    /** largest cell, UTF-8 bytes (422 above): cells are values to count and match, not documents */
    maxCellBytes: z.int().positive(),
    /** most data rows (422 above); by default above what any file within maxFileBytes holds */
    maxRows: z.int().positive(),
    /** per user: uploads started per minute, and being read at once (429 with Retry-After above) */
    uploadsPerMinute: z.int().positive(),
    concurrentUploads: z.int().positive(),
    /** the ways a date column may be written, e.g. 2026-01, Jan 2026, Q1 2026 */
    dateFormats: z.array(z.string()),
    /** the userContext keys this user may share files with (empty without `datasets:context:write`) */
    shareContextKeys: z.array(z.string()),
  }),
});
export type WidgetConfig = z.infer<typeof WidgetConfig>;

// ---- OpenAPI ----------------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 (JSON Schema 2020-12) schema object, without the `$schema` key. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  'application/json': { schema: openApiSchema(schema, io) },
});

const error = (description: string) => ({ description, content: json(ErrorBody) });

const COMMON_ERRORS = {
  '401': error('missing, invalid or expired session token'),
  '403': error('the page origin is not allowed for the token’s agent'),
};
const NOT_FOUND = {
  '404': error('no such conversation or response for this user (also when it is someone else’s)'),
};
const INVALID = { '400': error('invalid request (body, parameters or cursor)') };

const idParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: openApiSchema(IdParam),
});

/** The security scheme the widget paths name; the OpenAPI document puts it under components.securitySchemes. */
export const widgetV1SecuritySchemes = {
  widgetSession: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The end user’s session token, minted by the host backend (mintSessionToken or `parley token`).',
  },
} as const;

const security = [{ widgetSession: [] as string[] }];
const tags = ['widget'];

/** OpenAPI path items of the widget API, keyed by full path. */
export const widgetV1Paths: Record<string, Record<string, unknown>> = {
  [`${BASE_PATH}/origin`]: {
    get: {
      operationId: 'widgetCheckOrigin',
      summary:
        'May the calling page’s origin use the agent? (any origin may ask: the widget names a refusal)',
      tags,
      security: [],
      parameters: [
        { name: 'agent', in: 'query', required: false, schema: openApiSchema(z.string().max(64)) },
      ],
      responses: {
        '200': {
          description: 'whether the Origin header’s origin is allowed',
          content: json(z.object({ origin: z.string().nullable(), allowed: z.boolean() })),
        },
      },
    },
  },
  [`${BASE_PATH}/config`]: {
    get: {
      operationId: 'widgetGetConfig',
      summary: 'What the widget needs: the agent’s name and starter questions, the user’s permissions',
      tags,
      security,
      responses: {
        '200': { description: 'the widget configuration', content: json(WidgetConfig) },
        ...COMMON_ERRORS,
      },
    },
  },
  [`${BASE_PATH}/conversations`]: {
    get: {
      operationId: 'widgetListConversations',
      summary: 'The user’s conversations with the token’s agent, newest first',
      tags,
      security,
      parameters: [
        { name: 'cursor', in: 'query', required: false, schema: openApiSchema(z.string().min(1).max(512)) },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: openApiSchema(z.int().min(1).max(100).default(20)),
        },
      ],
      responses: {
        '200': { description: 'a page of conversations', content: json(ConversationList) },
        ...INVALID,
        ...COMMON_ERRORS,
      },
    },
    post: {
      operationId: 'widgetCreateConversation',
      summary: 'Starts a conversation owned by the token’s user',
      tags,
      security,
      requestBody: { required: false, content: json(CreateConversationBody, 'input') },
      responses: {
        '201': { description: 'the new conversation', content: json(Conversation) },
        ...INVALID,
        ...COMMON_ERRORS,
      },
    },
  },
  [`${BASE_PATH}/conversations/{id}`]: {
    parameters: [idParameter('id', 'the conversation id')],
    get: {
      operationId: 'widgetGetConversation',
      summary: 'A conversation with its messages and answers',
      tags,
      security,
      responses: {
        '200': { description: 'the conversation', content: json(ConversationDetail) },
        ...COMMON_ERRORS,
        ...NOT_FOUND,
      },
    },
    delete: {
      operationId: 'widgetDeleteConversation',
      summary: 'Deletes a conversation, its answers and their feedback',
      tags,
      security,
      responses: { '204': { description: 'deleted' }, ...COMMON_ERRORS, ...NOT_FOUND },
    },
  },
  [`${BASE_PATH}/conversations/{id}/messages`]: {
    parameters: [idParameter('id', 'the conversation id')],
    post: {
      operationId: 'widgetSendMessage',
      summary:
        'Asks a question in the conversation and waits for the answer (non-streaming fallback of the socket)',
      tags,
      security,
      requestBody: { required: true, content: json(SendMessageBody, 'input') },
      responses: {
        '200': { description: 'the answer object', content: json(AnswerSchema) },
        ...INVALID,
        ...COMMON_ERRORS,
        ...NOT_FOUND,
        '429': {
          description: 'too many questions; retry after the Retry-After header’s seconds',
          headers: { 'Retry-After': { schema: { type: 'integer' } } },
          content: json(ErrorBody),
        },
      },
    },
  },
  [`${BASE_PATH}/conversations/{id}/responses/{responseId}/feedback`]: {
    parameters: [
      idParameter('id', 'the conversation id'),
      idParameter('responseId', 'the response (answer) id'),
    ],
    post: {
      operationId: 'widgetSetFeedback',
      summary: 'Rates an answer (and optionally comments on it); posting again replaces the rating',
      tags,
      security,
      requestBody: { required: true, content: json(FeedbackBody, 'input') },
      responses: {
        '200': { description: 'the stored feedback', content: json(Feedback) },
        ...INVALID,
        ...COMMON_ERRORS,
        ...NOT_FOUND,
      },
    },
  },
  [`${BASE_PATH}/conversations/{id}/responses/{responseId}/export.csv`]: {
    parameters: [
      idParameter('id', 'the conversation id'),
      idParameter('responseId', 'the response (answer) id'),
    ],
    get: {
      operationId: 'widgetExportCsv',
      summary:
        'The full CSV of an answer: its stored plan run again under the token’s context, up to 100,000 rows',
      description:
        'Streams UTF-8 CSV (with a BOM) named `<measure>-<period>.csv`. `Parley-Export-Rows` gives the row count, ' +
        '`Parley-Export-Truncated` the limit when the file stopped at it. Answers over uploaded files and blends ' +
        'are not re-run.',
      tags,
      security,
      responses: {
        '200': {
          description: 'the rows as CSV',
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
        ...INVALID,
        ...COMMON_ERRORS,
        ...NOT_FOUND,
      },
    },
  },
  [WS_PATH]: {
    get: {
      operationId: 'widgetSocket',
      summary: 'The widget WebSocket (see docs/protocol.md)',
      description:
        `Upgrade to a WebSocket offering the subprotocols \`${PROTOCOL}\` and \`${TOKEN_PROTOCOL_PREFIX}<JWT>\`. ` +
        `The token is verified before the handshake completes; the server selects \`${PROTOCOL}\` only.`,
      tags,
      responses: {
        '101': { description: 'switching protocols' },
        '400': { description: `the ${PROTOCOL} subprotocol was not offered` },
        '401': { description: 'missing, invalid or expired session token' },
        '403': { description: 'the page origin is not allowed for the token’s agent' },
        '429': { description: 'too many open sockets for this user' },
        '503': { description: 'the server is shutting down' },
      },
    },
  },
};
