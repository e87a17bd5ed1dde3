// Conversation creation per user on a live server: a rate shared by the widget REST API, the WebSocket and the host
// API, and a cap on stored conversations that refuses (409) rather than deleting anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSection } from '../../test/support/config-text.ts';
import { startTestServer, type TestServer } from '../../test/support/server.ts';
import { connect, wsUrl } from '../../test/support/websocket-client.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    configText: (text) =>
      withSection(text, 'limits', {
        conversations: { perUser: { points: 6, durationSec: 60 }, maxStoredPerUser: 3 },
      }),
  });
});
afterAll(async () => {
  await server?.close();
});

const create = (token: string) =>
  fetch(`${server.url}/widget/v1/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });

describe('conversation creation limits', () => {
  it('refuses a user past the stored cap with 409, stores nothing, and lets them create again after a delete', async () => {
    const token = server.token('capped', 1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(token);
      expect(res.status).toBe(201);
      ids.push((await res.json()).id);
    }
    const refused = await create(token);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      error: { code: 'conversation_limit', message: expect.stringContaining('delete old ones') },
    });
    expect(
      await server.store.countConversations({
        agentId: 'demo',
        userIdentifier: 'capped',
        userContext: { organisationId: 1 },
      }),
    ).toBe(3);
    // the host API counts the same user's conversations
    const viaApi = await fetch(`${server.url}/api/v1/agents/demo/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userIdentifier: 'capped', userContext: { organisationId: 1 } }),
    });
    expect(viaApi.status).toBe(409);
    const deleted = await fetch(`${server.url}/widget/v1/conversations/${ids[0]}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(deleted.status).toBeLessThan(300);
    // room again; then the rate (6 a minute: refusals count too) is spent
    expect((await create(token)).status).toBe(201);
    const limited = await create(token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // the same userIdentifier in another organisation is another user
    expect((await create(server.token('capped', 2))).status).toBe(201);
  });

  it('applies the cap to conversations the WebSocket creates', async () => {
    const client = await connect(wsUrl(server.url), server.token('socket-user', 1));
    for (const id of ['a', 'b', 'c']) {
      const created = await client.ask('How many orders did we have last month?', id);
      await client.final(created.responseId);
    }
    client.send({ type: 'message.send', clientId: 'd', text: 'How many orders did we have last month?' });
    expect(await client.waitFor('response.error', (e) => e.clientId === 'd')).toMatchObject({
      code: 'conversation_limit',
    });
    await client.close();
  });
});
