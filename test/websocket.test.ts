// The widget WebSocket end to end: a live Parley server with demo data, the `ws` client, figures checked with SQL.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnswerEngine } from '../server/answers/engine.ts';
import { createApp } from '../server/app.ts';
import {
  AuthError,
  createSessionVerifier,
  mintSessionToken,
  sessionAuthConfigFromEnv,
} from '../server/auth/session-token.ts';
import { parseConfig } from '../server/config/load.ts';
import { ConversationStore } from '../server/conversations/store.ts';
import { createDatasetService, datasetAgentsFromConfig } from '../server/datasets/service.ts';
import { type AppDeps, createAppDeps, type ServerStateOptions } from '../server/deps.ts';
import { createMetrics } from '../server/observability/metrics.ts';
import { CloseCode, MAX_PAYLOAD_BYTES, type ServerEvent } from '../server/ws/protocol.ts';
import { attachWidgetSocket, type WidgetSocketOptions } from '../server/ws/widget-socket.ts';
import { withAllowedOrigins } from './support/config-text.ts';
import { DEMO_CONFIG_FILE, sqliteUrl } from './support/demo-db.ts';
import { startTestServer, TEST_NOW, TEST_SECRET, type TestServer } from './support/server.ts';
import {
  connect,
  delay,
  type EventOf,
  eventually,
  QuestionGate,
  type TestClient,
  tryConnect,
  wsUrl,
} from './support/websocket-client.ts';

const SHOP = 'https://shop.example.com';
const withOrigins = (text: string): string => withAllowedOrigins(text, [SHOP]);

const LAST_MONTH = 'How many orders did we have last month?';

let server: TestServer;
let url: string;
let db: Database.Database;

/** orders of one organisation created in [from, to) */
function ordersBetween(org: number, from: string, to: string): number {
  const row = db
    .prepare(
      'SELECT COUNT(*) AS n FROM orders WHERE organisation_id = ? AND created_at >= ? AND created_at < ?',
    )
    .get(org, from, to) as { n: number };
  return row.n;
}
const ordersLastMonth = (org: number) => ordersBetween(org, '2026-10-01 00:00:00', '2026-11-01 00:00:00');

/** the single figure of a count answer */
function figure(event: EventOf<'response.completed'>): unknown {
  return event.answer.data?.rows[0]?.[0];
}

beforeAll(async () => {
  server = await startTestServer({ configText: withOrigins });
  url = wsUrl(server.url);
  db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
});

afterAll(async () => {
  db?.close();
  await Promise.all(locals.splice(0).map((l) => l.close()));
  await server?.close();
});

// ---- a second server on the same demo data, for what needs a seam startServer does not offer: socket options
// (rate limits), an engine that waits on a gate (cancel), and a store whose clock moves (sync). ----------------

interface LocalServer {
  url: string;
  deps: AppDeps;
  gate: QuestionGate;
  close(): Promise<void>;
}

const locals: LocalServer[] = [];

async function startLocalServer(
  options: WidgetSocketOptions & ServerStateOptions = {},
): Promise<LocalServer> {
  const { questionRate, ...socketOptions } = options;
  const env = { DATABASE_URL: server.databaseUrl, PARLEY_SESSION_SECRET: TEST_SECRET };
  const config = parseConfig(withOrigins(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8')), DEMO_CONFIG_FILE, env);
  // the store keeps real time (sync compares completion times); the engine's "now" stays pinned like the data
  const store = await ConversationStore.open(
    sqliteUrl(path.join(server.dir, `local-store-${locals.length}.sqlite`)),
  );
  const gate = new QuestionGate();
  const engine = gate.wrap(createAnswerEngine({ config, now: () => TEST_NOW, memory: store.memory() }));
  const deps: AppDeps = createAppDeps(
    {
      config,
      engine,
      store,
      datasets: createDatasetService({ db: store.db, agents: datasetAgentsFromConfig(config) }),
      sessions: createSessionVerifier(
        sessionAuthConfigFromEnv(env, config.config.auth.session),
        (id) => config.agents.get(id)?.config,
      ),
      apiKeys: {
        check() {
          throw new AuthError('invalid_token', 'no API keys on this server');
        },
      },
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      clock: () => new Date(),
      readiness: async () => {},
    },
    { questionRate },
  );
  const httpServer = http.createServer(createApp(deps));
  const sockets = attachWidgetSocket(httpServer, deps, socketOptions);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const local: LocalServer = {
    url: wsUrl(`http://127.0.0.1:${port}`),
    deps,
    gate,
    async close() {
      await sockets.close();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
      await engine.close();
      await store.close();
    },
  };
  locals.push(local);
  return local;
}

// ---- the handshake ----------------------------------------------------------------------------

describe('authentication at the upgrade', () => {
  it('refuses a missing token with 401 and never opens', async () => {
    const result = await tryConnect(url, undefined);
    expect(result).toMatchObject({ opened: false, status: 401 });
    expect(result.opened ? '' : result.body).toContain('missing_credentials');
  });

  it('refuses bad tokens with 401: garbage, another secret, another audience', async () => {
    const forged = mintSessionToken({
      userIdentifier: 'alice',
      userContext: { organisationId: 1 },
      agentId: 'demo',
      secret: 'another-secret-that-is-long-enough-0123456789',
    });
    const wrongAudience = mintSessionToken({
      userIdentifier: 'alice',
      userContext: { organisationId: 1 },
      agentId: 'demo',
      secret: TEST_SECRET,
      audience: 'someone-else',
    });
    for (const token of ['not-a-jwt', forged, wrongAudience]) {
      const result = await tryConnect(url, token);
      expect(result).toMatchObject({ opened: false, status: 401 });
      expect(result.opened ? '' : result.body).not.toContain(token);
    }
  });

  it('refuses an expired token with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign(
      {
        sub: 'alice',
        userContext: { organisationId: 1 },
        agentId: 'demo',
        aud: 'parley',
        iat: now - 3600,
        exp: now - 1800,
      },
      TEST_SECRET,
      { algorithm: 'HS256' },
    );
    const result = await tryConnect(url, expired);
    expect(result).toMatchObject({ opened: false, status: 401 });
    expect(result.opened ? '' : result.body).toContain('token_expired');
  });

  it('selects exactly parley.v1 for a valid token and never echoes the token', async () => {
    const token = server.token('alice', 1);
    const result = await tryConnect(url, token);
    if (!result.opened) throw new Error(`refused: ${result.status}`);
    expect(result.protocol).toBe('parley.v1');
    expect(result.responseHeaders['sec-websocket-protocol']).toBe('parley.v1');
    expect(JSON.stringify(result.responseHeaders)).not.toContain(token);
    await result.client.close();
  });

  it('refuses a client that does not offer parley.v1 (400), even with a valid token', async () => {
    const token = server.token('alice', 1);
    expect(await tryConnect(url, token, { protocols: [`parley.token.${token}`] })).toMatchObject({
      opened: false,
      status: 400,
    });
    expect(await tryConnect(url, token, { protocols: ['parley.v2', `parley.token.${token}`] })).toMatchObject(
      {
        opened: false,
        status: 400,
      },
    );
  });

  it('refuses a disallowed Origin with 403, whatever the Host header says; the agent’s origins and no Origin are fine', async () => {
    const token = server.token('alice', 1);
    expect(await tryConnect(url, token, { origin: 'https://evil.example.com' })).toMatchObject({
      opened: false,
      status: 403,
    });
    expect(await tryConnect(url, token, { origin: 'https://shop.example.com.evil.com' })).toMatchObject({
      opened: false,
      status: 403,
    });
    // the DNS-rebinding shape: a page of evil.example whose Host is evil.example too
    const { host } = new URL(server.url);
    for (const [origin, spoofed] of [
      ['http://evil.example', 'evil.example'],
      [server.url, host],
    ] as Array<[string, string]>) {
      expect(await tryConnect(url, token, { origin, headers: { Host: spoofed } })).toMatchObject({
        opened: false,
        status: 403,
      });
    }
    for (const origin of [SHOP, undefined]) {
      const client = await connect(url, token, { origin });
      await client.close();
    }
  });
});

// ---- answers ----------------------------------------------------------------------------------

describe('asking over the socket', () => {
  let client: TestClient;
  let conversationId: string;

  beforeAll(async () => {
    client = await connect(url, server.token('alice', 1), { origin: SHOP });
  });
  afterAll(async () => {
    await client.close();
  });

  it('answers "how many orders last month" with created, progress in order, then the right figure', async () => {
    client.send({ type: 'message.send', clientId: 'q1', text: LAST_MONTH });
    const conversation = await client.waitFor('conversation.created', (e) => e.clientId === 'q1');
    const created = await client.waitFor('response.created', (e) => e.clientId === 'q1');
    expect(created.conversationId).toBe(conversation.conversationId);
    const final = await client.final(created.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code} ${final.message}`);
    const expected = ordersLastMonth(1);
    expect(expected).toBeGreaterThan(0);
    expect(figure(final)).toBe(expected);
    expect(final.answer).toMatchObject({ id: created.responseId, conversationId: created.conversationId });
    expect(final.answer.sql?.bindings).toEqual([1, '2026-10-01 00:00:00', '2026-11-01 00:00:00']);
    const sequence = client.ofResponse(created.responseId).filter((e) => e.type !== 'response.delta');
    expect(sequence.map((e) => (e.type === 'response.progress' ? e.stage : e.type))).toEqual([
      'response.created',
      'planning',
      'querying',
      'composing',
      'response.completed',
    ]);
    conversationId = created.conversationId;
  });

  it('answers a follow-up in the same conversation', async () => {
    const created = await client.ask('And the month before?', 'q2', conversationId);
    expect(created.conversationId).toBe(conversationId);
    expect(client.events.filter((e) => e.type === 'conversation.created' && e.clientId === 'q2')).toEqual([]);
    const final = await client.final(created.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code} ${final.message}`);
    expect(figure(final)).toBe(ordersBetween(1, '2026-09-01 00:00:00', '2026-10-01 00:00:00'));
  });

  it('takes tenant context from the token only, never from the message', async () => {
    client.send({
      type: 'message.send',
      clientId: 'q3',
      text: LAST_MONTH,
      userContext: { organisationId: 2 },
      userIdentifier: 'bob',
      agentId: 'demo',
    });
    const created = await client.waitFor('response.created', (e) => e.clientId === 'q3');
    const final = await client.final(created.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code}`);
    expect(figure(final)).toBe(ordersLastMonth(1));
    expect(figure(final)).not.toBe(ordersLastMonth(2));
  });

  it('answers malformed JSON with invalid_message and keeps answering', async () => {
    client.send('{"type": "message.send", oops');
    const error = await client.waitFor('response.error', (e) => e.code === 'invalid_message');
    expect(error.message).toMatch(/JSON/);
    client.send({ type: 'message.send', clientId: 'bad', text: 'x'.repeat(2001) });
    expect(await client.waitFor('response.error', (e) => e.clientId === 'bad')).toMatchObject({
      code: 'invalid_message',
    });
    const created = await client.ask(LAST_MONTH, 'q4', conversationId);
    expect((await client.final(created.responseId)).type).toBe('response.completed');
  });
});

describe('limits and lifetime', () => {
  it('closes the socket with 1009 on a frame over 64 KiB', async () => {
    const client = await connect(url, server.token('alice', 1));
    client.send({ type: 'message.send', clientId: 'big', text: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    expect((await client.closed).code).toBe(CloseCode.messageTooBig);
  });

  it('closes the socket with 4001 when the token expires', async () => {
    const client = await connect(url, server.token('shortlived', 1, { ttl: '2s' }));
    const started = Date.now();
    expect(await client.closed).toEqual({ code: CloseCode.tokenExpired, reason: 'token expired' });
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it('rate limits questions per user with rate_limited and retryAfter', async () => {
    const local = await startLocalServer({ questionRate: { burst: 2, perMinute: 2 } });
    const token = server.token('eager', 1);
    const client = await connect(local.url, token);
    for (const id of ['r1', 'r2']) {
      const created = await client.ask(LAST_MONTH, id);
      await client.final(created.responseId);
    }
    client.send({ type: 'message.send', clientId: 'r3', text: LAST_MONTH });
    const limited = await client.waitFor('response.error', (e) => e.clientId === 'r3');
    expect(limited.code).toBe('rate_limited');
    expect(limited.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfter).toBeLessThanOrEqual(30);
    // the limit is per user, across sockets; another user is unaffected
    const second = await connect(local.url, token);
    second.send({ type: 'message.send', clientId: 'r4', text: LAST_MONTH });
    expect(await second.waitFor('response.error', (e) => e.clientId === 'r4')).toMatchObject({
      code: 'rate_limited',
    });
    const other = await connect(local.url, server.token('calm', 1));
    const created = await other.ask(LAST_MONTH, 'o1');
    expect((await other.final(created.responseId)).type).toBe('response.completed');
    await Promise.all([client.close(), second.close(), other.close()]);
  });
});

describe('cancel', () => {
  it('aborts the engine call, records the answer as cancelled and never delivers it as completed', async () => {
    const local = await startLocalServer();
    const release = local.gate.hold(LAST_MONTH);
    const client = await connect(local.url, server.token('alice', 1));
    const created = await client.ask(LAST_MONTH, 'c1');
    client.send({ type: 'response.cancel', responseId: created.responseId });
    const final = await client.final(created.responseId);
    expect(final).toMatchObject({
      type: 'response.error',
      code: 'cancelled',
      responseId: created.responseId,
    });
    expect(local.gate.aborted).toEqual([LAST_MONTH]);
    release();
    await delay(300);
    expect(client.events.filter((e) => e.type === 'response.completed')).toEqual([]);
    const record = await local.deps.store.getResponse(created.responseId, created.conversationId);
    expect(record).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(record?.answer).toBeUndefined();
    // the socket goes on
    const next = await client.ask(LAST_MONTH, 'c2', created.conversationId);
    const answer = await client.final(next.responseId);
    if (answer.type !== 'response.completed') throw new Error(answer.code);
    expect(figure(answer)).toBe(ordersLastMonth(1));
    await client.close();
  });
});

describe('isolation', () => {
  it('two organisations asking at once on separate sockets never see each other’s events', async () => {
    // the same userIdentifier in both organisations: only the tenant context tells them apart
    const [one, two] = await Promise.all([
      connect(url, server.token('twin', 1), { origin: SHOP }),
      connect(url, server.token('twin', 2), { origin: SHOP }),
    ]);
    const clients: Array<[TestClient, number]> = [
      [one, 1],
      [two, 2],
    ];
    // interleaved: both questions of both sockets go out before any answer comes back (2 = the in-flight limit)
    for (const i of [0, 1]) {
      one.send({ type: 'message.send', clientId: `iso-${i}`, text: LAST_MONTH });
      two.send({ type: 'message.send', clientId: `iso-${i}`, text: LAST_MONTH });
    }
    for (const [client, org] of clients) {
      await eventually(
        () => client.events.filter((e) => e.type === 'response.completed').length === 2,
        20_000,
      );
      expect(client.events.filter((e) => e.type === 'response.error')).toEqual([]);
      const ownConversations = new Set(
        client.events.flatMap((e) => (e.type === 'conversation.created' ? [e.conversationId] : [])),
      );
      const ownResponses = new Set(
        client.events.flatMap((e) => (e.type === 'response.created' ? [e.responseId] : [])),
      );
      expect(ownConversations.size).toBe(2);
      expect(ownResponses.size).toBe(2);
      for (const e of client.events as ServerEvent[]) {
        if ('conversationId' in e && e.conversationId)
          expect(ownConversations.has(e.conversationId)).toBe(true);
        if ('responseId' in e && e.responseId) expect(ownResponses.has(e.responseId)).toBe(true);
        if (e.type === 'response.completed') {
          expect(figure(e)).toBe(ordersLastMonth(org));
          expect(e.answer.sql?.bindings[0]).toBe(org);
        }
      }
    }
    const foreign = [...one.events].filter(
      (e) => 'responseId' in e && two.events.some((f) => 'responseId' in f && f.responseId === e.responseId),
    );
    expect(foreign).toEqual([]);
    expect(ordersLastMonth(1)).not.toBe(ordersLastMonth(2));
    await Promise.all([one.close(), two.close()]);
  });
});

describe('reconnect and sync', () => {
  it('after a reconnect, sync returns the answers that completed while the client was away', async () => {
    const local = await startLocalServer();
    const token = server.token('traveller', 1);
    const first = await connect(local.url, token);
    const before = await first.ask(LAST_MONTH, 's1');
    const beforeFinal = await first.final(before.responseId);
    if (beforeFinal.type !== 'response.completed' || !beforeFinal.completedAt)
      throw new Error('no first answer');
    const cursor = beforeFinal.completedAt;

    const release = local.gate.hold('And the month before?');
    const away = await first.ask('And the month before?', 's2', before.conversationId);
    await first.close();
    release();
    await eventually(
      async () =>
        (await local.deps.store.getResponse(away.responseId, away.conversationId))?.status === 'completed',
    );

    // another user's answers must not appear in this user's sync
    const stranger = await connect(local.url, server.token('traveller', 2));
    const theirs = await stranger.ask(LAST_MONTH, 'x1');
    await stranger.final(theirs.responseId);

    const second = await connect(local.url, token);
    second.send({ type: 'sync', since: cursor });
    const done = await second.waitFor('sync.completed');
    expect(done).toMatchObject({ count: 1, more: false });
    const synced = second.events.filter((e) => e.type === 'response.completed');
    expect(synced.map((e) => e.responseId)).toEqual([away.responseId]);
    const final = synced[0];
    if (final?.type !== 'response.completed') throw new Error('no synced answer');
    expect(figure(final)).toBe(ordersBetween(1, '2026-09-01 00:00:00', '2026-10-01 00:00:00'));
    expect(done.until).toBe(final.completedAt);
    await Promise.all([second.close(), stranger.close()]);
  });
});
