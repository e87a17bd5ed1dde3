// Liveness (/healthz), readiness (/readyz: the databases answer) and Prometheus metrics (/metrics).
import { Router } from 'express';
import type { Metrics } from '../observability/metrics.ts';

/** a load balancer must hear "not ready" quickly, even from a database that does not answer at all */
export const READINESS_DEADLINE_MS = 900;

export function healthRouter(deps: { readiness: () => Promise<void>; metrics: Metrics }): Router {
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
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
