// The zod schemas of the host-backend API (/api/v1): the routes validate requests with them and the OpenAPI
// document is generated from them, so the two never drift. Shapes follow the official @inconvoai/node SDK;
// Parley's extra answer fields (data, plan, sql, explanation, code, suggestions, choices, readAs, unusedWords) ride
// along, which the SDK ignores.
// Same role as http/widget-v1/schemas.ts: each API surface keeps its wire contracts in schemas.ts.
import { z } from 'zod';
import { AGENT_ID, USER_IDENTIFIER, USER_IDENTIFIER_RULE } from '../../auth/claims.ts';
import type { OpenApiOperation } from '../openapi-types.ts';

// ---- shared pieces -------------------------------------------------------------------------------

export const AgentId = z
  .string()
  .regex(AGENT_ID, 'expected an agent id')
  .describe('The agent id from parley.config.yaml');
export const ResourceId = z.string().min(1).max(128).describe('An id this server gave out');

export const UserIdentifier = z
  .string()
  .regex(USER_IDENTIFIER, USER_IDENTIFIER_RULE)
  .describe('The end user, 1-256 printable characters (no control or bidi-override characters)');

/** Checked against the agent's declared userContext fields by validateUserContext (types, presence, nothing extra). */
export const UserContextInput = z
  .record(z.string(), z.unknown())
  .describe(
    'The tenant context of the end user, e.g. { organisationId: 1 }. Required exactly when the agent declares ' +
      'userContext fields; every declared field must be present with its declared type and nothing else may be.',
  );

export const UserContextOutput = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
  )
  .describe("The conversation's tenant context");

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe('A stable machine-readable code, e.g. invalid_request, not_found, invalid_api_key'),
      message: z.string().describe('What went wrong, for a developer'),
    }),
  })
  .describe('Every error has this shape');

export const Table = z
  .object({
    head: z.array(z.string()),
    body: z.array(z.array(z.string())),
  })
  .describe('Inconvo-compatible table: every cell a formatted string');

export const Chart = z.record(z.string(), z.unknown()).describe('A Vega-Lite v6 specification');

export const InconvoType = z.enum(['text', 'chart', 'table']);

export const AnswerColumn = z.object({
  name: z.string(),
  type: z.enum(['number', 'string', 'date', 'boolean']),
});

export const AnswerData = z
  .object({
    columns: z.array(AnswerColumn),
    rows: z.array(z.array(z.union([z.number(), z.string(), z.boolean(), z.null()]))),
    truncated: z.boolean().optional(),
  })
  .describe('The typed rows the answer was computed from; present whenever a query ran');

export const AnswerSql = z
  .object({ text: z.string(), bindings: z.array(z.unknown()) })
  .describe('The SQL that ran; tenant values appear only as bindings');

// ---- conversations -------------------------------------------------------------------------------

export const ConversationCreateBody = z.object({
  userIdentifier: UserIdentifier,
  userContext: UserContextInput.optional(),
});

export const ConversationCreateResponse = z.object({
  id: z.string(),
  createdAt: z.string(),
  userIdentifier: z.string(),
  userContext: UserContextOutput,
});

export const ConversationPath = z.object({ agentId: AgentId, conversationId: ResourceId });
export const AgentPath = z.object({ agentId: AgentId });

export const ConversationMessage = z.object({
  id: z.string().optional().describe('Present on answers only: the response id'),
  role: z.enum(['user', 'assistant']).describe('Parley extension: who wrote the message'),
  message: z.string(),
  type: InconvoType,
  chart: Chart.optional(),
  table: Table.optional(),
});

export const Conversation = z.object({
  id: z.string(),
  messages: z.array(ConversationMessage).describe('Questions and answers in order'),
  userContext: UserContextOutput,
  userIdentifier: z.string().nullable(),
  title: z.string(),
  createdAt: z.string(),
});

/** The query of the list route; userContext arrives as a deep object (userContext[organisationId]=1). */
export const ConversationListQuery = z.object({
  userIdentifier: UserIdentifier.optional(),
  userContext: z
    .record(z.string(), z.union([z.string(), z.number()]))
    .optional()
    .describe(
      'The tenant context as a deep object: userContext[organisationId]=1 (list fields comma-separated). ' +
        "Only conversations of exactly this context are listed. Optional: without it the userIdentifier's conversations in every tenant are listed (an agent that declares userContext fields then needs a userIdentifier).",
    ),
  cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).optional().describe('Page size, 1-100 (default 20)'),
});

export const ConversationListItem = z.object({
  id: z.string(),
  createdAt: z.string(),
  title: z.string(),
  userContext: UserContextOutput,
  userIdentifier: z.string().nullable(),
});

export const ConversationList = z.object({
  items: z.array(ConversationListItem),
  nextCursor: z.string().nullable(),
});

// ---- responses -----------------------------------------------------------------------------------

export const ResponseCreateBody = z.object({
  message: z.string().trim().min(1, 'message must not be empty').max(4000).describe('The question'),
  stream: z
    .boolean()
    .optional()
    .describe(
      'true: answer with server-sent events (response.created, response.progress, response.completed)',
    ),
});

export const ResponsePath = z.object({
  agentId: AgentId,
  conversationId: ResourceId,
  responseId: ResourceId,
});

export const ResponseCreateResponse = z.object({
  id: z.string().describe('The response id'),
  conversationId: z.string(),
  message: z.string().describe('One or two sentences for a person'),
  type: InconvoType.describe(
    "Parley's error and clarification answers are type text (with a code); a clarification's message lists its choices",
  ),
  chart: Chart.optional().describe('A Vega-Lite v6 specification, when type is chart'),
  table: Table.optional(),
  data: AnswerData.optional(),
  plan: z.record(z.string(), z.unknown()).optional().describe('The validated query plan'),
  sql: AnswerSql.optional(),
  explanation: z.string().optional().describe('What was counted, over which dates, with which filters'),
  code: z.string().optional().describe('For answers that could not be given: unanswerable, ambiguous, ...'),
  suggestions: z.array(z.string()).optional(),
  choices: z
    .array(z.object({ label: z.string(), question: z.string() }))
    .optional()
    .describe(
      'For a question with several readings (code ambiguous): asking a choice’s question in the same conversation answers it',
    ),
  readAs: z
    .array(
      z.object({
        kind: z.enum(['measure', 'listing', 'period', 'filter', 'grouping']),
        text: z.string(),
        alternatives: z.array(z.object({ label: z.string(), question: z.string() })).optional(),
      }),
    )
    .optional()
    .describe(
      'The reading taken (measure, period, filters, grouping); a chip’s alternatives are other readings, each answered by asking its question in the same conversation',
    ),
  unusedWords: z
    .array(z.string())
    .optional()
    .describe('Meaningful words of the question the plan does not reflect'),
});

export const ProgressStage = z.enum(['planning', 'querying', 'composing']);

export const ResponseCreatedEvent = z.object({
  type: z.literal('response.created'),
  id: z.string().describe('The response id'),
  conversationId: z.string(),
});
export const ResponseProgressEvent = z.object({
  type: z.literal('response.progress'),
  id: z.string(),
  stage: ProgressStage,
  message: z.string().describe('What is happening, for a person'),
});
export const ResponseCompletedEvent = z.object({
  type: z.literal('response.completed'),
  id: z.string(),
  response: ResponseCreateResponse,
});
export const ResponseErrorEvent = z.object({
  type: z.literal('response.error'),
  id: z.string(),
  code: z.string(),
  message: z.string(),
});
export const ResponseStreamEvent = z
  .discriminatedUnion('type', [
    ResponseCreatedEvent,
    ResponseProgressEvent,
    ResponseCompletedEvent,
    ResponseErrorEvent,
  ])
  .describe('Each event is one `event: <type>` + `data: <JSON>` block of a text/event-stream');

export const TraceStep = z.object({ name: z.string(), input: z.unknown(), output: z.unknown() });

export const ResponseRetrieveResponse = z.object({
  id: z.string(),
  status: z.enum(['in_progress', 'completed', 'failed', 'cancelled']),
  input: z.object({ message: z.string(), userContext: UserContextOutput }),
  output: z.object({
    text: z.string(),
    type: InconvoType,
    chart: Chart.optional(),
    table: Table.optional(),
  }),
  trace: z.array(TraceStep).describe('planner (question -> plan), sql (statement and bindings), composer'),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.string(),
  completedAt: z.string().optional(),
});

// ---- feedback ------------------------------------------------------------------------------------

export const Rating = z.enum(['positive', 'negative']);

export const FeedbackCreateBody = z.object({
  rating: Rating,
  comment: z.string().max(2000).optional(),
});

export const FeedbackUpdateBody = z
  .object({
    rating: Rating.optional(),
    comment: z.string().max(2000).optional(),
  })
  .refine((b) => b.rating !== undefined || b.comment !== undefined, 'give a rating, a comment or both');

export const FeedbackPath = ResponsePath.extend({ feedbackId: ResourceId });

export const Feedback = z.object({
  id: z.string(),
  responseId: z.string(),
  rating: Rating.nullable(),
  comment: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// ---- data summary --------------------------------------------------------------------------------

export const DataSummaryTable = z.object({
  name: z.string(),
  description: z.string().optional(),
  synonyms: z.array(z.string()),
  access: z.enum(['queryable', 'joinable']),
  visibleWhen: z
    .string()
    .optional()
    .describe('Visible only to users whose userContext has this boolean field true'),
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      description: z.string().optional(),
      unit: z.string().optional(),
      synonyms: z.array(z.string()),
      computed: z.boolean().optional(),
    }),
  ),
  measures: z.array(
    z.object({
      name: z.string(),
      aggregate: z.string(),
      column: z.string().optional(),
      description: z.string().optional(),
      unit: z.string().optional(),
      synonyms: z.array(z.string()),
    }),
  ),
  segments: z.array(
    z.object({ name: z.string(), description: z.string().optional(), synonyms: z.array(z.string()) }),
  ),
  relations: z.array(z.object({ name: z.string(), table: z.string(), kind: z.string() })),
});

export const DataSummary = z.object({
  dataSummary: z.string().describe('A human-readable summary of the data available to the agent'),
  agent: z.object({ id: z.string(), name: z.string().optional() }),
  userContext: z.record(z.string(), z.string()).describe('The declared userContext fields and their types'),
  starterQuestions: z.array(z.string()),
  tables: z
    .array(DataSummaryTable)
    .describe('The semantic model: tables, columns, measures; never data values'),
});

// ---- the OpenAPI registrations -------------------------------------------------------------------

/** Named schemas of the document's components; everything else gets a name from its operation. */
export const apiV1Components: Record<string, z.ZodType> = {
  Error: ErrorResponse,
  Table,
  Chart,
  AnswerData,
  ResponseCreateResponse,
  ResponseStreamEvent,
  Conversation,
  ConversationList,
  Feedback,
  DataSummary,
};

/** POST /api/v1/revocations: exactly one of tokenId and userIdentifier (checked by the route). */
export const RevocationBody = z
  .object({
    tokenId: z.string().min(1).max(256).optional(),
    /** for tokenId: when the token expires (default: the longest lifetime a token may have) */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    userIdentifier: UserIdentifier.optional(),
    agentId: AgentId.optional(),
    userContext: z.unknown().optional(),
    /** for userIdentifier: tokens issued before (or in the same second as) this are void; default now */
    issuedBefore: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const RevocationResult = z.union([
  z.object({ revoked: z.literal('token'), tokenId: z.string(), until: z.string() }),
  z.object({
    revoked: z.literal('sessions'),
    userIdentifier: z.string(),
    agentId: z.string().nullable(),
    userContext: z.record(z.string(), z.unknown()).nullable(),
    issuedBefore: z.string(),
  }),
]);

const PREFIX = '/api/v1';
const errors = (...statuses: number[]): OpenApiOperation['responses'] => {
  const text: Record<number, string> = {
    400: 'Invalid request (body, query or userContext)',
    401: 'Missing or unknown API key',
    403: 'The API key is not allowed for this agent',
    404: 'Unknown agent, or no such resource for this agent',
    413: 'The request body is larger than 64 kB',
  };
  return Object.fromEntries(
    statuses.map((s) => [String(s), { description: text[s] ?? 'Error', schema: ErrorResponse }]),
  );
};

export const apiV1Paths: OpenApiOperation[] = [
  {
    method: 'post',
    path: `${PREFIX}/agents/{agentId}/conversations`,
    operationId: 'createConversation',
    summary: 'Create a conversation for an end user and tenant',
    tags: ['conversations'],
    security: 'apiKey',
    pathParams: AgentPath,
    body: ConversationCreateBody,
    responses: {
      '200': { description: 'The new conversation', schema: ConversationCreateResponse },
      ...errors(400, 401, 403, 404, 413),
    },
  },
  {
    method: 'get',
    path: `${PREFIX}/agents/{agentId}/conversations`,
    operationId: 'listConversations',
    summary: 'List conversations, newest first, by cursor',
    tags: ['conversations'],
    security: 'apiKey',
    pathParams: AgentPath,
    query: ConversationListQuery,
    responses: {
      '200': { description: 'A page of conversations', schema: ConversationList },
      ...errors(400, 401, 403, 404),
    },
  },
  {
    method: 'get',
    path: `${PREFIX}/agents/{agentId}/conversations/{conversationId}`,
    operationId: 'retrieveConversation',
    summary: 'A conversation with its questions and answers',
    tags: ['conversations'],
    security: 'apiKey',
    pathParams: ConversationPath,
    responses: {
      '200': { description: 'The conversation', schema: Conversation },
      ...errors(401, 403, 404),
    },
  },
  {
    method: 'post',
    path: `${PREFIX}/agents/{agentId}/conversations/{conversationId}/response`,
    operationId: 'createResponse',
    summary: 'Ask a question in a conversation (JSON, or server-sent events with stream: true)',
    description:
      'With `stream: true` the answer is a text/event-stream: `response.created`, then `response.progress` ' +
      '(stages planning, querying, composing), then `response.completed` with the full response object, or ' +
      '`response.error`. Each event is `event: <type>` and `data: <JSON>` lines. Closing the stream cancels the answer.',
    tags: ['responses'],
    security: 'apiKey',
    pathParams: ConversationPath,
    body: ResponseCreateBody,
    responses: {
      '200': {
        description: 'The answer',
        content: { 'application/json': ResponseCreateResponse, 'text/event-stream': ResponseStreamEvent },
      },
      ...errors(400, 401, 403, 404, 413),
    },
  },
  {
    method: 'get',
    path: `${PREFIX}/agents/{agentId}/conversations/{conversationId}/response/{responseId}`,
    operationId: 'retrieveResponse',
    summary: 'A response with its input, output and trace',
    tags: ['responses'],
    security: 'apiKey',
    pathParams: ResponsePath,
    responses: {
      '200': { description: 'The response', schema: ResponseRetrieveResponse },
      ...errors(401, 403, 404),
    },
  },
  {
    method: 'post',
    path: `${PREFIX}/agents/{agentId}/conversations/{conversationId}/response/{responseId}/feedback`,
    operationId: 'createFeedback',
    summary: "Rate a response (a second call replaces the response's feedback)",
    tags: ['feedback'],
    security: 'apiKey',
    pathParams: ResponsePath,
    body: FeedbackCreateBody,
    responses: {
      '200': { description: 'The feedback', schema: Feedback },
      ...errors(400, 401, 403, 404, 413),
    },
  },
  {
    method: 'patch',
    path: `${PREFIX}/agents/{agentId}/conversations/{conversationId}/response/{responseId}/feedback/{feedbackId}`,
    operationId: 'updateFeedback',
    summary: 'Change the rating or comment of feedback',
    tags: ['feedback'],
    security: 'apiKey',
    pathParams: FeedbackPath,
    body: FeedbackUpdateBody,
    responses: {
      '200': { description: 'The feedback', schema: Feedback },
      ...errors(400, 401, 403, 404, 413),
    },
  },
  {
    method: 'get',
    path: `${PREFIX}/agents/{agentId}/data-summary`,
    operationId: 'retrieveDataSummary',
    summary: "A summary of the agent's semantic model (tables, columns, measures; never data values)",
    tags: ['agents'],
    security: 'apiKey',
    pathParams: AgentPath,
    responses: {
      '200': { description: 'The summary', schema: DataSummary },
      ...errors(401, 403, 404),
    },
  },
  {
    method: 'post',
    path: `${PREFIX}/revocations`,
    operationId: 'revokeSessions',
    summary: 'Revoke one session token (tokenId = its jti) or every token of a user issued before a time',
    description:
      'Kept in the store: every instance sharing it refuses the tokens (401 token_revoked); open WebSockets close with 4003 within 5 s.',
    tags: ['sessions'],
    security: 'apiKey',
    body: RevocationBody,
    responses: {
      '200': { description: 'What was revoked', schema: RevocationResult },
      ...errors(400, 401, 403, 404),
    },
  },
  {
    method: 'get',
    path: `${PREFIX}/openapi.json`,
    operationId: 'openApiDocument',
    summary: 'This document',
    tags: ['meta'],
    security: 'none',
    responses: {
      '200': { description: 'The OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) },
    },
  },
];
