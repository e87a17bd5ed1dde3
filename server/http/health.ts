// Liveness (/healthz), readiness (/readyz: the databases answer) and Prometheus metrics (/metrics). Metrics name
// routes and counters, so on the public port they need a bearer token (`server.metrics.token`); without one the
// route does not exist there. metricsRouter serves them unguarded for a separate, private listen address.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import type { Metrics } from '../observability/metrics.ts';
import { HttpError, notFound } from './errors.ts';
import { READINESS_DEADLINE_MS } from './starting-gate.ts';

export function healthRouter(deps: {
  readiness: () => Promise<void>;
  metrics: Metrics;
  /** the bearer token /metrics needs on this port; absent: /metrics is not served here */
  metricsToken?: string;
}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('readiness timed out')), READINESS_DEADLINE_MS);
      });
      await Promise.race([deps.readiness(), late]).finally(() => clearTimeout(timer));
      res.json({ status: 'ready' });
    } catch {
      // which database failed is for the logs, not for anonymous callers
      res.status(503).json({ status: 'unavailable' });
    }
  });
  const token = deps.metricsToken;
  if (token === undefined) router.get('/metrics', (_req, _res, next) => next(notFound('no such route')));
  else router.get('/metrics', requireBearer(token), serveMetrics(deps.metrics));
  return router;
}

/** /metrics alone, for a listen address only the monitoring network reaches. */
export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', serveMetrics(metrics));
  return router;
}

function serveMetrics(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const presented = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="parley-metrics"');
      next(new HttpError(401, 'invalid_credentials', '/metrics needs the metrics bearer token'));
      return;
    }
    next();
  };
}
