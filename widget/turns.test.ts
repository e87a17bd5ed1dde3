// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { applyServerEvent, type ChatState, EMPTY_CHAT, stateFromHistory, type Turn } from './turns.ts';
import type { Answer } from './types.ts';

const answer = (id: string, conversationId = 'c1'): Answer => ({
  id,
  conversationId,
  type: 'text',
  message: `a-${id}`,
});
const turn = (clientId: string, extra: Partial<Turn> = {}): Turn => ({
  clientId,
  question: `q-${clientId}`,
  status: 'sent',
  text: '',
  ...extra,
});

describe('applyServerEvent', () => {
  it('follows a question from created to completed without mutating the previous state', () => {
    const s0: ChatState = { ...EMPTY_CHAT, turns: [turn('k1')] };
    const s1 = applyServerEvent(s0, { type: 'conversation.created', conversationId: 'c1', clientId: 'k1' });
    expect(s1.conversationCreated).toBe('c1');
    const s2 = applyServerEvent(s1.state, {
      type: 'response.created',
      responseId: 'r1',
      conversationId: 'c1',
      clientId: 'k1',
    });
    const s3 = applyServerEvent(s2.state, { type: 'response.delta', responseId: 'r1', text: 'Hel' });
    const s4 = applyServerEvent(s3.state, { type: 'response.delta', responseId: 'r1', text: 'lo' });
    expect(s4.state.turns[0]).toMatchObject({ status: 'streaming', text: 'Hello', responseId: 'r1' });
    const s5 = applyServerEvent(s4.state, {
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      answer: answer('r1'),
    });
    expect(s5.completed?.answer?.id).toBe('r1');
    expect(s0.turns[0]?.status).toBe('sent');
    expect(s4.state.turns[0]?.status).toBe('streaming');
    // a sync repeating it changes nothing and announces nothing
    const s6 = applyServerEvent(s5.state, {
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      answer: answer('r1'),
    });
    expect(s6.completed).toBeUndefined();
    expect(s6.state).toBe(s5.state);
  });

  it('ignores other conversations’ events and reports errors that belong to no turn', () => {
    const s0: ChatState = {
      conversationId: 'c1',
      turns: [turn('k1', { responseId: 'r1', status: 'streaming' })],
    };
    const other = applyServerEvent(s0, {
      type: 'response.completed',
      responseId: 'rX',
      conversationId: 'c2',
      answer: answer('rX', 'c2'),
    });
    expect(other.state).toBe(s0);
    const orphan = applyServerEvent(s0, {
      type: 'response.error',
      code: 'rate_limited',
      message: 'too many syncs',
    });
    expect(orphan.orphanError).toMatchObject({ code: 'rate_limited' });
    const cancelled = applyServerEvent(s0, {
      type: 'response.error',
      responseId: 'r1',
      code: 'cancelled',
      message: 'x',
    });
    expect(cancelled.state.turns[0]?.status).toBe('cancelled');
    expect(cancelled.failed?.status).toBe('cancelled');
  });

  it('matches an answer delivered after a reconnect to the one turn still waiting in that conversation', () => {
    const s0: ChatState = { conversationId: 'c1', turns: [turn('k1', { status: 'sent' })] };
    const out = applyServerEvent(s0, {
      type: 'response.completed',
      responseId: 'r9',
      conversationId: 'c1',
      answer: answer('r9'),
    });
    expect(out.completed?.responseId).toBe('r9');
  });
});

describe('stateFromHistory', () => {
  it('turns stored responses into turns with their status and feedback', () => {
    const state = stateFromHistory({
      id: 'c1',
      title: 't',
      createdAt: '',
      responses: [
        {
          id: 'r1',
          question: 'a',
          status: 'completed',
          answer: answer('r1'),
          feedback: { rating: 'positive', comment: 'ok' },
        },
        { id: 'r2', question: 'b', status: 'failed', error: { code: 'query_timeout', message: 'slow' } },
        { id: 'r3', question: 'c', status: 'cancelled' },
        { id: 'r4', question: 'd', status: 'in_progress' },
      ],
    });
    expect(state.turns.map((t) => t.status)).toEqual(['completed', 'failed', 'cancelled', 'streaming']);
    expect(state.turns[0]?.feedback).toEqual({ rating: 'positive', comment: 'ok' });
  });
});
