// One error shape for every HTTP surface: { "error": { "code", "message" } }, never a stack.
// Same role as errors.ts (the base) and datasets/errors.ts: each layer declares its own errors in errors.ts.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { ParleyError } from '../errors.ts';

/** A refusal raised by the HTTP layer itself (not found, rate limited, unsupported). */
export class HttpError extends ParleyError {
  override name = 'HttpError';
  constructor(
    status: number,
    code: string,
    message: string,
    /** whole seconds for a Retry-After header (429, 503) */
    retryAfter?: number,
  ) {
    super(status, code, message, { retryAfter });
  }
}

export const notFound = (what = 'not found'): HttpError => new HttpError(404, 'not_found', what);

interface Mapped {
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

const INTERNAL: Mapped = { status: 500, code: 'internal_error', message: 'something went wrong on our side' };

export function mapError(err: unknown): Mapped {
  // Parley's own errors carry their status and code (server/errors.ts); a 500 is ours, and its message stays here
  if (err instanceof ParleyError) {
    if (err.status === 500) return { ...INTERNAL };
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
  return { ...INTERNAL };
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
