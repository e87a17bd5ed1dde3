// A question with two readings over the widget WebSocket: the final event carries a clarification answer with its
// choices (valid against the protocol schema), the chosen reading is asked as the next message of the same
// conversation and answered with the figure SQL gives, and the conversation's history keeps the clarification.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationDetail } from '../server/http/widget-v1/schemas.ts';
import { ServerEvent } from '../server/ws/protocol.ts';
import { withAllowedOrigins, withAmbiguousSales } from './support/config-text.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { connect, type TestClient, wsUrl } from './support/websocket-client.ts';

const SHOP = 'https://shop.example.com';
const AMBIGUOUS = 'what were our sales last month';

let server: TestServer;
let db: Database.Database;
let client: TestClient;

/** product revenue (quantity * unit_price of items of completed orders) of one organisation in October 2026 */
function productRevenueLastMonth(org: number): number {
  const row = db
    .prepare(
      `SELECT ROUND(SUM(i.quantity * i.unit_price), 2) AS v FROM order_items i JOIN orders o ON o.id = i.order_id
       WHERE i.organisation_id = ? AND o.status = 'completed'
       AND o.created_at >= '2026-10-01 00:00:00' AND o.created_at < '2026-11-01 00:00:00'`,
    )
    .get(org) as { v: number };
  return row.v;
}

beforeAll(async () => {
  server = await startTestServer({
    configText: (text) => withAmbiguousSales(withAllowedOrigins(text, [SHOP])),
  });
  db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
  client = await connect(wsUrl(server.url), server.token('alice', 1), { origin: SHOP });
}, 60_000);

afterAll(async () => {
  await client?.close();
  db?.close();
  await server?.close();
});

describe('clarification over the socket', () => {
  let conversationId: string;
  let choices: Array<{ label: string; question: string }> = [];

  it('completes an ambiguous question with a clarification answer and its choices', async () => {
    client.send({ type: 'message.send', clientId: 'c1', text: AMBIGUOUS });
    const created = await client.waitFor('response.created', (e) => e.clientId === 'c1');
    const final = await client.final(created.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code} ${final.message}`);
    expect(ServerEvent.safeParse(final).success).toBe(true);
    expect(final.answer).toMatchObject({
      id: created.responseId,
      conversationId: created.conversationId,
      type: 'clarification',
      code: 'ambiguous',
      message: '"sales" could mean more than one thing here. Which did you mean?',
    });
    expect(final.answer.data).toBeUndefined();
    choices = final.answer.choices ?? [];
    expect(choices.map((c) => c.label)).toEqual([
      expect.stringMatching(/^revenue \(/),
      expect.stringMatching(/^product revenue \(/),
    ]);
    // nothing was queried: planning is the only stage
    const stages = client.ofResponse(created.responseId).filter((e) => e.type === 'response.progress');
    expect(stages.map((e) => (e.type === 'response.progress' ? e.stage : ''))).toEqual(['planning']);
    conversationId = created.conversationId;
  });

  it('answers the chosen reading, sent as the next message of the same conversation', async () => {
    const chosen = choices[1];
    if (!chosen) throw new Error('no second choice');
    const created = await client.ask(chosen.question, 'c2', conversationId);
    expect(created.conversationId).toBe(conversationId);
    expect(client.events.some((e) => e.type === 'conversation.created' && e.clientId === 'c2')).toBe(false);
    const final = await client.final(created.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code} ${final.message}`);
    expect(final.answer.type).toBe('text');
    expect(final.answer.plan).toMatchObject({
      measures: [{ kind: 'named', name: 'order_items.product_revenue' }],
    });
    const expected = productRevenueLastMonth(1);
    expect(expected).toBeGreaterThan(0);
    expect(final.answer.data?.rows[0]?.[0]).toBeCloseTo(expected, 2);
  });

  it('keeps the clarification in the conversation history, then the chosen answer', async () => {
    const res = await fetch(`${server.url}/widget/v1/conversations/${conversationId}`, {
      headers: { authorization: `Bearer ${server.token('alice', 1)}` },
    });
    expect(res.status).toBe(200);
    const detail = ConversationDetail.parse(await res.json());
    expect(detail.responses.map((r) => [r.question, r.answer?.type])).toEqual([
      [AMBIGUOUS, 'clarification'],
      [choices[1]?.question, 'text'],
    ]);
    expect(detail.responses[0]?.answer?.choices).toEqual(choices);
  });

  it('takes a follow-up right after a clarification without failing', async () => {
    const asked = await client.ask(AMBIGUOUS, 'c3', conversationId);
    const clarified = await client.final(asked.responseId);
    expect(clarified.type === 'response.completed' && clarified.answer.type).toBe('clarification');
    const next = await client.ask('and the month before?', 'c4', conversationId);
    const final = await client.final(next.responseId);
    if (final.type !== 'response.completed') throw new Error(`failed: ${final.code} ${final.message}`);
    expect(final.answer.conversationId).toBe(conversationId);
    expect(final.answer.message.length).toBeGreaterThan(0);
  });
});
