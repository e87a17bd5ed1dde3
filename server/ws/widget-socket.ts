// The widget WebSocket at /widget/v1/ws (protocol parley.v1, see docs/protocol.md). `ws` in noServer mode: the HTTP
// server's `upgrade` event verifies the session token (offered as the subprotocol `parley.token.<JWT>`) and the page
// origin BEFORE the handshake completes; a refusal is a plain HTTP answer on the raw socket, never a 101.

import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import {
  type AnswerRun,
  type CancelReason,
  describeFailure,
  type RunOutcome,
  startAnswer,
} from '../answers/runs.ts';
import { AuthError } from '../auth/claims.ts';
import { type Owner, ownerKey, ownerOf } from '../auth/owner.ts';
import { RevocationStore } from '../auth/revocations.ts';
import type { ClusterMessage } from '../cluster/shared-state.ts';
import { SharedSocketCount } from '../cluster/socket-count.ts';
import type { AppDeps, VerifiedSession } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import {
  logRefusedOrigin,
  originAllowedForAgent,
  originAllowedForAnyAgent,
} from '../http/widget-v1/origin.ts';
import { checkConversationLimits } from '../limits/conversation-creation.ts';
import { checkRateLimit, type RateLimitOptions, TokenBucket } from '../limits/question-rate.ts';
import { frontDoorLimits } from '../limits/settings.ts';
import { type MessageBudgetOptions, messageBudget } from './message-budget.ts';
import {
  CloseCode,
  MAX_PAYLOAD_BYTES,
  type MessageSend,
  offeredProtocols,
  PROTOCOL,
  parseClientMessage,
  type ResponseErrorEvent,
  type ServerEvent,
  STAGE_MESSAGES,
  TOKEN_PROTOCOL_PREFIX,
  WS_PATH,
} from './protocol.ts';

export interface WidgetSocketOptions {
  /** default /widget/v1/ws */
  path?: string;
  /** ping every this many ms; a peer that has not answered the previous ping is terminated. Default 30 s */
  heartbeatMs?: number;
  /** largest frame/message in bytes; bigger closes with 1009. Default 64 KiB */
  maxPayload?: number;
  /** answers one connection may have in flight at once. Default 2 */
  maxInFlight?: number;
  /** open sockets one user may have; more are refused with HTTP 429. Default 10 */
  maxSocketsPerUser?: number;
  /** invalid messages a connection may send (burst, then per minute) before it is closed with 1008. Default 20 */
  invalidMessages?: RateLimitOptions;
  /** rate-limited messages a connection may keep sending before it is closed with 4029. Default 20 */
  rejectedMessages?: RateLimitOptions;
  /** syncs per connection. Default burst 5, 20 a minute */
  syncs?: RateLimitOptions;
  /** messages of any type per socket and per user (default: the config's `limits.socketMessages`) */
  messageBudget?: MessageBudgetOptions;
  /** how often open sockets are checked against revocations in the store (closed with 4003 `token revoked`). Default 5 s */
  revocationCheckMs?: number;
  /** on close(): how long in-flight answers may take to finish before they are cancelled. Default 5 s */
  shutdownGraceMs?: number;
  /** on close(): how long to wait for the clients' close handshakes before terminating. Default 2 s */
  closeTimeoutMs?: number;
}

export interface WidgetSocketServer {
  /** stops taking sockets, lets in-flight answers finish (or cancels them after the grace time), closes every socket with 1001 */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2_147_483_647;

/**
 * A random UUID kept for a socket's life, as one flat string: crypto.randomUUID joins it from some twenty pieces,
 * which V8 keeps as a tree of them (about 490 bytes, against 64 flat) for as long as the string lives.
 */
function socketUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/** What every log line about one socket says of it. */
interface SocketLogFields {
  socket: number;
  agentId: string;
}

interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with a plain HTTP error on the raw socket and destroys it (never a 101). */
function refuse(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  const headers: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    ...refusal.headers,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  const status = `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? 'Error'}`;
  socket.once('finish', () => socket.destroy());
  socket.end(`${status}\r\n${head}\r\n\r\n${body}`);
  // a peer that never reads must not keep the socket
  setTimeout(() => socket.destroy(), 1000).unref();
}

class Connection {
  alive = true;
  /** messages being set up (before their run exists) plus running answers */
  pending = 0;
  /** set once the message budget is spent: later messages are dropped unread while the socket closes */
  overBudget = false;
  /** messages counted but not yet answered by the limiter */
  awaitingBudget = 0;
  /** this socket's key in the message budget (unique across instances sharing a limiter store) */
  readonly budgetKey = socketUuid();
  readonly runs = new Set<AnswerRun>();
  readonly owner: Owner;
  readonly ownerKey: string;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** frames sent in this turn of the event loop wait for its end, to leave in one write */
  private corked = false;
  // made at a socket's first invalid, rejected or sync message: a bucket starts full, so one made then is the one
  // made at connect (refills stop at full), and most sockets never need one (about 200 bytes an idle socket)
  private invalidBucket: TokenBucket | undefined;
  private rejectedBucket: TokenBucket | undefined;
  private syncsBucket: TokenBucket | undefined;

  constructor(
    readonly ws: WebSocket,
    /** the connection under `ws` */
    private readonly socket: Duplex,
    readonly session: VerifiedSession,
    readonly id: number,
    /** this socket in the user's count across instances (Redis) */
    readonly member: string,
    private readonly options: Required<
      Pick<WidgetSocketOptions, 'invalidMessages' | 'rejectedMessages' | 'syncs'>
    >,
  ) {
    this.owner = ownerOf(session);
    this.ownerKey = ownerKey(this.owner);
  }

  get invalid(): TokenBucket {
    this.invalidBucket ??= new TokenBucket(this.options.invalidMessages);
    return this.invalidBucket;
  }

  get rejected(): TokenBucket {
    this.rejectedBucket ??= new TokenBucket(this.options.rejectedMessages);
    return this.rejectedBucket;
  }

  get syncs(): TokenBucket {
    this.syncsBucket ??= new TokenBucket(this.options.syncs);
    return this.syncsBucket;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get inFlight(): number {
    return this.pending + this.runs.size;
  }

  send(event: ServerEvent): void {
    if (!this.open) return;
    // an answer's events come in bursts (created and the first progress events, then the last with the answer):
    // each burst is one write, not a write per frame (writev was 6% of the server's time under load)
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.ws.send(JSON.stringify(event));
  }

  error(fields: Omit<ResponseErrorEvent, 'type'>): void {
    this.send({ type: 'response.error', ...fields });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING)
      this.ws.close(code, reason);
  }

  /** closes with 4001 when the token expires (the widget reconnects with a fresh token) */
  armExpiry(now: () => number): void {
    const left = this.session.expiresAt.getTime() - now();
    if (left <= 0) {
      this.close(CloseCode.tokenExpired, 'token expired');
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(now), Math.min(left, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }

  disarm(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }
}

export function attachWidgetSocket(
  server: http.Server,
  deps: AppDeps,
  options: WidgetSocketOptions = {},
): WidgetSocketServer {
  const path = options.path ?? WS_PATH;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const maxInFlight = options.maxInFlight ?? 2;
  const maxSocketsPerUser = options.maxSocketsPerUser ?? 10;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  const perConnection = {
    invalidMessages: options.invalidMessages ?? { burst: 20, perMinute: 20 },
    rejectedMessages: options.rejectedMessages ?? { burst: 20, perMinute: 20 },
    syncs: options.syncs ?? { burst: 5, perMinute: 20 },
  };
  // each socket makes its buckets when first needed: bad limits fail here, at start, not at a user's message
  for (const limit of Object.values(perConnection)) checkRateLimit(limit);
  const limiter = deps.questionLimiter;
  const budgetOptions = options.messageBudget ?? frontDoorLimits(deps.config.config.limits).socketMessages;
  const budget = messageBudget(deps.limiters, budgetOptions);
  const socketBudgetPoints = budgetOptions.perSocket.points;
  const log = deps.logger.child({ component: 'widget-socket' });
  const shared = deps.shared?.mode === 'redis' ? deps.shared : undefined;
  const socketCount = shared?.redis ? new SharedSocketCount(shared.redis, heartbeatMs * 3) : undefined;
  /** cancels asked of other instances, waiting for the one making the answer to say it stopped it */
  const cancelAcks = new Map<string, () => void>();
  const now = () => Date.now(); // token expiry is real time (jsonwebtoken checks exp against it), not the app clock

  const connections = new Set<Connection>();
  const byOwner = new Map<string, Set<Connection>>();
  /** in-flight WebSocket answers by response id, for response.cancel from any socket of the same user */
  const runsById = new Map<string, { run: AnswerRun; ownerKey: string }>();
  let nextId = 1;
  let closing: Promise<void> | undefined;

  // `ws` loads with the first upgrade, not before the server's first /healthz (a tenth of start-up)
  let wssLoading: Promise<WebSocketServer> | undefined;
  const webSocketServer = (): Promise<WebSocketServer> => {
    wssLoading ??= import('ws').then(({ WebSocketServer }) => {
      const wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        perMessageDeflate: false,
        maxPayload: options.maxPayload ?? MAX_PAYLOAD_BYTES,
        // select parley.v1 only: the token subprotocol is never echoed back
        handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
      });
      wss.on('error', (err) => log.error({ err }, 'websocket server error'));
      return wss;
    });
    return wssLoading;
  };

  // ---- the handshake ----------------------------------------------------------------------------

  /** tokens of users blocked by the message budget, until when (bounded: cleared past 10,000) */
  const blockedTokens = new Map<string, number>();
  function tooManyMessages(seconds: number): Refusal {
    deps.metrics.refusals.inc({ reason: 'message_budget' });
    return {
      status: 429,
      code: 'too_many_messages',
      message: `this user sent too many messages: try again in ${seconds} s`,
      headers: { 'Retry-After': String(seconds) },
    };
  }

  async function admit(req: http.IncomingMessage): Promise<VerifiedSession | Refusal> {
    if (closing) return { status: 503, code: 'shutting_down', message: 'the server is shutting down' };
    const protocols = offeredProtocols(req.headers['sec-websocket-protocol']);
    if (!protocols.includes(PROTOCOL)) {
      return { status: 400, code: 'protocol_required', message: `offer the ${PROTOCOL} subprotocol` };
    }
    const tokens = protocols.filter((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (tokens.length === 0) {
      return {
        status: 401,
        code: 'missing_credentials',
        message: `offer the session token as ${TOKEN_PROTOCOL_PREFIX}<token>`,
      };
    }
    if (tokens.length > 1)
      return { status: 401, code: 'invalid_token', message: 'offer exactly one session token' };
    const origin = req.headers.origin;
    // cheap first: an origin no agent allows is refused before the token is even looked at
    if (!originAllowedForAnyAgent(deps, origin)) {
      if (origin !== undefined) logRefusedOrigin(deps, origin, undefined);
      return { status: 403, code: 'origin_not_allowed', message: 'this page’s origin is not allowed' };
    }
    const token = (tokens[0] ?? '').slice(TOKEN_PROTOCOL_PREFIX.length);
    // a user blocked for flooding who keeps reconnecting with the same token is refused before any verification
    const blockedUntil = blockedTokens.get(token);
    if (blockedUntil !== undefined) {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left > 0) return tooManyMessages(left);
      blockedTokens.delete(token);
    }
    let session: VerifiedSession;
    try {
      session = await deps.sessions.verify(token);
    } catch (err) {
      if (err instanceof AuthError) return { status: err.status, code: err.code, message: err.message };
      log.error({ err }, 'session verification failed');
      return { status: 500, code: 'internal_error', message: 'something went wrong on our side' };
    }
    if (!deps.config.agents.has(session.agentId))
      return { status: 401, code: 'invalid_token', message: 'unknown agent' };
    if (!originAllowedForAgent(deps, session.agentId, origin)) {
      if (origin !== undefined) logRefusedOrigin(deps, origin, session.agentId);
      return {
        status: 403,
        code: 'origin_not_allowed',
        message: 'this page’s origin is not allowed to use this agent',
      };
    }
    if (session.expiresAt.getTime() <= now())
      return { status: 401, code: 'token_expired', message: 'the token has expired' };
    const blocked = await budget.userBlockedFor(ownerKey(ownerOf(session)));
    if (blocked > 0) {
      if (blockedTokens.size >= 10_000) blockedTokens.clear();
      blockedTokens.set(token, Date.now() + blocked * 1000);
      return tooManyMessages(blocked);
    }
    const open = byOwner.get(ownerKey(ownerOf(session)))?.size ?? 0;
    if (open >= maxSocketsPerUser) {
      return {
        status: 429,
        code: 'too_many_sockets',
        message: `at most ${maxSocketsPerUser} open sockets per user`,
      };
    }
    if (closing) return { status: 503, code: 'shutting_down', message: 'the server is shutting down' };
    return session;
  }

  /** an upgrade that failed on our side: 500 on the raw socket, after undoing what was counted */
  const failed =
    (socket: Duplex, undo?: () => void) =>
    (err: unknown): void => {
      undo?.();
      log.error({ err }, 'websocket upgrade failed');
      refuse(socket, { status: 500, code: 'internal_error', message: 'something went wrong on our side' });
    };

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const onSocketError = (err: Error) => {
      log.debug({ err }, 'upgrade socket error');
      socket.destroy();
    };
    socket.on('error', onSocketError);
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== path) {
      // another upgrade handler may want it; alone, answer 404
      socket.off('error', onSocketError);
      if (server.listenerCount('upgrade') <= 1) {
        socket.on('error', () => socket.destroy());
        refuse(socket, { status: 404, code: 'not_found', message: 'no such WebSocket endpoint' });
      }
      return;
    }
    admit(req).then((result) => {
      if (socket.destroyed) return;
      if ('status' in result) {
        log.info(
          { status: result.status, code: result.code, origin: req.headers.origin },
          'websocket refused',
        );
        refuse(socket, result);
        return;
      }
      const member = `${deps.shared?.instanceId ?? 'local'}:${socketUuid()}`;
      const counted = socketCount
        ? socketCount.admit(ownerKey(ownerOf(result)), member, maxSocketsPerUser).catch((err: unknown) => {
            // Redis away: this instance's own count (checked in admit) still holds
            log.warn({ err }, 'could not count the socket across instances');
            return true;
          })
        : Promise.resolve(true);
      void Promise.all([counted, webSocketServer()]).then(
        ([ok, wss]) => {
          if (socket.destroyed) {
            socketCount?.release(ownerKey(ownerOf(result)), member);
            return;
          }
          if (!ok) {
            refuse(socket, {
              status: 429,
              code: 'too_many_sockets',
              message: `at most ${maxSocketsPerUser} open sockets per user`,
            });
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) => {
            socket.off('error', onSocketError);
            onConnection(ws, socket, result, member);
          });
        },
        failed(socket, () => socketCount?.release(ownerKey(ownerOf(result)), member)),
      );
    }, failed(socket));
  }
  server.on('upgrade', onUpgrade);

  // ---- a connection -----------------------------------------------------------------------------

  function onConnection(ws: WebSocket, socket: Duplex, session: VerifiedSession, member: string): void {
    const conn = new Connection(ws, socket, session, nextId++, member, perConnection);
    // the socket's log fields, given with each line: a child logger per socket kept a logger and its bindings string
    // for every idle socket, to write a line or two
    const where: SocketLogFields = { socket: conn.id, agentId: session.agentId };
    ws.on('error', (err) => log.debug({ ...where, err }, 'socket error'));
    connections.add(conn);
    let mine = byOwner.get(conn.ownerKey);
    if (!mine) {
      mine = new Set();
      byOwner.set(conn.ownerKey, mine);
    }
    mine.add(conn);
    deps.metrics.openSockets.inc();
    log.debug(where, 'socket open');
    // the user is about to ask: their tenant's value lists are read now, not while their first question waits
    void deps.engine.prepare?.({ agentId: session.agentId, userContext: session.userContext });

    ws.on('close', (code) => {
      conn.disarm();
      connections.delete(conn);
      const set = byOwner.get(conn.ownerKey);
      set?.delete(conn);
      if (set?.size === 0) byOwner.delete(conn.ownerKey);
      socketCount?.release(conn.ownerKey, conn.member);
      deps.metrics.openSockets.dec();
      log.debug({ ...where, code, inFlight: conn.runs.size }, 'socket closed');
      // in-flight answers go on: they are recorded, and delivered to the user's other sockets or by a later sync
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      conn.alive = true;
      if (conn.overBudget) return;
      // more messages awaiting the limiter than the socket's whole budget: over, known without asking (a flood
      // arrives thousands of frames per read)
      if (conn.awaitingBudget >= socketBudgetPoints) {
        overBudget(conn, where);
        return;
      }
      conn.awaitingBudget += 1;
      // counted before it is even parsed; the limiter answers in order, so messages are handled in order
      budget.take(conn.budgetKey, conn.ownerKey).then(
        (taken) => {
          conn.awaitingBudget -= 1;
          if (!conn.open) return;
          if (!taken.ok) {
            overBudget(conn, where);
            return;
          }
          try {
            onMessage(conn, data, isBinary);
          } catch (err) {
            log.error({ ...where, err }, 'message handler failed');
            conn.close(CloseCode.internalError, 'internal error');
          }
        },
        (err: unknown) => {
          conn.awaitingBudget -= 1;
          // the limiter's store failed: fail closed
          log.error({ ...where, err }, 'message budget unavailable');
          conn.close(CloseCode.internalError, 'internal error');
        },
      );
    });
    conn.armExpiry(now);
  }

  function onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      invalidMessage(conn, 'binary frames are not accepted: send JSON text');
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      invalidMessage(conn, parsed.error, parsed.clientId);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'message.send':
        void send(conn, message);
        return;
      case 'response.cancel':
        void cancel(conn, message.responseId);
        return;
      case 'sync':
        void sync(conn, message.since);
        return;
      case 'ping':
        conn.send({ type: 'pong' });
        return;
    }
  }

  function overBudget(conn: Connection, where: SocketLogFields): void {
    if (conn.overBudget) return;
    conn.overBudget = true;
    deps.metrics.refusals.inc({ reason: 'message_budget' });
    log.info(where, 'message budget spent: closing with 4029');
    // stop reading what the peer keeps sending; messages already counted are answered first, then the close
    conn.ws.pause();
    setImmediate(() => conn.close(CloseCode.tooManyRequests, 'too many messages'));
    // a peer that ignores the close frame must not keep the socket
    setTimeout(() => conn.ws.terminate(), 1000).unref();
  }

  function invalidMessage(conn: Connection, message: string, clientId?: string): void {
    conn.error({ code: 'invalid_message', message, ...(clientId ? { clientId } : {}) });
    if (!conn.invalid.take().ok) conn.close(CloseCode.policyViolation, 'too many invalid messages');
  }

  async function send(conn: Connection, message: MessageSend): Promise<void> {
    const { clientId } = message;
    if (conn.inFlight >= maxInFlight) {
      conn.error({
        clientId,
        code: 'too_many_in_flight',
        message: `at most ${maxInFlight} answers at once on one connection`,
      });
      return;
    }
    conn.pending += 1;
    const allowed = await limiter.take(conn.ownerKey).finally(() => {
      conn.pending -= 1;
    });
    if (!allowed.ok) {
      conn.error({
        clientId,
        code: 'rate_limited',
        message: `too many questions: try again in ${allowed.retryAfter} s`,
        retryAfter: allowed.retryAfter,
      });
      if (!conn.rejected.take().ok) conn.close(CloseCode.tooManyRequests, 'too many requests');
      return;
    }
    conn.pending += 1;
    let run: AnswerRun;
    try {
      const conversationId = message.conversationId;
      if (conversationId !== undefined) {
        const owned = await deps.store.getConversation(conversationId, {
          agentId: conn.owner.agentId,
          userIdentifier: conn.owner.userIdentifier,
          userContext: conn.owner.userContext,
        });
        if (!owned) {
          conn.error({ clientId, conversationId, code: 'not_found', message: 'conversation not found' });
          return;
        }
      } else {
        // a new conversation is created with its first question (one unit of work), within the user's allowance
        try {
          await checkConversationLimits(deps, conn.owner);
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          conn.error({
            clientId,
            code: err.code === 'conversation_limit' ? 'conversation_limit' : 'rate_limited',
            message: err.message,
            ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}),
          });
          return;
        }
      }
      let responseId = '';
      run = await startAnswer(deps, {
        owner: conn.owner,
        conversationId,
        question: message.text,
        surface: 'ws',
        onConversation: (id) => conn.send({ type: 'conversation.created', conversationId: id, clientId }),
        onCreated: (response) => {
          responseId = response.id;
          conn.send({
            type: 'response.created',
            responseId,
            conversationId: response.conversationId,
            clientId,
          });
        },
        hooks: {
          onProgress: (stage) =>
            conn.send({ type: 'response.progress', responseId, stage, message: STAGE_MESSAGES[stage] }),
          onDelta: (text) => conn.send({ type: 'response.delta', responseId, text }),
        },
      });
    } catch (err) {
      log.error({ err, socket: conn.id }, 'could not start an answer');
      const { code, message } = describeFailure(err);
      conn.error({ clientId, code, message });
      return;
    } finally {
      conn.pending -= 1;
    }
    conn.runs.add(run);
    runsById.set(run.id, { run, ownerKey: conn.ownerKey });
    const outcome = await run.done;
    conn.runs.delete(run);
    runsById.delete(run.id);
    deliver(conn, run, clientId, outcome);
  }

  /** The final event goes to the socket that asked; when it has closed, to the user's other open sockets (a reconnect). */
  function deliver(conn: Connection, run: AnswerRun, clientId: string, outcome: RunOutcome): void {
    const event: ServerEvent =
      outcome.status === 'completed'
        ? {
            type: 'response.completed',
            responseId: run.id,
            conversationId: run.conversationId,
            answer: outcome.answer,
            completedAt: outcome.completedAt,
          }
        : {
            type: 'response.error',
            responseId: run.id,
            conversationId: run.conversationId,
            code: outcome.code,
            message: outcome.message,
          };
    if (conn.open) {
      conn.send({ ...event, clientId } as ServerEvent);
      return;
    }
    // the asking socket is gone: a reconnect may be open here, or on another instance
    deliverToOwner(conn.ownerKey, event);
    shared?.publish({ from: shared.instanceId, kind: 'final', ownerKey: conn.ownerKey, event });
  }

  function deliverToOwner(key: string, event: ServerEvent): void {
    for (const target of byOwner.get(key) ?? []) if (target.open) target.send(event);
  }

  shared?.onMessage((message: ClusterMessage) => {
    if (message.kind === 'final') {
      deliverToOwner(message.ownerKey, message.event as unknown as ServerEvent);
    } else if (message.kind === 'cancel') {
      const entry = runsById.get(message.responseId);
      if (!entry || entry.ownerKey !== message.ownerKey) return;
      shared.publish({
        from: shared.instanceId,
        kind: 'cancel-ack',
        requestId: message.requestId,
        to: message.from,
      });
      void entry.run.cancel();
    } else if (message.kind === 'cancel-ack' && message.to === shared.instanceId) {
      cancelAcks.get(message.requestId)?.();
    }
  });

  /** Asks the other instances to cancel an answer one of them is making; false when none says it has it. */
  function cancelElsewhere(conn: Connection, responseId: string): Promise<boolean> {
    if (!shared) return Promise.resolve(false);
    const requestId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        cancelAcks.delete(requestId);
        resolve(false);
      }, 1000);
      cancelAcks.set(requestId, () => {
        clearTimeout(timer);
        cancelAcks.delete(requestId);
        resolve(true);
      });
      shared.publish({
        from: shared.instanceId,
        kind: 'cancel',
        requestId,
        responseId,
        ownerKey: conn.ownerKey,
      });
    });
  }

  async function cancel(conn: Connection, responseId: string): Promise<void> {
    const entry = runsById.get(responseId);
    if (!entry || entry.ownerKey !== conn.ownerKey) {
      // the instance making it cancels it; its final event reaches this socket as a live delivery
      if (!entry && (await cancelElsewhere(conn, responseId))) return;
      // unknown, finished, or someone else's: all look the same
      conn.error({ responseId, code: 'not_found', message: 'no answer in progress with this id' });
      return;
    }
    // false when it is already recording its answer: then response.completed follows, as for a late cancel
    await entry.run.cancel();
  }

  async function sync(conn: Connection, sinceText: string): Promise<void> {
    if (!conn.syncs.take().ok) {
      conn.error({ code: 'rate_limited', message: 'too many syncs', retryAfter: 5 });
      return;
    }
    const since = new Date(sinceText).toISOString();
    let records: Awaited<ReturnType<typeof deps.store.completedSince>>;
    try {
      records = await deps.store.completedSince(conn.owner, since);
    } catch (err) {
      log.error({ err, socket: conn.id }, 'sync failed');
      conn.error({ code: 'internal_error', message: 'something went wrong on our side' });
      return;
    }
    let until = since;
    for (const r of records) {
      if (r.completedAt && r.completedAt > until) until = r.completedAt;
      if (r.status === 'completed' && r.answer) {
        conn.send({
          type: 'response.completed',
          responseId: r.id,
          conversationId: r.conversationId,
          answer: r.answer,
          ...(r.completedAt ? { completedAt: r.completedAt } : {}),
        });
      } else if (r.status === 'failed' || r.status === 'cancelled') {
        conn.error({
          responseId: r.id,
          conversationId: r.conversationId,
          code: r.error?.code ?? (r.status === 'cancelled' ? 'cancelled' : 'internal_error'),
          message:
            r.error?.message ?? (r.status === 'cancelled' ? 'the answer was cancelled' : 'the answer failed'),
          ...(r.completedAt ? { completedAt: r.completedAt } : {}),
        });
      }
    }
    conn.send({ type: 'sync.completed', since, until, count: records.length, more: records.length >= 100 });
  }

  // ---- heartbeat --------------------------------------------------------------------------------

  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        log.debug({ socket: conn.id }, 'peer missed a pong: terminating');
        conn.ws.terminate();
        continue;
      }
      if (!deps.config.agents.has(conn.session.agentId)) {
        conn.close(CloseCode.forbidden, 'agent not available');
        continue;
      }
      conn.alive = false;
      if (conn.open) conn.ws.ping();
    }
    socketCount?.refresh(connections);
  }, heartbeatMs);
  heartbeat.unref();

  // ---- revocation -------------------------------------------------------------------------------

  // every check re-reads what was revoked in the last minute (rows another instance stamped with a slightly
  // different clock, or committed late, are not missed; closing is idempotent)
  const revocationCheckMs = options.revocationCheckMs ?? 5_000;
  const REVOCATION_LOOKBACK_MS = 60_000;
  let checkedAt = Date.now();
  let checking = false;
  const revocationTimer = setInterval(() => {
    const revocations = deps.revocations;
    if (!revocations || checking) return;
    const started = Date.now();
    if (connections.size === 0) {
      checkedAt = started;
      return;
    }
    checking = true;
    revocations
      .revokedSince(new Date(checkedAt - REVOCATION_LOOKBACK_MS))
      .then((recent) => {
        checkedAt = started;
        if (recent.tokenHashes.size === 0 && recent.subjects.size === 0) return;
        for (const conn of connections) {
          if (RevocationStore.matches(recent, conn.session)) {
            deps.metrics.refusals.inc({ reason: 'token_revoked' });
            conn.close(CloseCode.forbidden, 'token revoked');
          }
        }
      })
      .catch((err: unknown) => log.warn({ err }, 'revocation check failed'))
      .finally(() => {
        checking = false;
      });
  }, revocationCheckMs);
  revocationTimer.unref();

  // ---- shutdown ---------------------------------------------------------------------------------

  async function shutdown(): Promise<void> {
    clearInterval(heartbeat);
    clearInterval(revocationTimer);
    const runs = deps.runs;
    // let in-flight answers (both surfaces) finish for a while, then cancel what is left
    const pending = [...runs].filter((r) => r.running);
    if (pending.length > 0) {
      log.info({ inFlight: pending.length }, 'waiting for in-flight answers');
      await raceTimeout(Promise.all(pending.map((r) => r.done)), shutdownGraceMs);
    }
    const reason: CancelReason = {
      code: 'server_shutdown',
      message: 'the server is shutting down: ask again in a moment',
    };
    await Promise.all([...runs].map((r) => r.cancel(reason)));
    // let the final events reach the sockets before they close
    await new Promise((resolve) => setImmediate(resolve));
    const closed = [...connections].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) resolve();
          else c.ws.once('close', () => resolve());
        }),
    );
    for (const conn of connections) conn.close(CloseCode.goingAway, 'server shutting down');
    await raceTimeout(Promise.all(closed), closeTimeoutMs);
    for (const conn of connections) conn.ws.terminate();
    // the engine calls must have ended before the databases close
    await raceTimeout(Promise.all([...runs].map((r) => r.settled)), closeTimeoutMs);
    server.off('upgrade', onUpgrade);
    const wss = await wssLoading;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
