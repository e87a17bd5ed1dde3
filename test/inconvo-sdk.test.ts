// The official Inconvo SDK against Parley: a host backend switches by changing one URL. Answers are checked against
// hand-written SQL on the seeded database, for two organisations, including a follow-up in the same conversation.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Inconvo, {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  type ResponseStreamEvent,
} from '@inconvoai/node';
import Database from 'better-sqlite3';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerEngine } from '../server/answers/engine.ts';
import { createApiKeyChecker } from '../server/auth/api-keys.ts';
import { parseConfig } from '../server/config/load.ts';
import { ConversationStore } from '../server/conversations/store.ts';
import type { ApiDeps } from '../server/http/api-v1/context.ts';
import { apiV1Router } from '../server/http/api-v1/router.ts';
import { errorHandler } from '../server/http/errors.ts';
import { NamedLimiters } from '../server/limits/limiters.ts';
import { createMetrics } from '../server/observability/metrics.ts';
import { DEMO_CONFIG_FILE, makeTempDir, sqliteUrl } from './support/demo-db.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const LAST_MONTH = ['2026-10-01 00:00:00', '2026-11-01 00:00:00'] as const;
const MONTH_BEFORE = ['2026-09-01 00:00:00', '2026-10-01 00:00:00'] as const;

/** a second agent on the same database, so "another agent's conversation" is a real agent */
const withOtherAgent = (text: string): string =>
  `${text.trimEnd()}
  - id: other
    connection: demo-db
    userContext:
      organisationId: integer
    model:
      tables:
        products:
          contextFilters:
            - { column: organisation_id, field: organisationId }
          columns:
            name: { type: string }
`;

/** what the Parley-specific fields of a response look like (the SDK's types do not know them) */
interface ParleyExtras {
  data?: { rows: Array<Array<number | string | null>> };
  sql?: { text: string; bindings: unknown[] };
  plan?: Record<string, unknown>;
  explanation?: string;
}

/**
 * SSEStream.cancel() aborts the fetch and then cancels the reader of the (now errored) body, so it rejects with
 * an AbortError even though the cancel worked: a quirk of the SDK, not of the server.
 */
async function cancel(stream: { cancel(): Promise<void> }): Promise<void> {
  await stream.cancel().catch((err: unknown) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
}

let server: TestServer;
let client: Inconvo;
let db: Database.Database;

function ordersBetween(organisationId: number, [from, to]: readonly [string, string]): number {
  const row = db
    .prepare(
      'SELECT COUNT(*) AS n FROM orders WHERE organisation_id = ? AND created_at >= ? AND created_at < ?',
    )
    .get(organisationId, from, to) as { n: number };
  return row.n;
}

beforeAll(async () => {
  server = await startTestServer({ configText: withOtherAgent });
  client = new Inconvo({ apiKey: server.apiKey, baseURL: `${server.url}/api/v1`, logLevel: 'off' });
  db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
});

afterAll(async () => {
  db?.close();
  await server?.close();
});

describe('the official @inconvoai/node SDK against /api/v1', () => {
  it('gets different, correct answers for two organisations and follows up in the same conversation', async () => {
    const expected = { 1: ordersBetween(1, LAST_MONTH), 3: ordersBetween(3, LAST_MONTH) };
    expect(expected[1]).not.toBe(expected[3]);
    expect(expected[1]).toBeGreaterThan(0);

    for (const organisationId of [1, 3] as const) {
      const conversation = await client.agents.conversations.create('demo', {
        userIdentifier: `sdk-user-${organisationId}`,
        userContext: { organisationId },
      });
      const id = conversation.id as string;
      expect(id).toEqual(expect.any(String));

      const answer = await client.agents.conversations.response.create(id, {
        agentId: 'demo',
        message: 'How many orders did we have last month?',
      });
      const extras = answer as typeof answer & ParleyExtras;
      expect(answer).toMatchObject({
        conversationId: id,
        type: expect.stringMatching(/^(text|table|chart)$/),
      });
      expect(extras.data?.rows[0]?.[0]).toBe(expected[organisationId]);
      expect(answer.message.replace(/,/g, '')).toContain(String(expected[organisationId]));
      expect(extras.sql?.bindings).toContain(organisationId);

      // the follow-up, streamed: it reads the earlier plan of this conversation
      const stream = client.agents.conversations.response.create(id, {
        agentId: 'demo',
        message: 'and the month before?',
        stream: true,
      });
      const events: ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const types = events.map((e) => e.type);
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      expect(types.slice(1, -1).every((t) => t === 'response.progress')).toBe(true);
      expect(types.filter((t) => t === 'response.progress').length).toBeGreaterThanOrEqual(2);
      const responseId = events[0]?.id;
      expect(events.every((e) => e.id === responseId)).toBe(true);
      for (const e of events)
        if (e.type === 'response.progress') expect(e.message).toEqual(expect.any(String));
      const completed = events.at(-1);
      if (completed?.type !== 'response.completed') throw new Error('no response.completed event');
      const followUp = completed.response as typeof completed.response & ParleyExtras;
      expect(followUp.id).toBe(responseId);
      expect(followUp.conversationId).toBe(id);
      expect(followUp.data?.rows[0]?.[0]).toBe(ordersBetween(organisationId, MONTH_BEFORE));

      // the conversation holds both questions and both answers, in order
      const full = await client.agents.conversations.retrieve(id, { agentId: 'demo' });
      expect(full.id).toBe(id);
      expect(full.userIdentifier).toBe(`sdk-user-${organisationId}`);
      expect(full.userContext).toEqual({ organisationId });
      expect(full.messages.map((m) => m.message)).toEqual([
        'How many orders did we have last month?',
        answer.message,
        'and the month before?',
        followUp.message,
      ]);
      expect(full.messages[1]?.id).toBe(answer.id);
      expect(full.messages[3]?.id).toBe(responseId);

      // and the response can be fetched again with its trace
      const retrieved = await client.agents.conversations.response.retrieve(responseId as string, {
        agentId: 'demo',
        conversation_id: id,
      });
      expect(retrieved.id).toBe(responseId);
      expect(retrieved.input).toEqual({ message: 'and the month before?', userContext: { organisationId } });
      expect(retrieved.output.text).toBe(followUp.message);
      expect(retrieved.trace.map((t) => t.name)).toEqual(['planner', 'sql', 'composer']);
      expect((retrieved.trace[1]?.input as { bindings?: unknown[] } | undefined)?.bindings).toEqual(
        expect.arrayContaining([organisationId, ...MONTH_BEFORE]),
      );
    }
  });

  it('lists conversations with cursor pagination, only those of the given userContext', async () => {
    const userIdentifier = `pager-${Date.now()}`;
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await client.agents.conversations.create('demo', {
        userIdentifier,
        userContext: { organisationId: 1 },
      });
      mine.push(c.id as string);
    }
    const theirs = await client.agents.conversations.create('demo', {
      userIdentifier,
      userContext: { organisationId: 3 },
    });

    const first = await client.agents.conversations.list('demo', {
      userIdentifier,
      userContext: { organisationId: 1 },
      limit: 2,
    });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.items).toHaveLength(2);
    expect(second.items.map((c) => c.id)).not.toContain(first.items[0]?.id);

    const all: string[] = [];
    for await (const c of client.agents.conversations.list('demo', {
      userIdentifier,
      userContext: { organisationId: 1 },
      limit: 2,
    })) {
      expect(c.userContext).toEqual({ organisationId: 1 });
      expect(c).toMatchObject({ createdAt: expect.any(String), title: expect.any(String), userIdentifier });
      all.push(c.id);
    }
    expect(all.sort()).toEqual([...mine].sort());

    const org3: string[] = [];
    for await (const c of client.agents.conversations.list('demo', {
      userIdentifier,
      userContext: { organisationId: 3 },
    })) {
      org3.push(c.id);
    }
    expect(org3).toEqual([theirs.id]);

    // the userContext filter is optional, as in Inconvo: the user's conversations in every tenant
    const everywhere: string[] = [];
    for await (const c of client.agents.conversations.list('demo', { userIdentifier })) everywhere.push(c.id);
    expect(everywhere.sort()).toEqual([...mine, theirs.id as string].sort());
  });

  it('creates and updates feedback', async () => {
    const { id } = await client.agents.conversations.create('demo', {
      userIdentifier: 'rater',
      userContext: { organisationId: 2 },
    });
    const answer = await client.agents.conversations.response.create(id as string, {
      agentId: 'demo',
      message: 'What was our revenue by month this year?',
    });
    const feedback = await client.agents.conversations.response.feedback.create(answer.id, {
      agentId: 'demo',
      convo_id: id as string,
      rating: 'positive',
    });
    expect(feedback).toMatchObject({ id: expect.any(String), rating: 'positive' });
    const updated = await client.agents.conversations.response.feedback.update(feedback.id, {
      agentId: 'demo',
      convo_id: id as string,
      response_id: answer.id,
      rating: 'negative',
      comment: 'the chart is wrong',
    });
    expect(updated).toMatchObject({ id: feedback.id, rating: 'negative', comment: 'the chart is wrong' });
  });

  it('retrieves the data summary', async () => {
    const summary = await client.agents.dataSummary.retrieve('demo');
    expect(summary.dataSummary).toContain('orders');
    expect(summary.dataSummary).toContain('revenue');
  });

  it('throws AuthenticationError (401) for a wrong API key', async () => {
    const wrong = new Inconvo({
      apiKey: 'pk_wrong_0000000000000000',
      baseURL: `${server.url}/api/v1`,
      logLevel: 'off',
    });
    const err = await wrong.agents.dataSummary.retrieve('demo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    const created = await wrong.agents.conversations
      .create('demo', { userIdentifier: 'x', userContext: { organisationId: 1 } })
      .catch((e: unknown) => e);
    expect(created).toBeInstanceOf(AuthenticationError);
  });

  it("gives 404 for organisation 1's conversation retrieved through another agent", async () => {
    const { id } = await client.agents.conversations.create('demo', {
      userIdentifier: 'cross',
      userContext: { organisationId: 1 },
    });
    const err = await client.agents.conversations
      .retrieve(id as string, { agentId: 'other' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).status).toBe(404);
    const ask = await client.agents.conversations.response
      .create(id as string, { agentId: 'other', message: 'How many products?' })
      .catch((e: unknown) => e);
    expect(ask).toBeInstanceOf(NotFoundError);
  });

  it('throws BadRequestError (400) for a missing or ill-typed userContext', async () => {
    const missing = await client.agents.conversations
      .create('demo', { userIdentifier: 'x' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadRequestError);
    const injected = await client.agents.conversations
      .create('demo', { userIdentifier: 'x', userContext: { organisationId: '1 OR 1=1' } })
      .catch((e: unknown) => e);
    expect(injected).toBeInstanceOf(BadRequestError);
    expect((injected as BadRequestError).status).toBe(400);
    const listed = await client.agents.conversations
      .list('demo', { userContext: { organisationId: '1 OR 1=1' } })
      .catch((e: unknown) => e);
    expect(listed).toBeInstanceOf(BadRequestError);
  });

  it('survives a client that cancels a stream mid-answer', async () => {
    const { id } = await client.agents.conversations.create('demo', {
      userIdentifier: 'canceller',
      userContext: { organisationId: 1 },
    });
    const stream = client.agents.conversations.response.create(id as string, {
      agentId: 'demo',
      message: 'Who are our top 5 customers by revenue?',
      stream: true,
    });
    let responseId: string | undefined;
    for await (const event of stream) {
      responseId = event.id;
      await cancel(stream);
      break;
    }
    expect(responseId).toEqual(expect.any(String));
    // the answer either finished before the cancel arrived or was cancelled; it never stays in progress
    let status = 'in_progress';
    for (let i = 0; i < 100 && status === 'in_progress'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await server.store.getResponse(responseId as string, id as string))?.status ?? 'missing';
    }
    expect(['cancelled', 'completed']).toContain(status);
    // and the server keeps answering
    const summary = await client.agents.dataSummary.retrieve('demo');
    expect(summary.dataSummary).toEqual(expect.any(String));
  });
});

describe('the SDK cancelling a stream while the engine is still working', () => {
  const KEY = 'pk_test_sdk_abort_0123456789';
  let dir: string;
  let store: ConversationStore;
  let httpServer: http.Server;
  let baseURL: string;
  let aborted: Promise<void>;
  let markAborted: () => void;

  beforeAll(async () => {
    dir = makeTempDir('parley-sdk-abort');
    aborted = new Promise((resolve) => {
      markAborted = resolve;
    });
    const engine: AnswerEngine = {
      // works until told to stop, like a long query; stops the way the query runner does
      ask: (input) =>
        new Promise((_resolve, reject) => {
          input.onProgress?.('planning');
          input.signal?.addEventListener('abort', () => {
            markAborted();
            reject(Object.assign(new Error('cancelled'), { name: 'QueryCancelledError' }));
          });
        }),
      ping: async () => undefined,
      close: async () => undefined,
    };
    const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {
      DATABASE_URL: sqliteUrl(path.join(dir, 'unused.sqlite')),
    });
    store = await ConversationStore.open(sqliteUrl(path.join(dir, 'store.sqlite')));
    const deps: ApiDeps = {
      config,
      engine,
      store,
      apiKeys: createApiKeyChecker([{ key: KEY }]),
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      clock: () => new Date(),
      limiters: new NamedLimiters(),
    };
    const app = express();
    app.use('/api/v1', apiV1Router(deps));
    app.use(errorHandler(deps.logger));
    httpServer = http.createServer(app);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/api/v1`;
  });

  afterAll(async () => {
    httpServer?.closeAllConnections();
    await new Promise((resolve) => httpServer?.close(resolve));
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('aborts the engine call and records the response as cancelled', async () => {
    const sdk = new Inconvo({ apiKey: KEY, baseURL, logLevel: 'off' });
    const { id } = await sdk.agents.conversations.create('demo', {
      userIdentifier: 'slow',
      userContext: { organisationId: 1 },
    });
    const stream = sdk.agents.conversations.response.create(id as string, {
      agentId: 'demo',
      message: 'a question that takes a while',
      stream: true,
    });
    const seen: string[] = [];
    let responseId = '';
    for await (const event of stream) {
      seen.push(event.type);
      responseId = event.id;
      if (event.type === 'response.progress') {
        await cancel(stream);
        break;
      }
    }
    expect(seen).toEqual(['response.created', 'response.progress']);
    await aborted;
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'cancelled'; i++) {
      status = (await store.getResponse(responseId, id as string))?.status;
      if (status !== 'cancelled') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('cancelled');
    const retrieved = await sdk.agents.conversations.response.retrieve(responseId, {
      agentId: 'demo',
      conversation_id: id as string,
    });
    expect(retrieved).toMatchObject({ status: 'cancelled', output: { type: 'text' } });
  });
});
