// Test doubles for the widget's tests: a scriptable WebSocket, a routed fetch, a fake XHR and unsigned JWTs.
import type { WebSocketConstructor, WebSocketLike } from '../../widget/controllers/connection-controller.ts';
import type { ClientMessage } from '../../widget/types.ts';

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  pings = 0;
  closedByClient: { code?: number; reason?: string } | undefined;
  onopen: ((ev: Event) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  readonly url: string;
  readonly protocols: string[];

  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    // like the server: answer pings (and keep them out of what the test reads)
    if ((JSON.parse(data) as { type?: string }).type === 'ping') {
      this.pings += 1;
      queueMicrotask(() => this.receive({ type: 'pong' }));
      return;
    }
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.readyState = 3;
    this.closedByClient = { code, reason };
  }

  // ---- driven by the test ----
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  receive(event: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(event) } as MessageEvent);
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: code !== 1006 } as CloseEvent);
  }

  messages(): ClientMessage[] {
    return this.sent.map((s) => JSON.parse(s) as ClientMessage);
  }
}

/** A WebSocket constructor whose instances the test can reach. */
export function fakeSockets(): { ctor: WebSocketConstructor; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  class Ctor extends FakeSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return {
    ctor: Ctor,
    sockets,
    last() {
      const s = sockets[sockets.length - 1];
      if (!s) throw new Error('no socket was opened');
      return s;
    },
  };
}

function b64url(text: string): string {
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unsigned JWT-shaped token (the widget never verifies signatures). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.c2lnbmF0dXJl`;
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

export type Route = (req: RecordedRequest) => {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
};

/** A fetch that answers from routes keyed "METHOD /path" (path without origin, query kept), and records calls. */
export function fakeFetch(
  routes: Record<string, Route | { status?: number; body?: unknown; headers?: Record<string, string> }>,
) {
  const calls: RecordedRequest[] = [];
  const fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers as Record<string, string>) ?? {}))
      headers[k.toLowerCase()] = v;
    const req: RecordedRequest = {
      url: input,
      method,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
      credentials: init.credentials,
    };
    calls.push(req);
    const key = `${method} ${url.pathname}${url.search}`;
    const route = routes[key] ?? routes[`${method} ${url.pathname}`];
    if (!route)
      return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${key}` } }), {
        status: 404,
      });
    const answer = typeof route === 'function' ? route(req) : route;
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
      status,
      headers: { 'content-type': 'application/json', ...(answer.headers ?? {}) },
    });
  };
  return { fetch, calls };
}

/** A scriptable XMLHttpRequest: the test decides progress and the response. */
export class FakeXhr {
  static instances: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  aborted = false;
  upload: { onprogress: ((ev: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  constructor() {
    FakeXhr.instances.push(this);
  }

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }

  send(body: unknown): void {
    this.body = body;
  }

  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }

  // ---- driven by the test ----
  progress(loaded: number, total: number): void {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }

  respond(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

/** Lets pending promises and Lit updates settle. */
export async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i += 1) await new Promise<void>((r) => setTimeout(r, 0));
}

/** A ReactiveControllerHost for testing controllers without an element. */
export function fakeHost() {
  let updates = 0;
  return {
    addController() {},
    removeController() {},
    requestUpdate() {
      updates += 1;
    },
    get updates() {
      return updates;
    },
    updateComplete: Promise.resolve(true),
  };
}

/** Runs queued microtasks (works under fake timers). */
export async function microtasks(times = 10): Promise<void> {
  for (let i = 0; i < times; i += 1) await Promise.resolve();
}
