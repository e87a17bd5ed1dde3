// ParleyError: the one base of Parley's own errors. Each carries the HTTP status and the stable code every surface
// answers it with (REST, WebSocket, SDK), as Hono's HTTPException and Express's `err.status` carry theirs, so
// http/errors.ts reads the fields instead of knowing the classes. Depends on nothing: every layer may import it.
// Same role as datasets/errors.ts and http/errors.ts, a layer down: each declares its layer's errors on this base.

export interface ParleyErrorOptions {
  /** whole seconds for a Retry-After header (429, 503) */
  retryAfter?: number;
  cause?: unknown;
}

export class ParleyError extends Error {
  override name = 'ParleyError';
  readonly retryAfter?: number;

  /** `status` 500 is the server's own failure: surfaces answer it without the message or the code */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: ParleyErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}
