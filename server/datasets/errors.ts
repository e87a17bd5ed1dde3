// Dataset refusals carry their HTTP status and code (HttpError, a ParleyError), so every surface answers them alike.
// Same role as errors.ts (the base) and http/errors.ts: each layer declares its own errors in errors.ts.
import { HttpError } from '../http/errors.ts';

export type DatasetErrorCode =
  | 'invalid_filename'
  | 'invalid_request'
  | 'unsupported_file_type'
  | 'unsupported_media_type'
  | 'malformed_file'
  | 'dataset_too_large'
  | 'quota_exceeded'
  | 'conflict'
  | 'invalid_scope'
  | 'tenant_required'
  | 'invalid_user_context'
  | 'forbidden'
  | 'not_found'
  | 'unknown_agent'
  | 'agent_required'
  | 'rate_limited'
  | 'busy';

export class DatasetError extends HttpError {
  declare readonly code: DatasetErrorCode;

  constructor(status: number, code: DatasetErrorCode, message: string, retryAfter?: number) {
    super(status, code, message, retryAfter);
  }
}

/** A file that does not parse: 422 with the 1-based line and column of the first problem in the message. */
export class MalformedFileError extends DatasetError {
  constructor(
    readonly line: number,
    readonly column: number,
    detail: string,
    code: 'malformed_file' | 'dataset_too_large' = 'malformed_file',
  ) {
    super(422, code, `line ${line}, column ${column}: ${detail}`);
  }
}

export const datasetNotFound = (): DatasetError => new DatasetError(404, 'not_found', 'dataset not found');

/** A refusal as it crosses the thread boundary (class instances do not). */
export interface WireError {
  status: number;
  code: string;
  message: string;
}

export function toWire(err: unknown): WireError | undefined {
  return err instanceof DatasetError
    ? { status: err.status, code: err.code, message: err.message }
    : undefined;
}

export function fromWire(wire: WireError): DatasetError {
  return new DatasetError(wire.status, wire.code as DatasetErrorCode, wire.message);
}
