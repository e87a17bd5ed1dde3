// A real local HTTP server that plays an OpenAI-compatible model from a script, for tests of the LLM planner.
// POST /v1/chat/completions (streamed as SSE chat.completion.chunk events, or one JSON completion) and
// GET /v1/models. The script sees each request and decides the reply: content, an HTTP error, a delay.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  role: string;
  content: string;
}

export interface FakeRequest {
  messages: FakeMessage[];
  model: string;
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
  stream?: boolean;
  /** the request's headers (lower-case names), e.g. to check `authorization` */
  headers: http.IncomingHttpHeaders;
}

interface ReplyTiming {
  /** wait this long before answering at all */
  delayMs?: number;
  /** wait this long between streamed chunks */
  chunkDelayMs?: number;
}

export type FakeReply =
  /** the model's content: streamed in chunks of `chunkSize` characters (default 6), or one JSON completion */
  | (ReplyTiming & { content: string; chunkSize?: number })
  /** a raw HTTP answer, e.g. `{ status: 500, body: 'overloaded' }` or a hand-written event stream */
  | (ReplyTiming & { status: number; body: string; contentType?: string });

export type FakeScript = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAI {
  /** the base URL to configure, e.g. `http://127.0.0.1:54321/v1` */
  url: string;
  /** every chat-completions request received, in order */
  requests: FakeRequest[];
  close(): Promise<void>;
}

export const FAKE_MODEL_ID = 'fake-model';

// unref'd: a long scripted delay never keeps a test process alive
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Splits text into pieces of at most `size` characters without cutting a surrogate pair. */
export function splitChunks(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

export async function startFakeOpenAI(script: FakeScript): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  let counter = 0;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: `fake model script failed: ${(err as Error).message}` } }),
        );
      } else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: FAKE_MODEL_ID, object: 'model', owned_by: 'parley-test' }],
        }),
      );
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Omit<FakeRequest, 'headers'>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'the request body is not JSON' } }));
      return;
    }
    const request: FakeRequest = {
      messages: body.messages,
      model: body.model,
      response_format: body.response_format,
      stream: body.stream,
      headers: req.headers,
    };
    requests.push(request);
    const reply = await script(request);
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;

    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
      res.end(reply.body);
      return;
    }

    counter += 1;
    const id = `chatcmpl-fake-${counter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = request.model;
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        }),
      );
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (delta: Record<string, unknown>, finish: string | null): void => {
      const event = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      };
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    send({ role: 'assistant', content: '' }, null);
    for (const piece of splitChunks(reply.content, reply.chunkSize ?? 6)) {
      if (res.destroyed) return;
      send({ content: piece }, null);
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // delayed replies must not keep the server (and the test run) alive
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
