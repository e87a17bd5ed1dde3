import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onScratchMysql } from '../../test/support/mysql.ts';
import type { Answer } from '../answers/answer.ts';
import type { Owner } from '../auth/owner.ts';
import { ConversationStore } from './store.ts';

const alice: Owner = { agentId: 'demo', userIdentifier: 'alice', userContext: { organisationId: 1 } };
const bob: Owner = { agentId: 'demo', userIdentifier: 'bob', userContext: { organisationId: 1 } };
const eve: Owner = { agentId: 'demo', userIdentifier: 'alice', userContext: { organisationId: 2 } };

function answerFor(conversationId: string, plan: unknown): Answer {
  return { id: 'a', conversationId, type: 'text', message: '42 orders', plan: plan as Answer['plan'] };
}

function storeContract(name: string, makeUrl: () => Promise<string>, cleanup: () => Promise<void>) {
  describe(name, () => {
    let url: string;
    let store: ConversationStore;
    let tick = 0;
    const clock = () => new Date(Date.UTC(2026, 10, 25, 12, 0, tick++));

    beforeAll(async () => {
      url = await makeUrl();
      store = await ConversationStore.open(url, { clock });
    });
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    it('keeps conversations across a reopen (restart loses nothing)', async () => {
      const conv = await store.createConversation(alice);
      const r = await store.startResponse(conv.id, 'How many orders last month?');
      await store.completeResponse(r, answerFor(conv.id, { version: 1, table: 'orders' }));
      await store.close();
      store = await ConversationStore.open(url, { clock });
      const again = await store.getConversation(conv.id, alice);
      expect(again?.title).toBe('How many orders last month?');
      const responses = await store.responses(conv.id);
      expect(responses.map((x) => [x.status, x.answer?.message])).toEqual([['completed', '42 orders']]);
    });

    it('finds a conversation only for its own user and context', async () => {
      const conv = await store.createConversation(alice);
      expect(await store.getConversation(conv.id, alice)).toBeDefined();
      expect(await store.getConversation(conv.id, bob)).toBeUndefined();
      expect(await store.getConversation(conv.id, eve)).toBeUndefined();
      expect(await store.getConversation(conv.id, { agentId: 'other' })).toBeUndefined();
      expect(await store.deleteConversation(conv.id, bob)).toBe(false);
      expect(await store.deleteConversation(conv.id, alice)).toBe(true);
      expect(await store.getConversation(conv.id, alice)).toBeUndefined();
    });

    it('compares userIdentifiers exactly: case and accents make another user (MySQL collations ignore both)', async () => {
      const conv = await store.createConversation({ ...alice, userIdentifier: 'auth0|Zoë' });
      for (const other of ['auth0|zoë', 'AUTH0|Zoë', 'auth0|Zoe', 'auth0|Zoë ']) {
        expect(
          await store.getConversation(conv.id, { ...alice, userIdentifier: other }),
          other,
        ).toBeUndefined();
        const page = await store.listConversations({ agentId: 'demo', userIdentifier: other });
        expect(page.items.map((c) => c.id)).not.toContain(conv.id);
      }
      expect(await store.getConversation(conv.id, { ...alice, userIdentifier: 'auth0|Zoë' })).toBeDefined();
    });

    it('pages conversations with a cursor, newest first, filtered by user and context', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1)
        ids.push((await store.createConversation({ ...bob, userIdentifier: 'pager' })).id);
      await store.createConversation({ ...eve, userIdentifier: 'pager' });
      const filter = { agentId: 'demo', userIdentifier: 'pager', userContext: { organisationId: 1 } };
      const first = await store.listConversations({ ...filter, limit: 2 });
      expect(first.items.map((c) => c.id)).toEqual([ids[4], ids[3]]);
      const second = await store.listConversations({ ...filter, limit: 2, cursor: first.nextCursor ?? '' });
      const third = await store.listConversations({ ...filter, limit: 2, cursor: second.nextCursor ?? '' });
      expect([...second.items, ...third.items].map((c) => c.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(third.nextCursor).toBeNull();
      await expect(store.listConversations({ ...filter, cursor: 'garbage' })).rejects.toThrow(/cursor/);
    });

    it("counts a user's conversations, and never another user's", async () => {
      const carol: Owner = { agentId: 'demo', userIdentifier: 'carol', userContext: { organisationId: 1 } };
      for (let i = 0; i < 4; i++) await store.createConversation(carol);
      await store.createConversation({ ...carol, userIdentifier: 'dave' });
      expect(await store.countConversations(carol)).toBe(4);
      expect(await store.countConversations({ ...carol, userContext: { organisationId: 2 } })).toBe(0);
    });

    it('never lets a late result overwrite a cancellation', async () => {
      const conv = await store.createConversation(alice);
      const cancelled = await store.startResponse(conv.id, 'q1');
      await store.failResponse(cancelled.id, { code: 'cancelled', message: 'stopped' }, 'cancelled');
      await store.completeResponse(cancelled, answerFor(conv.id, undefined));
      expect((await store.getResponse(cancelled.id, conv.id))?.status).toBe('cancelled');
    });

    it('starts a conversation with its first question in one go, and completes it with the time it stored', async () => {
      const { conversation, response } = await store.startConversation(alice, 'How many customers?');
      expect(conversation.title).toBe('How many customers?');
      expect(await store.getConversation(conversation.id, alice)).toMatchObject({
        title: 'How many customers?',
      });
      expect(response).toMatchObject({ conversationId: conversation.id, status: 'in_progress' });
      const second = await store.startResponse(conversation.id, 'and last month?');
      const completedAt = await store.completeResponse(response, answerFor(conversation.id, undefined));
      const stored = await store.getResponse(response.id, conversation.id);
      expect(completedAt).toBeDefined();
      expect(stored?.completedAt).toBe(completedAt);
      // no longer in progress: nothing written, nothing to report
      expect(await store.completeResponse(response, answerFor(conversation.id, undefined))).toBeUndefined();
      expect((await store.responses(conversation.id)).map((r) => [r.question, r.status])).toEqual([
        ['How many customers?', 'completed'],
        ['and last month?', 'in_progress'],
      ]);
      expect(second.id).not.toBe(response.id);
    });

    it('gives the engine earlier plans only for the owning agent and context', async () => {
      const conv = await store.createConversation(alice);
      const r = await store.startResponse(conv.id, 'orders last month');
      const plan = { version: 1, table: 'orders', measures: [{ kind: 'count' }] };
      await store.completeResponse(r, answerFor(conv.id, plan));
      const memory = store.memory();
      expect(await memory.turns(conv.id, { agentId: 'demo', userContext: { organisationId: 1 } })).toEqual([
        { question: 'orders last month', plan },
      ]);
      expect(
        await memory.turns(conv.id, { agentId: 'demo', userContext: { organisationId: 2 } }),
      ).toBeUndefined();
    });

    it('upserts one feedback per response', async () => {
      const conv = await store.createConversation(alice);
      const r = await store.startResponse(conv.id, 'q');
      const first = await store.upsertFeedback(r.id, { rating: 'positive' });
      const second = await store.upsertFeedback(r.id, { comment: 'spot on' });
      expect(second.id).toBe(first.id);
      expect(await store.getFeedback(r.id)).toMatchObject({ rating: 'positive', comment: 'spot on' });
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-store-'));
storeContract(
  'conversation store (SQLite)',
  async () => `sqlite://${path.join(tmp, 'store.sqlite')}`,
  async () => fs.rmSync(tmp, { recursive: true, force: true }),
);

describe('the SQLite store file', () => {
  it('is written ahead (WAL, synchronous NORMAL): answers do not wait for a disk sync per commit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-store-wal-'));
    const store = await ConversationStore.open(`sqlite://${path.join(dir, 'store.sqlite')}`);
    try {
      const journal = (await store.db.raw('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
      const sync = (await store.db.raw('PRAGMA synchronous')) as Array<{ synchronous: number }>;
      expect([journal[0]?.journal_mode, sync[0]?.synchronous]).toEqual(['wal', 1]);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

onScratchMysql('conversation store', 'parley_store', storeContract);

describe('the store clock', () => {
  it('never gives the same millisecond twice, so answers finishing together keep their order', async () => {
    const { strictlyIncreasingClock } = await import('./store.ts');
    const clock = strictlyIncreasingClock(() => 1_000);
    expect([clock(), clock(), clock()].map((d) => d.getTime())).toEqual([1_000, 1_001, 1_002]);
    let wall = 5_000;
    const real = strictlyIncreasingClock(() => wall);
    expect(real().getTime()).toBe(5_000);
    wall = 9_000;
    expect(real().getTime()).toBe(9_000);
  });
});
