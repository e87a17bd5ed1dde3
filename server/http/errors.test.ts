// mapError: what each of Parley's errors answers over HTTP, read from the error itself (status, code, message);
// the server's own failures answer a fixed 500 that shows nothing of them.
import { describe, expect, it } from 'vitest';
import { UnknownAgentError, UnknownConversationError } from '../answers/engine.ts';
import { AuthError } from '../auth/claims.ts';
import { ConfigError } from '../config/load.ts';
import { CursorError } from '../conversations/store.ts';
import { DatasetError } from '../datasets/errors.ts';
import { DatabaseTimeoutError } from '../db/connect.ts';
import { BlendError } from '../query/blend.ts';
import { PlanError } from '../query/compile.ts';
import { QueryCancelledError, QueryFailedError, QueryTimeoutError } from '../query/execute.ts';
import { ModelError } from '../semantic/model-view.ts';
import { UserContextError } from '../semantic/user-context.ts';
import { HttpError, mapError } from './errors.ts';

const INTERNAL = { status: 500, code: 'internal_error', message: 'something went wrong on our side' };

describe('mapError', () => {
  it.each([
    [new PlanError('no such field'), 400, 'invalid_plan'],
    [new BlendError('the database side of the blend has no column "month"'), 400, 'invalid_plan'],
    [new UserContextError('userContext.organisationId is required'), 400, 'invalid_user_context'],
    [new CursorError('bad cursor'), 400, 'invalid_cursor'],
    [new AuthError('token_expired', 'the token has expired'), 401, 'token_expired'],
    [new AuthError('forbidden', 'not this agent'), 403, 'forbidden'],
    [new AuthError('auth_unavailable', 'keys unavailable'), 503, 'auth_unavailable'],
    [new UnknownAgentError('agent not found'), 404, 'unknown_agent'],
    [new UnknownConversationError('conversation not found'), 404, 'unknown_conversation'],
    [new QueryCancelledError('the query was cancelled'), 499, 'query_cancelled'],
    [new DatabaseTimeoutError('the database did not answer within 5000 ms'), 503, 'store_timeout'],
    [new QueryTimeoutError('the query ran past its 15000 ms limit'), 504, 'query_timeout'],
    [new DatasetError(409, 'conflict', 'a file of that name exists'), 409, 'conflict'],
  ])('answers %s with its own status, code and message', (err, status, code) => {
    expect(mapError(err)).toEqual({ status, code, message: err.message });
  });

  it('keeps the Retry-After of a refusal that has one', () => {
    expect(mapError(new HttpError(429, 'rate_limited', 'too many questions', 7))).toEqual({
      status: 429,
      code: 'rate_limited',
      message: 'too many questions',
      retryAfter: 7,
    });
  });

  it("shows nothing of the server's own failures", () => {
    for (const err of [
      new QueryFailedError('no such table: orders'),
      new ModelError('column "x" is not available'),
      new ConfigError('/etc/parley.yaml', [{ path: 'agents', message: 'required' }]),
      new Error('boom'),
      'a string',
    ]) {
      expect(mapError(err)).toEqual(INTERNAL);
    }
  });
});
