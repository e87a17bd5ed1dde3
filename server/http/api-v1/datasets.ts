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
// The API key is checked for the agent before anything else (401/403), before the body is read.
// In a multi-tenant agent a user's files belong to the user within their tenant: user routes take the user's
// userContext as JSON in the `userContext` query parameter (the SDK passes it with `{ query: { userContext } }`),
// e.g. ?userContext={"organisationId":1}; without it they answer 400 tenant_required.
// The contextKey must be a declared integer or string userContext field; the value parses by that type (400).
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../app.ts';
import { DatasetError, datasetNotFound } from '../../datasets/errors.ts';
import { formField, routeParam, uploadedFile, uploadMiddleware } from '../../datasets/http.ts';
import type { DatasetService } from '../../datasets/service.ts';
import type { DatasetScope } from '../../datasets/types.ts';

export type DatasetsApiDeps = Pick<AppDeps, 'apiKeys'> & { datasets: DatasetService };

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

  // the key first (401 unknown key, 403 not scoped to this agent), then the agent (404)
  const authorise = (req: Request, res: Response, next: NextFunction): void => {
    const agentId = routeParam(req, 'agentId');
    deps.apiKeys.check(req.headers.authorization, agentId);
    datasets.agent(agentId);
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  const userScope = (req: Request): DatasetScope =>
    datasets.userScope(routeParam(req, 'agentId'), routeParam(req, 'userIdentifier'), userContextQuery(req));
  const contextScope = (req: Request): DatasetScope =>
    datasets.contextScope(
      routeParam(req, 'agentId'),
      routeParam(req, 'contextKey'),
      routeParam(req, 'contextValue'),
    );

  for (const [prefix, scopeOf] of [
    ['/agents/:agentId/datasets/user/:userIdentifier', userScope],
    ['/agents/:agentId/datasets/context/:contextKey/:contextValue', contextScope],
  ] as const) {
    router.post(
      prefix,
      authorise,
      // the scope is checked, and the upload admitted (429 past the uploader's rate or concurrency), before the
      // body is read
      async (req, res, next) => {
        const scope = scopeOf(req);
        await datasets.admitUpload(datasets.uploaderKey(routeParam(req, 'agentId'), scope), res);
        next();
      },
      upload,
      async (req, res) => {
        const scope = scopeOf(req);
        const file = uploadedFile(req);
        const { record } = await datasets.upload(routeParam(req, 'agentId'), scope, {
          filename: file.filename,
          bytes: file.bytes,
          notes: formField(req, 'notes'),
        });
        res.json({ file: { name: record.name, path: record.path, size: record.size } });
      },
    );

    router.get(prefix, authorise, async (req, res) => {
      const records = await datasets.list(routeParam(req, 'agentId'), scopeOf(req));
      res.json({ files: records.map((r) => r.name) });
    });

    router.delete(`${prefix}/:filename`, authorise, async (req, res) => {
      const name = routeParam(req, 'filename');
      const removed = await datasets.remove(routeParam(req, 'agentId'), scopeOf(req), name);
      if (!removed) throw datasetNotFound();
      res.json({ file: name, success: true });
    });
  }

  return router;
}
