import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  MAX_TEXT_LENGTH,
  offeredProtocols,
  parseClientMessage,
  ServerEvent,
  STAGE_MESSAGES,
} from './protocol.ts';

describe('parseClientMessage', () => {
  it('accepts the four client messages', () => {
    expect(parseClientMessage('{"type":"message.send","clientId":"c1","text":"How many orders?"}')).toEqual({
      ok: true,
      message: { type: 'message.send', clientId: 'c1', text: 'How many orders?' },
    });
    expect(
      parseClientMessage('{"type":"message.send","clientId":"c1","conversationId":"abc","text":" hi "}'),
    ).toEqual({
      ok: true,
      message: { type: 'message.send', clientId: 'c1', conversationId: 'abc', text: 'hi' },
    });
    expect(parseClientMessage('{"type":"response.cancel","responseId":"r1"}').ok).toBe(true);
    expect(parseClientMessage('{"type":"sync","since":"2026-11-25T12:00:00Z"}').ok).toBe(true);
    expect(parseClientMessage('{"type":"sync","since":"2026-11-25T12:00:00.123+01:00"}').ok).toBe(true);
    expect(parseClientMessage('{"type":"ping"}').ok).toBe(true);
  });

  it('refuses malformed JSON and schema failures with a readable reason', () => {
    expect(parseClientMessage('{nope')).toEqual({ ok: false, error: 'the message is not valid JSON' });
    expect(parseClientMessage('[]').ok).toBe(false);
    expect(parseClientMessage('"ping"').ok).toBe(false);
    expect(parseClientMessage('{"type":"delete.everything"}').ok).toBe(false);
    expect(parseClientMessage('{"type":"sync","since":"yesterday"}').ok).toBe(false);
  });

  it('bounds the text: 1..2000 characters after trimming', () => {
    const send = (text: string) =>
      parseClientMessage(JSON.stringify({ type: 'message.send', clientId: 'c9', text }));
    expect(send('x'.repeat(MAX_TEXT_LENGTH)).ok).toBe(true);
    const long = send('x'.repeat(MAX_TEXT_LENGTH + 1));
    expect(long).toMatchObject({ ok: false, clientId: 'c9' });
    expect(long.ok ? '' : long.error).toMatch(/^text: .*2000/);
    expect(send('   ')).toMatchObject({ ok: false, clientId: 'c9' });
  });

  it('ignores identity fields a client might add: they never reach the server logic', () => {
    const parsed = parseClientMessage(
      JSON.stringify({
        type: 'message.send',
        clientId: 'c',
        text: 'hi',
        userContext: { organisationId: 2 },
        agentId: 'x',
      }),
    );
    expect(parsed).toEqual({ ok: true, message: { type: 'message.send', clientId: 'c', text: 'hi' } });
  });
});

describe('offeredProtocols', () => {
  it('splits the header leniently', () => {
    expect(offeredProtocols('parley.v1, parley.token.a.b.c')).toEqual(['parley.v1', 'parley.token.a.b.c']);
    expect(offeredProtocols(undefined)).toEqual([]);
    expect(offeredProtocols(' , ')).toEqual([]);
  });
});

describe('server events', () => {
  it('validate the documented shapes', () => {
    const ok = [
      { type: 'conversation.created', conversationId: 'c', clientId: 'x' },
      { type: 'response.created', responseId: 'r', conversationId: 'c', clientId: 'x' },
      { type: 'response.progress', responseId: 'r', stage: 'querying', message: STAGE_MESSAGES.querying },
      { type: 'response.delta', responseId: 'r', text: 'Orders ' },
      {
        type: 'response.completed',
        responseId: 'r',
        conversationId: 'c',
        answer: { id: 'r', conversationId: 'c', type: 'text', message: '880 orders in October 2026.' },
        completedAt: '2026-11-25T12:00:00.000Z',
      },
      {
        type: 'response.completed',
        responseId: 'r',
        conversationId: 'c',
        answer: {
          id: 'r',
          conversationId: 'c',
          type: 'text',
          message: '210 users in October 2026.',
          readAs: [
            { kind: 'measure', text: 'Users' },
            {
              kind: 'period',
              text: 'Last month (October 2026)',
              alternatives: [
                { label: 'Dated by when the order was placed', question: 'users with orders last month' },
              ],
            },
          ],
          unusedWords: ['young'],
        },
        completedAt: '2026-11-25T12:00:00.000Z',
      },
      { type: 'response.error', clientId: 'x', code: 'rate_limited', message: 'slow down', retryAfter: 6 },
      { type: 'sync.completed', since: 'a', until: 'b', count: 0, more: false },
      { type: 'pong' },
    ];
    for (const event of ok) expect(ServerEvent.safeParse(event).success, JSON.stringify(event)).toBe(true);
    expect(
      ServerEvent.safeParse({ type: 'response.progress', responseId: 'r', stage: 'dreaming', message: '' })
        .success,
    ).toBe(false);
    // a chip's alternative is a question to send: one without its question is not a valid answer
    const chipWithoutQuestion = {
      type: 'response.completed',
      responseId: 'r',
      conversationId: 'c',
      answer: {
        id: 'r',
        conversationId: 'c',
        type: 'text',
        message: 'x',
        readAs: [{ kind: 'period', text: 'Last month', alternatives: [{ label: 'Dated by order' }] }],
      },
      completedAt: '2026-11-25T12:00:00.000Z',
    };
    expect(ServerEvent.safeParse(chipWithoutQuestion).success).toBe(false);
  });

  it('close codes are the documented ones', () => {
    expect(Object.values(CloseCode).sort()).toEqual([1000, 1001, 1008, 1009, 1011, 4001, 4003, 4029]);
  });
});

describe('wire constants', () => {
  it('live in a module without imports, so the widget bundle can include it without the server', () => {
    const text = fs.readFileSync(new URL('./wire.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/^\s*(import|export)\s[^;]*from\s/m);
    expect(text).not.toMatch(/^\s*import\s/m);
  });
});
