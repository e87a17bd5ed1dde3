// /api/v1 end to end on a live server with the seeded demo data: auth, validation, tenant scoping, the shapes the
// Inconvo SDK reads, persistence across a restart, metrics and the OpenAPI document.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, sqliteUrl } from '../../../test/support/demo-db.ts';
import { startTestServer, type TestServer } from '../../../test/support/server.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** a second agent on the same database, so "another agent's conversation" is a real agent, not a typo */
const withOtherAgent = (text: string): string =>
  `${text.trimEnd()}
  - id: other
    name: Other agent
    connection: demo-db
    userContext:
      organisationId: integer
    model:
      tables:
        products:
          contextFilters:
            - { column: organisation_id, field: organisationId }
          columns:
            name: { type: string, description: Product name }
`;

let server: TestServer;
let api: string;
/** the tenants the server asked the engine to prepare, in order */
const prepared: unknown[] = [];
let headers: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer({
    configText: withOtherAgent,
    env: { PARLEY_METRICS_TOKEN: METRICS_TOKEN },
    wrapEngine: (engine) => ({
      ...engine,
      prepare: async (input) => {
        prepared.push(input);
        await engine.prepare?.(input);
      },
    }),
  });
  api = `${server.url}/api/v1`;
  headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
});

afterAll(async () => {
  await server?.close();
});

async function call(
  method: string,
  route: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; res: Response }> {
  const res = await fetch(`${api}${route}`, {
    method,
    headers: { ...headers, ...extra },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, res };
}

async function conversation(
  organisationId: number,
  userIdentifier = 'user-1',
  agent = 'demo',
): Promise<string> {
  const { status, json } = await call('POST', `/agents/${agent}/conversations`, {
    userIdentifier,
    userContext: { organisationId },
  });
  expect(status).toBe(200);
  return json.id as string;
}

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string } | undefined)?.code;

describe('authentication', () => {
  it('refuses a missing, malformed or unknown API key with 401 and the error shape', async () => {
    for (const authorization of ['', 'Basic abc', 'Bearer not-a-key-at-all-000000']) {
      const { status, json } = await call('GET', '/agents/demo/data-summary', undefined, { authorization });
      expect(status).toBe(401);
      expect(json).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it('refuses a session token where an API key is expected', async () => {
    const { status } = await call('GET', '/agents/demo/data-summary', undefined, {
      authorization: `Bearer ${server.token('user-1', 1)}`,
    });
    expect(status).toBe(401);
  });

  it('checks the key before saying whether an agent exists', async () => {
    expect((await call('GET', '/agents/nope/data-summary', undefined, { authorization: '' })).status).toBe(
      401,
    );
    const unknown = await call('GET', '/agents/nope/data-summary');
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown.json)).toBe('unknown_agent');
  });
});

describe('POST /agents/{agentId}/conversations', () => {
  it('creates a conversation and returns its id', async () => {
    const { status, json } = await call('POST', '/agents/demo/conversations', {
      userIdentifier: 'alice@example.com',
      userContext: { organisationId: 1 },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: expect.any(String), userIdentifier: 'alice@example.com' });
    expect(json.userContext).toEqual({ organisationId: 1 });
    // the host backend asks next: the conversation's tenant is prepared meanwhile (engine.prepare)
    expect(prepared.at(-1)).toEqual({ agentId: 'demo', userContext: { organisationId: 1 } });
  });

  it.each([
    ['no userContext', { userIdentifier: 'u' }],
    ['a string organisationId', { userIdentifier: 'u', userContext: { organisationId: '1' } }],
    ['an injection attempt', { userIdentifier: 'u', userContext: { organisationId: '1 OR 1=1' } }],
    ['a wildcard', { userIdentifier: 'u', userContext: { organisationId: '*' } }],
    ['null', { userIdentifier: 'u', userContext: { organisationId: null } }],
    ['a list', { userIdentifier: 'u', userContext: { organisationId: [1, 2] } }],
    ['an undeclared field', { userIdentifier: 'u', userContext: { organisationId: 1, admin: true } }],
    ['a userContext that is not an object', { userIdentifier: 'u', userContext: 'organisationId=1' }],
    ['no userIdentifier', { userContext: { organisationId: 1 } }],
    ['an empty userIdentifier', { userIdentifier: '', userContext: { organisationId: 1 } }],
    [
      'a userIdentifier with a control character',
      { userIdentifier: 'a\u0007b', userContext: { organisationId: 1 } },
    ],
    [
      'a 257-character userIdentifier',
      { userIdentifier: 'x'.repeat(257), userContext: { organisationId: 1 } },
    ],
  ])('refuses %s with 400', async (_name, body) => {
    const { status, json } = await call('POST', '/agents/demo/conversations', body);
    expect(status).toBe(400);
    expect(json.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  });

  it('names the problem in the message', async () => {
    const missing = await call('POST', '/agents/demo/conversations', { userIdentifier: 'u' });
    expect((missing.json.error as { message: string }).message).toMatch(/userContext.*required/);
    const typed = await call('POST', '/agents/demo/conversations', {
      userIdentifier: 'u',
      userContext: { organisationId: '1 OR 1=1' },
    });
    expect((typed.json.error as { message: string }).message).toContain('organisationId');
    const who = await call('POST', '/agents/demo/conversations', {
      userIdentifier: 'a\u202Eb',
      userContext: { organisationId: 1 },
    });
    expect((who.json.error as { message: string }).message).toContain('userIdentifier');
  });

  it('accepts a userIdentifier of 256 allowed characters', async () => {
    const userIdentifier = `${'a'.repeat(250)}_-.@Z9`;
    const { status } = await call('POST', '/agents/demo/conversations', {
      userIdentifier,
      userContext: { organisationId: 1 },
    });
    expect(status).toBe(200);
  });

  it('answers 400 for a body that is not JSON and 413 for one over 64 kB', async () => {
    const bad = await call('POST', '/agents/demo/conversations', '{"userIdentifier":');
    expect(bad.status).toBe(400);
    expect(errorCode(bad.json)).toBe('invalid_json');
    const big = await call('POST', '/agents/demo/conversations', {
      userIdentifier: 'u',
      userContext: { organisationId: 1 },
      padding: 'x'.repeat(70_000),
    });
    expect(big.status).toBe(413);
  });
});

describe('GET /agents/{agentId}/conversations/{id}', () => {
  it("is 404 for another agent's conversation and for unknown ids", async () => {
    const id = await conversation(1);
    expect((await call('GET', `/agents/demo/conversations/${id}`)).status).toBe(200);
    const other = await call('GET', `/agents/other/conversations/${id}`);
    expect(other.status).toBe(404);
    expect(
      (await call('GET', '/agents/demo/conversations/00000000-0000-0000-0000-000000000000')).status,
    ).toBe(404);
    expect((await call('GET', `/agents/demo/conversations/${'x'.repeat(300)}`)).status).toBe(404);
  });
});

describe('GET /agents/{agentId}/conversations', () => {
  it('lists only the conversations of exactly the given userContext, newest first, by cursor', async () => {
    const who = `lister-${Date.now()}`;
    const org1 = [await conversation(1, who), await conversation(1, who), await conversation(1, who)];
    const org3 = await conversation(3, who);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = `userIdentifier=${who}&userContext%5BorganisationId%5D=1&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, json } = await call('GET', `/agents/demo/conversations?${query}`);
      expect(status).toBe(200);
      const items = json.items as Array<Record<string, unknown>>;
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) {
        expect(item).toMatchObject({
          id: expect.any(String),
          createdAt: expect.any(String),
          userIdentifier: who,
        });
        expect(item.userContext).toEqual({ organisationId: 1 });
        expect(typeof item.title).toBe('string');
        seen.push(item.id as string);
      }
      cursor = json.nextCursor as string | null;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...org1].sort());

    const three = await call(
      'GET',
      `/agents/demo/conversations?userIdentifier=${who}&userContext%5BorganisationId%5D=3`,
    );
    expect((three.json.items as Array<{ id: string }>).map((i) => i.id)).toEqual([org3]);
    // the JSON form works as well
    const json = await call(
      'GET',
      `/agents/demo/conversations?userIdentifier=${who}&userContext=${encodeURIComponent('{"organisationId":3}')}`,
    );
    expect((json.json.items as Array<{ id: string }>).map((i) => i.id)).toEqual([org3]);
  });

  it("lists a user's conversations in every tenant when only the userIdentifier is given", async () => {
    const who = `roamer-${Date.now()}`;
    const mine = [await conversation(1, who), await conversation(3, who)];
    await conversation(1, `${who}-other`);
    const { status, json } = await call('GET', `/agents/demo/conversations?userIdentifier=${who}`);
    expect(status).toBe(200);
    const items = json.items as Array<{ id: string; userIdentifier: string; userContext: unknown }>;
    expect(items.map((i) => i.id).sort()).toEqual([...mine].sort());
    expect(items.map((i) => (i.userContext as { organisationId: number }).organisationId).sort()).toEqual([
      1, 3,
    ]);
  });

  it.each([
    ['neither a userIdentifier nor a userContext', ''],
    ['a non-integer organisationId', 'userContext%5BorganisationId%5D=1%20OR%201%3D1'],
    ['an undeclared field', 'userContext%5BorganisationId%5D=1&userContext%5Bx%5D=2'],
    ['a bad limit', 'userContext%5BorganisationId%5D=1&limit=1000'],
    ['a bad cursor', 'userContext%5BorganisationId%5D=1&cursor=bm9wZQ'],
    ['a repeated userIdentifier', 'userContext%5BorganisationId%5D=1&userIdentifier=a&userIdentifier=b'],
    ['malformed JSON', 'userContext=%7Bnope'],
  ])('refuses %s with 400', async (_name, query) => {
    const { status, json } = await call('GET', `/agents/demo/conversations?${query}`);
    expect(status).toBe(400);
    expect(json.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  });
});

describe('responses, retrieval and feedback', () => {
  let conversationId: string;
  let responseId: string;

  beforeAll(async () => {
    conversationId = await conversation(1, 'asker');
    const { status, json } = await call('POST', `/agents/demo/conversations/${conversationId}/response`, {
      message: 'How many orders did we have last month?',
    });
    expect(status).toBe(200);
    responseId = json.id as string;
  });

  it('answers with the Inconvo response shape and Parley extras', async () => {
    const { json } = await call('GET', `/agents/demo/conversations/${conversationId}/response/${responseId}`);
    expect(json).toMatchObject({
      id: responseId,
      status: 'completed',
      input: { message: 'How many orders did we have last month?', userContext: { organisationId: 1 } },
      output: { type: expect.stringMatching(/^(text|table|chart)$/), text: expect.stringMatching(/\d/) },
    });
    const trace = json.trace as Array<{ name: string; input: unknown; output: unknown }>;
    expect(trace.map((t) => t.name)).toEqual(['planner', 'sql', 'composer']);
    expect(trace[0]?.output).toMatchObject({ table: 'orders' });
    const sql = trace[1]?.input as { text: string; bindings: unknown[] };
    expect(sql.bindings).toContain(1);
    expect(sql.text).not.toMatch(/organisation_id`? = 1\b/);
  });

  it('refuses an empty or missing message with 400 and records nothing', async () => {
    for (const body of [
      {},
      { message: '' },
      { message: '   ' },
      { message: 42 },
      { message: 'x'.repeat(4001) },
    ]) {
      const { status } = await call('POST', `/agents/demo/conversations/${conversationId}/response`, body);
      expect(status).toBe(400);
    }
    const { json } = await call('GET', `/agents/demo/conversations/${conversationId}`);
    expect((json.messages as unknown[]).length).toBe(2);
  });

  it('is 404 for a response through another agent or another conversation', async () => {
    expect(
      (await call('GET', `/agents/other/conversations/${conversationId}/response/${responseId}`)).status,
    ).toBe(404);
    const elsewhere = await conversation(1, 'asker');
    expect((await call('GET', `/agents/demo/conversations/${elsewhere}/response/${responseId}`)).status).toBe(
      404,
    );
    const post = await call('POST', `/agents/other/conversations/${conversationId}/response`, {
      message: 'hi',
    });
    expect(post.status).toBe(404);
  });

  it('lists questions and answers in order in the conversation', async () => {
    const { json } = await call('GET', `/agents/demo/conversations/${conversationId}`);
    expect(json).toMatchObject({
      id: conversationId,
      userIdentifier: 'asker',
      userContext: { organisationId: 1 },
    });
    const messages = json.messages as Array<Record<string, unknown>>;
    expect(messages[0]).toEqual({
      role: 'user',
      message: 'How many orders did we have last month?',
      type: 'text',
    });
    expect(messages[1]).toMatchObject({ id: responseId, role: 'assistant', type: expect.any(String) });
  });

  it('creates and updates feedback, only for this response', async () => {
    const base = `/agents/demo/conversations/${conversationId}/response/${responseId}/feedback`;
    const created = await call('POST', base, { rating: 'positive', comment: 'spot on' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ id: expect.any(String), rating: 'positive', comment: 'spot on' });
    const feedbackId = created.json.id as string;

    const updated = await call('PATCH', `${base}/${feedbackId}`, { rating: 'negative' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id: feedbackId, rating: 'negative', comment: 'spot on' });

    expect((await call('PATCH', `${base}/not-this-one`, { rating: 'negative' })).status).toBe(404);
    expect((await call('PATCH', `${base}/${feedbackId}`, {})).status).toBe(400);
    expect((await call('POST', base, { rating: 'meh' })).status).toBe(400);
    expect((await call('POST', base, { rating: 'positive', comment: 'x'.repeat(2001) })).status).toBe(400);
    const viaOther = `/agents/other/conversations/${conversationId}/response/${responseId}/feedback`;
    expect((await call('POST', viaOther, { rating: 'positive' })).status).toBe(404);
    expect((await server.store.getFeedback(responseId))?.rating).toBe('negative');
  });

  it('counts API answers in the metrics', async () => {
    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(text).toMatch(
      /parley_answers_total\{agent="demo",type="(text|table|chart)",surface="api"\} [1-9]/,
    );
    expect(text).toMatch(/parley_answer_duration_seconds_count\{agent="demo"\} [1-9]/);
  });
});

describe('GET /agents/{agentId}/data-summary', () => {
  it('summarises the semantic model without any data value', async () => {
    const { status, json } = await call('GET', '/agents/demo/data-summary');
    expect(status).toBe(200);
    expect(typeof json.dataSummary).toBe('string');
    const text = json.dataSummary as string;
    for (const table of ['users', 'products', 'orders', 'order_items']) expect(text).toContain(table);
    expect(text).toContain('revenue');
    const tables = json.tables as Array<{ name: string; measures: Array<{ name: string }> }>;
    expect(tables.find((t) => t.name === 'orders')?.measures.map((m) => m.name)).toContain('revenue');
    // no values: not the configured status values, no product or organisation names from the database
    const whole = JSON.stringify(json);
    expect(whole).not.toContain('refunded');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
    try {
      const names = db
        .prepare(
          'SELECT name FROM organisations UNION ALL SELECT name FROM (SELECT name FROM products LIMIT 20)',
        )
        .all() as Array<{ name: string }>;
      for (const { name } of names) expect(whole).not.toContain(name);
    } finally {
      db.close();
    }
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('is served without an API key', async () => {
    const res = await fetch(`${api}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain(
      '/api/v1/agents/{agentId}/conversations/{conversationId}/response',
    );
  });
});

describe('after a restart', () => {
  it('keeps conversations, responses and follow-up memory in the store', async () => {
    const dir = makeTempDir('parley-restart');
    const storeUrl = sqliteUrl(path.join(dir, 'store.sqlite'));
    try {
      const first = await startTestServer({ storeUrl });
      const h = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };
      let conversationId: string;
      let responseId: string;
      try {
        const created = await fetch(`${first.url}/api/v1/agents/demo/conversations`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ userIdentifier: 'restart', userContext: { organisationId: 2 } }),
        });
        conversationId = ((await created.json()) as { id: string }).id;
        const answered = await fetch(
          `${first.url}/api/v1/agents/demo/conversations/${conversationId}/response`,
          {
            method: 'POST',
            headers: h,
            body: JSON.stringify({ message: 'How many orders did we have last month?' }),
          },
        );
        responseId = ((await answered.json()) as { id: string }).id;
      } finally {
        await first.close();
      }
      const second = await startTestServer({ storeUrl });
      try {
        const got = await fetch(
          `${second.url}/api/v1/agents/demo/conversations/${conversationId}/response/${responseId}`,
          {
            headers: h,
          },
        );
        expect(got.status).toBe(200);
        expect(((await got.json()) as { status: string }).status).toBe('completed');
        const followUp = await fetch(
          `${second.url}/api/v1/agents/demo/conversations/${conversationId}/response`,
          {
            method: 'POST',
            headers: h,
            body: JSON.stringify({ message: 'and the month before?' }),
          },
        );
        const answer = (await followUp.json()) as { sql?: { bindings: unknown[] } };
        expect(answer.sql?.bindings).toEqual(
          expect.arrayContaining([2, '2026-09-01 00:00:00', '2026-10-01 00:00:00']),
        );
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
