// Datasets on the widget API (session token). Identity and tenant come only from the verified token: the
// userIdentifier of user files and the value of context files are the token's own, never the request's.
//
//   POST   /datasets                          multipart: file, notes?, scope = user (default) | context,
//                                             contextKey (for context; optional when only one key can be shared)
//                                             -> 201 { dataset }        (context: 403 without datasets:context:write)
//   GET    /datasets                          -> 200 { datasets: [...] } my files, then the context files I can see
//   DELETE /datasets/user/:filename           -> 200 { file, success: true } | 404
//   DELETE /datasets/context/:contextKey/:filename -> same; 403 without datasets:context:write
//
// Someone else's file (another user's, another organisation's) answers 404 whether it exists or not: the scope
// is built from the token, so such a file is simply not in it.
// Same role as http/api-v1/datasets.ts: the dataset routes of one API surface (this one: session token).

import { type RequestHandler, Router } from 'express';
import { hasPermission, PERMISSION_DATASETS_CONTEXT_WRITE } from '../../auth/claims.ts';
import { ownerOf } from '../../auth/owner.ts';
import { DatasetError, datasetNotFound } from '../../datasets/errors.ts';
import { formField, routeParam, uploadedFile, uploadMiddleware } from '../../datasets/http.ts';
import type { DatasetService } from '../../datasets/service.ts';
import type { DatasetRecord, DatasetScope, VisibleDataset } from '../../datasets/types.ts';
import type { AppDeps, VerifiedSession } from '../../deps.ts';
import { sessionOf, widgetAuth, widgetCors } from './session.ts';

export type DatasetsWidgetDeps = Pick<AppDeps, 'config' | 'sessions' | 'logger'> & {
  datasets: DatasetService;
};

/** A dataset as the widget shows it. */
export interface WidgetDataset {
  name: string;
  scope: 'user' | 'context';
  contextKey?: string;
  /** the table name questions can use */
  table?: string;
  format: 'csv' | 'json';
  notes: string;
  size: number;
  rowCount: number;
  columns: Array<{ name: string; header: string; type: string }>;
  uploadedAt: string;
  createdAt: string;
  /** whether this user may delete (and replace) it */
  canDelete: boolean;
}

function canWriteContext(session: VerifiedSession): boolean {
  return hasPermission(session, PERMISSION_DATASETS_CONTEXT_WRITE);
}

function requireContextWrite(session: VerifiedSession): void {
  if (!canWriteContext(session)) {
    throw new DatasetError(
      403,
      'forbidden',
      `sharing files with your organisation needs the ${PERMISSION_DATASETS_CONTEXT_WRITE} permission`,
    );
  }
}

function view(d: DatasetRecord | VisibleDataset, session: VerifiedSession): WidgetDataset {
  return {
    name: d.name,
    scope: d.scope.kind,
    ...(d.scope.kind === 'context' ? { contextKey: d.scope.contextKey } : {}),
    ...('table' in d ? { table: d.table } : {}),
    format: d.format,
    notes: d.notes,
    size: d.size,
    rowCount: d.rowCount,
    columns: d.columns.map((c) => ({ name: c.name, header: c.header, type: c.type })),
    uploadedAt: d.updatedAt,
    createdAt: d.createdAt,
    canDelete: d.scope.kind === 'user' || canWriteContext(session),
  };
}

export function datasetsWidgetRouter(deps: DatasetsWidgetDeps): Router {
  const router = Router();
  const { datasets } = deps;
  const upload = uploadMiddleware(datasets.settings);

  router.use('/datasets', widgetCors(deps), widgetAuth(deps));

  // admitted per user (429 past their upload rate or concurrency) before the body is read
  const admit: RequestHandler = async (_req, res, next) => {
    const owner = ownerOf(sessionOf(res));
    await datasets.admitUpload(datasets.uploaderKey(owner.agentId, datasets.ownerScope(owner)), res);
    next();
  };

  router.post('/datasets', admit, upload, async (req, res) => {
    const session = sessionOf(res);
    const owner = ownerOf(session);
    const scopeField = formField(req, 'scope') ?? 'user';
    let scope: DatasetScope;
    if (scopeField === 'user') scope = datasets.ownerScope(owner);
    else if (scopeField === 'context') {
      requireContextWrite(session);
      let key = formField(req, 'contextKey');
      if (key === undefined) {
        const keys = datasets.widgetContextKeys(owner.agentId);
        if (keys.length !== 1) throw new DatasetError(400, 'invalid_scope', 'contextKey is required');
        key = keys[0] as string;
      }
      scope = datasets.contextScopeFor(owner, key);
    } else throw new DatasetError(400, 'invalid_scope', 'scope must be "user" or "context"');
    const file = uploadedFile(req);
    const { record, replaced } = await datasets.upload(owner.agentId, scope, {
      filename: file.filename,
      bytes: file.bytes,
      notes: formField(req, 'notes'),
    });
    res.status(replaced ? 200 : 201).json({ dataset: view(record, session), replaced });
  });

  router.get('/datasets', async (_req, res) => {
    const session = sessionOf(res);
    const visible = await datasets.listVisibleDatasets(ownerOf(session));
    res.json({ datasets: visible.map((d) => view(d, session)) });
  });

  router.delete('/datasets/user/:filename', async (req, res) => {
    const session = sessionOf(res);
    const name = routeParam(req, 'filename');
    const removed = await datasets.remove(session.agentId, datasets.ownerScope(ownerOf(session)), name);
    if (!removed) throw datasetNotFound();
    res.json({ file: name, success: true });
  });

  router.delete('/datasets/context/:contextKey/:filename', async (req, res) => {
    const session = sessionOf(res);
    requireContextWrite(session);
    const scope = datasets.contextScopeFor(ownerOf(session), routeParam(req, 'contextKey'));
    const name = routeParam(req, 'filename');
    const removed = await datasets.remove(session.agentId, scope, name);
    if (!removed) throw datasetNotFound();
    res.json({ file: name, success: true });
  });

  return router;
}
