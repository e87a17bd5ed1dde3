// What one server is built from (AppDeps) and the session types its routers and sockets read. Routers (http/)
// and sockets (ws/) import these from here, never from app.ts: the app imports them, not the other way round.
// The per-server state the surfaces share (the answer runs, the limiters) is created here, once per server.
import type { Logger } from 'pino';
import type { AnswerEngine } from './answers/engine.ts';
import type { ActiveRuns } from './answers/runs.ts';
import type { ApiKeyChecker } from './auth/api-keys.ts';
import type { RevocationStore } from './auth/revocations.ts';
import type { SessionVerifier } from './auth/session-token.ts';
import type { SharedState } from './cluster/shared-state.ts';
import type { LoadedConfig } from './config/load.ts';
import type { ConversationStore } from './conversations/store.ts';
import type { DatasetService } from './datasets/service.ts';
import { type LimiterStore, NamedLimiters } from './limits/limiters.ts';
import {
  createQuestionLimiter,
  type RateLimitOptions,
  type UserRateLimiter,
} from './limits/question-rate.ts';
import type { Metrics } from './observability/metrics.ts';

// declared beside the code that implements them (one declaration each), re-exported so the rooms read one module
export type { ApiKeyChecker } from './auth/api-keys.ts';
export type { SessionVerifier, VerifiedSession } from './auth/session-token.ts';

export interface AppDeps {
  config: LoadedConfig;
  engine: AnswerEngine;
  store: ConversationStore;
  datasets: DatasetService;
  sessions: SessionVerifier;
  apiKeys: ApiKeyChecker;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  /** resolves when the store and every agent's database answer */
  readiness: () => Promise<void>;
  /** revoked tokens and sessions, in the store (the session verifier already refuses them; sockets are re-checked) */
  revocations?: RevocationStore;
  /** the bearer token /metrics needs on the public port; absent: /metrics is not served on it */
  metricsToken?: string;
  /** builds the front door's rate limiters (default in memory per process; a shared store for several instances) */
  limiterStore?: LimiterStore;
  /** folder of the built widget bundle (parley-widget.js and its chunks), when built */
  widgetDir?: string;
  /** the demo host app's URL, under `parley demo` (a getter: it starts after the server) */
  demoHostUrl?: () => string | undefined;
  /** what instances share (Redis), when several run behind a load balancer; absent: one instance, in memory */
  shared?: SharedState;
  /** the answers being made on this server, by both surfaces (graceful shutdown waits for them) */
  runs: ActiveRuns;
  /** questions per user, counted across the WebSocket and the REST message route together */
  questionLimiter: UserRateLimiter;
  /** the front door's other limiters by name (socket message budgets, conversation creation), built by limiterStore */
  limiters: NamedLimiters;
}

/** What the caller provides; createAppDeps adds the per-server state. */
export type AppServices = Omit<AppDeps, 'runs' | 'questionLimiter' | 'limiters'>;

export interface ServerStateOptions {
  /** questions per user (all their sockets and the REST message route together). Default burst 5, 10 a minute */
  questionRate?: RateLimitOptions;
}

/** The one place a server's shared state is created: every surface of one server reads these same members. */
export function createAppDeps(services: AppServices, options: ServerStateOptions = {}): AppDeps {
  return {
    ...services,
    runs: new Set(),
    questionLimiter: createQuestionLimiter(services.shared, options.questionRate),
    limiters: new NamedLimiters(services.limiterStore),
  };
}
