// Finding 4: an API key for a per-customer agent read another organisation's revenue. A key pinned to a tenant
// (auth.apiKeys[].userContext) acts only inside it on every /api/v1 route; an unpinned key still acts for any tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatasetsConfig } from './support/config-text.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const PINNED = 'pk_pinned_org1_0123456789abcdef';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    configText: (text) =>
      withDatasetsConfig(text, {}, [
        { key: PINNED, name: 'acme', agents: ['demo'], userContext: { organisationId: 1 } },
      ]),
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function call(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe('a tenant-pinned API key', () => {
  it('cannot create a conversation in another tenant (the finding), and creates in its own by default', async () => {
    const other = await call(PINNED, 'POST', '/agents/demo/conversations', {
      userIdentifier: 'mallory',
      userContext: { organisationId: 2 },
    });
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe('tenant_not_allowed');
    const own = await call(PINNED, 'POST', '/agents/demo/conversations', { userIdentifier: 'ann' });
    expect(own.status).toBe(200);
    expect(own.json.userContext).toEqual({ organisationId: 1 });
    const answer = await call(PINNED, 'POST', `/agents/demo/conversations/${own.json.id}/response`, {
      message: 'What was our revenue last month?',
    });
    expect(answer.status).toBe(200);
  });

  it('does not see another tenant’s conversations, responses or lists', async () => {
    const foreign = await call(server.apiKey, 'POST', '/agents/demo/conversations', {
      userIdentifier: 'ann',
      userContext: { organisationId: 2 },
    });
    expect(foreign.status).toBe(200);
    const id = foreign.json.id as string;
    const asked = await call(server.apiKey, 'POST', `/agents/demo/conversations/${id}/response`, {
      message: 'How many orders did we have last month?',
    });
    expect(asked.status).toBe(200);
    // unknown to the pinned key, exactly like a made-up id
    expect((await call(PINNED, 'GET', `/agents/demo/conversations/${id}`)).status).toBe(404);
    expect(
      (await call(PINNED, 'POST', `/agents/demo/conversations/${id}/response`, { message: 'revenue' }))
        .status,
    ).toBe(404);
    expect(
      (await call(PINNED, 'GET', `/agents/demo/conversations/${id}/response/${asked.json.id}`)).status,
    ).toBe(404);
    // listing a user's conversations gives only the key's tenant's, and naming another tenant is refused
    const listed = await call(PINNED, 'GET', '/agents/demo/conversations?userIdentifier=ann');
    expect(listed.status).toBe(200);
    expect(listed.json.items.length).toBeGreaterThan(0);
    expect(listed.json.items.map((c: { id: string }) => c.id)).not.toContain(id);
    const named = await call(
      PINNED,
      'GET',
      '/agents/demo/conversations?userIdentifier=ann&userContext[organisationId]=2',
    );
    expect(named.status).toBe(403);
    // the unpinned key still sees both tenants (documented: it is a trusted backend)
    expect((await call(server.apiKey, 'GET', `/agents/demo/conversations/${id}`)).status).toBe(200);
  });

  it('reaches only its tenant’s files', async () => {
    const tenant2 = encodeURIComponent(JSON.stringify({ organisationId: 2 }));
    expect((await call(PINNED, 'GET', `/agents/demo/datasets/user/ann?userContext=${tenant2}`)).status).toBe(
      403,
    );
    expect((await call(PINNED, 'GET', '/agents/demo/datasets/user/ann')).status).toBe(200);
    expect((await call(PINNED, 'GET', '/agents/demo/datasets/context/organisationId/2')).status).toBe(403);
    expect((await call(PINNED, 'GET', '/agents/demo/datasets/context/organisationId/1')).status).toBe(200);
    expect((await call(PINNED, 'GET', '/datasets/context/organisationId/2')).status).toBe(403);
  });

  it('revokes only inside its tenant, and never by bare token id', async () => {
    const other = await call(PINNED, 'POST', '/revocations', {
      userIdentifier: 'ann',
      agentId: 'demo',
      userContext: { organisationId: 2 },
    });
    expect(other.status).toBe(403);
    expect((await call(PINNED, 'POST', '/revocations', { tokenId: 'abc' })).status).toBe(403);
    const own = await call(PINNED, 'POST', '/revocations', { userIdentifier: 'ann', agentId: 'demo' });
    expect(own.status).toBe(200);
    expect(own.json.userContext).toEqual({ organisationId: 1 });
  });
});
