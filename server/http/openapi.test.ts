// The OpenAPI document: 3.1, every operation answers something, every $ref resolves, every path parameter is
// declared, every security scheme exists, and it is generated from the schemas the routes validate with.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationCreateBody, ResponseCreateBody } from './api-v1/schemas.ts';
import { openApiDocument } from './openapi.ts';
import type { OpenApiSurface } from './openapi-types.ts';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const doc = openApiDocument() as Json & {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
};

function resolvePointer(root: unknown, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  let at: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = (at as Json)[key];
  }
  return at;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

const operations = (): Array<{ path: string; method: string; op: Json; pathParams: Json[] }> =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op, pathParams: (item.parameters ?? []) as Json[] })),
  );

describe('openApiDocument', () => {
  it('is an OpenAPI 3.1 document with info and paths', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(6);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('describes every /api/v1 route the Inconvo SDK calls', () => {
    const want: Array<[string, string]> = [
      ['post', '/api/v1/agents/{agentId}/conversations'],
      ['get', '/api/v1/agents/{agentId}/conversations'],
      ['get', '/api/v1/agents/{agentId}/conversations/{conversationId}'],
      ['post', '/api/v1/agents/{agentId}/conversations/{conversationId}/response'],
      ['get', '/api/v1/agents/{agentId}/conversations/{conversationId}/response/{responseId}'],
      ['post', '/api/v1/agents/{agentId}/conversations/{conversationId}/response/{responseId}/feedback'],
      [
        'patch',
        '/api/v1/agents/{agentId}/conversations/{conversationId}/response/{responseId}/feedback/{feedbackId}',
      ],
      ['get', '/api/v1/agents/{agentId}/data-summary'],
    ];
    for (const [method, path] of want) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it('includes the widget API paths', () => {
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/widget/v1/'))).toBe(true);
  });

  it('gives every operation responses, a unique operationId and known security schemes', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      const responses = op.responses as Record<string, Json> | undefined;
      expect(responses && Object.keys(responses).length > 0, where).toBe(true);
      for (const [status, response] of Object.entries(responses ?? {})) {
        expect(status, where).toMatch(/^([1-5]\d\d|default)$/);
        expect(typeof response.description, `${where} ${status}`).toBe('string');
      }
      expect(typeof op.operationId, where).toBe('string');
      expect(ids.has(op.operationId as string), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId as string);
      for (const requirement of (op.security ?? []) as Json[]) {
        for (const scheme of Object.keys(requirement))
          expect(doc.components.securitySchemes[scheme], where).toBeDefined();
      }
    }
  });

  it('declares every path template parameter as a required path parameter', () => {
    for (const { path, method, op, pathParams } of operations()) {
      const declared = [...pathParams, ...((op.parameters ?? []) as Json[])].filter((p) => p.in === 'path');
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...names].sort());
      for (const p of declared) expect(p.required, `${method} ${path} ${String(p.name)}`).toBe(true);
    }
  });

  it('resolves every $ref within the document', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolvePointer(doc, ref), ref).toBeDefined();
  });

  it('puts the API key on /api/v1 routes and nothing on openapi.json', () => {
    const list = doc.paths['/api/v1/agents/{agentId}/conversations']?.get as Json;
    expect(list.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/api/v1/openapi.json']?.get?.security).toEqual([]);
  });

  it('is generated from the schemas the routes validate with', () => {
    const fromDoc = doc.components.schemas.CreateConversationRequest;
    const { $schema: _s, ...direct } = z.toJSONSchema(ConversationCreateBody, { io: 'input' }) as Json;
    expect(fromDoc).toEqual(direct);
    const body = doc.components.schemas.CreateResponseRequest as { properties: Json; required: string[] };
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(ResponseCreateBody.shape).sort());
    expect(body.required).toEqual(['message']);
    // request bodies ignore unknown keys rather than refuse them; the document must not claim otherwise
    expect(body).not.toHaveProperty('additionalProperties', false);
  });

  it('documents both content types of the response route and the userContext deep object', () => {
    const create = doc.paths['/api/v1/agents/{agentId}/conversations/{conversationId}/response']
      ?.post as Json;
    const ok = (create.responses as Record<string, { content: Json }>)['200'];
    expect(Object.keys(ok?.content ?? {}).sort()).toEqual(['application/json', 'text/event-stream']);
    const list = doc.paths['/api/v1/agents/{agentId}/conversations']?.get as { parameters: Json[] };
    expect(list.parameters.find((p) => p.name === 'userContext')).toMatchObject({
      in: 'query',
      style: 'deepObject',
      explode: true,
    });
    const events = doc.components.schemas.ResponseStreamEvent as {
      oneOf: Array<{ properties: { type: { const: string } } }>;
    };
    expect(events.oneOf.map((e) => e.properties.type.const)).toEqual([
      'response.created',
      'response.progress',
      'response.completed',
      'response.error',
    ]);
  });

  it('takes more surfaces and refuses clashes', () => {
    const extra: OpenApiSurface = {
      operations: [
        {
          method: 'get',
          path: '/extra/v1/ping',
          operationId: 'extraPing',
          summary: 'ping',
          security: 'none',
          responses: { '200': { description: 'pong', schema: z.object({ ok: z.boolean() }) } },
        },
      ],
    };
    const more = openApiDocument({ extra: [extra] }) as {
      paths: Record<string, Json>;
      components: { schemas: Json };
    };
    expect(more.paths['/extra/v1/ping']).toBeDefined();
    expect(more.components.schemas.ExtraPingResponse).toBeDefined();
    expect(() => openApiDocument({ extra: [extra, extra] })).toThrow(/duplicate operationId/);
    expect(() =>
      openApiDocument({
        extra: [{ paths: { '/api/v1/agents/{agentId}/data-summary': { get: { responses: {} } } } }],
      }),
    ).toThrow(/described twice/);
    expect(() => openApiDocument({ extra: [{ components: { Table: z.string() } }] })).toThrow(
      /two different schemas/,
    );
  });
});
