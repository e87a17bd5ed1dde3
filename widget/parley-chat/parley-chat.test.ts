// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, fakeJwt, fakeSockets, type Route, settle } from '../../test/support/widget-fakes.ts';
import type { ParleyComposer } from '../composer/composer.ts';
import { defineElement } from '../define.ts';
import type { ParleyAnswerEvent, ParleyErrorEvent, ParleySendEvent } from '../events/parley-events.ts';
import type { ParleyMessageList } from '../message-list/message-list.ts';
import type { Answer } from '../types.ts';
import '../index.ts';
import { ParleyChat } from './parley-chat.ts';

const TOKEN = fakeJwt({ sub: 'alice', agentId: 'demo', exp: Math.floor(Date.now() / 1000) + 3600 });

const CONFIG = {
  agent: {
    id: 'demo',
    name: 'Demo analyst',
    starterQuestions: ['How many orders last month?', 'Top customers'],
  },
  user: { userIdentifier: 'alice', permissions: [], canShareWithContext: false },
  session: { expiresAt: new Date(Date.now() + 3600_000).toISOString() },
  limits: { maxQuestionLength: 2000, maxCommentLength: 2000 },
  websocket: { path: '/widget/v1/ws', protocol: 'parley.v1', tokenProtocolPrefix: 'parley.token.' },
};

const TABLE_ANSWER: Answer = {
  id: 'r1',
  conversationId: 'c1',
  type: 'table',
  message: 'Your top customers by revenue.',
  table: {
    head: ['Customer', 'Revenue'],
    body: [
      ['Acme', '$1,200'],
      ['Globex', '$900'],
    ],
  },
  data: {
    columns: [
      { name: 'customer', type: 'string' },
      { name: 'revenue', type: 'number' },
    ],
    rows: [
      ['Acme', 1200],
      ['Globex', 900],
    ],
  },
  sql: { text: 'select name, sum(total) from orders where organisation_id = ? group by name', bindings: [1] },
  explanation: 'Summed order totals per customer.',
  suggestions: ['And last year?'],
};

interface Mounted {
  el: ParleyChat;
  sockets: ReturnType<typeof fakeSockets>;
  calls: ReturnType<typeof fakeFetch>['calls'];
}

async function mount(
  setup: (el: ParleyChat) => void = () => {},
  routes: Record<string, Route | { status?: number; body?: unknown }> = {},
): Promise<Mounted> {
  const sockets = fakeSockets();
  const { fetch, calls } = fakeFetch({ 'GET /widget/v1/config': { body: CONFIG }, ...routes });
  const el = document.createElement('parley-chat');
  el.webSocketImpl = sockets.ctor;
  el.fetchImpl = fetch;
  el.getToken = async () => TOKEN;
  el.setAttribute('server', 'https://bff.example.com');
  el.setAttribute('agent', 'demo');
  setup(el);
  document.body.append(el);
  await settle();
  return { el, sockets, calls };
}

async function mountOpen(...args: Parameters<typeof mount>): Promise<Mounted> {
  const m = await mount(...args);
  m.sockets.last().open();
  await settle();
  return m;
}

const root = (el: ParleyChat) => el.shadowRoot as ShadowRoot;
const list = (el: ParleyChat) => root(el).querySelector('parley-message-list') as ParleyMessageList;
const listRoot = (el: ParleyChat) => list(el).shadowRoot as ShadowRoot;
const composer = (el: ParleyChat) => root(el).querySelector('parley-composer') as ParleyComposer;
const textarea = (el: ParleyChat) =>
  composer(el).shadowRoot?.querySelector('textarea') as HTMLTextAreaElement;

async function type(
  el: ParleyChat,
  text: string,
  key: Partial<KeyboardEventInit> = {},
): Promise<KeyboardEvent> {
  const box = textarea(el);
  box.value = text;
  box.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  await composer(el).updateComplete;
  const ev = new KeyboardEvent('keydown', {
    key: 'Enter',
    bubbles: true,
    composed: true,
    cancelable: true,
    ...key,
  });
  box.dispatchEvent(ev);
  await settle();
  return ev;
}

afterEach(() => {
  document.body.innerHTML = '';
  vi.useRealTimers();
});

describe('<parley-chat>', () => {
  it('renders the panel, a polite log, the composer and the starter questions from /config', async () => {
    const { el, calls } = await mount();
    expect(el).toBeInstanceOf(ParleyChat);
    expect(el.getAttribute('mode')).toBe('inline');
    const log = listRoot(el).querySelector('[role="log"]');
    expect(log?.getAttribute('aria-live')).toBe('polite');
    expect(textarea(el)).toBeTruthy();
    expect(root(el).querySelector('h2')?.textContent).toBe('Demo analyst');
    const starters = [...listRoot(el).querySelectorAll('.starters button')].map((b) => b.textContent?.trim());
    expect(starters).toEqual(['How many orders last month?', 'Top customers']);
    const config = calls.find((c) => c.url === 'https://bff.example.com/widget/v1/config');
    expect(config?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('connects to {server}/widget/v1/ws with the token as a subprotocol', async () => {
    const { el, sockets } = await mount();
    const ws = sockets.last();
    expect(ws.url).toBe('wss://bff.example.com/widget/v1/ws');
    expect(ws.protocols).toEqual(['parley.v1', `parley.token.${TOKEN}`]);
    expect(el.connectionStatus).toBe('connecting');
    ws.open();
    await settle();
    expect(el.connectionStatus).toBe('open');
    expect(el.dataset.connection).toBe('open');
  });

  it('Enter sends message.send; Shift+Enter does not', async () => {
    const { el, sockets } = await mountOpen();
    const sent: ParleySendEvent[] = [];
    el.addEventListener('parley-send', (e) => sent.push(e));
    const shift = await type(el, 'first line', { shiftKey: true });
    expect(shift.defaultPrevented).toBe(false);
    expect(sockets.last().messages()).toEqual([]);
    const enter = await type(el, 'How many orders last month?');
    expect(enter.defaultPrevented).toBe(true);
    const [msg] = sockets.last().messages();
    expect(msg).toMatchObject({ type: 'message.send', text: 'How many orders last month?' });
    expect(msg && 'clientId' in msg && msg.clientId).toBeTruthy();
    expect(msg && 'conversationId' in msg).toBe(false);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text).toBe('How many orders last month?');
    expect(textarea(el).value).toBe('');
    const question = listRoot(el).querySelector('[role="log"] .user');
    expect(question?.textContent).toContain('How many orders last month?');
  });

  it('a parley-send listener can cancel the question', async () => {
    const { el, sockets } = await mountOpen();
    el.addEventListener('parley-send', (e) => e.preventDefault());
    expect(el.ask('hello')).toBe(false);
    expect(sockets.last().messages()).toEqual([]);
  });

  it('shows the real progress stages while streaming, then the message and a table in the log', async () => {
    const { el, sockets } = await mountOpen();
    const answers: ParleyAnswerEvent[] = [];
    el.addEventListener('parley-answer', (e) => answers.push(e));
    el.ask('Top customers');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({ type: 'conversation.created', conversationId: 'c1', clientId });
    ws.receive({ type: 'response.created', responseId: 'r1', conversationId: 'c1', clientId });
    ws.receive({
      type: 'response.progress',
      responseId: 'r1',
      stage: 'querying',
      message: 'Querying the data…',
    });
    await settle();
    const pending = listRoot(el).querySelector('.pending');
    expect(pending?.getAttribute('aria-busy')).toBe('true');
    expect(pending?.closest('[role="log"]')).toBeNull();
    expect(pending?.querySelector('[aria-current="step"]')?.textContent?.trim()).toBe('Querying');
    // the animated dots are the ellipsis: the server's own '…' is not doubled
    expect(pending?.querySelector('.stage-message.dots')?.textContent).toBe('Querying the data');
    ws.receive({ type: 'response.delta', responseId: 'r1', text: 'Your top ' });
    ws.receive({ type: 'response.delta', responseId: 'r1', text: 'customers…' });
    await settle();
    expect(listRoot(el).querySelector('.pending .text')?.textContent).toBe('Your top customers…');
    // stop button while busy
    expect(composer(el).shadowRoot?.querySelector('[part="stop-button"]')).toBeTruthy();

    ws.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: TABLE_ANSWER,
      completedAt: '2025-03-01T10:00:00.000Z',
    });
    await settle();
    expect(listRoot(el).querySelector('.pending')).toBeNull();
    const answer = listRoot(el).querySelector('[role="log"] article.answer');
    expect(answer?.querySelector('.text')?.textContent).toContain('Your top customers by revenue.');
    const table = answer?.querySelector('parley-result-table');
    await table?.updateComplete;
    const cells = [...(table?.shadowRoot?.querySelectorAll('tbody td') ?? [])].map((td) => td.textContent);
    expect(cells).toEqual(['Acme', '$1,200', 'Globex', '$900']);
    expect(answer?.querySelector('details summary')?.textContent).toBe('How was this answered?');
    expect(answer?.querySelector('.sql')?.textContent).toContain('organisation_id = ?');
    // an answer without a readable SQL (an older server) still lists its values, numbered
    const values = [...(answer?.querySelectorAll('.bindings li') ?? [])].map((li) =>
      li.textContent?.replace(/\s+/g, ' ').trim(),
    );
    expect(values).toEqual(['1 1']);
    expect(answer?.querySelector('.explanation')?.textContent).toBe('Summed order totals per customer.');
    expect(answers.map((a) => a.answer.id)).toEqual(['r1']);
    expect(el.conversationId).toBe('c1');
    // the next question continues the conversation
    el.ask('And last year?');
    expect(ws.messages()[1]).toMatchObject({
      type: 'message.send',
      conversationId: 'c1',
      text: 'And last year?',
    });
  });

  it('"Copy answer" copies the sentence and the table under it, not only the sentence', async () => {
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (text: string) => void copied.push(text) },
    });
    const { el, sockets } = await mountOpen();
    el.ask('Top customers');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({ type: 'response.created', responseId: 'r1', conversationId: 'c1', clientId });
    ws.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: TABLE_ANSWER,
    });
    await settle();
    listRoot(el).querySelector<HTMLButtonElement>('button[aria-label="Copy answer"]')?.click();
    await settle();
    expect(copied).toEqual([
      'Your top customers by revenue.\n\nCustomer\tRevenue\nAcme\t$1,200\nGlobex\t$900',
    ]);
  });

  it('shows a clarification as one button per choice; a click asks its question in the same conversation', async () => {
    const { el, sockets } = await mountOpen();
    const sends: ParleySendEvent[] = [];
    el.addEventListener('parley-send', (e) => sends.push(e));
    el.ask('what were our sales last month');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    const choices = [
      { label: 'revenue (completed orders)', question: 'what was our revenue last month' },
      { label: 'product revenue (order items)', question: 'what was our product revenue last month' },
    ];
    ws.receive({ type: 'response.created', responseId: 'r1', conversationId: 'c1', clientId });
    ws.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: {
        id: 'r1',
        conversationId: 'c1',
        type: 'clarification',
        code: 'ambiguous',
        message: '"sales" could mean more than one thing here. Which did you mean?',
        choices,
      },
    });
    await settle();
    const answer = listRoot(el).querySelector('[role="log"] article.answer.clarification');
    expect(answer?.querySelector('.text')?.textContent).toContain('Which did you mean?');
    const group = answer?.querySelector('[part="choices"]');
    expect(group?.getAttribute('role')).toBe('group');
    expect(group?.getAttribute('aria-label')).toBe('Possible meanings');
    const buttons = [...(group?.querySelectorAll('button') ?? [])];
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(choices.map((c) => c.label));
    for (const b of buttons) {
      expect(b.getAttribute('type')).toBe('button');
      expect(b.getAttribute('part')).toBe('choice');
      expect(b.disabled).toBe(false);
      expect(b.tabIndex).toBe(0);
    }
    // the parts are reachable from the page
    expect(list(el).getAttribute('exportparts')).toMatch(/\bchoices\b.*\bchoice\b/);

    buttons[1]?.click();
    await settle();
    expect(ws.messages()).toHaveLength(2);
    expect(ws.messages()[1]).toMatchObject({
      type: 'message.send',
      conversationId: 'c1',
      text: 'what was our product revenue last month',
    });
    expect(sends.map((e) => e.text)).toEqual([
      'what were our sales last month',
      'what was our product revenue last month',
    ]);
    const questions = [...listRoot(el).querySelectorAll('.user')].map((p) => p.textContent);
    expect(questions.at(-1)).toContain('what was our product revenue last month');
    // while that answer is being made, the choices cannot ask again
    const again = [...(listRoot(el).querySelectorAll('[part="choice"]') ?? [])] as HTMLButtonElement[];
    expect(again.every((b) => b.disabled)).toBe(true);
  });

  it('renders server text as text, never as HTML', async () => {
    const { el, sockets } = await mountOpen();
    el.ask('hi');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({
      type: 'response.completed',
      responseId: 'r9',
      conversationId: 'c9',
      clientId,
      answer: {
        id: 'r9',
        conversationId: 'c9',
        type: 'text',
        message: '<img src=x onerror="alert(1)"><b>bold</b>',
      },
    });
    await settle();
    const text = listRoot(el).querySelector('article.answer .text');
    expect(text?.querySelector('img, b')).toBeNull();
    expect(text?.textContent).toContain('<img src=x onerror="alert(1)"><b>bold</b>');
  });

  it('the stop button sends response.cancel; the cancelled turn can be retried', async () => {
    const { el, sockets } = await mountOpen();
    el.ask('slow question');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({ type: 'response.created', responseId: 'r2', conversationId: 'c2', clientId });
    await settle();
    composer(el).shadowRoot?.querySelector<HTMLButtonElement>('[part="stop-button"]')?.click();
    expect(ws.messages()[1]).toEqual({ type: 'response.cancel', responseId: 'r2' });
    ws.receive({
      type: 'response.error',
      responseId: 'r2',
      clientId,
      code: 'cancelled',
      message: 'cancelled',
    });
    await settle();
    const article = listRoot(el).querySelector('article.cancelled');
    expect(article?.textContent).toContain('Stopped.');
    article?.querySelector<HTMLButtonElement>('button[aria-label="Retry"]')?.click();
    await settle();
    expect(ws.messages()[2]).toMatchObject({ type: 'message.send', text: 'slow question' });
    expect(listRoot(el).querySelectorAll('.turn')).toHaveLength(1);
  });

  it('a failed answer shows the server message and fires parley-error', async () => {
    const { el, sockets } = await mountOpen();
    const errors: ParleyErrorEvent[] = [];
    el.addEventListener('parley-error', (e) => errors.push(e));
    el.ask('q');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({
      type: 'response.error',
      clientId,
      code: 'rate_limited',
      message: 'slow down',
      retryAfter: 12,
    });
    await settle();
    expect(listRoot(el).querySelector('article.failed')?.textContent).toContain('Try again in 12 s.');
    expect(errors[0]).toMatchObject({ code: 'rate_limited', retryAfter: 12 });
  });

  it('a rate limit counts down live, and a question asked meanwhile waits for it instead of failing', async () => {
    const { el, sockets } = await mountOpen();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      el.ask('first');
      await vi.advanceTimersByTimeAsync(10);
      const ws = sockets.last();
      const { clientId } = ws.messages()[0] as { clientId: string };
      ws.receive({
        type: 'response.error',
        clientId,
        code: 'rate_limited',
        message: 'slow down',
        retryAfter: 3,
      });
      await vi.advanceTimersByTimeAsync(10);
      const failed = () => listRoot(el).querySelector('article.failed')?.textContent ?? '';
      expect(failed()).toContain('Not answered: too many questions at once. Try again in 3 s.');
      await vi.advanceTimersByTimeAsync(1000);
      expect(failed()).toContain('Try again in 2 s.');
      // a starter chip tapped now: queued, not sent into the limit
      expect(el.ask('second')).toBe(true);
      await vi.advanceTimersByTimeAsync(10);
      expect(ws.messages().filter((m) => (m as { type: string }).type === 'message.send')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2000);
      // once the wait is over the turn still says its question went unanswered
      expect(failed()).toContain('Not answered: too many questions at once. You can ask again now.');
      const sent = ws.messages().filter((m) => (m as { type: string }).type === 'message.send');
      expect(sent).toHaveLength(2);
      expect(sent[1]).toMatchObject({ text: 'second' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('questions asked while offline are queued and sent on reconnect, after a sync', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const sockets = fakeSockets();
    const { fetch } = fakeFetch({ 'GET /widget/v1/config': { body: CONFIG } });
    const el = document.createElement('parley-chat');
    Object.assign(el, { webSocketImpl: sockets.ctor, fetchImpl: fetch, getToken: async () => TOKEN });
    el.setAttribute('server', 'https://bff.example.com');
    document.body.append(el);
    await vi.advanceTimersByTimeAsync(0);
    const first = sockets.last();
    first.open();
    el.ask('q1');
    await vi.advanceTimersByTimeAsync(0);
    const { clientId } = first.messages()[0] as { clientId: string };
    first.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: { ...TABLE_ANSWER, type: 'text' },
      completedAt: '2025-03-01T10:00:00.000Z',
    });
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(el.connectionStatus).toBe('offline');
    const status = root(el).querySelector('[part="status"]');
    expect(status?.textContent).toContain('Offline');
    expect(el.ask('q2')).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(listRoot(el).querySelector('.pending')).toBeTruthy();
    await vi.advanceTimersByTimeAsync(1000);
    const second = sockets.last();
    expect(second).not.toBe(first);
    second.open();
    await vi.advanceTimersByTimeAsync(0);
    const types = second.messages().map((m) => m.type);
    expect(types).toEqual(['sync', 'message.send']);
    expect(second.messages()[0]).toEqual({ type: 'sync', since: '2025-03-01T10:00:00.000Z' });
    expect(second.messages()[1]).toMatchObject({ conversationId: 'c1', text: 'q2' });
  });

  it('refreshes the token before it expires and moves the socket over without losing the conversation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(Date.parse('2025-03-01T12:00:00Z'));
    const sockets = fakeSockets();
    const { fetch } = fakeFetch({ 'GET /widget/v1/config': { body: CONFIG } });
    let n = 0;
    const getToken = vi.fn(async () => fakeJwt({ n: ++n, exp: Math.floor(Date.now() / 1000) + 600 }));
    const el = document.createElement('parley-chat');
    Object.assign(el, { webSocketImpl: sockets.ctor, fetchImpl: fetch, getToken });
    el.setAttribute('server', 'https://bff.example.com');
    document.body.append(el);
    await vi.advanceTimersByTimeAsync(0);
    const first = sockets.last();
    first.open();
    el.ask('q1');
    await vi.advanceTimersByTimeAsync(0);
    const { clientId } = first.messages()[0] as { clientId: string };
    first.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: TABLE_ANSWER,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(getToken).toHaveBeenCalledTimes(1);
    // 60 s before exp
    await vi.advanceTimersByTimeAsync(540_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    const second = sockets.last();
    expect(second).not.toBe(first);
    expect(second.protocols[1]).toBe(`parley.token.${await getToken.mock.results[1]?.value}`);
    second.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(first.closedByClient?.reason).toBe('token renewed');
    expect(second.messages()[0]?.type).toBe('sync');
    expect(el.conversationId).toBe('c1');
    expect(listRoot(el).querySelectorAll('.turn')).toHaveLength(1);
    el.ask('q2');
    expect(second.messages()[1]).toMatchObject({ type: 'message.send', conversationId: 'c1', text: 'q2' });
  });

  it('answers completed while disconnected arrive through sync and complete their turn', async () => {
    const { el, sockets } = await mountOpen();
    el.ask('long one');
    await settle();
    const first = sockets.last();
    const { clientId } = first.messages()[0] as { clientId: string };
    first.receive({ type: 'response.created', responseId: 'r5', conversationId: 'c5', clientId });
    first.serverClose(1006);
    await settle();
    el.connection.reconnectNow();
    await settle();
    const second = sockets.last();
    second.open();
    await settle();
    expect(second.messages()[0]?.type).toBe('sync');
    // sync replays it without our clientId
    second.receive({
      type: 'response.completed',
      responseId: 'r5',
      conversationId: 'c5',
      answer: { id: 'r5', conversationId: 'c5', type: 'text', message: 'Done while you were away.' },
      completedAt: '2025-03-01T11:00:00.000Z',
    });
    await settle();
    expect(listRoot(el).querySelector('[role="log"] article.answer .text')?.textContent).toContain(
      'Done while you were away.',
    );
  });

  it('thumbs up posts feedback for the response', async () => {
    const feedback = vi.fn(() => ({ body: { rating: 'positive' } }));
    const { el, sockets, calls } = await mountOpen(undefined, {
      'POST /widget/v1/conversations/c1/responses/r1/feedback': feedback,
    });
    el.ask('Top customers');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({ type: 'response.created', responseId: 'r1', conversationId: 'c1', clientId });
    ws.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: TABLE_ANSWER,
    });
    await settle();
    const fb = listRoot(el).querySelector('parley-feedback');
    fb?.shadowRoot?.querySelector<HTMLButtonElement>('button[aria-label="Helpful"]')?.click();
    await settle();
    expect(feedback).toHaveBeenCalledTimes(1);
    expect(calls.find((c) => c.url.endsWith('/feedback'))?.body).toEqual({
      rating: 'positive',
      comment: null,
    });
    expect(fb?.shadowRoot?.querySelector('button[aria-label="Helpful"]')?.getAttribute('aria-pressed')).toBe(
      'true',
    );
    // the optional comment
    const box = fb?.shadowRoot?.querySelector('textarea') as HTMLTextAreaElement;
    box.value = 'Great';
    box.dispatchEvent(new Event('input'));
    fb?.shadowRoot?.querySelector('form')?.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(calls.filter((c) => c.url.endsWith('/feedback')).at(-1)?.body).toEqual({
      rating: 'positive',
      comment: 'Great',
    });
  });

  it('names a refused page origin (banner, parley-error, console) and stops reconnecting', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const errors: string[] = [];
    const { el, sockets, calls } = await mount(
      (e) => e.addEventListener('parley-error', (ev) => errors.push((ev as ParleyErrorEvent).code)),
      {
        // what a browser reports when CORS hides the server's 403
        'GET /widget/v1/config': () => {
          throw new TypeError('Failed to fetch');
        },
        'GET /widget/v1/origin?agent=demo': { body: { origin: 'https://shop.example.com', allowed: false } },
      },
    );
    await settle();
    expect(
      calls.some((c) => c.url.endsWith('/widget/v1/origin?agent=demo') && c.credentials === 'omit'),
    ).toBe(true);
    expect(errors).toContain('origin_not_allowed');
    expect(root(el).querySelector('[part="banner"]')?.textContent).toContain('allowed origins');
    expect(String(logged.mock.calls[0]?.[0])).toMatch(/https:\/\/shop\.example\.com.*allowedOrigins/);
    expect(el.connectionStatus).not.toBe('offline');
    const opened = sockets.sockets.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets.sockets.length).toBe(opened);
    logged.mockRestore();
  });

  it('strings can be overridden', async () => {
    const { el } = await mount((e) => {
      e.strings = { send: 'Envoyer', placeholder: 'Posez une question', starterHeading: 'Essayez' };
    });
    expect(composer(el).shadowRoot?.querySelector('[part="send-button"]')?.getAttribute('aria-label')).toBe(
      'Envoyer',
    );
    expect(textarea(el).getAttribute('placeholder')).toBe('Posez une question');
    expect(listRoot(el).querySelector('.starters h2')?.textContent).toBe('Essayez');
    el.strings = { send: 'Senden' };
    await settle();
    expect(composer(el).shadowRoot?.querySelector('[part="send-button"]')?.getAttribute('aria-label')).toBe(
      'Senden',
    );
  });

  it('the placeholder attribute wins over the default string', async () => {
    const { el } = await mount((e) => e.setAttribute('placeholder', 'Ask about orders'));
    expect(textarea(el).getAttribute('placeholder')).toBe('Ask about orders');
  });

  it('loading the script twice does not throw', async () => {
    await import('../index.ts');
    expect(() => defineElement('parley-chat', class extends HTMLElement {})).not.toThrow();
    expect(customElements.get('parley-chat')).toBe(ParleyChat);
  });

  it('gets its token from token-endpoint with the page cookies (agent in the query)', async () => {
    const sockets = fakeSockets();
    const { fetch, calls } = fakeFetch({
      'GET /widget/v1/config': { body: CONFIG },
      'GET /parley/token': { body: { token: TOKEN } },
    });
    const el = document.createElement('parley-chat');
    Object.assign(el, { webSocketImpl: sockets.ctor, fetchImpl: fetch });
    el.setAttribute('server', 'https://bff.example.com');
    el.setAttribute('agent', 'demo');
    el.setAttribute('token-endpoint', '/parley/token');
    document.body.append(el);
    await settle();
    const tokenCall = calls.find((c) => c.url.includes('/parley/token'));
    expect(tokenCall?.url).toBe(new URL('/parley/token?agent=demo', document.baseURI).toString());
    expect(tokenCall?.credentials).toBe('include');
    expect(sockets.last().protocols[1]).toBe(`parley.token.${TOKEN}`);
  });

  it('offline, an unreachable token endpoint shows the offline status, never "Could not sign in"', async () => {
    const sockets = fakeSockets();
    let reachable = false;
    const { fetch } = fakeFetch({ 'GET /widget/v1/config': { body: CONFIG } });
    const el = document.createElement('parley-chat');
    Object.assign(el, {
      webSocketImpl: sockets.ctor,
      // fetch rejects (a TypeError) when there is no network at all
      fetchImpl: async (input: string, init?: RequestInit) => {
        if (!reachable) throw new TypeError('Failed to fetch');
        if (input.includes('/parley/token')) return new Response(JSON.stringify({ token: TOKEN }));
        return fetch(input, init);
      },
    });
    const errors: string[] = [];
    el.addEventListener('parley-error', (e) => errors.push((e as ParleyErrorEvent).code));
    el.setAttribute('server', 'https://bff.example.com');
    el.setAttribute('token-endpoint', '/parley/token');
    document.body.append(el);
    await settle();
    expect(el.connectionStatus).toBe('offline');
    expect(root(el).querySelector('[part="status"]')?.textContent).toContain('Offline');
    expect(root(el).querySelector('[part="banner"]')).toBeNull();
    expect(errors).not.toContain('token_unavailable');

    // a token endpoint that answers with a refusal is a sign-in failure, and says so
    reachable = true;
    const refusing = document.createElement('parley-chat');
    Object.assign(refusing, {
      webSocketImpl: sockets.ctor,
      fetchImpl: async (input: string, init?: RequestInit) =>
        input.includes('/parley/token') ? new Response('{}', { status: 500 }) : fetch(input, init),
    });
    refusing.setAttribute('server', 'https://bff.example.com');
    refusing.setAttribute('token-endpoint', '/parley/token');
    document.body.append(refusing);
    await settle();
    expect(root(refusing).querySelector('[part="banner"]')?.textContent).toContain('Could not sign in');
  });

  it('without a token source it says so instead of connecting', async () => {
    const sockets = fakeSockets();
    const el = document.createElement('parley-chat');
    el.webSocketImpl = sockets.ctor;
    el.setAttribute('server', 'https://bff.example.com');
    document.body.append(el);
    await settle();
    expect(sockets.sockets).toHaveLength(0);
    expect(root(el).querySelector('[part="banner"]')?.textContent).toContain('not configured');
  });

  it('newConversation() clears the turns and the next question starts a new conversation', async () => {
    const { el, sockets } = await mountOpen();
    el.ask('q');
    await settle();
    const ws = sockets.last();
    const { clientId } = ws.messages()[0] as { clientId: string };
    ws.receive({ type: 'conversation.created', conversationId: 'c1', clientId });
    ws.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId,
      answer: TABLE_ANSWER,
    });
    await settle();
    el.newConversation();
    await settle();
    expect(el.conversationId).toBeNull();
    expect(listRoot(el).querySelectorAll('.turn')).toHaveLength(0);
    el.ask('fresh');
    expect(ws.messages().at(-1)).not.toHaveProperty('conversationId');
  });

  it('lists conversations and opens one with its history', async () => {
    const { el } = await mountOpen(undefined, {
      'GET /widget/v1/conversations': {
        body: {
          items: [{ id: 'c7', title: 'Orders', createdAt: '2025-02-01T10:00:00Z', updatedAt: '' }],
          nextCursor: null,
        },
      },
      'GET /widget/v1/conversations/c7': {
        body: {
          id: 'c7',
          title: 'Orders',
          createdAt: '2025-02-01T10:00:00Z',
          updatedAt: '2025-02-01T10:00:00Z',
          responses: [
            {
              id: 'r70',
              conversationId: 'c7',
              question: 'How many orders?',
              status: 'completed',
              answer: { id: 'r70', conversationId: 'c7', type: 'text', message: '42 orders.' },
              createdAt: '2025-02-01T10:00:00Z',
              feedback: {
                responseId: 'r70',
                rating: 'negative',
                comment: null,
                createdAt: '',
                updatedAt: '',
              },
            },
          ],
        },
      },
    });
    root(el).querySelector<HTMLButtonElement>('button[aria-label="Conversations"]')?.click();
    await settle();
    const convList = root(el).querySelector('parley-conversation-list');
    const open = convList?.shadowRoot?.querySelector<HTMLButtonElement>('button.open');
    expect(open?.textContent).toContain('Orders');
    open?.click();
    await settle();
    expect(el.conversationId).toBe('c7');
    expect(listRoot(el).querySelector('.user')?.textContent).toContain('How many orders?');
    expect(listRoot(el).querySelector('article.answer .text')?.textContent).toContain('42 orders.');
    const fb = listRoot(el).querySelector('parley-feedback');
    await fb?.updateComplete;
    expect(
      fb?.shadowRoot?.querySelector('button[aria-label="Not helpful"]')?.getAttribute('aria-pressed'),
    ).toBe('true');
  });

  it('launcher mode: the button opens the panel, Escape closes it and gives focus back', async () => {
    const { el, sockets } = await mount((e) => e.setAttribute('mode', 'launcher'));
    // nothing is loaded before the panel is opened
    expect(sockets.sockets).toHaveLength(0);
    const launcher = root(el).querySelector<HTMLButtonElement>('[part="launcher"]') as HTMLButtonElement;
    const panel = root(el).querySelector('[part="panel"]') as HTMLElement;
    expect(panel.hidden).toBe(true);
    expect(launcher.getAttribute('aria-expanded')).toBe('false');
    launcher.click();
    await settle();
    expect(el.open).toBe(true);
    expect(panel.hidden).toBe(false);
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(launcher.getAttribute('aria-expanded')).toBe('true');
    expect(sockets.sockets).toHaveLength(1);
    textarea(el).dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }),
    );
    await settle();
    expect(el.open).toBe(false);
    expect(panel.hidden).toBe(true);
    expect(root(el).activeElement).toBe(launcher);
  });

  it('theme and dir are plain attributes the styles follow', async () => {
    const { el } = await mount((e) => {
      e.setAttribute('theme', 'dark');
      e.setAttribute('dir', 'rtl');
    });
    expect(el.theme).toBe('dark');
    expect(el.getAttribute('theme')).toBe('dark');
    expect(list(el).dark).toBe(true);
  });
});
