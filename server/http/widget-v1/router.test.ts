// The widget REST API on a live test server: auth, CORS per agent, conversations, messages, feedback, config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAllowedOrigins } from '../../../test/support/config-text.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../../../test/support/server.ts';
import { mintSessionToken } from '../../auth/session-token.ts';
import { ConversationDetail, ConversationList, Feedback, WidgetConfig } from './schemas.ts';

const SHOP = 'https://shop.example.com';
const OTHER = 'https://other.example.com';

/** the demo agent allows SHOP; a second agent "other" (same model) allows OTHER */
function twoAgents(text: string): string {
  const withOrigin = withAllowedOrigins(text, [SHOP]).replace(/^ {4}model:\n/m, '    model: &demo_model\n');
  return `${withOrigin.trimEnd()}\n  - id: other\n    name: Other agent\n    connection: demo-db\n    userContext:\n      organisationId: integer\n    allowedOrigins: [${OTHER}]\n    model: *demo_model\n`;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ configText: twoAgents });
});
afterAll(async () => {
  await server?.close();
});

function api(
  path: string,
  init: RequestInit & { token?: string; origin?: string; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.origin) headers.set('origin', init.origin);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${server.url}/widget/v1${path}`, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
}

const otherToken = (user: string, org: number) =>
  mintSessionToken({
    userIdentifier: user,
    userContext: { organisationId: org },
    agentId: 'other',
    secret: TEST_SECRET,
  });

describe('authentication', () => {
  it('refuses requests without a valid bearer token with 401 and WWW-Authenticate', async () => {
    for (const init of [{}, { headers: { authorization: 'Basic abc' } }, { token: 'not-a-jwt' }]) {
      const res = await api('/conversations', init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await res.json()).error.code).toMatch(/missing_credentials|invalid_token/);
    }
  });

  it('never takes the token from the query string', async () => {
    const res = await api(
      `/conversations?token=${server.token('alice', 1)}&access_token=${server.token('alice', 1)}`,
    );
    expect(res.status).toBe(401);
  });

  it('refuses a tampered token', async () => {
    const res = await api('/config', { token: `${server.token('alice', 1)}x` });
    expect(res.status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers preflights for the union of the agents’ origins, without credentials', async () => {
    for (const origin of [SHOP, OTHER]) {
      const res = await api('/conversations', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const evil = await api('/conversations', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('checks the actual request’s origin against the token’s agent', async () => {
    const demo = server.token('alice', 1);
    const ok = await api('/config', { token: demo, origin: SHOP });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);
    // OTHER passes the preflight (another agent allows it) but not for a demo token
    const wrongAgent = await api('/config', { token: demo, origin: OTHER });
    expect(wrongAgent.status).toBe(403);
    expect(wrongAgent.headers.get('access-control-allow-origin')).toBeNull();
    expect((await wrongAgent.json()).error.code).toBe('origin_not_allowed');
    expect((await api('/config', { token: otherToken('alice', 1), origin: OTHER })).status).toBe(200);
    expect((await api('/config', { token: demo, origin: 'https://evil.example.com' })).status).toBe(403);
    // non-browser clients send no Origin; the server's own URL is no exception unless server.publicUrl says so
    expect((await api('/config', { token: demo })).status).toBe(200);
    expect((await api('/config', { token: demo, origin: server.url })).status).toBe(403);
  });
});

describe('GET /config', () => {
  it('tells the element the agent’s name, starter questions and the user’s permissions', async () => {
    const plain = WidgetConfig.parse(
      await (await api('/config', { token: server.token('alice', 1) })).json(),
    );
    expect(plain.agent).toMatchObject({ id: 'demo', name: 'Demo shop analytics' });
    expect(plain.agent.starterQuestions).toContain('How many orders did we have last month?');
    expect(plain.user).toEqual({ userIdentifier: 'alice', permissions: [], canShareWithContext: false });
    expect(plain.websocket).toEqual({
      path: '/widget/v1/ws',
      protocol: 'parley.v1',
      tokenProtocolPrefix: 'parley.token.',
    });
    const sharer = WidgetConfig.parse(
      await (
        await api('/config', { token: server.token('bob', 1, { permissions: ['datasets:context:write'] }) })
      ).json(),
    );
    expect(sharer.user).toMatchObject({ permissions: ['datasets:context:write'], canShareWithContext: true });
  });

  it('announces the upload limits with their values, and the date forms files may use', async () => {
    const config = WidgetConfig.parse(
      await (await api('/config', { token: server.token('alice', 1) })).json(),
    );
    expect(config.datasets).toMatchObject({
      formats: ['csv', 'json'],
      maxFileBytes: 10 * 1024 * 1024,
      maxColumns: 200,
      maxCellBytes: 32 * 1024,
      uploadsPerMinute: 20,
      concurrentUploads: 2,
    });
    // no row cap below what a 10 MB file can hold
    expect(config.datasets.maxRows).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(config.datasets.dateFormats).toEqual(
      expect.arrayContaining(['2026-01', 'Jan 2026', 'Q1 2026', '2026-Q1']),
    );
  });
});

describe('conversations', () => {
  it('creates, lists with cursor pagination, reads and deletes the user’s own conversations', async () => {
    const token = server.token('pager', 1);
    const ids: string[] = [];
    for (const title of ['first', 'second', 'third']) {
      const res = await api('/conversations', { method: 'POST', token, json: { title } });
      expect(res.status).toBe(201);
      ids.push((await res.json()).id);
    }
    const page1 = ConversationList.parse(await (await api('/conversations?limit=2', { token })).json());
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = ConversationList.parse(
      await (
        await api(`/conversations?limit=2&cursor=${encodeURIComponent(page1.nextCursor ?? '')}`, { token })
      ).json(),
    );
    expect(page2.nextCursor).toBeNull();
    expect([...page1.items, ...page2.items].map((c) => c.id).sort()).toEqual([...ids].sort());
    expect((await api('/conversations?cursor=garbage', { token })).status).toBe(400);
    expect((await api('/conversations?limit=0', { token })).status).toBe(400);

    const detail = ConversationDetail.parse(await (await api(`/conversations/${ids[0]}`, { token })).json());
    expect(detail).toMatchObject({ id: ids[0], title: 'first', responses: [] });
    expect((await api(`/conversations/${ids[0]}`, { method: 'DELETE', token })).status).toBe(204);
    expect((await api(`/conversations/${ids[0]}`, { token })).status).toBe(404);
    expect((await api(`/conversations/${ids[0]}`, { method: 'DELETE', token })).status).toBe(404);
  });

  it('creates a conversation without a body, and ignores identity fields in one', async () => {
    const token = server.token('creator', 1);
    expect((await api('/conversations', { method: 'POST', token })).status).toBe(201);
    const spoof = await api('/conversations', {
      method: 'POST',
      token,
      json: { title: 'mine', userIdentifier: 'victim', userContext: { organisationId: 2 }, agentId: 'other' },
    });
    const created = await spoof.json();
    const victim = ConversationList.parse(
      await (await api('/conversations', { token: server.token('victim', 2) })).json(),
    );
    expect(victim.items).toEqual([]);
    const mine = ConversationList.parse(await (await api('/conversations', { token })).json());
    expect(mine.items.map((c) => c.id)).toContain(created.id);
  });
});

describe('messages and feedback', () => {
  it('answers a message without streaming, then records feedback on it', async () => {
    const token = server.token('writer', 1);
    const conversation = await (await api('/conversations', { method: 'POST', token })).json();
    const res = await api(`/conversations/${conversation.id}/messages`, {
      method: 'POST',
      token,
      json: { text: 'How many orders did we have last month?' },
    });
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toMatchObject({ conversationId: conversation.id, type: 'text' });
    expect(answer.sql.bindings[0]).toBe(1);

    const path = `/conversations/${conversation.id}/responses/${answer.id}/feedback`;
    expect((await api(path, { method: 'POST', token, json: { rating: 'great' } })).status).toBe(400);
    expect(
      (await api(path, { method: 'POST', token, json: { rating: 'positive', comment: 'x'.repeat(2001) } }))
        .status,
    ).toBe(400);
    expect((await api(path, { method: 'POST', token, json: { comment: 'no rating' } })).status).toBe(400);
    const stored = Feedback.parse(
      await (
        await api(path, { method: 'POST', token, json: { rating: 'negative', comment: 'wrong month' } })
      ).json(),
    );
    expect(stored).toMatchObject({ responseId: answer.id, rating: 'negative', comment: 'wrong month' });
    const cleared = Feedback.parse(
      await (await api(path, { method: 'POST', token, json: { rating: null } })).json(),
    );
    expect(cleared).toMatchObject({ rating: null, comment: 'wrong month' });
    expect(
      (
        await api(`/conversations/${conversation.id}/responses/nope/feedback`, {
          method: 'POST',
          token,
          json: { rating: 'positive' },
        })
      ).status,
    ).toBe(404);

    const detail = ConversationDetail.parse(
      await (await api(`/conversations/${conversation.id}`, { token })).json(),
    );
    // the first question, then what its answer was about (issue 16: alike questions told apart)
    expect(detail.title).toBe('How many orders did we have last month? · Orders, October 2026');
    expect(detail.responses).toHaveLength(1);
    expect(detail.responses[0]).toMatchObject({
      id: answer.id,
      question: 'How many orders did we have last month?',
      status: 'completed',
      answer: { id: answer.id },
      feedback: { rating: null, comment: 'wrong month' },
    });
  });

  it('validates the message and rate limits per user with 429 and Retry-After', async () => {
    const token = server.token('hurried', 1);
    const conversation = await (await api('/conversations', { method: 'POST', token })).json();
    const send = (text: string) =>
      api(`/conversations/${conversation.id}/messages`, { method: 'POST', token, json: { text } });
    expect((await send('')).status).toBe(400);
    expect((await send('x'.repeat(2001))).status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await send('How many orders did we have last month?');
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect((await res.json()).error.code).toBe('rate_limited');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
