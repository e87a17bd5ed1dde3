// Who sees and changes which dataset over the widget API (session tokens) and the host API (API key): another
// user's or another organisation's file is 404 whether it exists or not, shared (context) files need the
// datasets:context:write permission to write (403), and identity comes only from the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSessionToken } from '../server/auth/session-token.ts';
import { type DatasetsTestServer, startDatasetsTestServer } from './support/datasets-app.ts';
import { TEST_SECRET } from './support/server.ts';

const WRITE = ['datasets:context:write'];
/** the host API's way to name a user's tenant in a multi-tenant agent */
const tenantQuery = (organisationId: number): string =>
  `?userContext=${encodeURIComponent(JSON.stringify({ organisationId }))}`;
const ORG1 = tenantQuery(1);

const withOtherAgent = (text: string): string =>
  `${text.trimEnd()}
  - id: other
    connection: demo-db
    userContext:
      organisationId: integer
      teamIds: integer[]
    model:
      tables:
        products:
          contextFilters:
            - { column: organisation_id, field: organisationId }
          columns:
            name: { type: string }
`;

let server: DatasetsTestServer;
let alice: string; // organisation 1, may share
let bob: string; // organisation 1
let carol: string; // organisation 2, may share

beforeAll(async () => {
  server = await startDatasetsTestServer({ configText: withOtherAgent });
  alice = server.token('alice', 1, { permissions: WRITE });
  bob = server.token('bob', 1);
  carol = server.token('carol', 2, { permissions: WRITE });
});

afterAll(async () => {
  await server?.close();
});

interface WidgetDataset {
  name: string;
  scope: 'user' | 'context';
  contextKey?: string;
  table?: string;
  notes: string;
  size: number;
  rowCount: number;
  columns: Array<{ name: string; header: string; type: string }>;
  uploadedAt: string;
  canDelete: boolean;
}

async function upload(
  token: string,
  filename: string,
  text: string,
  fields: Record<string, string> = {},
  query = '',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new File([text], filename, { type: 'text/csv' }));
  const res = await fetch(`${server.url}/widget/v1/datasets${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function list(token: string): Promise<WidgetDataset[]> {
  const res = await fetch(`${server.url}/widget/v1/datasets`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { datasets: WidgetDataset[] }).datasets;
}

async function remove(token: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/widget/v1/datasets/${path}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: await res.json() };
}

describe('user files', () => {
  it('only their owner lists and deletes them; everyone else gets 404, existing or not', async () => {
    const up = await upload(alice, 'mine.csv', 'region,amount\nEU,1\nUS,2\n', { notes: 'my numbers' });
    expect(up.status).toBe(201);
    expect(up.body.dataset).toMatchObject({
      name: 'mine.csv',
      scope: 'user',
      notes: 'my numbers',
      rowCount: 2,
      canDelete: true,
    });

    const mine = await list(alice);
    expect(mine.map((d) => d.name)).toEqual(['mine.csv']);
    expect(mine[0]).toMatchObject({
      table: 'mine',
      size: 'region,amount\nEU,1\nUS,2\n'.length,
      columns: [
        { name: 'region', header: 'region', type: 'string' },
        { name: 'amount', header: 'amount', type: 'number' },
      ],
    });
    expect(Date.parse(mine[0]?.uploadedAt ?? '')).not.toBeNaN();

    expect(await list(bob)).toEqual([]);
    expect(await list(carol)).toEqual([]);
    const bobDelete = await remove(bob, 'user/mine.csv');
    const carolDelete = await remove(carol, 'user/mine.csv');
    const missing = await remove(bob, 'user/never-uploaded.csv');
    expect(bobDelete).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'dataset not found' } },
    });
    expect(carolDelete).toEqual(bobDelete);
    expect(missing).toEqual(bobDelete);
    expect((await list(alice)).map((d) => d.name)).toEqual(['mine.csv']);

    expect(await remove(alice, 'user/mine.csv')).toEqual({
      status: 200,
      body: { file: 'mine.csv', success: true },
    });
    expect(await list(alice)).toEqual([]);
  });

  it('takes the identity from the token only: body fields and query parameters naming someone else are ignored', async () => {
    const up = await upload(
      bob,
      'claims.csv',
      'a\n1\n',
      { userIdentifier: 'alice', agentId: 'other' },
      '?userIdentifier=alice',
    );
    expect(up.status).toBe(201);
    expect((await list(bob)).map((d) => d.name)).toEqual(['claims.csv']);
    expect((await list(alice)).map((d) => d.name)).toEqual([]);
    const hostView = await fetch(`${server.url}/api/v1/agents/demo/datasets/user/bob${ORG1}`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(await hostView.json()).toEqual({ files: ['claims.csv'] });
    // the host API also keeps users apart: bob's file is not alice's
    const wrongPath = await fetch(`${server.url}/api/v1/agents/demo/datasets/user/alice/claims.csv${ORG1}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(wrongPath.status).toBe(404);
    expect((await remove(bob, 'user/claims.csv')).status).toBe(200);
  });

  it('an agent’s files are invisible to the same user on another agent', async () => {
    await upload(alice, 'demo-only.csv', 'a\n1\n');
    const aliceOther = mintSessionToken({
      userIdentifier: 'alice',
      userContext: { organisationId: 1, teamIds: [1] },
      agentId: 'other',
      ttl: '15m',
      permissions: WRITE,
      secret: TEST_SECRET,
    });
    expect(await list(aliceOther)).toEqual([]);
    expect((await remove(aliceOther, 'user/demo-only.csv')).status).toBe(404);
    // a list field is not a shareable scope
    expect(
      (await upload(aliceOther, 'x.csv', 'a\n1\n', { scope: 'context', contextKey: 'teamIds' })).status,
    ).toBe(400);
    expect((await list(alice)).map((d) => d.name)).toEqual(['demo-only.csv']);
    expect((await remove(alice, 'user/demo-only.csv')).status).toBe(200);
  });
});

describe('the same userIdentifier in two organisations', () => {
  // host apps that number users per tenant, or have an "admin" in every tenant: two different people
  const id = 'auth0|u17';
  const hostUrl = (organisationId: number, rest = '') =>
    `${server.url}/api/v1/agents/demo/datasets/user/${encodeURIComponent(id)}${rest}${tenantQuery(organisationId)}`;
  const host = (url: string, method = 'GET') =>
    fetch(url, { method, headers: { authorization: `Bearer ${server.apiKey}` } });

  async function askAsHost(organisationId: number, message: string) {
    const created = await fetch(`${server.url}/api/v1/agents/demo/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userIdentifier: id, userContext: { organisationId } }),
    });
    const { id: conversationId } = (await created.json()) as { id: string };
    const res = await fetch(`${server.url}/api/v1/agents/demo/conversations/${conversationId}/response`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });
    return (await res.json()) as { type: string; message: string; data?: { rows: unknown[][] } };
  }

  it("never lists, queries or deletes the other organisation's private file (widget and host API)", async () => {
    const inOrg1 = server.token(id, 1);
    const inOrg2 = server.token(id, 2);
    expect((await upload(inOrg1, 'plans.csv', 'plan,price\nAcme Gold,4242\n')).status).toBe(201);

    // widget: organisation 2's u17 sees nothing and deletes nothing
    expect(await list(inOrg2)).toEqual([]);
    expect((await remove(inOrg2, 'user/plans.csv')).status).toBe(404);
    // host API: the same, when the tenant is organisation 2
    expect(await (await host(hostUrl(2))).json()).toEqual({ files: [] });
    expect((await host(hostUrl(2, '/plans.csv'), 'DELETE')).status).toBe(404);
    // answers: organisation 2's u17 cannot query it; organisation 1's can
    const leaked = await askAsHost(2, 'list the plans in my plans file');
    expect(JSON.stringify(leaked)).not.toContain('4242');
    const own = await askAsHost(1, 'list the plans in my plans file');
    expect(JSON.stringify(own.data?.rows), JSON.stringify(own)).toContain('4242');

    // the host API must say which tenant: without it, 400 (never "any tenant")
    const unscoped = await host(`${server.url}/api/v1/agents/demo/datasets/user/${encodeURIComponent(id)}`);
    expect(unscoped.status).toBe(400);
    expect(await unscoped.json()).toEqual({
      error: { code: 'tenant_required', message: expect.stringContaining('userContext') },
    });
    const malformed = await host(
      `${server.url}/api/v1/agents/demo/datasets/user/${encodeURIComponent(id)}?userContext=%7B%22organisationId%22%3A%221%20OR%201%3D1%22%7D`,
    );
    expect([malformed.status, ((await malformed.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      'invalid_user_context',
    ]);

    // still there for its owner, in both surfaces
    expect((await list(inOrg1)).map((d) => d.name)).toEqual(['plans.csv']);
    expect(await (await host(hostUrl(1))).json()).toEqual({ files: ['plans.csv'] });
    expect((await host(hostUrl(1, '/plans.csv'), 'DELETE')).status).toBe(200);
    expect(await list(inOrg1)).toEqual([]);
  });
});

describe('table names', () => {
  it('names dataset tables around the agent’s own tables', async () => {
    expect((await upload(bob, 'orders.csv', 'target\n1\n')).status).toBe(201);
    expect((await list(bob)).map((d) => [d.name, d.table])).toEqual([['orders.csv', 'orders_2']]);
    expect((await remove(bob, 'user/orders.csv')).status).toBe(200);
  });
});

describe('context (shared) files', () => {
  it('need datasets:context:write to upload or delete (403), are visible to the whole organisation only', async () => {
    const denied = await upload(bob, 'shared.csv', 'team,goal\nA,1\n', {
      scope: 'context',
      contextKey: 'organisationId',
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      error: { code: 'forbidden', message: expect.stringContaining('datasets:context:write') },
    });
    expect((await remove(bob, 'context/organisationId/shared.csv')).status).toBe(403);

    // contextKey may be left out when the agent has one shareable key; a contextValue in the body is ignored
    const shared = await upload(alice, 'shared.csv', 'team,goal\nA,1\nB,2\n', {
      scope: 'context',
      contextValue: '2',
    });
    expect(shared.status).toBe(201);
    expect(shared.body.dataset).toMatchObject({
      name: 'shared.csv',
      scope: 'context',
      contextKey: 'organisationId',
    });

    const bobSees = await list(bob);
    expect(bobSees.map((d) => [d.name, d.scope, d.canDelete])).toEqual([['shared.csv', 'context', false]]);
    expect((await list(alice)).map((d) => [d.name, d.canDelete])).toEqual([['shared.csv', true]]);
    expect(await list(carol)).toEqual([]);

    // carol may share, but only with her own organisation: organisation 1's file does not exist for her
    expect(await remove(carol, 'context/organisationId/shared.csv')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'dataset not found' } },
    });
    const carolsOwn = await upload(carol, 'shared.csv', 'team,goal\nZ,9\n', {
      scope: 'context',
      contextKey: 'organisationId',
    });
    expect(carolsOwn.status).toBe(201);
    expect((await list(carol)).map((d) => d.rowCount)).toEqual([1]);
    expect((await list(bob)).map((d) => d.rowCount)).toEqual([2]);

    // replacing a shared file: 200 with replaced: true, still one file
    const again = await upload(alice, 'shared.csv', 'team,goal\nA,1\nB,2\nC,3\n', {
      scope: 'context',
      contextKey: 'organisationId',
    });
    expect([again.status, again.body.replaced]).toEqual([200, true]);
    expect((await list(bob)).map((d) => d.rowCount)).toEqual([3]);

    expect((await remove(alice, 'context/organisationId/shared.csv')).status).toBe(200);
    expect(await list(bob)).toEqual([]);
    expect((await list(carol)).map((d) => d.name)).toEqual(['shared.csv']);
    expect((await remove(carol, 'context/organisationId/shared.csv')).status).toBe(200);
  });

  it('refuses scopes that are not shareable context keys with 400', async () => {
    expect((await upload(alice, 'x.csv', 'a\n1\n', { scope: 'context', contextKey: 'region' })).status).toBe(
      400,
    );
    expect(
      (await upload(alice, 'x.csv', 'a\n1\n', { scope: 'context', contextKey: '__proto__' })).status,
    ).toBe(400);
    expect((await upload(alice, 'x.csv', 'a\n1\n', { scope: 'everyone' })).status).toBe(400);
    expect((await remove(alice, 'context/region/x.csv')).status).toBe(400);
    expect(await list(alice)).toEqual([]);
  });
});

describe('authentication', () => {
  it('answers 401 without a valid session token, whatever the request', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer not-a-token' },
      { authorization: `Bearer ${server.apiKey}` },
      { authorization: `Basic ${alice}` },
    ]) {
      const res = await fetch(`${server.url}/widget/v1/datasets`, { headers });
      expect(res.status).toBe(401);
    }
    const form = new FormData();
    form.append('file', new File(['a\n1\n'], 'x.csv'));
    const res = await fetch(`${server.url}/widget/v1/datasets`, { method: 'POST', body: form });
    expect(res.status).toBe(401);
    expect((await fetch(`${server.url}/widget/v1/datasets/user/x.csv`, { method: 'DELETE' })).status).toBe(
      401,
    );
  });

  it('a session token is not an API key', async () => {
    const res = await fetch(`${server.url}/api/v1/agents/demo/datasets/user/alice`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(res.status).toBe(401);
  });
});
