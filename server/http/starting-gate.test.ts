// A starting server: /healthz answers at once, /readyz waits up to its deadline, everything else waits for the app
// (or gets 503 when the start-up fails), and a WebSocket upgrade made meanwhile reaches the socket once it is ready.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { READINESS_DEADLINE_MS, startingGate } from './starting-gate.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function starting() {
  const server = http.createServer();
  servers.push(server);
  const gate = startingGate(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, gate, url };
}

const app: http.RequestListener = (req, res) => {
  res.end(`app ${req.url}`);
};

describe('startingGate', () => {
  it('answers /healthz while starting and hands waiting requests to the app once open', async () => {
    const { gate, url } = await starting();
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    let answered = false;
    const waiting = fetch(`${url}/api/v1/agents`).then(async (res) => {
      answered = true;
      return res.text();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    gate.open(app);
    expect(await waiting).toBe('app /api/v1/agents');
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('app /healthz');
  });

  it('answers /readyz 503 when the start-up takes longer than the readiness deadline', async () => {
    const { url } = await starting();
    const started = performance.now();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(READINESS_DEADLINE_MS - 50);
  });

  it('answers waiting and later requests 503 when the start-up fails; /healthz still says the process is up', async () => {
    const { gate, url } = await starting();
    const waiting = fetch(`${url}/widget/v1/config`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.fail();
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'unavailable', message: 'the server could not start' },
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('holds an upgrade until open, then gives it to the upgrade listener attached by then', async () => {
    const { server, gate } = await starting();
    const port = (server.address() as AddressInfo).port;
    const upgraded = new Promise<string>((resolve) => {
      const req = http.request({
        port,
        host: '127.0.0.1',
        headers: { Connection: 'Upgrade', Upgrade: 'test' },
      });
      req.on('upgrade', (res) => resolve(String(res.statusCode)));
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
    });
    gate.open(app);
    expect(await upgraded).toBe('101');
  });
});
