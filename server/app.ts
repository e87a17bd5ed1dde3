// createApp(deps): the Express app of the backend-for-frontend. It never listens; main.ts and tests do.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { AppDeps } from './deps.ts';
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
