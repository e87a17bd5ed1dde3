// Data file uploads: checked in the browser first (.csv/.json, at most 10 MB), then sent as multipart with
// XMLHttpRequest, which unlike fetch reports upload progress. Uploads can be aborted (button or AbortSignal).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ApiError } from '../api.ts';
import type { DatasetInfo, DatasetScope } from '../types.ts';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const UPLOAD_EXTENSIONS = ['.csv', '.json'] as const;
export type UploadKind = 'csv' | 'json';

export type FileCheck =
  | { ok: true; kind: UploadKind }
  | { ok: false; reason: 'type' }
  | { ok: false; reason: 'size'; size: number; max: number }
  | { ok: false; reason: 'empty' }
  // the bytes are a program, an archive, an image... (sniffed before any preview)
  | { ok: false; reason: 'content'; what: string };

/** The browser-side checks, done before anything is read or sent: the extension, then the size. */
export function checkFile(file: { name: string; size: number }, maxBytes = MAX_UPLOAD_BYTES): FileCheck {
  const lower = file.name.toLowerCase();
  const kind: UploadKind | undefined = lower.endsWith('.csv')
    ? 'csv'
    : lower.endsWith('.json')
      ? 'json'
      : undefined;
  if (!kind) return { ok: false, reason: 'type' };
  if (file.size > maxBytes) return { ok: false, reason: 'size', size: file.size, max: maxBytes };
  if (file.size === 0) return { ok: false, reason: 'empty' };
  return { ok: true, kind };
}

/**
 * - `idle`: nothing sent
 * - `uploading`: bytes are going up (`progress` 0..1)
 * - `done`: the server stored the file
 * - `error`: refused or failed (`error`)
 * - `aborted`: stopped by the user
 */
export type UploadStatus = 'idle' | 'uploading' | 'done' | 'error' | 'aborted';

export interface UploadRequest {
  file: File;
  notes?: string;
  scope: DatasetScope;
  contextKey?: string;
}

export interface UploadsControllerOptions {
  /** `{server}/widget/v1` */
  base: () => string;
  getToken: (signal?: AbortSignal) => Promise<string>;
  refreshToken: (signal?: AbortSignal) => Promise<string>;
  /** test seam */
  xhr?: () => XMLHttpRequest;
}

export class UploadError extends Error {
  override name = 'UploadError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class UploadsController implements ReactiveController {
  status: UploadStatus = 'idle';
  progress = 0;
  error: { code: string; message: string } | undefined;
  private current: AbortController | undefined;
  private readonly host: ReactiveControllerHost;
  private readonly options: UploadsControllerOptions;

  constructor(host: ReactiveControllerHost, options: UploadsControllerOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort();
  }

  /** Stops the upload in progress, if any. */
  abort(): void {
    this.current?.abort();
  }

  reset(): void {
    this.abort();
    this.status = 'idle';
    this.progress = 0;
    this.error = undefined;
    this.host.requestUpdate();
  }

  /** Checks and uploads one file; rejects with UploadError (refused in the browser), ApiError or an AbortError. */
  async upload(request: UploadRequest, signal?: AbortSignal): Promise<DatasetInfo> {
    const check = checkFile(request.file);
    if (!check.ok) {
      const error = new UploadError(
        `file_${check.reason}`,
        `the file was refused before sending (${check.reason})`,
      );
      this.fail(error.code, error.message);
      throw error;
    }
    this.abort();
    const abort = new AbortController();
    this.current = abort;
    const onOuterAbort = () => abort.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    this.status = 'uploading';
    this.progress = 0;
    this.error = undefined;
    this.host.requestUpdate();
    try {
      let result = await this.send(request, await this.options.getToken(abort.signal), abort.signal);
      if (result.status === 401) {
        result = await this.send(request, await this.options.refreshToken(abort.signal), abort.signal);
      }
      if (result.status < 200 || result.status >= 300) throw apiErrorFrom(result.status, result.body);
      const dataset = datasetFrom(result.body, request);
      this.status = 'done';
      this.progress = 1;
      this.host.requestUpdate();
      return dataset;
    } catch (err) {
      if (abort.signal.aborted) {
        this.status = 'aborted';
        this.progress = 0;
        this.host.requestUpdate();
        throw new DOMException('the upload was stopped', 'AbortError');
      }
      const e = err instanceof ApiError ? err : new ApiError(0, 'upload_failed', errorText(err));
      this.fail(e.code, e.message);
      throw e;
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
      if (this.current === abort) this.current = undefined;
    }
  }

  private fail(code: string, message: string): void {
    this.status = 'error';
    this.error = { code, message };
    this.host.requestUpdate();
  }

  private send(
    request: UploadRequest,
    token: string,
    signal: AbortSignal,
  ): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new DOMException('aborted', 'AbortError'));
        return;
      }
      const xhr = this.options.xhr ? this.options.xhr() : new XMLHttpRequest();
      const form = new FormData();
      form.append('file', request.file, request.file.name);
      if (request.notes) form.append('notes', request.notes);
      form.append('scope', request.scope);
      if (request.scope === 'context' && request.contextKey) form.append('contextKey', request.contextKey);
      xhr.open('POST', `${this.options.base()}/datasets`);
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (ev: ProgressEvent) => {
        if (!ev.lengthComputable || ev.total <= 0) return;
        this.progress = Math.min(1, ev.loaded / ev.total);
        this.host.requestUpdate();
      };
      xhr.onload = () => {
        let body: unknown;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload could not reach the server'));
      xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function apiErrorFrom(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError(status, error.code, error.message);
  }
  return new ApiError(status, `http_${status}`, `the server answered ${status}`);
}

function datasetFrom(body: unknown, request: UploadRequest): DatasetInfo {
  const raw = (body as { dataset?: unknown } | undefined)?.dataset ?? body;
  const fallback: DatasetInfo = {
    scope: request.scope,
    filename: request.file.name,
    size: request.file.size,
  };
  if (raw === null || typeof raw !== 'object') return fallback;
  const r = raw as Record<string, unknown>;
  return {
    ...r,
    scope: r.scope === 'user' || r.scope === 'context' ? r.scope : request.scope,
    filename: typeof r.filename === 'string' ? r.filename : request.file.name,
  };
}
