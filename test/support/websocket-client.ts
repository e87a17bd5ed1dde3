// Test helpers for the widget socket (used by server/ws/*.test.ts, test/websocket*.test.ts and others): a
// parley.v1 client that records every event, and a raw upgrade attempt that reports the HTTP status of a refused
// handshake.
import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import type { AnswerEngine, AskInput } from '../../server/answers/engine.ts';
import { PROTOCOL, type ServerEvent, TOKEN_PROTOCOL_PREFIX, WS_PATH } from '../../server/ws/protocol.ts';

export type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}${WS_PATH}`;
}

export interface ConnectOptions {
  origin?: string;
  /** default: parley.v1 and parley.token.<token> */
  protocols?: string[];
  /** answer the server's pings (default true) */
  autoPong?: boolean;
  maxPayload?: number;
  /** extra request headers (e.g. a spoofed Host) */
  headers?: Record<string, string>;
}

export type UpgradeResult =
  | { opened: true; client: TestClient; protocol: string; responseHeaders: IncomingHttpHeaders }
  | { opened: false; status: number; body: string };

/** Tries the handshake; a refusal resolves with its HTTP status (and the socket never opens). */
export function tryConnect(
  url: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<UpgradeResult> {
  const protocols = options.protocols ?? [PROTOCOL, ...(token ? [`${TOKEN_PROTOCOL_PREFIX}${token}`] : [])];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, {
      ...(options.origin ? { origin: options.origin } : {}),
      autoPong: options.autoPong ?? true,
      ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    let responseHeaders: IncomingHttpHeaders = {};
    let settled = false;
    ws.on('upgrade', (res) => {
      responseHeaders = res.headers;
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        settled = true;
        resolve({ opened: false, status: res.statusCode ?? 0, body });
      });
      res.on('error', () => undefined);
    });
    ws.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    ws.on('open', () => {
      settled = true;
      resolve({ opened: true, client: new TestClient(ws), protocol: ws.protocol, responseHeaders });
    });
  });
}

export async function connect(url: string, token: string, options: ConnectOptions = {}): Promise<TestClient> {
  const result = await tryConnect(url, token, options);
  if (!result.opened) throw new Error(`handshake refused: ${result.status} ${result.body}`);
  return result.client;
}

interface Waiter {
  match: (e: ServerEvent) => boolean;
  resolve: (e: ServerEvent) => void;
}

export class TestClient {
  readonly events: ServerEvent[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters = new Set<Waiter>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as ServerEvent;
      this.events.push(event);
      for (const w of this.waiters) {
        if (w.match(event)) {
          this.waiters.delete(w);
          w.resolve(event);
        }
      }
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first event (already received or coming) that matches; rejects after `timeoutMs`. */
  waitForAny(
    match: (e: ServerEvent) => boolean,
    timeoutMs = 15_000,
    what = 'matching',
  ): Promise<ServerEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `no ${what} event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The first event (already received or coming) of this type that matches. */
  async waitFor<T extends ServerEvent['type']>(
    type: T,
    match: (e: EventOf<T>) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<EventOf<T>> {
    return (await this.waitForAny(
      (e) => e.type === type && match(e as EventOf<T>),
      timeoutMs,
      type,
    )) as EventOf<T>;
  }

  /** The final event (completed or error) of a response. */
  async final(
    responseId: string,
    timeoutMs = 15_000,
  ): Promise<EventOf<'response.completed'> | EventOf<'response.error'>> {
    const e = await this.waitForAny(
      (e) => (e.type === 'response.completed' || e.type === 'response.error') && e.responseId === responseId,
      timeoutMs,
      'final',
    );
    return e as EventOf<'response.completed'> | EventOf<'response.error'>;
  }

  /** Sends a question and waits for its response.created (throws on a response.error for it). */
  async ask(text: string, clientId: string, conversationId?: string): Promise<EventOf<'response.created'>> {
    this.send({ type: 'message.send', clientId, text, ...(conversationId ? { conversationId } : {}) });
    const e = await this.waitForAny(
      (e) => (e.type === 'response.created' || e.type === 'response.error') && e.clientId === clientId,
      15_000,
      'response.created',
    );
    if (e.type === 'response.error') throw new Error(`message ${clientId} refused: ${e.code} ${e.message}`);
    return e as EventOf<'response.created'>;
  }

  ofResponse(responseId: string): ServerEvent[] {
    return this.events.filter((e) => 'responseId' in e && e.responseId === responseId);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` resolves truthy. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(25);
  }
}

/**
 * Holds chosen questions before the engine sees them, until released or aborted: a deterministic "slow answer" for
 * cancel and shutdown tests. An abort rejects like the query executor does (QueryCancelledError).
 */
export class QuestionGate {
  private readonly held = new Map<string, { promise: Promise<void>; release: () => void }>();
  /** the questions whose wait was aborted (the engine call saw the AbortSignal) */
  readonly aborted: string[] = [];

  hold(question: string): () => void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held.set(question, { promise, release });
    return release;
  }

  async wait(input: AskInput): Promise<void> {
    const h = this.held.get(input.question);
    if (!h) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.aborted.push(input.question);
        reject(
          Object.assign(new Error('the query was cancelled'), {
            name: 'QueryCancelledError',
            code: 'query_cancelled',
          }),
        );
      };
      if (input.signal?.aborted) return onAbort();
      input.signal?.addEventListener('abort', onAbort, { once: true });
      void h.promise.then(resolve);
    });
  }

  /** `engine` with this gate in front of it */
  wrap(engine: AnswerEngine): AnswerEngine {
    return {
      ask: async (input) => {
        await this.wait(input);
        return engine.ask(input);
      },
      ping: () => engine.ping(),
      close: () => engine.close(),
    };
  }
}
