// The host-backend API under /api/v1, compatible with the official @inconvoai/node SDK: a host backend switches
// to Parley by pointing the SDK's baseURL at http://host:port/api/v1. Every route takes an API key
// (Authorization: Bearer <key>) checked for the agent of the path; /openapi.json is public.
// Same role as http/widget-v1/router.ts: each API surface has one router.ts that mounts its routes.
import express, { Router } from 'express';
import type { AppDeps } from '../../deps.ts';
import { openApiDocument } from '../openapi.ts';
import type { ApiDeps } from './context.ts';
import { conversationRoutes } from './conversations.ts';
import { dataSummaryRoutes } from './data-summary.ts';
import { feedbackRoutes } from './feedback.ts';
import { type ResponseRouteOptions, responseRoutes } from './responses.ts';
import { revocationRoutes } from './revocations.ts';

export const BODY_LIMIT = '64kb';

export function apiV1Router(deps: AppDeps | ApiDeps, options: ResponseRouteOptions = {}): Router {
  const router = Router();
  router.use(express.json({ limit: BODY_LIMIT }));

  let document: object | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= openApiDocument();
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(document);
  });

  conversationRoutes(router, deps);
  responseRoutes(router, deps, options);
  feedbackRoutes(router, deps);
  dataSummaryRoutes(router, deps);
  revocationRoutes(router, deps);
  return router;
}
