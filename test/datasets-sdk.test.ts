// The official @inconvoai/node SDK's dataset calls (client.agents.datasets.user / .context: upload, list, delete)
// against a live server with the dataset routers mounted at /api/v1 (test/support/datasets-app.ts).
import Inconvo, {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  toFile,
  UnprocessableEntityError,
} from '@inconvoai/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetsTestServer, startDatasetsTestServer } from './support/datasets-app.ts';

const TARGETS = 'region,target,month\nEU,100,2025-01-01\nUS,250,2025-02-01\n';

/** a second agent, and a key scoped to it only */
const withOtherAgent = (text: string): string =>
  `${text.trimEnd()}
  - id: other
    connection: demo-db
    userContext:
      organisationId: integer
      region: string
      teamIds: integer[]
    model:
      tables:
        products:
          contextFilters:
            - { column: organisation_id, field: organisationId }
          columns:
            name: { type: string }
`;
const OTHER_KEY = 'pk_other_agent_only_0123456789';

let server: DatasetsTestServer;
let client: Inconvo;

beforeAll(async () => {
  server = await startDatasetsTestServer({
    configText: withOtherAgent,
    apiKeys: [{ key: OTHER_KEY, agents: ['other'], name: 'other-only' }],
    settings: { quotas: { user: { files: 3 } }, defaultAgent: 'demo' },
  });
  client = new Inconvo({
    apiKey: server.apiKey,
    baseURL: `${server.url}/api/v1`,
    logLevel: 'off',
    maxRetries: 0,
  });
});

afterAll(async () => {
  await server?.close();
});

const file = (text: string, name: string) => toFile(Buffer.from(text), name);
/** the tenant of a user's own files, as the host API takes it (multi-tenant agent): organisation 1 */
const ORG1 = { query: { userContext: JSON.stringify({ organisationId: 1 }) } };

describe('client.agents.datasets.user', () => {
  it('uploads, lists, replaces and deletes a user file with Inconvo-shaped responses', async () => {
    const uploaded = await client.agents.datasets.user.upload(
      'user_123',
      {
        agentId: 'demo',
        file: await file(TARGETS, 'targets.csv'),
        notes: 'Targets for 2025',
      },
      ORG1,
    );
    expect(uploaded).toEqual({
      file: {
        name: 'targets.csv',
        path: '/default/demo/userIdentifier/user_123/targets.csv',
        size: TARGETS.length,
      },
    });
    expect(await client.agents.datasets.user.list('user_123', { agentId: 'demo' }, ORG1)).toEqual({
      files: ['targets.csv'],
    });
    expect(await client.agents.datasets.user.list('user_456', { agentId: 'demo' }, ORG1)).toEqual({
      files: [],
    });

    const replacement = 'region,target\nEU,1\n';
    const replaced = await client.agents.datasets.user.upload(
      'user_123',
      {
        agentId: 'demo',
        file: await file(replacement, 'targets.csv'),
      },
      ORG1,
    );
    expect(replaced.file.size).toBe(replacement.length);
    expect(await client.agents.datasets.user.list('user_123', { agentId: 'demo' }, ORG1)).toEqual({
      files: ['targets.csv'],
    });
    const [record] = await server.datasets.list('demo', {
      kind: 'user',
      userIdentifier: 'user_123',
      tenant: { organisationId: 1 },
    });
    expect(record?.rowCount).toBe(1);
    expect(record?.notes).toBe('');

    await client.agents.datasets.user.upload(
      'user_123',
      {
        agentId: 'demo',
        file: await file('{"rows":[{"a":1}]}', 'b.json'),
      },
      ORG1,
    );
    expect(await client.agents.datasets.user.list('user_123', { agentId: 'demo' }, ORG1)).toEqual({
      files: ['b.json', 'targets.csv'],
    });

    expect(
      await client.agents.datasets.user.delete(
        'targets.csv',
        {
          agentId: 'demo',
          userIdentifier: 'user_123',
        },
        ORG1,
      ),
    ).toEqual({
      file: 'targets.csv',
      success: true,
    });
    await expect(
      client.agents.datasets.user.delete(
        'targets.csv',
        { agentId: 'demo', userIdentifier: 'user_123' },
        ORG1,
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.agents.datasets.user.list('user_123', { agentId: 'demo' }, ORG1)).toEqual({
      files: ['b.json'],
    });
  });

  it('file names with spaces and non-ASCII characters survive the round trip', async () => {
    const name = 'Ventes été 2025 (v2).csv';
    const uploaded = await client.agents.datasets.user.upload(
      'user_names',
      {
        agentId: 'demo',
        file: await file('a\n1\n', name),
      },
      ORG1,
    );
    expect(uploaded.file.name).toBe(name);
    expect(await client.agents.datasets.user.list('user_names', { agentId: 'demo' }, ORG1)).toEqual({
      files: [name],
    });
    expect(
      await client.agents.datasets.user.delete(name, { agentId: 'demo', userIdentifier: 'user_names' }, ORG1),
    ).toEqual({
      file: name,
      success: true,
    });
  });

  it('refuses what is not a well-formed CSV or JSON file with the documented statuses', async () => {
    const malformed = client.agents.datasets.user.upload(
      'user_err',
      {
        agentId: 'demo',
        file: await file('a,b\n1,2\n3,4,5\n', 'bad.csv'),
      },
      ORG1,
    );
    await expect(malformed).rejects.toBeInstanceOf(UnprocessableEntityError);
    await expect(malformed).rejects.toMatchObject({
      error: { error: { code: 'malformed_file', message: expect.stringMatching(/^line 3, column 3: /) } },
    });
    const zip = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]),
      Buffer.alloc(64, 7),
    ]);
    const sniffed = client.agents.datasets.user.upload(
      'user_err',
      {
        agentId: 'demo',
        file: await toFile(zip, 'data.csv'),
      },
      ORG1,
    );
    await expect(sniffed).rejects.toMatchObject({ status: 415 });
    await expect(
      client.agents.datasets.user.upload(
        'user_err',
        {
          agentId: 'demo',
          file: await file('a\n1\n', 'data.xlsx'),
        },
        ORG1,
      ),
    ).rejects.toMatchObject({ status: 415 });
    // (the SDK's toFile keeps only the base name of '../x.csv'; raw multipart names are checked in datasets-http tests)
    await expect(
      client.agents.datasets.user.upload(
        'user_err',
        {
          agentId: 'demo',
          file: await file('a\n1\n', 'a\u0001b.csv'),
        },
        ORG1,
      ),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(client.agents.datasets.user.list('bad/user', { agentId: 'demo' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    expect(await client.agents.datasets.user.list('user_err', { agentId: 'demo' }, ORG1)).toEqual({
      files: [],
    });
    expect(await server.blobRows()).toBeGreaterThan(0); // files of the other tests; none of these
  });

  it('enforces the per-user file quota with 409', async () => {
    for (const name of ['1.csv', '2.csv', '3.csv']) {
      await client.agents.datasets.user.upload(
        'user_quota',
        {
          agentId: 'demo',
          file: await file('a\n1\n', name),
        },
        ORG1,
      );
    }
    await expect(
      client.agents.datasets.user.upload(
        'user_quota',
        {
          agentId: 'demo',
          file: await file('a\n1\n', '4.csv'),
        },
        ORG1,
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    // replacing an existing file still works
    await client.agents.datasets.user.upload(
      'user_quota',
      {
        agentId: 'demo',
        file: await file('a\n2\n', '3.csv'),
      },
      ORG1,
    );
  });
});

describe('client.agents.datasets.context', () => {
  it('uploads, lists and deletes a file shared with a context value', async () => {
    const uploaded = await client.agents.datasets.context.upload('7', {
      agentId: 'demo',
      contextKey: 'organisationId',
      file: await file(TARGETS, 'shared_data.csv'),
      notes: 'for everyone in organisation 7',
    });
    expect(uploaded).toEqual({
      file: {
        name: 'shared_data.csv',
        path: '/default/demo/userContext/organisationId:7/shared_data.csv',
        size: TARGETS.length,
      },
    });
    expect(
      await client.agents.datasets.context.list('7', { agentId: 'demo', contextKey: 'organisationId' }),
    ).toEqual({
      files: ['shared_data.csv'],
    });
    expect(
      await client.agents.datasets.context.list('8', { agentId: 'demo', contextKey: 'organisationId' }),
    ).toEqual({ files: [] });
    // everyone in organisation 7 sees it, nobody else
    const visible = await server.datasets.listVisibleDatasets({
      agentId: 'demo',
      userIdentifier: 'anyone',
      userContext: { organisationId: 7 },
    });
    expect(visible.map((d) => [d.name, d.notes])).toEqual([
      ['shared_data.csv', 'for everyone in organisation 7'],
    ]);
    expect(
      await server.datasets.listVisibleDatasets({
        agentId: 'demo',
        userIdentifier: 'anyone',
        userContext: { organisationId: 8 },
      }),
    ).toEqual([]);

    await expect(
      client.agents.datasets.context.delete('shared_data.csv', {
        agentId: 'demo',
        contextKey: 'organisationId',
        contextValue: '8',
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(
      await client.agents.datasets.context.delete('shared_data.csv', {
        agentId: 'demo',
        contextKey: 'organisationId',
        contextValue: '7',
      }),
    ).toEqual({ file: 'shared_data.csv', success: true });
    expect(
      await client.agents.datasets.context.list('7', { agentId: 'demo', contextKey: 'organisationId' }),
    ).toEqual({ files: [] });
  });

  it('parses the context value by its declared type; undeclared keys and list fields are refused with 400', async () => {
    const list = (contextKey: string, value: string, agentId = 'demo') =>
      client.agents.datasets.context.list(value, { agentId, contextKey });
    await expect(list('organisationId', 'abc')).rejects.toBeInstanceOf(BadRequestError);
    await expect(list('organisationId', '1.5')).rejects.toBeInstanceOf(BadRequestError);
    await expect(list('orgId', '7')).rejects.toBeInstanceOf(BadRequestError);
    await expect(list('teamIds', '1', 'other')).rejects.toBeInstanceOf(BadRequestError);
    expect(await list('region', 'EU', 'other')).toEqual({ files: [] });
    const uploadTo = client.agents.datasets.context.upload('abc', {
      agentId: 'demo',
      contextKey: 'organisationId',
      file: await file('a\n1\n', 'x.csv'),
    });
    await expect(uploadTo).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('API keys and agents', () => {
  it('refuses a missing or wrong key (401), a key not scoped to the agent (403) and an unknown agent (404)', async () => {
    const wrong = new Inconvo({
      apiKey: 'pk_wrong_0123456789abcdef',
      baseURL: `${server.url}/api/v1`,
      logLevel: 'off',
      maxRetries: 0,
    });
    await expect(wrong.agents.datasets.user.list('u', { agentId: 'demo' }, ORG1)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    await expect(
      wrong.agents.datasets.user.upload('u', { agentId: 'demo', file: await file('a\n1\n', 'x.csv') }, ORG1),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const scoped = new Inconvo({
      apiKey: OTHER_KEY,
      baseURL: `${server.url}/api/v1`,
      logLevel: 'off',
      maxRetries: 0,
    });
    await expect(scoped.agents.datasets.user.list('u', { agentId: 'demo' }, ORG1)).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    expect(
      await scoped.agents.datasets.user.list(
        'u',
        { agentId: 'other' },
        { query: { userContext: JSON.stringify({ organisationId: 1, region: 'EU', teamIds: [1] }) } },
      ),
    ).toEqual({ files: [] });
    await expect(client.agents.datasets.user.list('u', { agentId: 'nope' }, ORG1)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const err = await client.agents.datasets.user
      .list('u', { agentId: 'nope' }, ORG1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
  });
});

describe("the guide's agent-less routes (/api/v1/datasets/...)", () => {
  const OTHER_CONTEXT = JSON.stringify({ organisationId: 1, region: 'EU', teamIds: [1] });
  const call = async (
    key: string,
    method: string,
    path: string,
    body?: { name: string; text: string; notes?: string },
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    let form: FormData | undefined;
    if (body) {
      form = new FormData();
      form.append('file', new Blob([body.text], { type: 'text/csv' }), body.name);
      if (body.notes) form.append('notes', body.notes);
    }
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}` },
      ...(form ? { body: form } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const q = (userContext: string) => `?userContext=${encodeURIComponent(userContext)}`;

  it('a key scoped to one agent uploads, lists and deletes user files of that agent, seen by the SDK routes too', async () => {
    const path = `/datasets/user/${encodeURIComponent('auth0|guide')}`;
    const up = await call(OTHER_KEY, 'POST', `${path}${q(OTHER_CONTEXT)}`, {
      name: 'targets.csv',
      text: TARGETS,
    });
    expect(up).toEqual({
      status: 200,
      json: {
        file: {
          name: 'targets.csv',
          path: '/default/other/userIdentifier/auth0|guide/targets.csv',
          size: TARGETS.length,
        },
      },
    });
    expect(await call(OTHER_KEY, 'GET', `${path}${q(OTHER_CONTEXT)}`)).toEqual({
      status: 200,
      json: { files: ['targets.csv'] },
    });
    const scoped = new Inconvo({
      apiKey: OTHER_KEY,
      baseURL: `${server.url}/api/v1`,
      logLevel: 'off',
      maxRetries: 0,
    });
    expect(
      await scoped.agents.datasets.user.list(
        'auth0|guide',
        { agentId: 'other' },
        { query: { userContext: OTHER_CONTEXT } },
      ),
    ).toEqual({ files: ['targets.csv'] });
    // a multi-tenant agent's user routes need the tenant, as the SDK routes do
    expect((await call(OTHER_KEY, 'GET', path)).json).toMatchObject({ error: { code: 'tenant_required' } });
    expect(await call(OTHER_KEY, 'DELETE', `${path}/targets.csv${q(OTHER_CONTEXT)}`)).toEqual({
      status: 200,
      json: { file: 'targets.csv', success: true },
    });
    expect((await call(OTHER_KEY, 'DELETE', `${path}/targets.csv${q(OTHER_CONTEXT)}`)).status).toBe(404);
  });

  it('context routes work the same, and the unscoped key uses datasets.defaultAgent', async () => {
    const path = '/datasets/context/organisationId/7';
    const up = await call(server.apiKey, 'POST', path, {
      name: 'pricing.csv',
      text: 'plan,price\nTeam,99\n',
      notes: 'prices',
    });
    expect(up).toEqual({
      status: 200,
      json: {
        file: {
          name: 'pricing.csv',
          path: '/default/demo/userContext/organisationId:7/pricing.csv',
          size: 19,
        },
      },
    });
    expect(
      await client.agents.datasets.context.list('7', { agentId: 'demo', contextKey: 'organisationId' }),
    ).toEqual({
      files: ['pricing.csv'],
    });
    // the scoped key's agent ('other') has no such file
    expect(await call(OTHER_KEY, 'GET', path)).toEqual({ status: 200, json: { files: [] } });
    expect((await call(server.apiKey, 'DELETE', `${path}/pricing.csv`)).status).toBe(200);
    expect(await call(server.apiKey, 'GET', path)).toEqual({ status: 200, json: { files: [] } });
  });

  it('refuses unknown keys (401) and bad scopes (400) in the one error shape', async () => {
    const unknown = await call('pk_wrong_0123456789abcdef', 'GET', '/datasets/user/alice');
    expect(unknown.status).toBe(401);
    expect(unknown.json).toMatchObject({ error: { code: 'invalid_api_key', message: expect.any(String) } });
    const bad = await call(server.apiKey, 'GET', '/datasets/context/teamIds/1');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'invalid_scope' } });
  });
});
