// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, fakeHost, fakeJwt, microtasks } from '../../test/support/widget-fakes.ts';
import { decodeExp, TokenController, TokenError, type TokenSource } from './token-controller.ts';

const T0 = Date.parse('2025-03-01T12:00:00Z');

describe('decodeExp', () => {
  it('reads exp from the payload without verifying anything', () => {
    expect(decodeExp(fakeJwt({ sub: 'alice', exp: 1740830400 }))).toBe(1740830400);
  });

  it('is undefined for tokens without a numeric exp or that are not JWTs', () => {
    expect(decodeExp(fakeJwt({ sub: 'alice' }))).toBeUndefined();
    expect(decodeExp(fakeJwt({ exp: 'soon' }))).toBeUndefined();
    expect(decodeExp('opaque-token')).toBeUndefined();
    expect(decodeExp('a.!!!.c')).toBeUndefined();
  });
});

describe('TokenController', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fetches from the token endpoint with the page cookies and reads { token }', async () => {
    const token = fakeJwt({ exp: T0 / 1000 + 900 });
    const { fetch, calls } = fakeFetch({ 'GET /parley/token': { body: { token } } });
    const source: TokenSource = { kind: 'endpoint', url: 'https://app.example.com/parley/token' };
    const c = new TokenController(fakeHost(), { source: () => source, fetch });
    await expect(c.get()).resolves.toBe(token);
    expect(calls[0]?.credentials).toBe('include');
    expect(c.status).toBe('ready');
    // cached
    await c.get();
    expect(calls).toHaveLength(1);
  });

  it('uses an async getToken() and accepts a string or { token }', async () => {
    const a = new TokenController(fakeHost(), {
      source: () => ({ kind: 'function', getToken: async () => 'tok-a' }),
    });
    await expect(a.get()).resolves.toBe('tok-a');
    const b = new TokenController(fakeHost(), {
      source: () => ({ kind: 'function', getToken: async () => ({ token: 'tok-b' }) }),
    });
    await expect(b.get()).resolves.toBe('tok-b');
  });

  it('shares one request between concurrent callers', async () => {
    const getToken = vi.fn(async () => 'tok');
    const c = new TokenController(fakeHost(), { source: () => ({ kind: 'function', getToken }) });
    const [x, y, z] = await Promise.all([c.get(), c.get(), c.refresh()]);
    expect([x, y, z]).toEqual(['tok', 'tok', 'tok']);
    expect(getToken).toHaveBeenCalledTimes(1);
  });

  it('refreshes 60 s before exp, on a timer, without anyone asking', async () => {
    let n = 0;
    const getToken = vi.fn(async () => {
      n += 1;
      return fakeJwt({ n, exp: Math.floor(Date.now() / 1000) + 15 * 60 });
    });
    const onToken = vi.fn();
    const c = new TokenController(fakeHost(), { source: () => ({ kind: 'function', getToken }), onToken });
    const first = await c.get();
    expect(c.refreshAt).toBe(T0 + 15 * 60_000 - 60_000);
    await vi.advanceTimersByTimeAsync(14 * 60_000 - 1);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await microtasks();
    expect(getToken).toHaveBeenCalledTimes(2);
    const second = await c.get();
    expect(second).not.toBe(first);
    expect(onToken).toHaveBeenCalledTimes(2);
    // and again before the second one expires
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    await microtasks();
    expect(getToken).toHaveBeenCalledTimes(3);
  });

  it('refreshes short-lived tokens at half their remaining life', async () => {
    const c = new TokenController(fakeHost(), {
      source: () => ({
        kind: 'function',
        getToken: async () => fakeJwt({ exp: Math.floor(Date.now() / 1000) + 60 }),
      }),
    });
    await c.get();
    expect(c.refreshAt).toBe(T0 + 30_000);
  });

  it('a token due for refresh is replaced on get()', async () => {
    let n = 0;
    const getToken = vi.fn(async () => fakeJwt({ n: ++n, exp: Math.floor(Date.now() / 1000) + 600 }));
    const c = new TokenController(fakeHost(), { source: () => ({ kind: 'function', getToken }) });
    await c.get();
    vi.setSystemTime(T0 + 590_000); // past refreshAt, timers not run
    await c.get();
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('reports a scheduled refresh that failed and retries while the token is alive', async () => {
    let fail = false;
    const getToken = vi.fn(async () => {
      if (fail) throw new Error('down');
      return fakeJwt({ exp: Math.floor(Date.now() / 1000) + 600 });
    });
    const onError = vi.fn();
    const c = new TokenController(fakeHost(), { source: () => ({ kind: 'function', getToken }), onError });
    await c.get();
    fail = true;
    await vi.advanceTimersByTimeAsync(540_000);
    await microtasks();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toBeInstanceOf(TokenError);
    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    await microtasks();
    expect(getToken).toHaveBeenCalledTimes(3);
    expect(c.status).toBe('ready');
  });

  it('fails clearly without a source, or when the endpoint refuses', async () => {
    const none = new TokenController(fakeHost(), { source: () => ({ kind: 'none' }) });
    await expect(none.get()).rejects.toMatchObject({ code: 'not_configured' });
    const { fetch } = fakeFetch({ 'GET /parley/token': { status: 401, body: {} } });
    const refused = new TokenController(fakeHost(), {
      source: () => ({ kind: 'endpoint', url: 'https://app.example.com/parley/token' }),
      fetch,
    });
    await expect(refused.get()).rejects.toMatchObject({ code: 'token_unavailable' });
    expect(refused.status).toBe('error');
  });

  it('tells an endpoint out of reach (offline) from one that answers with a refusal', async () => {
    const source: TokenSource = { kind: 'endpoint', url: 'https://app.example.com/parley/token' };
    const offline = new TokenController(fakeHost(), {
      source: () => source,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(offline.get()).rejects.toMatchObject({ code: 'token_unavailable', network: true });
    const { fetch } = fakeFetch({ 'GET /parley/token': { status: 401 } });
    const refused = new TokenController(fakeHost(), { source: () => source, fetch });
    await expect(refused.get()).rejects.toMatchObject({ code: 'token_unavailable', network: false });
  });

  it('stops its timer when the host goes away', async () => {
    const getToken = vi.fn(async () => fakeJwt({ exp: Math.floor(Date.now() / 1000) + 600 }));
    const c = new TokenController(fakeHost(), { source: () => ({ kind: 'function', getToken }) });
    await c.get();
    c.hostDisconnected();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(getToken).toHaveBeenCalledTimes(1);
  });
});
