// The response route with a scripted answer engine: the SSE wire format, progress, failures, and cancellation when
// the client goes away (deterministic here, where the real engine would usually finish first).

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE, makeTempDir, sqliteUrl } from '../../../test/support/demo-db.ts';
import type { Answer } from '../../answers/answer.ts';
import type { AnswerEngine, AskInput } from '../../answers/engine.ts';
import { createApiKeyChecker } from '../../auth/api-keys.ts';
import { parseConfig } from '../../config/load.ts';
import { ConversationStore } from '../../conversations/store.ts';
import { NamedLimiters } from '../../limits/limiters.ts';
import { createMetrics, type Metrics } from '../../observability/metrics.ts';
import { QueryCancelledError } from '../../query/execute.ts';
import { UserContextError } from '../../semantic/user-context.ts';
import { errorHandler, notFound } from '../errors.ts';
import type { ApiDeps } from './context.ts';
import { apiV1Router } from './router.ts';

const KEY = 'pk_test_responses_0123456789';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

type Script = (input: AskInput) => Promise<Answer>;

let script: Script;
let seen: AskInput[] = [];
const engine: AnswerEngine = {
  ask: (input) => {
    seen.push(input);
    return script(input);
  },
  ping: async () => undefined,
  close: async () => undefined,
};

let dir: string;
let store: ConversationStore;
let metrics: Metrics;
let server: http.Server;
let url: string;

const answerFor = (input: AskInput, patch: Partial<Answer> = {}): Answer => ({
  id: 'engine-id',
  conversationId: input.conversationId ?? 'x',
  type: 'text',
  message: `You asked: ${input.question}`,
  ...patch,
});

/** resolves when the signal aborts; the engine then rejects the way the query runner does */
const untilAborted = (input: AskInput): Promise<never> =>
  new Promise((_resolve, reject) => {
    input.signal?.addEventListener('abort', () => {
      reject(new QueryCancelledError('the query was cancelled'));
    });
  });

beforeAll(async () => {
  dir = makeTempDir('parley-api-v1');
  const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {
    DATABASE_URL: sqliteUrl(path.join(dir, 'unused.sqlite')),
  });
  store = await ConversationStore.open(sqliteUrl(path.join(dir, 'store.sqlite')));
  metrics = createMetrics();
  const deps: ApiDeps = {
    config,
    engine,
    store,
    apiKeys: createApiKeyChecker([{ key: KEY }]),
    logger: pino({ level: 'silent' }),
    metrics,
    clock: () => new Date(),
    limiters: new NamedLimiters(),
  };
  const app = express();
  app.use('/api/v1', apiV1Router(deps, { heartbeatMs: 50 }));
  app.use((_req, _res, next) => next(notFound('no such route')));
  app.use(errorHandler(deps.logger));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  script = async (input) => answerFor(input);
});

/** Makes the store refuse the next `n` answer saves (connection refused); restoreSaves() undoes it. */
const realComplete = ConversationStore.prototype.completeResponse;
function refuseSaves(n: number): { count: number } {
  const refusals = { count: 0 };
  store.completeResponse = async (response, answer) => {
    if (refusals.count < n) {
      refusals.count += 1;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    return realComplete.call(store, response, answer);
  };
  return refusals;
}
function restoreSaves(): void {
  store.completeResponse = realComplete;
}

async function newConversation(organisationId = 1): Promise<string> {
  const res = await fetch(`${url}/agents/demo/conversations`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ userIdentifier: 'user-1', userContext: { organisationId } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

const ask = (conversationId: string, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${url}/agents/demo/conversations/${conversationId}/response`, {
    method: 'POST',
    headers: { ...auth, accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });

/** Reads SSE blocks from a fetch body until `stop` says so; returns the raw blocks. */
async function readBlocks(res: Response, stop: (block: string) => boolean = () => false): Promise<string[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const blocks: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      blocks.push(block);
      if (stop(block)) {
        reader.releaseLock();
        return blocks;
      }
      at = buffer.indexOf('\n\n');
    }
  }
  return blocks;
}

const dataOf = (blocks: string[]) =>
  blocks
    .flatMap((b) => b.split('\n'))
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

async function waitForStatus(responseId: string, conversationId: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const r = await store.getResponse(responseId, conversationId);
    if (r?.status === status) return r;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`response ${responseId} never became ${status}`);
}

async function answersCount(type: string): Promise<number> {
  const metric = await metrics.answers.get();
  return metric.values.find((v) => v.labels.type === type && v.labels.surface === 'api')?.value ?? 0;
}

describe('POST .../response with stream: true', () => {
  it('writes `event:` and one-line `data:` JSON blocks: created, progress per stage, completed', async () => {
    script = async (input) => {
      input.onProgress?.('planning');
      input.onProgress?.('querying');
      input.onProgress?.('composing');
      return answerFor(input, { message: 'line one\nline two', type: 'chart', spec: { mark: 'bar' } });
    };
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'revenue by month', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const blocks = (await readBlocks(res)).filter((b) => !b.startsWith(':'));
    for (const block of blocks) {
      const lines = block.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^event: response\.(created|progress|completed)$/);
      expect(lines[1]).toMatch(/^data: \{.*\}$/);
      expect(lines[0]?.slice(7)).toBe((JSON.parse(lines[1]?.slice(6) ?? '') as { type: string }).type);
    }
    const events = dataOf(blocks);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.progress',
      'response.progress',
      'response.progress',
      'response.completed',
    ]);
    const id = events[0]?.id as string;
    expect(events.every((e) => e.id === id)).toBe(true);
    expect(events[0]?.conversationId).toBe(conversationId);
    expect(events.slice(1, 4).map((e) => e.stage)).toEqual(['planning', 'querying', 'composing']);
    expect(events.slice(1, 4).every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
    const response = events[4]?.response as Record<string, unknown>;
    expect(response).toMatchObject({
      id,
      conversationId,
      type: 'chart',
      chart: { mark: 'bar' },
      message: 'line one\nline two',
    });
    const stored = await store.getResponse(id, conversationId);
    expect(stored?.status).toBe('completed');
    expect(stored?.answer?.id).toBe(id);
  });

  it('passes the stored userContext and the conversation to the engine', async () => {
    const conversationId = await newConversation(3);
    const res = await ask(conversationId, { message: 'hello' });
    expect(res.status).toBe(200);
    expect(seen[0]).toMatchObject({
      agentId: 'demo',
      userContext: { organisationId: 3 },
      conversationId,
      question: 'hello',
    });
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('aborts the engine call and marks the response cancelled when the client goes away', async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    script = (input) => {
      input.signal?.addEventListener('abort', () => aborted());
      input.onProgress?.('planning');
      return untilAborted(input);
    };
    const before = await answersCount('cancelled');
    const conversationId = await newConversation();
    const controller = new AbortController();
    const res = await ask(conversationId, { message: 'a slow question', stream: true }, controller.signal);
    const blocks = await readBlocks(res, (b) => b.includes('response.progress'));
    const id = dataOf(blocks)[0]?.id as string;
    controller.abort();
    await sawAbort;
    const record = await waitForStatus(id, conversationId, 'cancelled');
    expect(record.error?.code).toBe('cancelled');
    expect(await answersCount('cancelled')).toBe(before + 1);
  });

  it('keeps a response cancelled when the engine finishes after the client left', async () => {
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    script = async (input) => {
      await gate; // ignores the signal, like a planner that cannot be interrupted
      return answerFor(input);
    };
    const conversationId = await newConversation();
    const controller = new AbortController();
    const res = await ask(conversationId, { message: 'stubborn', stream: true }, controller.signal);
    const id = dataOf(await readBlocks(res, (b) => b.includes('response.created')))[0]?.id as string;
    controller.abort();
    await waitForStatus(id, conversationId, 'cancelled');
    finish();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await store.getResponse(id, conversationId))?.status).toBe('cancelled');
  });

  it('cancels a non-streaming request whose client goes away too', async () => {
    script = (input) => untilAborted(input);
    const conversationId = await newConversation();
    const controller = new AbortController();
    const pending = ask(conversationId, { message: 'slow json' }, controller.signal).catch(
      (err: unknown) => err,
    );
    for (let i = 0; i < 100 && seen.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    const [response] = await store.responses(conversationId);
    expect(response).toBeDefined();
    await waitForStatus(response?.id ?? '', conversationId, 'cancelled');
  });

  it('sends response.error and records the failure when the engine throws', async () => {
    script = async () => {
      throw new Error('boom: internal detail');
    };
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'break', stream: true });
    const events = dataOf(await readBlocks(res));
    expect(events.map((e) => e.type)).toEqual(['response.created', 'response.error']);
    expect(events[1]).toMatchObject({ code: 'internal_error' });
    expect(String(events[1]?.message)).not.toContain('internal detail');
    const record = await store.getResponse(events[0]?.id as string, conversationId);
    expect(record?.status).toBe('failed');
  });

  it('keeps the answer through a store hiccup while saving: the caller gets it, the row ends completed', async () => {
    // the store refuses the first two saves (a failover), then answers again
    const refusals = refuseSaves(2);
    try {
      const conversationId = await newConversation();
      const res = await ask(conversationId, { message: 'still here?' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ message: 'You asked: still here?' });
      expect(refusals.count).toBe(2);
      const [record] = await store.responses(conversationId);
      expect(record?.status).toBe('completed');
    } finally {
      restoreSaves();
    }
  });

  it('answers at once through a longer store outage, and records the answer when the store is back', async () => {
    // more refusals than the quick retries the caller waits for: the rest goes on in the background
    refuseSaves(5);
    try {
      const conversationId = await newConversation();
      const res = await ask(conversationId, { message: 'outage?' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ message: 'You asked: outage?' });
      expect((await store.responses(conversationId))[0]?.status).toBe('in_progress');
      let status: string | undefined;
      for (let i = 0; i < 100 && status !== 'completed'; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await store.responses(conversationId))[0]?.status;
      }
      expect(status).toBe('completed');
    } finally {
      restoreSaves();
    }
  });

  it('answers 500 without a retry invitation when the engine throws on a JSON request', async () => {
    script = async () => {
      throw new Error('boom');
    };
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'break' });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(await res.json()).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    const [record] = await store.responses(conversationId);
    expect(record?.status).toBe('failed');
  });

  it('maps an engine UserContextError to 400 and records it as failed', async () => {
    script = async () => {
      throw new UserContextError('userContext.organisationId must be an integer');
    };
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'q' });
    expect(res.status).toBe(400);
    const [record] = await store.responses(conversationId);
    expect(record?.status).toBe('failed');
  });

  it('sends keep-alive comments while the answer is being prepared', async () => {
    let finish!: () => void;
    script = async (input) => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return answerFor(input);
    };
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'wait', stream: true });
    const blocks = await readBlocks(res, (b) => {
      if (b.startsWith(':')) finish();
      return b.includes('response.completed');
    });
    expect(blocks.some((b) => b === ': keep-alive')).toBe(true);
  });

  it('maps Parley error answers to Inconvo text answers with a code', async () => {
    script = async (input) =>
      answerFor(input, {
        type: 'error',
        code: 'unanswerable',
        message: 'No such data.',
        suggestions: ['Try orders'],
      });
    const conversationId = await newConversation();
    const res = await ask(conversationId, { message: 'weather?' });
    expect(await res.json()).toMatchObject({
      type: 'text',
      code: 'unanswerable',
      suggestions: ['Try orders'],
    });
  });

  it('maps a clarification to a text answer that lists the readings, with the choices alongside', async () => {
    const choices = [
      { label: 'revenue (completed orders)', question: 'what was our revenue last month' },
      { label: 'product revenue (order items)', question: 'what was our product revenue last month' },
    ];
    script = async (input) =>
      answerFor(input, {
        type: 'clarification',
        code: 'ambiguous',
        message: 'Which did you mean?',
        choices,
      });
    const conversationId = await newConversation();
    const json = (await (await ask(conversationId, { message: 'sales?' })).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ type: 'text', code: 'ambiguous', choices });
    expect(json.message).toBe(
      'Which did you mean?\n1) revenue (completed orders)\n2) product revenue (order items)',
    );

    const blocks = await readBlocks(await ask(conversationId, { message: 'sales?', stream: true }));
    const completed = blocks.find((b) => b.startsWith('event: response.completed'));
    const event = JSON.parse(completed?.split('\ndata: ')[1] ?? '{}');
    expect(event.response).toMatchObject({ type: 'text', code: 'ambiguous', choices, message: json.message });
  });
});
