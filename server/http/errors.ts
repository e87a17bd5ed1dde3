// One error shape for every HTTP surface: { "error": { "code", "message" } }, never a stack.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** whole seconds for a Retry-After header (429, 503) */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const notFound = (what = 'not found'): HttpError => new HttpError(404, 'not_found', what);

interface Mapped {
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

// errors from other modules carry a `code` (and auth errors a `status`); map them by name, not by import,
// so this module stays the bottom of the dependency graph
const BY_NAME: Record<string, number> = {
  UserContextError: 400,
  CursorError: 400,
  PlanError: 400,
  UnknownAgentError: 404,
  UnknownConversationError: 404,
  QueryTimeoutError: 504,
  // the store did not answer within its client-side deadline
  DatabaseTimeoutError: 503,
  QueryCancelledError: 499,
};

export function mapError(err: unknown): Mapped {
  if (err instanceof HttpError) {
    const mapped: Mapped = { status: err.status, code: err.code, message: err.message };
    if (err.retryAfter !== undefined) mapped.retryAfter = err.retryAfter;
    return mapped;
  }
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    return {
      status: 400,
      code: 'invalid_request',
      message: `${where}${first?.message ?? 'invalid request'}`,
    };
  }
  if (err instanceof Error) {
    const e = err as Error & {
      status?: number;
      statusCode?: number;
      code?: string;
      type?: string;
      field?: string;
    };
    if (e.name === 'MulterError') {
      const status = e.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
      return { status, code: (e.code ?? 'upload_error').toLowerCase(), message: e.message };
    }
    if (e.type === 'entity.parse.failed')
      return { status: 400, code: 'invalid_json', message: 'the request body is not valid JSON' };
    if (e.type === 'entity.too.large')
      return { status: 413, code: 'payload_too_large', message: 'the request body is too large' };
    if (e.name === 'AuthError' && typeof e.status === 'number') {
      return { status: e.status, code: e.code ?? 'unauthorized', message: e.message };
    }
    const status = BY_NAME[e.name];
    if (status !== undefined) return { status, code: e.code ?? 'error', message: e.message };
    // the router could not percent-decode a path parameter (`/conversations/%E0%A4%A`)
    if (e.name === 'URIError')
      return { status: 400, code: 'invalid_url', message: 'the URL is not valid percent-encoding' };
    // http-errors raised by Express and its body parsers (unsupported charset or encoding, aborted bodies...):
    // their status is the client's fault and their message is meant to be shown
    const clientStatus = e.status ?? e.statusCode;
    if (
      (e as { expose?: boolean }).expose === true &&
      typeof clientStatus === 'number' &&
      clientStatus >= 400 &&
      clientStatus < 500
    ) {
      const code = typeof e.type === 'string' ? e.type.replace(/\W+/g, '_') : 'bad_request';
      return { status: clientStatus, code, message: e.message };
    }
  }
  return { status: 500, code: 'internal_error', message: 'something went wrong on our side' };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return function handleError(err, req, res, _next) {
    const mapped = mapError(err);
    if (mapped.status >= 500) logger.error({ err, reqId: req.id }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (mapped.retryAfter !== undefined)
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(mapped.retryAfter))));
    res.status(mapped.status).json({ error: { code: mapped.code, message: mapped.message } });
  };
}
