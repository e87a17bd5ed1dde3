// The answer engine's own errors, apart from engine.ts: what only catches them (answers/runs.ts, on the server's
// start-up path) must not load the engine's planner, compiler and date parser with them. engine.ts re-exports them.
import { ParleyError } from '../errors.ts';

export class UnknownAgentError extends ParleyError {
  override name = 'UnknownAgentError';
  constructor(message: string) {
    super(404, 'unknown_agent', message);
  }
}

export class UnknownConversationError extends ParleyError {
  override name = 'UnknownConversationError';
  constructor(message: string) {
    super(404, 'unknown_conversation', message);
  }
}
