// The OpenAPI 3.1 document of the BFF's HTTP surfaces, generated from the zod schemas the routes validate with
// (z.toJSONSchema, JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses). Each surface is an OpenApiSurface in
// SURFACES: /api/v1 as OpenApiOperations from api-v1/schemas.ts, /widget/v1 as the path items widget-v1/schemas.ts
// builds from its own zod schemas. Served at GET /api/v1/openapi.json.
import { z } from 'zod';
import { apiV1Components, apiV1Paths } from './api-v1/schemas.ts';
import { DATASETS_SURFACE } from './datasets-openapi.ts';
import type { OpenApiOperation, OpenApiSurface } from './openapi-types.ts';
import { widgetV1Paths, widgetV1SecuritySchemes } from './widget-v1/schemas.ts';

const API_V1: OpenApiSurface = {
  operations: apiV1Paths,
  components: apiV1Components,
  securitySchemes: {
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      description: 'A host-backend API key (PARLEY_API_KEY or auth.apiKeys)',
    },
  },
};
const WIDGET_V1: OpenApiSurface = { paths: widgetV1Paths, securitySchemes: widgetV1SecuritySchemes };

/**
 * The surfaces in the document. A new surface exports its operations (or ready-made path items) and is added
 * here, or registers itself at run time with registerOpenApiSurface. Component names and operationIds must be
 * unique across surfaces, and no path + method may be described twice (openApiDocument throws).
 */
const SURFACES: OpenApiSurface[] = [API_V1, WIDGET_V1, DATASETS_SURFACE];

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** more surfaces (tests, or a surface registered at run time) */
  extra?: OpenApiSurface[];
  version?: string;
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const toRef = (id: string): string => `#/components/schemas/${id}`;

/** JSON Schema of a single schema, for parameters (input side: what a caller sends). */
function inputSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function parameters(op: OpenApiOperation): Json[] {
  const out: Json[] = [];
  const add = (where: 'path' | 'query', obj: z.ZodObject | undefined) => {
    if (!obj) return;
    const json = inputSchema(obj);
    const props = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema;
      const param: Json = { name, in: where, required: where === 'path' || required.has(name), schema: rest };
      if (typeof description === 'string') param.description = description;
      if (where === 'query' && (rest.type === 'object' || rest.additionalProperties !== undefined)) {
        param.style = 'deepObject';
        param.explode = true;
      }
      out.push(param);
    }
  };
  add('path', op.pathParams);
  add('query', op.query);
  return out;
}

/** Adds a surface at run time (e.g. from a router module); the next openApiDocument() call includes it. */
export function registerOpenApiSurface(surface: OpenApiSurface): void {
  if (!SURFACES.includes(surface)) SURFACES.push(surface);
}

/** `text/event-stream` -> `EventStream`, to name the second and later content types of a response */
const typeSuffix = (type: string): string =>
  (type.split('/')[1] ?? type)
    .split(/[^A-Za-z0-9]+/)
    .map(pascal)
    .join('');

/** The whole OpenAPI 3.1 document. */
export function openApiDocument(options: OpenApiOptions = {}): Json {
  const surfaces = [...SURFACES, ...(options.extra ?? [])];
  // responses are generated as what the server sends (io: output), request bodies as what it accepts (io: input:
  // unknown keys are ignored, not refused); one id space across both
  const outputs = z.registry<{ id: string }>();
  const inputs = z.registry<{ id: string }>();
  const ids = new Map<string, z.ZodType>();
  const register = (id: string, schema: z.ZodType, registry = outputs): string => {
    const existing = registry.get(schema)?.id;
    if (existing) return existing;
    const taken = ids.get(id);
    if (taken && taken !== schema) throw new Error(`OpenAPI: two different schemas are named "${id}"`);
    ids.set(id, schema);
    registry.add(schema, { id });
    return id;
  };
  for (const surface of surfaces) {
    for (const [id, schema] of Object.entries(surface.components ?? {})) register(id, schema);
  }

  const operationIds = new Set<string>();
  const paths: Record<string, Record<string, Json>> = {};
  const claimOperationId = (id: string): void => {
    if (operationIds.has(id)) throw new Error(`OpenAPI: duplicate operationId "${id}"`);
    operationIds.add(id);
  };
  const securitySchemes: Record<string, unknown> = {};
  const addPathItem = (path: string, method: string, item: unknown): void => {
    const entry = paths[path] ?? {};
    if (entry[method] !== undefined)
      throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is described twice`);
    entry[method] = item as Json;
    paths[path] = entry;
  };
  for (const surface of surfaces) {
    Object.assign(securitySchemes, surface.securitySchemes);
    for (const [path, item] of Object.entries(surface.paths ?? {})) {
      for (const [method, operation] of Object.entries(item)) {
        const operationId = (operation as { operationId?: unknown } | null)?.operationId;
        if (typeof operationId === 'string') claimOperationId(operationId);
        addPathItem(path, method, operation);
      }
    }
    for (const op of surface.operations ?? []) {
      claimOperationId(op.operationId);
      const base = pascal(op.operationId);
      const operation: Json = {
        operationId: op.operationId,
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        ...(op.tags ? { tags: op.tags } : {}),
        security: op.security === 'none' ? [] : [{ [op.security]: [] }],
      };
      const params = parameters(op);
      if (params.length > 0) operation.parameters = params;
      if (op.body) {
        const id = register(`${base}Request`, op.body, inputs);
        operation.requestBody = {
          required: true,
          content: { [op.bodyContentType ?? 'application/json']: { schema: { $ref: toRef(id) } } },
        };
      }
      const responses: Json = {};
      for (const [status, response] of Object.entries(op.responses)) {
        const types = Object.entries(
          response.content ?? (response.schema ? { 'application/json': response.schema } : {}),
        );
        const content: Json = {};
        types.forEach(([type, schema], i) => {
          const id = register(
            `${base}${status === '200' ? '' : status}Response${i === 0 ? '' : typeSuffix(type)}`,
            schema,
          );
          content[type] = { schema: { $ref: toRef(id) } };
        });
        responses[status] = { description: response.description, ...(types.length > 0 ? { content } : {}) };
      }
      operation.responses = responses;
      addPathItem(op.path, op.method, operation);
    }
  }

  const schemas: Record<string, Json> = {};
  for (const [registry, io] of [
    [outputs, 'output'],
    [inputs, 'input'],
  ] as const) {
    const generated = z.toJSONSchema(registry, { uri: toRef, unrepresentable: 'any', io }) as unknown as {
      schemas: Record<string, Json>;
    };
    for (const [id, schema] of Object.entries(generated.schemas)) {
      const { $schema: _s, $id: _i, ...rest } = schema;
      schemas[id] = rest;
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley',
      version: options.version ?? '1',
      description:
        'Self-hosted "chat with your data". /api/v1 is the host-backend API, compatible with the @inconvoai/node ' +
        'SDK (point its baseURL at http://host:port/api/v1). Errors are { "error": { "code", "message" } }.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [
      { name: 'conversations' },
      { name: 'responses' },
      { name: 'feedback' },
      { name: 'agents' },
      { name: 'datasets' },
      { name: 'meta' },
      { name: 'widget' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes,
    },
  };
}
