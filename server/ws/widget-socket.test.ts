// The widget socket against a fake engine and verifier (a real store): heartbeat, limits, delivery, shutdown.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { withAllowedOrigins } from '../../test/support/config-text.ts';
import {
  connect,
  delay,
  eventually,
  QuestionGate,
  type TestClient,
  tryConnect,
  wsUrl,
} from '../../test/support/websocket-client.ts';
import type { AnswerEngine } from '../answers/engine.ts';
import { AuthError } from '../auth/session-token.ts';
import { parseConfig } from '../config/load.ts';
import { ConversationStore } from '../conversations/store.ts';
import { createDatasetService, datasetAgentsFromConfig } from '../datasets/service.ts';
import { type AppDeps, createAppDeps, type ServerStateOptions, type VerifiedSession } from '../deps.ts';
import { createMetrics } from '../observability/metrics.ts';
import { CloseCode, MAX_PAYLOAD_BYTES } from './protocol.ts';
import { attachWidgetSocket, type WidgetSocketOptions } from './widget-socket.ts';

const CONFIG_FILE = fileURLToPath(new URL('../../parley.config.yaml', import.meta.url));

interface Harness {
  url: string;
  deps: AppDeps;
  holds: QuestionGate;
  /** the tenants the engine was asked to prepare, in order */
  prepared: unknown[];
  token(user: string, org: number, expiresInMs?: number): string;
  sockets: { close(): Promise<void> };
  close(): Promise<void>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function harness(options: WidgetSocketOptions & ServerStateOptions = {}): Promise<Harness> {
  const { questionRate, ...socketOptions } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-ws-unit-'));
  const text = withAllowedOrigins(fs.readFileSync(CONFIG_FILE, 'utf8'), ['https://shop.example.com']);
  const config = parseConfig(text, CONFIG_FILE, {
    DATABASE_URL: `sqlite://${path.join(dir, 'none.sqlite')}`,
  });
  const store = await ConversationStore.open(`sqlite://${path.join(dir, 'store.sqlite')}`);
  const holds = new QuestionGate();
  const prepared: unknown[] = [];
  const engine: AnswerEngine = {
    async prepare(input) {
      prepared.push(input);
    },
    async ask(input) {
      input.onProgress?.('planning');
      input.onDelta?.('Counting ');
      await holds.wait(input);
      input.onProgress?.('querying');
      input.onProgress?.('composing');
      const org = (input.userContext as { organisationId: number }).organisationId;
      return {
        id: 'engine-id',
        conversationId: input.conversationId ?? '',
        type: 'text',
        message: `org ${org}: ${input.question}`,
      };
    },
    async ping() {},
    async close() {},
  };
  const sessions = new Map<string, VerifiedSession>();
  let n = 0;
  const deps: AppDeps = createAppDeps(
    {
      config,
      engine,
      store,
      datasets: createDatasetService({ db: store.db, agents: datasetAgentsFromConfig(config) }),
      sessions: {
        async verify(token) {
          const s = sessions.get(token);
          if (!s) throw new AuthError('invalid_token', 'the token is invalid');
          return s;
        },
      },
      apiKeys: {
        check() {
          throw new AuthError('invalid_token', 'no keys here');
        },
      },
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      clock: () => new Date(),
      readiness: async () => {},
    },
    { questionRate },
  );
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const sockets = attachWidgetSocket(server, deps, socketOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const h: Harness = {
    url: wsUrl(`http://127.0.0.1:${port}`),
    deps,
    holds,
    prepared,
    sockets,
    token(user, org, expiresInMs = 15 * 60_000) {
      const token = `tok${++n}.x.y`;
      sessions.set(token, {
        userIdentifier: user,
        agentId: 'demo',
        userContext: { organisationId: org },
        permissions: [],
        expiresAt: new Date(Date.now() + expiresInMs),
      });
      return token;
    },
    async close() {
      await sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  harnesses.push(h);
  return h;
}

async function gauge(deps: AppDeps): Promise<number> {
  return (await deps.metrics.openSockets.get()).values[0]?.value ?? 0;
}

describe('widget socket', () => {
  it('streams progress and deltas, then the answer with the response id; counts sockets and answers', async () => {
    const h = await harness();
    const client = await connect(h.url, h.token('alice', 1));
    expect(await gauge(h.deps)).toBe(1);
    // the socket's tenant is prepared as it opens, before any question (engine.prepare)
    expect(h.prepared).toEqual([{ agentId: 'demo', userContext: { organisationId: 1 } }]);
    const created = await client.ask('How many orders?', 'c1');
    const final = await client.final(created.responseId);
    expect(final).toMatchObject({
      type: 'response.completed',
      clientId: 'c1',
      conversationId: created.conversationId,
      answer: {
        id: created.responseId,
        conversationId: created.conversationId,
        message: 'org 1: How many orders?',
      },
    });
    expect(
      client.ofResponse(created.responseId).map((e) => (e.type === 'response.progress' ? e.stage : e.type)),
    ).toEqual([
      'response.created',
      'planning',
      'response.delta',
      'querying',
      'composing',
      'response.completed',
    ]);
    const answers = await h.deps.metrics.answers.get();
    expect(answers.values).toContainEqual(
      expect.objectContaining({ value: 1, labels: { agent: 'demo', type: 'text', surface: 'ws' } }),
    );
    await client.close();
    await eventually(async () => (await gauge(h.deps)) === 0);
  });

  it('refuses an unknown path, a missing subprotocol and too many sockets per user', async () => {
    const h = await harness({ maxSocketsPerUser: 1 });
    const token = h.token('alice', 1);
    const wrongPath = await tryConnect(h.url.replace('/widget/v1/ws', '/elsewhere'), token);
    expect(wrongPath).toMatchObject({ opened: false, status: 404 });
    const noProtocol = await tryConnect(h.url, token, { protocols: [`parley.token.${token}`] });
    expect(noProtocol).toMatchObject({ opened: false, status: 400 });
    const first = await connect(h.url, token);
    expect(await tryConnect(h.url, h.token('alice', 1))).toMatchObject({ opened: false, status: 429 });
    // another user is not affected
    const other = await connect(h.url, h.token('bob', 1));
    await Promise.all([first.close(), other.close()]);
  });

  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    const h = await harness({ heartbeatMs: 60 });
    const silent = await connect(h.url, h.token('alice', 1), { autoPong: false });
    const lively = await connect(h.url, h.token('bob', 1));
    const { code } = await silent.closed;
    expect(code).toBe(1006);
    await delay(200);
    lively.send({ type: 'ping' });
    await lively.waitFor('pong');
    await lively.close();
  });

  it('limits the answers in flight on one connection', async () => {
    const h = await harness({ maxInFlight: 1 });
    const release = h.holds.hold('slow one');
    const client = await connect(h.url, h.token('alice', 1));
    const first = await client.ask('slow one', 'a');
    client.send({ type: 'message.send', clientId: 'b', text: 'another' });
    expect(await client.waitFor('response.error', (e) => e.clientId === 'b')).toMatchObject({
      code: 'too_many_in_flight',
    });
    release();
    await client.final(first.responseId);
    const again = await client.ask('another', 'c');
    expect((await client.final(again.responseId)).type).toBe('response.completed');
    await client.close();
  });

  it('cancels only the asker’s own answers; a cancelled answer never completes', async () => {
    const h = await harness();
    const release = h.holds.hold('slow one');
    const alice = await connect(h.url, h.token('alice', 1));
    const mallory = await connect(h.url, h.token('mallory', 1));
    const created = await alice.ask('slow one', 'a');
    mallory.send({ type: 'response.cancel', responseId: created.responseId });
    expect(await mallory.waitFor('response.error')).toMatchObject({
      code: 'not_found',
      responseId: created.responseId,
    });
    alice.send({ type: 'response.cancel', responseId: created.responseId });
    expect(await alice.final(created.responseId)).toMatchObject({
      type: 'response.error',
      code: 'cancelled',
    });
    expect(h.holds.aborted).toEqual(['slow one']);
    release();
    await delay(100);
    expect(alice.events.some((e) => e.type === 'response.completed')).toBe(false);
    const record = await h.deps.store.getResponse(created.responseId, created.conversationId);
    expect(record?.status).toBe('cancelled');
    // a second cancel of a finished answer
    alice.send({ type: 'response.cancel', responseId: created.responseId });
    await alice.waitFor('response.error', (e) => e.code === 'not_found');
    await Promise.all([alice.close(), mallory.close()]);
  });

  it('delivers the final event of an answer whose socket closed to the user’s new socket', async () => {
    const h = await harness();
    const release = h.holds.hold('slow one');
    const token = h.token('alice', 1);
    const first = await connect(h.url, token);
    const created = await first.ask('slow one', 'a');
    await first.close();
    const second = await connect(h.url, token);
    const stranger = await connect(h.url, h.token('alice', 2));
    release();
    const final = await second.final(created.responseId);
    expect(final).toMatchObject({ type: 'response.completed', answer: { message: 'org 1: slow one' } });
    expect('clientId' in final).toBe(false);
    await delay(50);
    expect(stranger.events).toEqual([]);
    await Promise.all([second.close(), stranger.close()]);
  });

  it('keeps the socket after invalid messages, but closes a flood with 1008', async () => {
    const h = await harness({ invalidMessages: { burst: 3, perMinute: 1 } });
    const client = await connect(h.url, h.token('alice', 1));
    client.send('{not json');
    client.ws.send(Buffer.from([1, 2, 3]));
    client.send({ type: 'message.send', clientId: 'x', text: '' });
    const errors = await eventually(() => {
      const e = client.events.filter((e) => e.type === 'response.error');
      return e.length === 3 ? e : undefined;
    });
    expect(errors.map((e) => e.type === 'response.error' && e.code)).toEqual([
      'invalid_message',
      'invalid_message',
      'invalid_message',
    ]);
    expect(errors[2]).toMatchObject({ clientId: 'x' });
    client.send({ type: 'ping' });
    await client.waitFor('pong');
    client.send('{still not json');
    expect((await client.closed).code).toBe(CloseCode.policyViolation);
  });

  it('closes a client that keeps sending while rate limited with 4029', async () => {
    const h = await harness({
      questionRate: { burst: 1, perMinute: 1 },
      rejectedMessages: { burst: 2, perMinute: 1 },
    });
    const client = await connect(h.url, h.token('alice', 1));
    const created = await client.ask('one', 'a');
    await client.final(created.responseId);
    client.send({ type: 'message.send', clientId: 'b', text: 'two' });
    expect(await client.waitFor('response.error', (e) => e.clientId === 'b')).toMatchObject({
      code: 'rate_limited',
      retryAfter: 60,
    });
    client.send({ type: 'message.send', clientId: 'c', text: 'three' });
    client.send({ type: 'message.send', clientId: 'd', text: 'four' });
    expect((await client.closed).code).toBe(CloseCode.tooManyRequests);
  });

  it('counts every message type against the socket budget and closes a flood with 4029', async () => {
    const h = await harness({
      messageBudget: { perSocket: { points: 6, durationSec: 60 }, perUser: { points: 100, durationSec: 60 } },
    });
    const client = await connect(h.url, h.token('alice', 1));
    const other = await connect(h.url, h.token('bob', 1));
    // none of these asks a question: pings, cancels of nothing, syncs, invalid text
    const flood = [
      { type: 'ping' },
      { type: 'response.cancel', responseId: 'nope' },
      { type: 'sync', since: new Date().toISOString() },
      '{not json',
      { type: 'ping' },
      { type: 'ping' },
      { type: 'ping' },
    ];
    for (const m of flood) client.send(m);
    expect(await client.closed).toEqual({ code: CloseCode.tooManyRequests, reason: 'too many messages' });
    // the seventh message was never answered
    expect(client.events.filter((e) => e.type === 'pong')).toHaveLength(3);
    // a fresh socket of the same user has its own socket budget; another user is untouched
    const again = await connect(h.url, h.token('alice', 1));
    again.send({ type: 'ping' });
    await again.waitFor('pong');
    other.send({ type: 'ping' });
    await other.waitFor('pong');
    expect(
      (await h.deps.metrics.refusals.get()).values.find((v) => v.labels.reason === 'message_budget')?.value,
    ).toBe(1);
  });

  it('closes every socket of a user past the per-user budget and refuses new ones with 429 while blocked', async () => {
    const h = await harness({
      messageBudget: {
        perSocket: { points: 100, durationSec: 60 },
        perUser: { points: 5, durationSec: 60, blockSec: 30 },
      },
    });
    const a = await connect(h.url, h.token('alice', 1));
    const b = await connect(h.url, h.token('alice', 1));
    for (let i = 0; i < 3; i++) a.send({ type: 'ping' });
    for (let i = 0; i < 3; i++) b.send({ type: 'ping' });
    expect((await b.closed).code).toBe(CloseCode.tooManyRequests);
    a.send({ type: 'ping' });
    expect((await a.closed).code).toBe(CloseCode.tooManyRequests);
    const refused = await tryConnect(h.url, h.token('alice', 1));
    expect(refused).toMatchObject({ opened: false, status: 429 });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({
      error: { code: 'too_many_messages' },
    });
    // the same userIdentifier in another organisation is another user
    const elsewhere = await connect(h.url, h.token('alice', 2));
    elsewhere.send({ type: 'ping' });
    await elsewhere.waitFor('pong');
  });

  it('counts answers refused as too_many_in_flight or rate_limited against the budget', async () => {
    const h = await harness({
      maxInFlight: 1,
      rejectedMessages: { burst: 100, perMinute: 100 },
      messageBudget: { perSocket: { points: 4, durationSec: 60 }, perUser: { points: 100, durationSec: 60 } },
    });
    const release = h.holds.hold('slow');
    const client = await connect(h.url, h.token('alice', 1));
    await client.ask('slow', 'a');
    for (const id of ['b', 'c', 'd', 'e']) client.send({ type: 'message.send', clientId: id, text: 'more' });
    const closed = await client.closed;
    release();
    expect(closed.code).toBe(CloseCode.tooManyRequests);
    const refused = client.events.filter(
      (e) => e.type === 'response.error' && e.code === 'too_many_in_flight',
    );
    expect(refused).toHaveLength(3);
  });

  it('closes with 1009 on a frame over 64 KiB', async () => {
    const h = await harness();
    const client = await connect(h.url, h.token('alice', 1));
    client.send({ type: 'ping', pad: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    expect((await client.closed).code).toBe(CloseCode.messageTooBig);
  });

  it('closes with 4001 when the token expires and 4003 when the agent is gone', async () => {
    const h = await harness({ heartbeatMs: 50 });
    const expiring = await connect(h.url, h.token('alice', 1, 300));
    expect(await expiring.closed).toEqual({ code: CloseCode.tokenExpired, reason: 'token expired' });
    const client = await connect(h.url, h.token('bob', 1));
    h.deps.config.agents.delete('demo');
    expect((await client.closed).code).toBe(CloseCode.forbidden);
  });

  it('on close: lets short answers finish, cancels the rest, closes sockets with 1001 and refuses new ones', async () => {
    const h = await harness({ shutdownGraceMs: 300 });
    const releaseQuick = h.holds.hold('quick');
    h.holds.hold('stuck');
    const client = await connect(h.url, h.token('alice', 1));
    const quick = await client.ask('quick', 'q');
    const other = await connect(h.url, h.token('bob', 1));
    const stuck = await other.ask('stuck', 's');
    const closing = h.sockets.close();
    expect(await tryConnect(h.url, h.token('carol', 1))).toMatchObject({ opened: false, status: 503 });
    setTimeout(releaseQuick, 50);
    await closing;
    expect(await client.final(quick.responseId)).toMatchObject({ type: 'response.completed' });
    expect(await other.final(stuck.responseId)).toMatchObject({
      type: 'response.error',
      code: 'server_shutdown',
    });
    expect((await client.closed).code).toBe(CloseCode.goingAway);
    expect((await other.closed).code).toBe(CloseCode.goingAway);
    expect((await h.deps.store.getResponse(stuck.responseId, stuck.conversationId))?.status).toBe(
      'cancelled',
    );
    expect(await gauge(h.deps)).toBe(0);
  });

  it('sync sends what finished after `since`, completed and failed alike, then sync.completed', async () => {
    const h = await harness();
    const client = await connect(h.url, h.token('alice', 1));
    const one = await client.ask('one', 'a');
    const oneFinal = await client.final(one.responseId);
    const since = oneFinal.completedAt ?? '';
    await delay(5);
    const release = h.holds.hold('two');
    const two = await client.ask('two', 'b', one.conversationId);
    const three = await client.ask('three', 'c', one.conversationId);
    await client.final(three.responseId);
    client.send({ type: 'response.cancel', responseId: two.responseId });
    await client.final(two.responseId);
    release();
    const fresh: TestClient = await connect(h.url, h.token('alice', 1));
    fresh.send({ type: 'sync', since });
    const done = await fresh.waitFor('sync.completed');
    expect(done).toMatchObject({ count: 2, more: false });
    expect(fresh.events.map((e) => ('responseId' in e ? [e.type, e.responseId] : [e.type]))).toEqual([
      ['response.completed', three.responseId],
      ['response.error', two.responseId],
      ['sync.completed'],
    ]);
    // the next sync from `until` has nothing new
    fresh.send({ type: 'sync', since: done.until });
    await eventually(() => fresh.events.filter((e) => e.type === 'sync.completed').length === 2);
    expect(fresh.events.at(-1)).toMatchObject({ type: 'sync.completed', count: 0 });
    await Promise.all([client.close(), fresh.close()]);
  });
});
