// A conversation belongs to (agent, userIdentifier, userContext). Anyone else — another user of the same
// organisation, the same user id in another organisation, the same user through another agent, anyone of another
// organisation — gets 404 for reading, continuing (REST and WebSocket), deleting it, and for feedback on its answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSessionToken } from '../server/auth/session-token.ts';
import { startTestServer, TEST_SECRET, type TestServer } from './support/server.ts';
import { connect, delay, wsUrl } from './support/websocket-client.ts';

/** a second agent, "other", on the same data and model as demo */
function twoAgents(text: string): string {
  const anchored = text.replace(/^ {4}model:\n/m, '    model: &demo_model\n');
  return `${anchored.trimEnd()}\n  - id: other\n    name: Other agent\n    connection: demo-db\n    userContext:\n      organisationId: integer\n    model: *demo_model\n`;
}

const QUESTION = 'How many orders did we have last month?';

let server: TestServer;
let owner: string;
let conversationId: string;
let responseId: string;
let strangers: Array<[string, string]>;

function api(path: string, token: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${server.url}/widget/v1${path}`, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
}

beforeAll(async () => {
  server = await startTestServer({ configText: twoAgents });
  owner = server.token('alice', 1);
  strangers = [
    ['another user of the same organisation', server.token('bob', 1)],
    ['the same user id in another organisation', server.token('alice', 2)],
    ['someone of another organisation', server.token('mallory', 2)],
    [
      'the same user and organisation through another agent',
      mintSessionToken({
        userIdentifier: 'alice',
        userContext: { organisationId: 1 },
        agentId: 'other',
        secret: TEST_SECRET,
      }),
    ],
  ];
  // user A asks over the socket: a conversation with one answered response
  const client = await connect(wsUrl(server.url), owner);
  const created = await client.ask(QUESTION, 'a1');
  const final = await client.final(created.responseId);
  expect(final.type).toBe('response.completed');
  conversationId = created.conversationId;
  responseId = created.responseId;
  await client.close();
});

afterAll(async () => {
  await server?.close();
});

describe('someone else’s conversation', () => {
  it('is readable by its owner', async () => {
    const res = await api(`/conversations/${conversationId}`, owner);
    expect(res.status).toBe(200);
    expect((await res.json()).responses).toHaveLength(1);
  });

  it('cannot be read or listed by anyone else: 404, the same answer as for no conversation at all', async () => {
    const missing = await (await api('/conversations/does-not-exist', owner)).json();
    for (const [who, token] of strangers) {
      const res = await api(`/conversations/${conversationId}`, token);
      expect(res.status, who).toBe(404);
      expect(await res.json(), who).toEqual(missing);
      const list = await (await api('/conversations', token)).json();
      expect(
        list.items.map((c: { id: string }) => c.id),
        who,
      ).not.toContain(conversationId);
    }
  });

  it('cannot be continued over the WebSocket: response.error not_found and no answer', async () => {
    for (const [who, token] of strangers) {
      const client = await connect(wsUrl(server.url), token);
      client.send({ type: 'message.send', clientId: 'intrude', conversationId, text: QUESTION });
      const error = await client.waitFor('response.error', (e) => e.clientId === 'intrude');
      expect(error, who).toMatchObject({ code: 'not_found', conversationId });
      await delay(50);
      expect(
        client.events.filter((e) => e.type !== 'response.error'),
        who,
      ).toEqual([]);
      await client.close();
    }
  });

  it('cannot be continued over REST: 404', async () => {
    for (const [who, token] of strangers) {
      const res = await api(`/conversations/${conversationId}/messages`, token, {
        method: 'POST',
        json: { text: QUESTION },
      });
      expect(res.status, who).toBe(404);
    }
  });

  it('takes no feedback from anyone else: 404 through its path or through their own conversation', async () => {
    for (const [who, token] of strangers) {
      const direct = await api(`/conversations/${conversationId}/responses/${responseId}/feedback`, token, {
        method: 'POST',
        json: { rating: 'negative', comment: 'spam' },
      });
      expect(direct.status, who).toBe(404);
      const own = await (await api('/conversations', token, { method: 'POST' })).json();
      const smuggled = await api(`/conversations/${own.id}/responses/${responseId}/feedback`, token, {
        method: 'POST',
        json: { rating: 'negative' },
      });
      expect(smuggled.status, who).toBe(404);
    }
  });

  it('cannot be deleted by anyone else: 404, and it is still there with no extra messages or feedback', async () => {
    for (const [who, token] of strangers) {
      const res = await api(`/conversations/${conversationId}`, token, { method: 'DELETE' });
      expect(res.status, who).toBe(404);
    }
    const detail = await (await api(`/conversations/${conversationId}`, owner)).json();
    expect(detail.responses).toHaveLength(1);
    expect(detail.responses[0]).toMatchObject({ id: responseId, status: 'completed', feedback: null });
  });

  it('its owner can rate and delete it; then it is gone for everyone', async () => {
    const rated = await api(`/conversations/${conversationId}/responses/${responseId}/feedback`, owner, {
      method: 'POST',
      json: { rating: 'positive' },
    });
    expect(rated.status).toBe(200);
    expect((await api(`/conversations/${conversationId}`, owner, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/conversations/${conversationId}`, owner)).status).toBe(404);
    const client = await connect(wsUrl(server.url), owner);
    client.send({ type: 'message.send', clientId: 'again', conversationId, text: QUESTION });
    expect(await client.waitFor('response.error', (e) => e.clientId === 'again')).toMatchObject({
      code: 'not_found',
    });
    await client.close();
  });
});
