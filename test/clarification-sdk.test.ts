// A question with two readings through /api/v1, as a host backend sees it: the official Inconvo SDK (JSON and
// stream) and plain fetch (JSON and raw server-sent events). Inconvo knows no clarification type: the answer is a
// text answer whose message lists the readings, with the choices in an extra field; asking a choice's question
// in the same conversation answers that reading, with the figure checked against SQL.
import Inconvo from '@inconvoai/node';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCreateResponse, ResponseStreamEvent } from '../server/http/api-v1/schemas.ts';
import { withAmbiguousSales } from './support/config-text.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const AMBIGUOUS = 'what were our sales last month';

interface Choice {
  label: string;
  question: string;
}
/** the Parley-specific fields of a response (the SDK's types do not know them) */
interface ParleyExtras {
  code?: string;
  choices?: Choice[];
  data?: { rows: Array<Array<number | string | null>> };
  plan?: { measures?: unknown[] };
}

let server: TestServer;
let client: Inconvo;
let db: Database.Database;

function revenueLastMonth(organisationId: number): number {
  const row = db
    .prepare(
      `SELECT ROUND(SUM(total_amount), 2) AS v FROM orders WHERE organisation_id = ? AND status = 'completed'
       AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`,
    )
    .get(organisationId) as { v: number };
  return row.v;
}

/** the message an SDK user sees: the question, then one numbered line per reading */
function listed(message: string, choices: Choice[]): string {
  return [message, ...choices.map((c, i) => `${i + 1}) ${c.label}`)].join('\n');
}

beforeAll(async () => {
  server = await startTestServer({ configText: withAmbiguousSales });
  client = new Inconvo({ apiKey: server.apiKey, baseURL: `${server.url}/api/v1`, logLevel: 'off' });
  db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
}, 60_000);

afterAll(async () => {
  db?.close();
  await server?.close();
});

async function newConversation(organisationId: number): Promise<string> {
  const { id } = await client.agents.conversations.create('demo', {
    userIdentifier: `clarify-${organisationId}`,
    userContext: { organisationId },
  });
  return id as string;
}

describe('clarifications through /api/v1', () => {
  it('SDK: lists the readings in a text answer, then answers the chosen one in the same conversation', async () => {
    const conversationId = await newConversation(1);
    const asked = (await client.agents.conversations.response.create(conversationId, {
      agentId: 'demo',
      message: AMBIGUOUS,
    })) as Awaited<ReturnType<typeof client.agents.conversations.response.create>> & ParleyExtras;
    expect(asked.type).toBe('text');
    expect(asked.code).toBe('ambiguous');
    const choices = asked.choices ?? [];
    expect(choices.map((c) => c.label)).toEqual([
      expect.stringMatching(/^revenue \(/),
      expect.stringMatching(/^product revenue \(/),
    ]);
    expect(asked.message).toMatch(
      /^"sales" could mean more than one thing here\. Which did you mean\?\n1\) revenue/,
    );
    expect(asked.message).toContain(`\n2) ${choices[1]?.label}`);
    expect(asked.data).toBeUndefined();

    const picked = (await client.agents.conversations.response.create(conversationId, {
      agentId: 'demo',
      message: choices[0]?.question ?? '',
    })) as Awaited<ReturnType<typeof client.agents.conversations.response.create>> & ParleyExtras;
    expect(picked.conversationId).toBe(conversationId);
    expect(picked.type).toBe('text');
    expect(picked.plan?.measures).toEqual([{ kind: 'named', name: 'orders.revenue' }]);
    expect(picked.data?.rows[0]?.[0]).toBeCloseTo(revenueLastMonth(1), 2);

    // the conversation holds the clarification (with its readings) and the chosen reading's answer
    const full = await client.agents.conversations.retrieve(conversationId, { agentId: 'demo' });
    expect(full.messages.map((m) => m.message)).toEqual([
      AMBIGUOUS,
      asked.message,
      choices[0]?.question,
      picked.message,
    ]);
    const retrieved = await client.agents.conversations.response.retrieve(asked.id, {
      agentId: 'demo',
      conversation_id: conversationId,
    });
    expect(retrieved.output).toEqual({ text: asked.message, type: 'text' });
    expect(retrieved.trace[0]?.output).toMatchObject({ code: 'ambiguous', choices });
  });

  it('SDK stream: response.completed carries the clarification as text with its choices', async () => {
    const conversationId = await newConversation(2);
    const stream = await client.agents.conversations.response.create(conversationId, {
      agentId: 'demo',
      message: AMBIGUOUS,
      stream: true,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.progress',
      'response.completed',
    ]);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed event');
    const response = completed.response as typeof completed.response & ParleyExtras;
    expect(response.type).toBe('text');
    expect(response.choices).toHaveLength(2);
    expect(response.message).toBe(
      listed('"sales" could mean more than one thing here. Which did you mean?', response.choices ?? []),
    );
  });

  it('raw JSON and raw SSE follow the documented schemas', async () => {
    const conversationId = await newConversation(3);
    const endpoint = `${server.url}/api/v1/agents/demo/conversations/${conversationId}/response`;
    const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };

    const res = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ message: AMBIGUOUS }),
    });
    expect(res.status).toBe(200);
    const json = ResponseCreateResponse.parse(await res.json());
    expect(json).toMatchObject({ type: 'text', code: 'ambiguous' });
    expect(json.choices).toHaveLength(2);

    const sse = await fetch(endpoint, {
      method: 'POST',
      headers: { ...headers, accept: 'text/event-stream' },
      body: JSON.stringify({ message: AMBIGUOUS, stream: true }),
    });
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocks = (await sse.text()).split('\n\n').filter((b) => b.startsWith('event: '));
    const events = blocks.map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const event = ResponseStreamEvent.parse(JSON.parse(dataLine?.replace(/^data: /, '') ?? ''));
      expect(eventLine).toBe(`event: ${event.type}`);
      return event;
    });
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed event');
    expect(completed.response).toMatchObject({ type: 'text', code: 'ambiguous', message: json.message });
    expect(completed.response.choices).toEqual(json.choices);

    // a choice's question asked with plain JSON gets the product-revenue reading
    const second = json.choices?.[1];
    expect(second?.label).toMatch(/^product revenue/);
    const answered = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ message: second?.question }),
    });
    const body = ResponseCreateResponse.parse(await answered.json());
    expect(body.plan).toMatchObject({ measures: [{ kind: 'named', name: 'order_items.product_revenue' }] });
    expect(body.choices).toBeUndefined();
  });
});
