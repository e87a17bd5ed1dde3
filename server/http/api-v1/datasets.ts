// Datasets on the host-backend API (API key), with the routes and shapes of the @inconvoai/node SDK
// (client.agents.datasets.user / .context): upload (multipart `file`, optional `notes`), list and delete.
//
//   POST   /agents/:agentId/datasets/user/:userIdentifier                       -> 200 { file: { name, path, size } }
//   GET    /agents/:agentId/datasets/user/:userIdentifier                       -> 200 { files: [name, ...] }
//   DELETE /agents/:agentId/datasets/user/:userIdentifier/:filename             -> 200 { file, success: true } | 404
//   POST   /agents/:agentId/datasets/context/:contextKey/:contextValue          -> 200 { file: { name, path, size } }
//   GET    /agents/:agentId/datasets/context/:contextKey/:contextValue          -> 200 { files: [name, ...] }
//   DELETE /agents/:agentId/datasets/context/:contextKey/:contextValue/:filename -> 200 { file, success: true } | 404
//
// The guide's agent-less routes are the same without `/agents/:agentId` (POST/GET /datasets/user/:userIdentifier,
// DELETE /datasets/user/:userIdentifier/:filename, and the same for /datasets/context/:contextKey/:contextValue):
// the agent is the one the API key is scoped to when it is scoped to exactly one, else `datasets.defaultAgent` of
// the config; with neither they answer 400 agent_required.
//
// The API key is checked for the agent before anything else (401/403), before the body is read.
// In a multi-tenant agent a user's files belong to the user within their tenant: user routes take the user's
// userContext as JSON in the `userContext` query parameter (the SDK passes it with `{ query: { userContext } }`),
// e.g. ?userContext={"organisationId":1}; without it they answer 400 tenant_required.
// The contextKey must be a declared integer or string userContext field; the value parses by that type (400).
// Same role as http/widget-v1/datasets.ts: the dataset routes of one API surface (this one: API key).
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { ApiKeyIdentity } from '../../auth/api-keys.ts';
import { DatasetError, datasetNotFound } from '../../datasets/errors.ts';
import { formField, routeParam, uploadedFile, uploadMiddleware } from '../../datasets/http.ts';
import type { DatasetService } from '../../datasets/service.ts';
import type { DatasetScope } from '../../datasets/types.ts';
import type { AppDeps } from '../../deps.ts';
import { validateUserContext } from '../../semantic/user-context.ts';
import { checkContextWithinPin, keyTenant, tenantWithinPin } from './tenant-pin.ts';

export type DatasetsApiDeps = Pick<AppDeps, 'apiKeys'> & {
  datasets: DatasetService;
  /** the agent of the agent-less routes for keys not scoped to exactly one agent (config datasets.defaultAgent) */
  defaultAgent?: string;
};

/** The route prefixes of the dataset routes, with and without the agent in the path. */
export const DATASET_ROUTE_PREFIXES = {
  user: ['/agents/:agentId/datasets/user/:userIdentifier', '/datasets/user/:userIdentifier'],
  context: [
    '/agents/:agentId/datasets/context/:contextKey/:contextValue',
    '/datasets/context/:contextKey/:contextValue',
  ],
} as const;

/** The `userContext` query parameter, parsed (JSON object text); undefined when absent. */
function userContextQuery(req: Request): unknown {
  const raw = (req.query as Record<string, unknown>).userContext;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    throw new DatasetError(400, 'invalid_user_context', 'userContext must be given once, as JSON text');
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new DatasetError(400, 'invalid_user_context', 'userContext is not valid JSON');
  }
}

export function datasetsApiRouter(deps: DatasetsApiDeps): Router {
  const router = Router();
  const { datasets } = deps;
  const upload = uploadMiddleware(datasets.settings);

  /**
   * The agent of a request: the path's, or for the agent-less routes the key's only agent or the default agent.
   * The key is checked first (401 unknown key, 403 not scoped to the agent), then the agent (404).
   */
  const keys = new WeakMap<Request, ApiKeyIdentity>();
  const agentOf = (req: Request): string => {
    const named = routeParam(req, 'agentId');
    if (named !== '') {
      keys.set(req, deps.apiKeys.check(req.headers.authorization, named));
      return named;
    }
    const identity = deps.apiKeys.check(req.headers.authorization);
    keys.set(req, identity);
    const only = identity.agents?.length === 1 ? identity.agents[0] : undefined;
    const agentId = only ?? deps.defaultAgent;
    if (agentId === undefined) {
      throw new DatasetError(
        400,
        'agent_required',
        'this API key is not scoped to exactly one agent and no datasets.defaultAgent is configured: ' +
          'use /agents/{agentId}/datasets/...',
      );
    }
    if (only === undefined) deps.apiKeys.check(req.headers.authorization, agentId);
    return agentId;
  };
  const agentKey = Symbol('datasetAgent');
  type WithAgent = Request & { [agentKey]?: string };
  const agentIdOf = (req: Request): string => {
    const agentId = (req as WithAgent)[agentKey];
    if (agentId === undefined) throw new Error('authorise runs first');
    return agentId;
  };

  const authorise = (req: Request, res: Response, next: NextFunction): void => {
    const agentId = agentOf(req);
    datasets.agent(agentId);
    (req as WithAgent)[agentKey] = agentId;
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  const keyOf = (req: Request): ApiKeyIdentity => {
    const identity = keys.get(req);
    if (!identity) throw new Error('authorise runs first');
    return identity;
  };
  // a tenant-pinned key reaches only its tenant's files (tenant-pin.ts); its tenant is the default userContext
  const userScope = (req: Request): DatasetScope => {
    const agentId = agentIdOf(req);
    const declared = datasets.agent(agentId).userContext;
    const raw = userContextQuery(req);
    const scope = datasets.userScope(
      agentId,
      routeParam(req, 'userIdentifier'),
      raw ?? keyTenant(keyOf(req), declared),
    );
    if (raw !== undefined) tenantWithinPin(keyOf(req), declared, validateUserContext(declared, raw));
    return scope;
  };
  const contextScope = (req: Request): DatasetScope => {
    const agentId = agentIdOf(req);
    const scope = datasets.contextScope(
      agentId,
      routeParam(req, 'contextKey'),
      routeParam(req, 'contextValue'),
    );
    if (scope.kind === 'context')
      checkContextWithinPin(
        keyOf(req),
        datasets.agent(agentId).userContext,
        scope.contextKey,
        scope.contextValue,
      );
    return scope;
  };

  const routes: Array<[string, (req: Request) => DatasetScope]> = [
    ...DATASET_ROUTE_PREFIXES.user.map((p): [string, (req: Request) => DatasetScope] => [p, userScope]),
    ...DATASET_ROUTE_PREFIXES.context.map((p): [string, (req: Request) => DatasetScope] => [p, contextScope]),
  ];
  for (const [prefix, scopeOf] of routes) {
    router.post(
      prefix,
      authorise,
      // the scope is checked, and the upload admitted (429 past the uploader's rate or concurrency), before the
      // body is read
      async (req, res, next) => {
        const scope = scopeOf(req);
        await datasets.admitUpload(datasets.uploaderKey(agentIdOf(req), scope), res);
        next();
      },
      upload,
      async (req, res) => {
        const scope = scopeOf(req);
        const file = uploadedFile(req);
        const { record } = await datasets.upload(agentIdOf(req), scope, {
          filename: file.filename,
          bytes: file.bytes,
          notes: formField(req, 'notes'),
        });
        res.json({ file: { name: record.name, path: record.path, size: record.size } });
      },
    );

    router.get(prefix, authorise, async (req, res) => {
      const records = await datasets.list(agentIdOf(req), scopeOf(req));
      res.json({ files: records.map((r) => r.name) });
    });

    router.delete(`${prefix}/:filename`, authorise, async (req, res) => {
      const name = routeParam(req, 'filename');
      const removed = await datasets.remove(agentIdOf(req), scopeOf(req), name);
      if (!removed) throw datasetNotFound();
      res.json({ file: name, success: true });
    });
  }

  return router;
}
