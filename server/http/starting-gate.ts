// The server listens before its start-up work is done (the agents checked against their databases, the store opened
// and migrated, the app built), so a process that is up says so at once. Meanwhile: /healthz (liveness) answers 200,
// /readyz waits for the start-up up to its deadline and answers 503 past it, and every other request and WebSocket
// upgrade waits and is then handed to the app. Nothing is served from a model or store that has not been checked:
// when the start-up fails, the waiting requests get 503 and the process exits.
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** a load balancer must hear "not ready" quickly, even from a database that does not answer at all */
export const READINESS_DEADLINE_MS = 900;

export interface StartingGate {
  /**
   * The start-up is done: every waiting request goes to `app` and every waiting upgrade to the server's other upgrade
   * listeners (attach the widget socket first), and so does everything after.
   */
  open(app: http.RequestListener): void;
  /** The start-up failed: waiting requests are answered 503 and waiting upgrades closed. */
  fail(): void;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

const UNAVAILABLE = { error: { code: 'unavailable', message: 'the server could not start' } };

/** Takes the server's requests and upgrades until `open` (install it before `listen`). */
export function startingGate(server: http.Server): StartingGate {
  let app: http.RequestListener | undefined;
  let failed = false;
  const waiting = new Set<() => void>();
  const upgrades: Array<[http.IncomingMessage, Duplex, Buffer]> = [];

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (app) {
      app(req, res);
      return;
    }
    const route = (req.url ?? '').split('?')[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && route === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (failed) {
      sendJson(res, 503, route === '/readyz' ? { status: 'unavailable' } : UNAVAILABLE);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const go = (): void => {
      clearTimeout(timer);
      waiting.delete(go);
      if (app) app(req, res);
      else sendJson(res, 503, route === '/readyz' ? { status: 'unavailable' } : UNAVAILABLE);
    };
    waiting.add(go);
    // a load balancer must hear "not ready" quickly, a starting server included
    if (read && route === '/readyz')
      timer = setTimeout(() => {
        waiting.delete(go);
        sendJson(res, 503, { status: 'unavailable' });
      }, READINESS_DEADLINE_MS);
  });
  const holdUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    upgrades.push([req, socket, head]);
  };
  server.on('upgrade', holdUpgrade);

  return {
    open(ready) {
      app = ready;
      server.off('upgrade', holdUpgrade);
      for (const [req, socket, head] of upgrades.splice(0))
        if (!socket.destroyed) server.emit('upgrade', req, socket, head);
      for (const go of [...waiting]) go();
    },
    fail() {
      failed = true;
      server.off('upgrade', holdUpgrade);
      for (const [, socket] of upgrades.splice(0)) socket.destroy();
      for (const go of [...waiting]) go();
    },
  };
}
