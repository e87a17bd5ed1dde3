// The parley.v1 WebSocket of the widget: the token travels as the subprotocol `parley.token.<JWT>` (never in the
// URL); lost connections come back with exponential backoff and jitter; after a reconnect the controller sends
// `sync` with the `completedAt` of the last final event it saw, so answers finished while offline still arrive.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CloseCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../server/ws/wire.ts';
import { type ClientMessage, parseServerEvent, type ServerEvent } from '../types.ts';
import { TokenError } from './token-controller.ts';

/**
 * - `idle`: not started (no server yet, or stopped)
 * - `connecting`: getting a token and opening the socket
 * - `open`: connected
 * - `offline`: the connection was lost or failed; a retry is scheduled (`retryAt`)
 * - `closed`: the server refused us for good (policy, forbidden); `reconnectNow()` tries again
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'offline' | 'closed';

/** Why the connection reported a failure to the element (shown to the user and as a parley-error event). */
export type ConnectionFailure = 'token' | 'policy' | 'forbidden' | 'too_big' | 'rate_limited';

export interface BackoffOptions {
  /** the delay cap of the first retry */
  baseMs: number;
  /** the largest delay */
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000, factor: 2 };

/** The cap of retry `attempt` (0-based): min(max, base * factor^attempt). */
export function backoffCap(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.maxMs, options.baseMs * options.factor ** Math.max(0, attempt));
}

/** Exponential backoff with "equal jitter": a delay in [cap/2, cap], so retries from many clients spread out. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const cap = backoffCap(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(cap / 2 + (cap / 2) * r);
}

/** The part of the WebSocket API the controller uses (so tests can pass a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

const OPEN = 1;
/** how far back the first sync looks when no final event was seen yet (client/server clock skew) */
const FIRST_SYNC_SKEW_MS = 5 * 60_000;

export interface ConnectionOptions {
  url: () => string;
  /** a valid token (cached) */
  getToken: (signal: AbortSignal) => Promise<string>;
  /** a new token: after close 4001, or after handshakes kept failing */
  refreshToken: (signal: AbortSignal) => Promise<string>;
  WebSocket: () => WebSocketConstructor | undefined;
  onEvent: (event: ServerEvent) => void;
  onStatus?: (status: ConnectionStatus) => void;
  onFailure?: (failure: ConnectionFailure, detail: string) => void;
  /** a handshake was refused or failed (bad token, origin not allowed or no network): the element asks /config */
  onHandshakeFailed?: (consecutive: number) => void;
  random?: () => number;
  backoff?: BackoffOptions;
  now?: () => number;
  /** a ping this often while open; a connection silent for twice as long is replaced. 0 disables. */
  pingIntervalMs?: number;
}

export class ConnectionController implements ReactiveController {
  status: ConnectionStatus = 'idle';
  /** retries since the last successful open */
  attempt = 0;
  /** when the scheduled retry happens (ms epoch), while offline */
  retryAt: number | undefined;
  /** the `since` of the next sync: the completedAt of the last final event seen */
  lastCompletedAt: string | undefined;

  private ws: WebSocketLike | undefined;
  private abort: AbortController | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private firstOpenedAt: number | undefined;
  private failedHandshakes = 0;
  private expiredCloses = 0;
  /** after 4001/4003 or a refused handshake, the next attempt must not reuse the token that failed */
  private needFreshToken = false;
  private forbiddenRetried = false;
  private lastToken: string | undefined;
  private renewing = false;
  private outbox: ClientMessage[] = [];
  private started = false;
  private readonly host: ReactiveControllerHost;
  private readonly options: ConnectionOptions;

  constructor(host: ReactiveControllerHost, options: ConnectionOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  hostConnected(): void {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
  }

  hostDisconnected(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    this.stop();
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** Opens the connection (no-op when already started). */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /** Closes the connection and cancels retries; queued messages are dropped. */
  stop(): void {
    this.started = false;
    this.teardown();
    this.outbox = [];
    this.setStatus('idle');
  }

  /** Retries at once (the offline indicator's button, the browser coming back online, a new token source). */
  reconnectNow(): void {
    if (this.status === 'closed') this.needFreshToken = true;
    this.teardown();
    this.started = true;
    this.attempt = 0;
    this.forbiddenRetried = false;
    void this.connect();
  }

  /** Sends now when open, else queues it for the next open (sync and ping are never queued). */
  send(message: ClientMessage): boolean {
    if (this.ws && this.ws.readyState === OPEN && this.status === 'open') {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    if (message.type !== 'sync' && message.type !== 'ping') this.outbox = [...this.outbox, message];
    return false;
  }

  /** Removes queued messages that match (e.g. a message.send whose turn the user stopped). */
  dropQueued(predicate: (message: ClientMessage) => boolean): void {
    this.outbox = this.outbox.filter((m) => !predicate(m));
  }

  private readonly onOnline = (): void => {
    if (this.started && (this.status === 'offline' || this.status === 'closed')) this.reconnectNow();
  };

  private readonly onOffline = (): void => {
    if (this.started && this.status === 'open') this.lost();
  };

  private teardown(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
    this.stopPing();
    this.abort?.abort();
    this.abort = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
      try {
        ws.close(1000, 'client closed');
      } catch {
        // already closed
      }
    }
  }

  /** A token for the next socket: a fresh one when the last one was refused or expired. */
  private async tokenFor(signal: AbortSignal): Promise<string> {
    const token = await this.options.getToken(signal);
    if (this.needFreshToken && token === this.lastToken) return this.options.refreshToken(signal);
    return token;
  }

  private async connect(): Promise<void> {
    if (!this.started) return;
    const Ctor = this.options.WebSocket();
    if (!Ctor) {
      this.setStatus('closed');
      this.options.onFailure?.('policy', 'WebSocket is not available');
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.setStatus('connecting');
    let token: string;
    try {
      token = await this.tokenFor(abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return;
      // a token source out of reach is the network, which the offline status already says: not a sign-in failure
      if (!(err instanceof TokenError && err.network))
        this.options.onFailure?.('token', err instanceof Error ? err.message : String(err));
      this.scheduleRetry();
      return;
    }
    if (abort.signal.aborted || !this.started) return;
    let ws: WebSocketLike;
    try {
      ws = new Ctor(this.options.url(), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]);
    } catch (err) {
      this.options.onFailure?.('policy', err instanceof Error ? err.message : String(err));
      this.setStatus('closed');
      return;
    }
    this.ws = ws;
    this.lastToken = token;
    this.needFreshToken = false;
    this.wire(ws, false);
  }

  /** Routes a socket's events to the controller while it is the current one. */
  private wire(ws: WebSocketLike, alreadyOpen: boolean): void {
    let opened = alreadyOpen;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.onFrame(ev.data);
    };
    ws.onerror = () => {
      // a close event always follows
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stopPing();
      this.onClose(ev.code, ev.reason, opened);
    };
  }

  /**
   * Replaces the open socket with one that carries the current token, before the server closes the old one at
   * the token's exp (make before break: the old socket keeps working until the new one is open). A failed
   * attempt changes nothing; the server's 4001 then leads to an ordinary reconnect.
   */
  async renew(): Promise<void> {
    const current = this.ws;
    if (this.status !== 'open' || !current || this.renewing) return;
    const Ctor = this.options.WebSocket();
    if (!Ctor) return;
    this.renewing = true;
    const abort = new AbortController();
    try {
      const token = await this.options.getToken(abort.signal);
      if (token === this.lastToken || this.ws !== current || this.status !== 'open') return;
      const next = new Ctor(this.options.url(), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]);
      await new Promise<void>((resolve) => {
        next.onerror = () => {};
        next.onmessage = null;
        next.onclose = () => resolve();
        next.onopen = () => {
          if (this.ws !== current || this.status !== 'open' || !this.started) {
            next.onclose = null;
            next.close(1000, 'not needed');
            resolve();
            return;
          }
          this.ws = next;
          this.lastToken = token;
          this.wire(next, true);
          current.onopen = current.onclose = current.onmessage = current.onerror = null;
          try {
            current.close(1000, 'token renewed');
          } catch {
            // already closed
          }
          this.lastFrameAt = this.now();
          this.send({ type: 'sync', since: this.syncSince() });
          resolve();
        };
      });
    } catch {
      // keep the current socket
    } finally {
      this.renewing = false;
    }
  }

  /** The `since` of a sync: the last final event seen, or (before any) shortly before the first connection. */
  private syncSince(): string {
    if (this.lastCompletedAt) return this.lastCompletedAt;
    return new Date((this.firstOpenedAt ?? this.now()) - FIRST_SYNC_SKEW_MS).toISOString();
  }

  private onOpen(): void {
    const reconnect = this.firstOpenedAt !== undefined;
    if (this.firstOpenedAt === undefined) this.firstOpenedAt = this.now();
    this.attempt = 0;
    this.failedHandshakes = 0;
    this.lastFrameAt = this.now();
    this.setStatus('open');
    if (reconnect) this.send({ type: 'sync', since: this.syncSince() });
    const queued = this.outbox;
    this.outbox = [];
    for (const message of queued) this.send(message);
    this.startPing();
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = this.now();
    const event = parseServerEvent(data);
    if (!event) return;
    switch (event.type) {
      case 'response.completed':
      case 'response.error':
        if (event.completedAt) this.advanceCursor(event.completedAt);
        break;
      case 'sync.completed':
        this.advanceCursor(event.until);
        if (event.more) this.send({ type: 'sync', since: event.until });
        break;
      case 'pong':
        return;
      default:
        break;
    }
    this.options.onEvent(event);
  }

  private advanceCursor(at: string): void {
    if (!this.lastCompletedAt || Date.parse(at) >= Date.parse(this.lastCompletedAt))
      this.lastCompletedAt = at;
  }

  private onClose(code: number, reason: string, opened: boolean): void {
    if (!this.started) return;
    if (!opened) {
      // a refused handshake (401/403/429 at the upgrade) looks like 1006: a new token next time
      this.failedHandshakes += 1;
      this.needFreshToken = true;
      this.options.onHandshakeFailed?.(this.failedHandshakes);
    }
    if (opened) this.expiredCloses = code === CloseCode.tokenExpired ? this.expiredCloses + 1 : 0;
    if (code !== CloseCode.forbidden) this.forbiddenRetried = false;
    switch (code) {
      case CloseCode.tokenExpired:
        // token expired: a fresh token, and straight back (backoff only if this keeps happening)
        this.needFreshToken = true;
        if (opened && this.expiredCloses <= 1) {
          void this.connect();
          return;
        }
        this.scheduleRetry();
        return;
      case CloseCode.forbidden:
        // forbidden: one more try with a new token, then give up
        if (!this.forbiddenRetried) {
          this.forbiddenRetried = true;
          this.needFreshToken = true;
          this.scheduleRetry();
          return;
        }
        this.setStatus('closed');
        this.options.onFailure?.('forbidden', reason);
        return;
      case CloseCode.policyViolation:
        // too many invalid messages: a client bug, not worth retrying on its own
        this.setStatus('closed');
        this.options.onFailure?.('policy', reason);
        return;
      case CloseCode.messageTooBig:
        this.options.onFailure?.('too_big', reason);
        this.scheduleRetry();
        return;
      case CloseCode.goingAway:
        // the server is restarting: back after 1-5 s
        this.scheduleRetry(1000 + 4000 * this.random());
        return;
      case CloseCode.tooManyRequests:
        // kept sending while rate limited: at least a minute
        this.options.onFailure?.('rate_limited', reason);
        this.scheduleRetry(60_000 + 30_000 * this.random());
        return;
      default:
        this.scheduleRetry();
        return;
    }
  }

  /** The connection is gone without a close frame (browser offline, heartbeat silence). */
  private lost(): void {
    const ws = this.ws;
    this.teardown();
    if (ws) this.scheduleRetry();
  }

  /** Retries after `delayMs`, or else after the backoff delay of the next attempt. */
  private scheduleRetry(delayMs?: number): void {
    if (!this.started) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const delay =
      delayMs !== undefined
        ? Math.round(delayMs)
        : backoffDelay(this.attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.attempt += 1;
    this.retryAt = this.now() + delay;
    this.setStatus('offline');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = undefined;
      void this.connect();
    }, delay);
  }

  private startPing(): void {
    this.stopPing();
    const every = this.options.pingIntervalMs ?? 25_000;
    if (every <= 0) return;
    this.pingTimer = setInterval(() => {
      if (this.now() - this.lastFrameAt > every * 2) {
        this.lost();
        return;
      }
      this.send({ type: 'ping' });
    }, every);
  }

  private stopPing(): void {
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
    this.host.requestUpdate();
  }
}
