// The shapes a surface describes itself in for the OpenAPI document (openapi.ts assembles them). Apart from
// openapi.ts so the surfaces' schema modules can use them without importing the module that imports them.
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OpenApiResponse {
  description: string;
  /** the application/json body */
  schema?: z.ZodType;
  /** several content types, e.g. { 'application/json': A, 'text/event-stream': Event } */
  content?: Record<string, z.ZodType>;
}

/** One operation of the document: the same zod schemas the route validates with. */
export interface OpenApiOperation {
  method: HttpMethod;
  /** the full path from the server root, OpenAPI template syntax: `/api/v1/agents/{agentId}/conversations` */
  path: string;
  /** unique across the whole document; also names generated component schemas */
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** the name of a security scheme of the document (apiKey: the host-backend API key), or none: public */
  security: string;
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** content type of the body; default application/json */
  bodyContentType?: string;
  responses: Record<string, OpenApiResponse>;
}

/** A surface's contribution to the document. */
export interface OpenApiSurface {
  /** operations described by zod schemas (the /api/v1 way) */
  operations?: readonly OpenApiOperation[];
  /** named schemas, $ref'd wherever they appear in `operations` */
  components?: Record<string, z.ZodType>;
  /** ready-made OpenAPI path items keyed by full path (the /widget/v1 way) */
  paths?: Record<string, Record<string, unknown>>;
  securitySchemes?: Record<string, unknown>;
}
