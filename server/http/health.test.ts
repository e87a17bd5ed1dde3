// /metrics is off the public port unless a bearer token is configured; a separate listen address serves it alone.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.ts';

const TOKEN = 'a-metrics-token-that-is-long-enough';
const started: TestServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function start(env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const server = await startTestServer({ env });
  started.push(server);
  return server;
}

describe('/metrics', () => {
  it('is not served on the public port by default; health still is', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.metricsUrl).toBeUndefined();
  });

  it('needs the bearer token on the public port when one is configured', async () => {
    const server = await start({ PARLEY_METRICS_TOKEN: TOKEN });
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`]) {
      const res = await fetch(`${server.url}/metrics`, authorization ? { headers: { authorization } } : {});
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('invalid_credentials');
    }
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('parley_http_requests_total');
  });

  it('is served alone, without a token, on a separate listen address', async () => {
    const server = await start({ PARLEY_METRICS_PORT: '0' });
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('parley_websocket_connections');
    expect((await fetch(`${server.metricsUrl}/widget/v1/config`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});
