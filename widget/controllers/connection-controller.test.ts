// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeHost, fakeJwt, fakeSockets, microtasks } from '../../test/support/widget-fakes.ts';
import type { ServerEvent } from '../types.ts';
import {
  backoffCap,
  backoffDelay,
  ConnectionController,
  type ConnectionFailure,
  type ConnectionStatus,
  DEFAULT_BACKOFF,
} from './connection-controller.ts';

describe('backoffDelay', () => {
  it('doubles the cap from 1 s up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffCap(a))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('stays within [cap/2, cap] whatever the jitter', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const cap = backoffCap(attempt);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 0)).toBe(cap / 2);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => 1)).toBe(cap);
      for (let i = 0; i < 50; i += 1) {
        const d = backoffDelay(attempt);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('spreads clients out (jitter is not constant)', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
    expect(delays.size).toBeGreaterThan(1);
  });
});

function setup(
  options: { random?: () => number; tokens?: string[]; onHandshakeFailed?: (n: number) => void } = {},
) {
  const { ctor, sockets, last } = fakeSockets();
  const events: ServerEvent[] = [];
  const statuses: ConnectionStatus[] = [];
  const failures: ConnectionFailure[] = [];
  const tokens = options.tokens ?? [fakeJwt({ n: 1 }), fakeJwt({ n: 2 }), fakeJwt({ n: 3 })];
  let issued = 0;
  const getToken = vi.fn(async () => tokens[Math.min(issued, tokens.length - 1)] as string);
  const refreshToken = vi.fn(async () => {
    issued += 1;
    return tokens[Math.min(issued, tokens.length - 1)] as string;
  });
  const controller = new ConnectionController(fakeHost(), {
    url: () => 'wss://bff.example.com/widget/v1/ws',
    getToken,
    refreshToken,
    WebSocket: () => ctor,
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    onFailure: (f) => failures.push(f),
    onHandshakeFailed: options.onHandshakeFailed,
    random: options.random ?? (() => 0.5),
    pingIntervalMs: 0,
  });
  return { controller, sockets, last, events, statuses, failures, getToken, refreshToken, tokens };
}

describe('ConnectionController', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('offers parley.v1 and the token as subprotocols; never puts the token in the URL', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const ws = t.last();
    expect(ws.url).toBe('wss://bff.example.com/widget/v1/ws');
    expect(ws.protocols).toEqual(['parley.v1', `parley.token.${t.tokens[0]}`]);
    expect(ws.url).not.toContain(t.tokens[0]);
    expect(t.controller.status).toBe('connecting');
    ws.open();
    expect(t.controller.status).toBe('open');
    expect(t.statuses).toEqual(['connecting', 'open']);
  });

  it('queues messages until the socket opens, then sends them in order', async () => {
    const t = setup();
    t.controller.start();
    expect(t.controller.send({ type: 'message.send', clientId: 'a', text: 'one' })).toBe(false);
    t.controller.send({ type: 'message.send', clientId: 'b', text: 'two' });
    await microtasks();
    t.last().open();
    expect(t.last().messages()).toEqual([
      { type: 'message.send', clientId: 'a', text: 'one' },
      { type: 'message.send', clientId: 'b', text: 'two' },
    ]);
  });

  it('reconnects with exponential backoff and jitter, and goes offline meanwhile', async () => {
    const t = setup({ random: () => 0 });
    t.controller.start();
    await microtasks();
    t.last().open();
    const schedule: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const before = t.sockets.length;
      const at = Date.now();
      t.last().serverClose(1006);
      expect(t.controller.status).toBe('offline');
      const retryIn = (t.controller.retryAt ?? 0) - at;
      schedule.push(retryIn);
      await vi.advanceTimersByTimeAsync(retryIn - 1);
      expect(t.sockets.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      await microtasks();
      expect(t.sockets.length).toBe(before + 1);
      expect(t.controller.status).toBe('connecting');
    }
    // random() = 0: the lower bound of each window, cap/2
    expect(schedule).toEqual([500, 1000, 2000, 4000, 8000]);
    t.last().open();
    expect(t.controller.attempt).toBe(0);
  });

  it('sends sync with the completedAt of the last final event after a reconnect', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const first = t.last();
    first.open();
    expect(first.messages()).toEqual([]); // no sync on the first connection
    first.receive({
      type: 'response.completed',
      responseId: 'r1',
      conversationId: 'c1',
      clientId: 'x',
      answer: { id: 'r1', conversationId: 'c1', type: 'text', message: 'hi' },
      completedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(t.events.map((e) => e.type)).toEqual(['response.completed']);
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.baseMs);
    await microtasks();
    const second = t.last();
    expect(second).not.toBe(first);
    second.open();
    expect(second.messages()[0]).toEqual({ type: 'sync', since: '2025-03-01T10:00:00.000Z' });
    // more to come: sync again from `until`
    second.receive({
      type: 'sync.completed',
      since: '2025-03-01T10:00:00.000Z',
      until: '2025-03-01T10:05:00.000Z',
      count: 100,
      more: true,
    });
    expect(second.messages()[1]).toEqual({ type: 'sync', since: '2025-03-01T10:05:00.000Z' });
    expect(t.controller.lastCompletedAt).toBe('2025-03-01T10:05:00.000Z');
  });

  it('on close 4001 gets a fresh token and reconnects at once', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    t.last().open();
    t.last().serverClose(4001, 'token expired');
    await microtasks();
    expect(t.refreshToken).toHaveBeenCalledTimes(1);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().protocols[1]).toBe(`parley.token.${t.tokens[1]}`);
    t.last().open();
    expect(t.last().messages()[0]?.type).toBe('sync');
  });

  it('stops on 1008 (too many invalid messages) without retrying', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    t.last().open();
    t.last().serverClose(1008);
    expect(t.controller.status).toBe('closed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.failures).toEqual(['policy']);
    t.controller.reconnectNow();
    await microtasks();
    expect(t.sockets).toHaveLength(2);
  });

  it('on 4003 (forbidden) tries once more with a new token, then gives up', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    t.last().open();
    t.last().serverClose(4003);
    expect(t.controller.status).toBe('offline');
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.baseMs);
    await microtasks();
    expect(t.refreshToken).toHaveBeenCalledTimes(1);
    expect(t.last().protocols[1]).toBe(`parley.token.${t.tokens[1]}`);
    t.last().open();
    t.last().serverClose(4003);
    expect(t.controller.status).toBe('closed');
    expect(t.failures).toEqual(['forbidden']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.sockets).toHaveLength(2);
  });

  it('comes back 1-5 s after 1001 (server restart) and waits at least a minute after 4029', async () => {
    const t = setup({ random: () => 0 });
    t.controller.start();
    await microtasks();
    t.last().open();
    let at = Date.now();
    t.last().serverClose(1001);
    expect((t.controller.retryAt ?? 0) - at).toBe(1000);
    await vi.advanceTimersByTimeAsync(1000);
    await microtasks();
    t.last().open();
    at = Date.now();
    t.last().serverClose(4029);
    expect(t.failures).toEqual(['rate_limited']);
    expect((t.controller.retryAt ?? 0) - at).toBe(60_000);
  });

  it('renews an open socket with a new token before exp (make before break), then syncs', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const old = t.last();
    old.open();
    old.receive({
      type: 'sync.completed',
      since: 'x',
      until: '2025-03-01T09:00:00.000Z',
      count: 0,
      more: false,
    });
    // the token controller has a new token now
    t.getToken.mockResolvedValue(t.tokens[1] as string);
    const renewing = t.controller.renew();
    await microtasks();
    const next = t.last();
    expect(next).not.toBe(old);
    expect(next.protocols[1]).toBe(`parley.token.${t.tokens[1]}`);
    // the old socket still works until the new one is open
    expect(old.closedByClient).toBeUndefined();
    expect(t.controller.send({ type: 'ping' })).toBe(true);
    expect(old.pings).toBe(1);
    next.open();
    await renewing;
    expect(old.closedByClient).toEqual({ code: 1000, reason: 'token renewed' });
    expect(next.messages()[0]).toEqual({ type: 'sync', since: '2025-03-01T09:00:00.000Z' });
    expect(t.controller.status).toBe('open');
    expect(t.statuses.filter((s) => s !== 'open')).toEqual(['connecting']);
    // events now come from the new socket
    next.receive({ type: 'response.error', code: 'rate_limited', message: 'x' });
    expect(t.events.at(-1)?.type).toBe('response.error');
    // the same token again: nothing to do
    await t.controller.renew();
    expect(t.sockets).toHaveLength(2);
  });

  it('keeps the old socket when the renewal fails', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const old = t.last();
    old.open();
    t.getToken.mockResolvedValue(t.tokens[1] as string);
    const renewing = t.controller.renew();
    await microtasks();
    t.last().serverClose(1006);
    await renewing;
    expect(old.closedByClient).toBeUndefined();
    expect(t.controller.status).toBe('open');
    expect(t.controller.send({ type: 'ping' })).toBe(true);
  });

  it('reports 1009 (too big) and reconnects with backoff', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    t.last().open();
    t.last().serverClose(1009);
    expect(t.failures).toEqual(['too_big']);
    expect(t.controller.status).toBe('offline');
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.baseMs);
    await microtasks();
    expect(t.sockets).toHaveLength(2);
  });

  it('retries with backoff when the token cannot be had', async () => {
    const t = setup();
    t.getToken.mockRejectedValueOnce(new Error('endpoint down'));
    t.controller.start();
    await microtasks();
    expect(t.failures).toEqual(['token']);
    expect(t.controller.status).toBe('offline');
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.baseMs);
    await microtasks();
    expect(t.sockets).toHaveLength(1);
  });

  it('after a refused handshake it asks for a new token and reports it', async () => {
    const handshakes: number[] = [];
    const t = setup({ onHandshakeFailed: (n) => handshakes.push(n) });
    t.controller.start();
    await microtasks();
    t.last().serverClose(1006); // never opened: 401/403 at the upgrade, or no network
    expect(handshakes).toEqual([1]);
    await vi.advanceTimersByTimeAsync(DEFAULT_BACKOFF.baseMs);
    await microtasks();
    expect(t.refreshToken).toHaveBeenCalledTimes(1);
    expect(t.last().protocols[1]).toBe(`parley.token.${t.tokens[1]}`);
  });

  it('pings while open and replaces a socket that went silent', async () => {
    const { ctor, sockets } = fakeSockets();
    const c = new ConnectionController(fakeHost(), {
      url: () => 'wss://x/widget/v1/ws',
      getToken: async () => 'tok',
      refreshToken: async () => 'tok2',
      WebSocket: () => ctor,
      onEvent: () => {},
      random: () => 0,
      pingIntervalMs: 1000,
    });
    c.start();
    await microtasks();
    const ws = sockets[0] as (typeof sockets)[number];
    ws.open();
    await vi.advanceTimersByTimeAsync(3000);
    expect(ws.pings).toBe(3);
    expect(c.status).toBe('open');
    // the server stops answering
    ws.send = () => {};
    await vi.advanceTimersByTimeAsync(3000);
    expect(c.status).not.toBe('open');
    expect(ws.closedByClient).toBeDefined();
    await vi.advanceTimersByTimeAsync(1000);
    await microtasks();
    expect(sockets).toHaveLength(2);
  });

  it('stop() closes the socket and cancels retries', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const ws = t.last();
    ws.open();
    t.controller.stop();
    expect(ws.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
    expect(t.controller.status).toBe('idle');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('ignores frames that are not parley.v1 events', async () => {
    const t = setup();
    t.controller.start();
    await microtasks();
    const ws = t.last();
    ws.open();
    ws.onmessage?.({ data: 'not json' } as MessageEvent);
    ws.receive({ type: 'unknown.thing' });
    ws.receive({ type: 'pong' });
    expect(t.events).toEqual([]);
  });
});
