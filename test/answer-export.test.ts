// A listing cut at the row cap reports how many rows matched in all (a count under the same plan, so the same
// tenant), and its full CSV comes from the export route: the stored plan run again under the same token's context,
// streamed, named `<measure>-<period>.csv`. Anyone else gets 404 for it.
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../server/answers/answer.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const CAP = 40;
let server: TestServer;
let token: string;

function api(p: string, auth: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${auth}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${server.url}/widget/v1${p}`, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
}

function ordersLastMonth(org: number): number {
  const db = new Database(server.databaseUrl.replace(/^sqlite:\/\//, ''), { readonly: true });
  try {
    return (
      db
        .prepare(
          `SELECT COUNT(*) AS n FROM orders WHERE organisation_id = ?
           AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'`,
        )
        .get(org) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

async function ask(question: string): Promise<{ conversationId: string; answer: Answer }> {
  const created = await api('/conversations', token, { method: 'POST', json: {} });
  const { id } = (await created.json()) as { id: string };
  const res = await api(`/conversations/${id}/messages`, token, { method: 'POST', json: { text: question } });
  expect(res.status).toBe(200);
  return { conversationId: id, answer: (await res.json()) as Answer };
}

beforeAll(async () => {
  server = await startTestServer({
    configText: (text) => text.replace('maxRows: 1000', `maxRows: ${CAP}`),
  });
  token = server.token('alice', 1);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('a listing cut at the row cap', () => {
  it('says how many rows matched in all, and the export has every one, named after what and when', async () => {
    const total = ordersLastMonth(1);
    expect(total).toBeGreaterThan(CAP);
    const { conversationId, answer } = await ask('show me all orders from last month');
    expect(answer.data?.rows).toHaveLength(CAP);
    expect(answer.data?.truncated).toBe(true);
    expect(answer.data?.total).toBe(total);
    expect(answer.message).toContain(`${CAP} of ${total.toLocaleString('en-US')} orders`);
    expect(answer.exportName).toBe('orders-october-2026');

    const res = await api(`/conversations/${conversationId}/responses/${answer.id}/export.csv`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="orders-october-2026.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    // a UTF-8 byte order mark, so that spreadsheets read accents right
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    const records = parse(text, { bom: true }) as string[][];
    expect(records[0]).toEqual(answer.table?.head);
    expect(records).toHaveLength(total + 1);
    // the first rows are the ones the answer showed, in its order
    expect(records[1]?.[0]).toBe(String(answer.data?.rows[0]?.[0]));
    expect(res.headers.get('parley-export-rows')).toBe(String(total));
  });

  it('is not exported for anyone else (another organisation, another user): 404', async () => {
    const { conversationId, answer } = await ask('show me all orders from last month');
    for (const other of [server.token('alice', 2), server.token('bob', 1)]) {
      const res = await api(`/conversations/${conversationId}/responses/${answer.id}/export.csv`, other);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});

describe('conversation titles', () => {
  it('are the first question plus what its answer was about, so alike questions are told apart', async () => {
    const { conversationId } = await ask('show me all orders from last month');
    const list = (await (await api('/conversations', token)).json()) as {
      items: Array<{ id: string; title: string }>;
    };
    expect(list.items.find((c) => c.id === conversationId)?.title).toBe(
      'show me all orders from last month · Orders, October 2026',
    );
  });
});
