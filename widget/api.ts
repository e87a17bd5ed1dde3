// The REST client of the widget: `{server}/widget/v1` with `Authorization: Bearer <JWT>`.
// Every call takes an AbortSignal; refusals (`{error:{code,message}}`) become ApiError with the server's text.
import { WS_PATH } from '../server/ws/wire.ts';
import type {
  ApiErrorBody,
  ConversationDetail,
  ConversationPage,
  DatasetInfo,
  DatasetScope,
  Rating,
  WidgetConfig,
} from './types.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: string;
  readonly status: number;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiOptions {
  /** the BFF origin (and optional path prefix), e.g. https://bff.example.com */
  server: () => string;
  /** a valid session token (cached by the token controller) */
  getToken: (signal?: AbortSignal) => Promise<string>;
  /** a fresh token, after the server said the current one is expired */
  refreshToken: (signal?: AbortSignal) => Promise<string>;
  fetch?: FetchLike;
}

/** `https://bff.example.com/` -> `https://bff.example.com`; relative servers resolve against the page. */
export function normaliseServer(server: string, base?: string): string {
  const baseUrl = base ?? (typeof document !== 'undefined' ? document.baseURI : 'http://localhost/');
  const url = new URL(server || '/', baseUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The WebSocket endpoint of a server: http -> ws, https -> wss, plus /widget/v1/ws. */
export function webSocketUrl(server: string, base?: string): string {
  const url = new URL(`${normaliseServer(server, base)}${WS_PATH}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (value === null || typeof value !== 'object') return false;
  const error = (value as { error?: unknown }).error;
  return (
    error !== null &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** The ApiError of a non-2xx response: the server's code and message when it sent `{error:{...}}`. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const retryHeader = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined;
  if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message, retryAfter);
  return new ApiError(res.status, `http_${res.status}`, res.statusText || `HTTP ${res.status}`, retryAfter);
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

export class ParleyApi {
  private readonly options: ApiOptions;

  constructor(options: ApiOptions) {
    this.options = options;
  }

  /** `{server}/widget/v1` */
  get base(): string {
    return `${normaliseServer(this.options.server())}/widget/v1`;
  }

  /** A valid session token (for calls made outside `request`, like the XHR upload). */
  token(signal?: AbortSignal): Promise<string> {
    return this.options.getToken(signal);
  }

  /** A fresh session token (after a 401). */
  freshToken(signal?: AbortSignal): Promise<string> {
    return this.options.refreshToken(signal);
  }

  private get fetchFn(): FetchLike {
    return this.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const send = async (token: string): Promise<Response> => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
      };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      return this.fetchFn(`${this.base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'omit',
      });
    };
    let res = await send(await this.options.getToken(options.signal));
    if (res.status === 401) {
      // the token may have expired between the refresh and the call: one retry with a fresh one
      res = await send(await this.options.refreshToken(options.signal));
    }
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** May this page's origin use `agent`? Asked without a token, after a request failed like a network error. */
  async originAllowed(
    agent: string,
    signal?: AbortSignal,
  ): Promise<{ origin: string | null; allowed: boolean }> {
    const res = await this.fetchFn(`${this.base}/origin?agent=${encodeURIComponent(agent)}`, {
      signal,
      credentials: 'omit',
    });
    if (!res.ok) throw await errorFromResponse(res);
    return (await res.json()) as { origin: string | null; allowed: boolean };
  }

  config(signal?: AbortSignal): Promise<WidgetConfig> {
    return this.request('GET', '/config', { signal });
  }

  listConversations(cursor: string | null, signal?: AbortSignal): Promise<ConversationPage> {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/conversations${query}`, { signal });
  }

  createConversation(signal?: AbortSignal): Promise<{ id: string; title: string; createdAt: string }> {
    return this.request('POST', '/conversations', { body: {}, signal });
  }

  getConversation(id: string, signal?: AbortSignal): Promise<ConversationDetail> {
    return this.request('GET', `/conversations/${encodeURIComponent(id)}`, { signal });
  }

  deleteConversation(id: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/conversations/${encodeURIComponent(id)}`, { signal });
  }

  sendFeedback(
    conversationId: string,
    responseId: string,
    feedback: { rating: Rating; comment: string | null },
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.request(
      'POST',
      `/conversations/${encodeURIComponent(conversationId)}/responses/${encodeURIComponent(responseId)}/feedback`,
      { body: feedback, signal },
    );
  }

  /** The full CSV of an answer (`…/export.csv`), as a Blob; the server runs the stored plan under this token. */
  async exportCsv(conversationId: string, responseId: string, signal?: AbortSignal): Promise<Blob> {
    const path = `/conversations/${encodeURIComponent(conversationId)}/responses/${encodeURIComponent(responseId)}/export.csv`;
    const send = async (token: string): Promise<Response> =>
      this.fetchFn(`${this.base}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/csv' },
        signal,
        credentials: 'omit',
      });
    let res = await send(await this.options.getToken(signal));
    if (res.status === 401) res = await send(await this.options.refreshToken(signal));
    if (!res.ok) throw await errorFromResponse(res);
    return res.blob();
  }

  async listDatasets(signal?: AbortSignal): Promise<DatasetInfo[]> {
    return normaliseDatasets(await this.request<unknown>('GET', '/datasets', { signal }));
  }

  /** `/datasets/user/{file}` or `/datasets/context/{contextKey}/{file}`: a shared file names its context key. */
  deleteDataset(dataset: DatasetInfo, signal?: AbortSignal): Promise<void> {
    const file = encodeURIComponent(dataset.filename);
    const key = typeof dataset.contextKey === 'string' ? dataset.contextKey : undefined;
    if (dataset.scope === 'context' && !key) throw new Error('a shared file without its context key');
    const path =
      dataset.scope === 'user'
        ? `/datasets/user/${file}`
        : `/datasets/context/${encodeURIComponent(key ?? '')}/${file}`;
    return this.request('DELETE', path, { signal });
  }
}

function asDataset(value: unknown, scope?: DatasetScope): DatasetInfo | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const filename =
    typeof v.filename === 'string' ? v.filename : typeof v.name === 'string' ? v.name : undefined;
  const s = v.scope === 'user' || v.scope === 'context' ? v.scope : scope;
  if (!filename || !s) return undefined;
  return { ...v, scope: s, filename };
}

/** `GET /datasets` as a flat list: accepts `{items:[...]}`, `{user:[...],context:[...]}` or a bare array. */
export function normaliseDatasets(body: unknown): DatasetInfo[] {
  const out: DatasetInfo[] = [];
  const push = (list: unknown, scope?: DatasetScope) => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const d = asDataset(item, scope);
      if (d) out.push(d);
    }
  };
  if (Array.isArray(body)) push(body);
  else if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    push(b.items);
    push(b.datasets);
    push(b.user, 'user');
    push(b.context, 'context');
  }
  return out;
}
