// createApp(deps): the Express app of the backend-for-frontend. It never listens; main.ts and tests do.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AnswerEngine } from './answers/engine.ts';
import type { ApiKeyIdentity } from './auth/api-keys.ts';
import type { RevocationStore } from './auth/revocations.ts';
import type { SharedState } from './cluster/shared-state.ts';
import type { LoadedConfig } from './config/load.ts';
import type { ConversationStore } from './conversations/store.ts';
import type { DatasetService } from './datasets/service.ts';
import { agentPageRouter } from './http/agent-page.ts';
import { datasetsApiRouter } from './http/api-v1/datasets.ts';
import { apiV1Router } from './http/api-v1/router.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { healthRouter } from './http/health.ts';
import { homePageRouter } from './http/home-page.ts';
import { widgetBundleRouter } from './http/widget-bundle.ts';
import { datasetsWidgetRouter } from './http/widget-v1/datasets.ts';
import { originCheckRoute } from './http/widget-v1/origin.ts';
import { widgetV1Router } from './http/widget-v1/router.ts';
import type { LimiterStore } from './limits/limiters.ts';
import type { Metrics } from './observability/metrics.ts';
import type { UserContext } from './semantic/user-context.ts';

/** What a verified session token says about its bearer; the only source of identity and tenant context. */
export interface VerifiedSession {
  userIdentifier: string;
  agentId: string;
  userContext: UserContext;
  permissions: string[];
  expiresAt: Date;
  /** the token's `jti` and `iat`, which revocation looks at */
  tokenId?: string;
  issuedAt?: Date;
}

export interface SessionVerifier {
  verify(token: string): Promise<VerifiedSession>;
}

export interface ApiKeyChecker {
  /** throws an AuthError (401 unknown key, 403 key not scoped to the agent); `agents`: the key's scope, if any */
  check(authorization: string | undefined, agentId?: string): ApiKeyIdentity;
}

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
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // tokens and API keys live in these headers: never log them
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["sec-websocket-protocol"]'],
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use((req, res, next) => {
    const end = deps.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route });
      deps.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });

  app.use(
    healthRouter({
      readiness: deps.readiness,
      metrics: deps.metrics,
      ...(deps.metricsToken !== undefined ? { metricsToken: deps.metricsToken } : {}),
    }),
  );
  app.use(homePageRouter(deps));
  app.use(agentPageRouter(deps));
  app.use('/api/v1', datasetsApiRouter({ ...deps, defaultAgent: deps.config.config.datasets.defaultAgent }));
  app.use('/api/v1', apiV1Router(deps));
  app.get('/widget/v1/origin', originCheckRoute(deps));
  app.use('/widget/v1', datasetsWidgetRouter(deps));
  app.use('/widget/v1', widgetV1Router(deps));
  app.use('/widget', widgetBundleRouter(deps.widgetDir));
  app.use((_req, _res, next) => next(notFound('no such route')));
  app.use(errorHandler(deps.logger));
  return app;
}
