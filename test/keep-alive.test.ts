// A load balancer reuses the server's idle keep-alive connections for up to its own idle timeout (AWS ALB: 60 s).
// Were the server to close them sooner (Node's default: 5 s), a request sent on one just as it closes fails.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_MS } from '../server/main.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function get(agent: http.Agent, path: string): Promise<{ status: number; keepAlive: string; port: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}${path}`, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          keepAlive: String(res.headers['keep-alive'] ?? ''),
          port: req.socket?.localPort ?? -1,
        }),
      );
    });
    req.on('error', reject);
  });
}

describe('HTTP keep-alive', () => {
  it('keeps an idle connection past Node’s 5 s default and says how long', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, '/healthz');
      expect(first.status).toBe(200);
      expect(first.keepAlive).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const second = await get(agent, '/healthz');
      expect(second.status).toBe(200);
      // the same connection: the server did not close it while it was idle
      expect(second.port).toBe(first.port);
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
