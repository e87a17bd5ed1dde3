// Every route of the live server, hit with random paths, malformed percent-encodings, bodies and headers (fast-check):
// nothing a client sends may produce a 5xx, a stack trace in a body, or a log line at error level. Every error is
// the one shape { "error": { "code", "message" } }.
import http from 'node:http';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.ts';

/** Every route the server mounts (method, path template); the last test checks this list against the OpenAPI paths. */
const ROUTES: Array<[string, string]> = [
  ['GET', '/'],
  ['GET', '/agents/:agentId'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
  ['GET', '/widget/v1/config'],
  ['GET', '/widget/v1/origin'],
  ['GET', '/widget/v1/conversations'],
  ['POST', '/widget/v1/conversations'],
  ['GET', '/widget/v1/conversations/:id'],
  ['DELETE', '/widget/v1/conversations/:id'],
  ['POST', '/widget/v1/conversations/:id/messages'],
  ['POST', '/widget/v1/conversations/:id/responses/:responseId/feedback'],
  ['GET', '/widget/v1/conversations/:id/responses/:responseId/export.csv'],
  ['GET', '/widget/v1/datasets'],
  ['POST', '/widget/v1/datasets'],
  ['DELETE', '/widget/v1/datasets/user/:filename'],
  ['DELETE', '/widget/v1/datasets/context/:contextKey/:filename'],
  ['GET', '/widget/v1/ws'],
  ['GET', '/widget/parley-widget.js'],
  ['GET', '/api/v1/openapi.json'],
  ['GET', '/api/v1/agents/:agentId/conversations'],
  ['POST', '/api/v1/agents/:agentId/conversations'],
  ['GET', '/api/v1/agents/:agentId/conversations/:conversationId'],
  ['POST', '/api/v1/agents/:agentId/conversations/:conversationId/response'],
  ['GET', '/api/v1/agents/:agentId/conversations/:conversationId/response/:responseId'],
  ['POST', '/api/v1/agents/:agentId/conversations/:conversationId/response/:responseId/feedback'],
  [
    'PATCH',
    '/api/v1/agents/:agentId/conversations/:conversationId/response/:responseId/feedback/:feedbackId',
  ],
  ['GET', '/api/v1/agents/:agentId/data-summary'],
  ['POST', '/api/v1/revocations'],
  ['POST', '/api/v1/agents/:agentId/datasets/user/:userIdentifier'],
  ['GET', '/api/v1/agents/:agentId/datasets/user/:userIdentifier'],
  ['DELETE', '/api/v1/agents/:agentId/datasets/user/:userIdentifier/:filename'],
  ['POST', '/api/v1/agents/:agentId/datasets/context/:contextKey/:contextValue'],
  ['GET', '/api/v1/agents/:agentId/datasets/context/:contextKey/:contextValue'],
  ['DELETE', '/api/v1/agents/:agentId/datasets/context/:contextKey/:contextValue/:filename'],
  ['POST', '/api/v1/datasets/user/:userIdentifier'],
  ['GET', '/api/v1/datasets/user/:userIdentifier'],
  ['DELETE', '/api/v1/datasets/user/:userIdentifier/:filename'],
  ['POST', '/api/v1/datasets/context/:contextKey/:contextValue'],
  ['GET', '/api/v1/datasets/context/:contextKey/:contextValue'],
  ['DELETE', '/api/v1/datasets/context/:contextKey/:contextValue/:filename'],
];

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Got {
  status: number;
  contentType: string;
  body: string;
}

function send(base: string, req: Sent): Promise<Got> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    r.setTimeout(20_000, () => r.destroy(new Error(`no answer to ${req.method} ${req.path}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** A path segment as an attacker writes it: valid ids, any text percent-encoded, broken percent-encodings, traversal. */
const segment = fc.oneof(
  fc.constantFrom('demo', 'alice', 'organisationId', '1', '2', 'x.csv', 'initech'),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%ZZ',
    '%00',
    '%2e%2e',
    '..',
    '%2F',
    '%C0%AF',
    '%FF%FE',
    '%uD800',
    '%%',
    'a%',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}$/, '%')),
  fc.constant('a'.repeat(3000)),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?limit=-1',
    '?limit=abc',
    '?cursor=%E0%A4%A',
    '?userContext=%7B',
    '?userContext=%7B%22organisationId%22%3A1%7D',
    '?userIdentifier=alice&userIdentifier=bob',
    '?a[b][c][d][e]=1',
    '?%=%',
    '?userContext[organisationId]=1',
  ),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
    .map((q) => `?${new URLSearchParams(q).toString()}`),
);

describe('fuzzing every route', () => {
  let server: TestServer;
  const errorLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          const level = (JSON.parse(line) as { level?: number }).level ?? 0;
          if (level >= 50) errorLines.push(line);
        }
        done();
      },
    });
    server = await startTestServer({ logger: pino({ level: 'warn' }, sink) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('answers no 5xx, no stack and no error-level log line to random requests', async () => {
    const token = server.token('fuzzer', 1);
    const authorization = fc.oneof(
      fc.constant(`Bearer ${token}`),
      fc.constant(`Bearer ${server.apiKey}`),
      fc.constantFrom(
        undefined,
        'Bearer',
        'Bearer x.y.z',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${token.slice(0, -4)}AAAA`,
        `Bearer ${'A'.repeat(9000)}`,
      ),
    );
    const contentType = fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-16',
      'application/json; charset=bogus',
      'text/plain',
      'multipart/form-data',
      'multipart/form-data; boundary=xyz',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    );
    const contentEncoding = fc.constantFrom(undefined, undefined, 'gzip', 'deflate', 'br', 'bogus');
    const origin = fc.constantFrom(undefined, 'http://evil.example', 'null', 'http://localhost:3000', '%');
    const body = fc.oneof(
      fc.constant(undefined),
      fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc
        .constantFrom(
          '{"text":"How many orders?"}',
          '{"userIdentifier":"alice","userContext":{"organisationId":1}}',
          '{"message":"revenue","stream":true}',
          '{"__proto__":{"polluted":true}}',
          '{"rating":"up"}',
          '{"userIdentifier":"fuzz-victim","agentId":"demo"}',
          '{"tokenId":"x","issuedBefore":"2026-01-01T00:00:00Z"}',
          '{',
          '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\n1,2\r\n--xyz--\r\n',
        )
        .map((s) => Buffer.from(s)),
    );
    const request = fc
      .record({
        route: fc.constantFrom(...ROUTES),
        method: fc.option(fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH', 'PUT', 'OPTIONS', 'HEAD'), {
          freq: 3,
        }),
        params: fc.array(segment, { minLength: 6, maxLength: 6 }),
        tail: fc.option(fc.array(segment, { maxLength: 3 }), { freq: 4 }),
        query,
        authorization,
        contentType,
        contentEncoding,
        origin,
        body,
      })
      .map((r): Sent => {
        let i = 0;
        let path = r.route[1].replace(/:[A-Za-z]+/g, () => r.params[i++] ?? 'x');
        if (r.tail) path += `/${r.tail.join('/')}`;
        const headers: Record<string, string> = {};
        if (r.authorization) headers.authorization = r.authorization;
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.contentEncoding) headers['content-encoding'] = r.contentEncoding;
        if (r.origin) headers.origin = r.origin;
        return { method: r.method ?? r.route[0], path: path + r.query, headers, body: r.body };
      });

    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const got = await send(server.url, req);
        const what = `${req.method} ${req.path} -> ${got.status} ${got.body.slice(0, 300)}`;
        expect(got.status, what).toBeLessThan(500);
        expect(got.body, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
        if (got.status >= 400 && got.contentType.startsWith('application/json') && req.method !== 'HEAD') {
          const parsed = JSON.parse(got.body) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code, what).toBe('string');
          expect(typeof parsed.error?.message, what).toBe('string');
        }
        expect(errorLines, what).toEqual([]);
      }),
      { numRuns: Number(process.env.PARLEY_FUZZ_RUNS ?? 600) },
    );
  }, 300_000);

  it('covers every route of the OpenAPI document', async () => {
    const doc = JSON.parse(
      (await send(server.url, { method: 'GET', path: '/api/v1/openapi.json', headers: {} })).body,
    ) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const known = new Set(ROUTES.map(([m, p]) => `${m} ${p.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of Object.keys(ops))
        if (['get', 'post', 'delete', 'patch', 'put'].includes(method))
          expect(known, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
  });
});
