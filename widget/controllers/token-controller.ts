// Session tokens for the widget: from the host's `token-endpoint` (fetched with the host's cookies) or from an
// async `getToken()` the host supplies. The token is cached and refreshed shortly before its `exp` (read from
// the payload; the client never verifies a signature), so the conversation and the socket carry on.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FetchLike } from '../api.ts';

export type TokenStatus = 'idle' | 'fetching' | 'ready' | 'error';

/** What the host supplies: a function, or an endpoint answering `{ token }`. */
export type TokenSource =
  | { kind: 'function'; getToken: GetTokenFn }
  | { kind: 'endpoint'; url: string }
  | { kind: 'none' };

/** The `getToken` property: resolves to the JWT (or `{ token }`). */
export type GetTokenFn = (options: { signal: AbortSignal }) => Promise<string | { token: string }> | string;

export class TokenError extends Error {
  override name = 'TokenError';
  readonly code: 'token_unavailable' | 'not_configured';
  /**
   * The token source could not be reached (the browser is offline, the request never got an answer): not a
   * sign-in that failed, so the widget says "offline", not "could not sign in".
   */
  readonly network: boolean;

  constructor(code: 'token_unavailable' | 'not_configured', message: string, network = false) {
    super(message);
    this.code = code;
    this.network = network;
  }
}

/** Whether the browser says it has no network. */
function browserOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

export interface TokenControllerOptions {
  source: () => TokenSource;
  fetch?: FetchLike;
  now?: () => number;
  /** refresh this long before `exp` (capped at half the token's remaining life); default 60 s */
  refreshMarginMs?: number;
  /** a new token was obtained (by a scheduled refresh or on demand) */
  onToken?: (token: string) => void;
  /** a scheduled refresh failed */
  onError?: (error: TokenError) => void;
}

/** The `exp` claim in seconds, or undefined for a token that is not a JWT with a numeric exp. */
export function decodeExp(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const json = JSON.parse(atob(base64)) as { exp?: unknown };
    return typeof json.exp === 'number' && Number.isFinite(json.exp) ? json.exp : undefined;
  } catch {
    return undefined;
  }
}

const RETRY_AFTER_FAILED_REFRESH_MS = 10_000;

export class TokenController implements ReactiveController {
  status: TokenStatus = 'idle';
  private token: string | undefined;
  private expiresAtMs: number | undefined;
  private refreshAtMs: number | undefined;
  private inflight: Promise<string> | undefined;
  private inflightAbort: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly host: ReactiveControllerHost;
  private readonly options: TokenControllerOptions;

  constructor(host: ReactiveControllerHost, options: TokenControllerOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  hostConnected(): void {
    if (this.token !== undefined && this.refreshAtMs !== undefined) this.schedule();
  }

  hostDisconnected(): void {
    this.clearTimer();
    this.inflightAbort?.abort();
    this.inflightAbort = undefined;
    this.inflight = undefined;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private margin(): number {
    return this.options.refreshMarginMs ?? 60_000;
  }

  /** When the current token should be replaced (ms epoch), or undefined when it has no exp. */
  get refreshAt(): number | undefined {
    return this.refreshAtMs;
  }

  /** A usable token: the cached one unless it is due for refresh, else a fresh one. */
  get(signal?: AbortSignal): Promise<string> {
    if (this.token !== undefined) {
      const due = this.refreshAt;
      if (due === undefined || this.now() < due) return Promise.resolve(this.token);
    }
    return this.refresh(signal);
  }

  /** Always a new token (deduplicated: concurrent callers share one request). */
  refresh(signal?: AbortSignal): Promise<string> {
    if (!this.inflight) {
      const abort = new AbortController();
      this.inflightAbort = abort;
      this.setStatus('fetching');
      const p = this.fetchToken(abort.signal).then(
        (token) => {
          if (this.inflight === p) {
            this.inflight = undefined;
            this.inflightAbort = undefined;
          }
          this.accept(token);
          return token;
        },
        (err: unknown) => {
          if (this.inflight === p) {
            this.inflight = undefined;
            this.inflightAbort = undefined;
          }
          this.setStatus('error');
          throw err instanceof TokenError
            ? err
            : new TokenError(
                'token_unavailable',
                err instanceof Error ? err.message : String(err),
                browserOffline(),
              );
        },
      );
      this.inflight = p;
    }
    const shared = this.inflight;
    if (!signal) return shared;
    return new Promise<string>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(
        (t) => {
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Forgets the token (e.g. the source changed). */
  reset(): void {
    this.clearTimer();
    this.inflightAbort?.abort();
    this.inflightAbort = undefined;
    this.inflight = undefined;
    this.token = undefined;
    this.expiresAtMs = undefined;
    this.refreshAtMs = undefined;
    this.setStatus('idle');
  }

  private accept(token: string): void {
    this.token = token;
    const exp = decodeExp(token);
    this.expiresAtMs = exp === undefined ? undefined : exp * 1000;
    // a margin before exp, but never more than half of the life the token has left
    this.refreshAtMs =
      this.expiresAtMs === undefined
        ? undefined
        : this.expiresAtMs - Math.min(this.margin(), Math.max(0, (this.expiresAtMs - this.now()) / 2));
    this.setStatus('ready');
    this.schedule();
    this.options.onToken?.(token);
  }

  private schedule(): void {
    this.clearTimer();
    const at = this.refreshAt;
    // no exp, or a token that is already spent: refresh on demand only (no busy loop on a stale source)
    if (at === undefined || at <= this.now()) return;
    this.timer = setTimeout(() => this.scheduledRefresh(), Math.max(0, at - this.now()));
  }

  private scheduledRefresh(): void {
    this.timer = undefined;
    this.refresh().catch((err: unknown) => {
      const error =
        err instanceof TokenError ? err : new TokenError('token_unavailable', String(err), browserOffline());
      this.options.onError?.(error);
      // try again while the current token still has life in it
      if (this.expiresAtMs !== undefined && this.now() < this.expiresAtMs) {
        this.timer = setTimeout(() => this.scheduledRefresh(), RETRY_AFTER_FAILED_REFRESH_MS);
      }
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private setStatus(status: TokenStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.host.requestUpdate();
  }

  private async fetchToken(signal: AbortSignal): Promise<string> {
    const source = this.options.source();
    switch (source.kind) {
      case 'function': {
        const value = await source.getToken({ signal });
        return checkToken(typeof value === 'string' ? value : value?.token);
      }
      case 'endpoint': {
        const fetchFn: FetchLike = this.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
        let res: Response;
        try {
          res = await fetchFn(source.url, {
            method: 'GET',
            credentials: 'include',
            cache: 'no-store',
            headers: { accept: 'application/json' },
            signal,
          });
        } catch (err) {
          if (signal.aborted) throw err;
          // no answer at all (fetch rejects only for network failures): offline, not refused
          const reason = err instanceof Error ? err.message : String(err);
          throw new TokenError(
            'token_unavailable',
            `the token endpoint could not be reached: ${reason}`,
            true,
          );
        }
        if (!res.ok) throw new TokenError('token_unavailable', `the token endpoint answered ${res.status}`);
        const body = (await res.json()) as { token?: unknown };
        return checkToken(body?.token);
      }
      case 'none':
        throw new TokenError('not_configured', 'no token-endpoint attribute and no getToken property');
      default:
        throw new Error(`unknown token source ${(source as { kind: string }).kind}`);
    }
  }
}

function checkToken(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TokenError('token_unavailable', 'the token source gave no token');
  }
  return value;
}
