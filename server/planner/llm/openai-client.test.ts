import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, type FakeScript, startFakeOpenAI } from '../../../test/support/fake-openai.ts';
import { type ChatMessage, LlmError, OpenAIClient } from './openai-client.ts';

const KEY = 'sk-test-0123456789abcdefSECRET';
const messages: ChatMessage[] = [
  { role: 'system', content: 'You answer in JSON.' },
  { role: 'user', content: 'How many orders?' },
];
const schema = { type: 'object', properties: { narrative: { type: 'string' } } };

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(script: FakeScript): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI(script);
  return fake;
}

/** A fetch that answers with a hand-made event stream, split into the given byte pieces. */
function streamingFetch(pieces: Array<string | Uint8Array>, contentType = 'text/event-stream'): typeof fetch {
  return async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces)
          controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': contentType } });
  };
}

function chunk(content: string): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

function expectNoKey(err: Error): void {
  for (const text of [err.message, String(err), err.stack ?? '', JSON.stringify(err)]) {
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('SECRET');
  }
}

describe('OpenAIClient', () => {
  it('streams a completion and sends model, messages, the JSON schema, stream and the bearer key', async () => {
    const content = '{"narrative":"Counting orders.","outcome":"plan"}';
    const server = await serve(() => ({ content, chunkSize: 4 }));
    const client = new OpenAIClient({
      baseUrl: `${server.url}/`,
      model: 'm-1',
      apiKey: KEY,
      timeoutMs: 5000,
    });
    const deltas: string[] = [];
    const text = await client.complete({
      messages,
      schema,
      schemaName: 'query_plan_response',
      onContent: (d) => deltas.push(d),
    });
    expect(text).toBe(content);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(content);
    const [request] = server.requests;
    expect(request?.model).toBe('m-1');
    expect(request?.messages).toEqual(messages);
    expect(request?.stream).toBe(true);
    expect(request?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'query_plan_response', strict: false, schema },
    });
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('sends no Authorization header without a key, and json_object without a schema', async () => {
    const server = await serve(() => ({ content: '{}' }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 5000 });
    await client.complete({ messages });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.response_format).toEqual({ type: 'json_object' });
  });

  it('parses CRLF events, comments, event: lines, split lines and split UTF-8 characters, and stops at [DONE]', async () => {
    const bytes = new TextEncoder().encode(chunk('é😀'));
    // cut inside the two bytes of "é" and inside the four bytes of "😀"
    const cutE = bytes.indexOf(0xc3) + 1;
    const cutEmoji = bytes.indexOf(0xf0) + 2;
    const fetchImpl = streamingFetch([
      ': keep-alive comment\r\n\r\n',
      'event: message\r\n',
      chunk('{"a"').replace(/\n\n$/, '\r\n\r\n'),
      'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n',
      chunk(':1,').slice(0, 10),
      chunk(':1,').slice(10),
      bytes.slice(0, cutE),
      bytes.slice(cutE, cutEmoji),
      bytes.slice(cutEmoji),
      chunk('"b":2}'),
      'data: [DONE]\n\n',
      chunk('ignored after done'),
    ]);
    const client = new OpenAIClient(
      { baseUrl: 'http://llm.invalid/v1', model: 'm', timeoutMs: 5000 },
      fetchImpl,
    );
    const deltas: string[] = [];
    const text = await client.complete({ messages, onContent: (d) => deltas.push(d) });
    expect(text).toBe('{"a":1,é😀"b":2}');
    expect(deltas).toEqual(['{"a"', ':1,', 'é😀', '"b":2}']);
  });

  it('accepts a stream that ends without [DONE] and a last line without a newline', async () => {
    const fetchImpl = streamingFetch([chunk('ab'), chunk('cd').trimEnd()]);
    const client = new OpenAIClient(
      { baseUrl: 'http://llm.invalid/v1', model: 'm', timeoutMs: 5000 },
      fetchImpl,
    );
    expect(await client.complete({ messages })).toBe('abcd');
  });

  it('reads a plain JSON completion from a server that ignores stream: true', async () => {
    const body = JSON.stringify({
      choices: [{ index: 0, message: { role: 'assistant', content: '{"x":1}' } }],
    });
    const server = await serve(() => ({ status: 200, body, contentType: 'application/json' }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 5000 });
    const deltas: string[] = [];
    expect(await client.complete({ messages, onContent: (d) => deltas.push(d) })).toBe('{"x":1}');
    expect(deltas).toEqual(['{"x":1}']);
  });

  it('reports non-2xx answers with the status and the first 200 characters of the body', async () => {
    const body = `upstream overloaded ${'x'.repeat(1000)}`;
    const server = await serve(() => ({ status: 503, body, contentType: 'text/plain' }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', apiKey: KEY, timeoutMs: 5000 });
    const err = await failure(client.complete({ messages, schema }));
    expect(err.kind).toBe('http');
    expect(err.upstreamStatus).toBe(503);
    expect(err.message).toContain('HTTP 503');
    expect(err.message).toContain('upstream overloaded');
    expect(err.message.length).toBeLessThan(300);
    expect(server.requests).toHaveLength(1); // no retries
  });

  it('never puts the API key in an error, even when the server echoes it', async () => {
    const server = await serve((req) => ({
      status: 401,
      body: JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${req.headers.authorization?.slice(7)} (${KEY.slice(0, 8)}...${KEY.slice(-6)})`,
        },
      }),
    }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', apiKey: KEY, timeoutMs: 5000 });
    const err = await failure(client.complete({ messages }));
    expect(err.upstreamStatus).toBe(401);
    expect(err.message).toContain('Incorrect API key provided');
    expectNoKey(err);
  });

  it('never puts the API key in a network error', async () => {
    const server = await serve(() => ({ content: '' }));
    const url = server.url;
    await server.close();
    fake = undefined;
    const client = new OpenAIClient({ baseUrl: url, model: 'm', apiKey: KEY, timeoutMs: 5000 });
    const err = await failure(client.complete({ messages }));
    expect(err.kind).toBe('network');
    expect(err.message).toContain('cannot reach the language model');
    expectNoKey(err);
  });

  it('falls back to json_object when the server refuses response_format json_schema, and remembers it', async () => {
    const server = await serve((req) =>
      req.response_format?.type === 'json_schema'
        ? {
            status: 400,
            body: JSON.stringify({
              error: {
                message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported",
              },
            }),
          }
        : { content: '{"ok":true}' },
    );
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 5000 });
    expect(await client.complete({ messages, schema })).toBe('{"ok":true}');
    expect(server.requests.map((r) => r.response_format?.type)).toEqual(['json_schema', 'json_object']);
    expect(await client.complete({ messages, schema })).toBe('{"ok":true}');
    expect(server.requests.map((r) => r.response_format?.type)).toEqual([
      'json_schema',
      'json_object',
      'json_object',
    ]);
  });

  it('does not retry a 400 that is not about response_format', async () => {
    const server = await serve(() => ({
      status: 400,
      body: '{"error":{"message":"context length exceeded"}}',
    }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 5000 });
    const err = await failure(client.complete({ messages, schema }));
    expect(err.upstreamStatus).toBe(400);
    expect(err.message).toContain('context length exceeded');
    expect(server.requests).toHaveLength(1);
  });

  it('times out a model that does not answer', async () => {
    const server = await serve(() => ({ content: '{}', delayMs: 3000 }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 150 });
    const started = Date.now();
    const err = await failure(client.complete({ messages }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('150 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a stream that stalls half-way', async () => {
    const server = await serve(() => ({
      content: '{"narrative":"slow stream"}',
      chunkSize: 2,
      chunkDelayMs: 100,
    }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 300 });
    const deltas: string[] = [];
    const err = await failure(client.complete({ messages, onContent: (d) => deltas.push(d) }));
    expect(err.kind).toBe('timeout');
    expect(deltas.length).toBeGreaterThan(0);
  });

  it("rejects with the caller's abort reason, not an LlmError", async () => {
    const server = await serve(() => ({ content: '{}', delayMs: 3000 }));
    const client = new OpenAIClient({ baseUrl: server.url, model: 'm', timeoutMs: 5000 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(client.complete({ messages, signal: controller.signal })).rejects.toBe(reason);
  });

  it('reports an error event inside the stream', async () => {
    const fetchImpl = streamingFetch([chunk('{"a"'), 'data: {"error":{"message":"model crashed"}}\n\n']);
    const client = new OpenAIClient(
      { baseUrl: 'http://llm.invalid/v1', model: 'm', timeoutMs: 5000 },
      fetchImpl,
    );
    const err = await failure(client.complete({ messages }));
    expect(err.message).toContain('model crashed');
  });

  it('reports a malformed stream event', async () => {
    const fetchImpl = streamingFetch(['data: {not json\n\n']);
    const client = new OpenAIClient(
      { baseUrl: 'http://llm.invalid/v1', model: 'm', timeoutMs: 5000 },
      fetchImpl,
    );
    const err = await failure(client.complete({ messages }));
    expect(err.kind).toBe('protocol');
  });

  it('answers GET /v1/models on the fake server', async () => {
    const server = await serve(() => ({ content: '' }));
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: Array<{ id: string }> }).data[0]?.id).toBe('fake-model');
  });
});
