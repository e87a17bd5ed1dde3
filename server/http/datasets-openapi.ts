// The dataset routes in the OpenAPI document: the host API's (SDK 0.5.0 shape under /agents/{agentId}/ and the
// guide's agent-less shape) and the widget's, described from zod schemas like the rest of /api/v1.
import { z } from 'zod';
import { AgentId, ErrorResponse } from './api-v1/schemas.ts';
import type { HttpMethod, OpenApiOperation, OpenApiSurface } from './openapi-types.ts';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: filename (also control or bidi characters), notes, scope, userContext, multipart body',
  401: 'Missing or unknown credentials',
  403: 'The key (or the session) is not allowed this',
  404: 'Unknown agent, or no such file in this scope',
  409: 'A quota of the scope is used up',
  413: 'The file is larger than datasets.maxFileBytes (10 MB by default)',
  415: 'Not a .csv or .json file, or its content is not CSV/JSON text',
  422: 'The file does not parse, or is past the column or cell limits (with its line and column)',
  429: "Past the uploader's upload rate or concurrency: retry after the Retry-After header's seconds",
  503: 'Every worker is busy: retry after the Retry-After header’s seconds',
};

const errors = (...statuses: number[]): OpenApiOperation['responses'] =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: ERROR_TEXT[s] ?? 'Error', schema: ErrorResponse }]),
  );

const UserIdentifier = z.string().min(1).max(256).describe('1-256 printable characters, compared exactly');
const ContextKey = z.string().describe('an integer or string userContext field of the agent');
const ContextValue = z.string().describe('the value, parsed by the field’s declared type');
const Filename = z.string().min(1).max(255).describe('the file name, URL-encoded');

export const DatasetUploadBody = z.object({
  file: z.string().meta({ format: 'binary' }).describe('the CSV or JSON file'),
  notes: z.string().max(2000).optional().describe('what the file holds, for the planners'),
});
export const DatasetUploaded = z.object({
  file: z.object({ name: z.string(), path: z.string(), size: z.int() }),
});
export const DatasetList = z.object({ files: z.array(z.string()) });
export const DatasetDeleted = z.object({ file: z.string(), success: z.literal(true) });
const UserContextQuery = z.object({
  userContext: z
    .string()
    .optional()
    .describe(
      "the user's userContext as JSON: required for a multi-tenant agent (a user's files are per tenant)",
    ),
});

const API = '/api/v1';

function apiOperations(): OpenApiOperation[] {
  const out: OpenApiOperation[] = [];
  const shapes = [
    {
      scope: 'user' as const,
      tail: '/datasets/user/{userIdentifier}',
      params: { userIdentifier: UserIdentifier },
      query: UserContextQuery,
    },
    {
      scope: 'context' as const,
      tail: '/datasets/context/{contextKey}/{contextValue}',
      params: { contextKey: ContextKey, contextValue: ContextValue },
      query: undefined,
    },
  ];
  for (const withAgent of [true, false]) {
    for (const shape of shapes) {
      const base = `${API}${withAgent ? '/agents/{agentId}' : ''}${shape.tail}`;
      const params = withAgent ? { agentId: AgentId, ...shape.params } : shape.params;
      const id = (verb: string) =>
        `${verb}${shape.scope === 'user' ? 'User' : 'Context'}Dataset${withAgent ? '' : 'DefaultAgent'}`;
      const agentNote = withAgent
        ? ''
        : ' The agent is the one the API key is scoped to (when exactly one), else datasets.defaultAgent; ' +
          'otherwise 400 agent_required.';
      const common = {
        tags: ['datasets'],
        security: 'apiKey',
        ...(shape.query ? { query: shape.query } : {}),
      };
      out.push(
        {
          method: 'post',
          path: base,
          operationId: id('upload'),
          summary: `Upload (or replace) a CSV/JSON file of a ${shape.scope === 'user' ? 'user' : 'context value'}`,
          description: `Multipart form: \`file\`, optional \`notes\`.${agentNote}`,
          pathParams: z.object(params),
          body: DatasetUploadBody,
          bodyContentType: 'multipart/form-data',
          responses: {
            '200': { description: 'The stored file', schema: DatasetUploaded },
            ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
          },
          ...common,
        },
        {
          method: 'get',
          path: base,
          operationId: id('list'),
          summary: `The file names of a ${shape.scope === 'user' ? 'user' : 'context value'}`,
          ...(agentNote ? { description: agentNote.trim() } : {}),
          pathParams: z.object(params),
          responses: {
            '200': { description: 'File names, by name', schema: DatasetList },
            ...errors(400, 401, 403, 404),
          },
          ...common,
        },
        {
          method: 'delete',
          path: `${base}/{filename}`,
          operationId: id('delete'),
          summary: 'Delete a file by name',
          ...(agentNote ? { description: agentNote.trim() } : {}),
          pathParams: z.object({ ...params, filename: Filename }),
          responses: {
            '200': { description: 'Deleted', schema: DatasetDeleted },
            ...errors(400, 401, 403, 404),
          },
          ...common,
        },
      );
    }
  }
  return out;
}

const WidgetDataset = z.object({
  name: z.string(),
  scope: z.enum(['user', 'context']),
  contextKey: z.string().optional(),
  table: z.string().optional(),
  format: z.enum(['csv', 'json']),
  notes: z.string(),
  size: z.int(),
  rowCount: z.int(),
  columns: z.array(z.object({ name: z.string(), header: z.string(), type: z.string() })),
  uploadedAt: z.string(),
  createdAt: z.string(),
  canDelete: z.boolean(),
});
const WidgetUploadBody = DatasetUploadBody.extend({
  scope: z.enum(['user', 'context']).optional(),
  contextKey: z.string().optional(),
});

function widgetOperations(): OpenApiOperation[] {
  const W = '/widget/v1/datasets';
  const common = { tags: ['widget'], security: 'widgetSession' };
  const op = (
    method: HttpMethod,
    path: string,
    operationId: string,
    summary: string,
    rest: Partial<OpenApiOperation>,
  ): OpenApiOperation => ({ method, path, operationId, summary, responses: {}, ...common, ...rest });
  return [
    op('post', W, 'widgetUploadDataset', 'Upload (or replace) a file for me, or for my context', {
      body: WidgetUploadBody,
      bodyContentType: 'multipart/form-data',
      responses: {
        '200': {
          description: 'Replaced',
          schema: z.object({ dataset: WidgetDataset, replaced: z.literal(true) }),
        },
        '201': {
          description: 'Stored',
          schema: z.object({ dataset: WidgetDataset, replaced: z.literal(false) }),
        },
        ...errors(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    op('get', W, 'widgetListDatasets', 'My files, then the files shared with my context', {
      responses: {
        '200': { description: 'The files I can see', schema: z.object({ datasets: z.array(WidgetDataset) }) },
        ...errors(401, 403),
      },
    }),
    op('delete', `${W}/user/{filename}`, 'widgetDeleteUserDataset', 'Delete one of my files', {
      pathParams: z.object({ filename: Filename }),
      responses: { '200': { description: 'Deleted', schema: DatasetDeleted }, ...errors(401, 403, 404) },
    }),
    op(
      'delete',
      `${W}/context/{contextKey}/{filename}`,
      'widgetDeleteContextDataset',
      'Delete a file shared with my context (needs datasets:context:write)',
      {
        pathParams: z.object({ contextKey: ContextKey, filename: Filename }),
        responses: {
          '200': { description: 'Deleted', schema: DatasetDeleted },
          ...errors(400, 401, 403, 404),
        },
      },
    ),
  ];
}

export const DATASETS_SURFACE: OpenApiSurface = {
  operations: [...apiOperations(), ...widgetOperations()],
};
