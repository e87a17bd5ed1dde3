// Every route the app serves is in the OpenAPI document, and the document describes no route the app lacks:
// the routes are read from the Express routers that createApp mounts, not from a list kept by hand.

import fs from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../test/support/demo-db.ts';
import { createApp } from '../app.ts';
import { parseConfig } from '../config/load.ts';
import { resolveDatasetSettings } from '../datasets/settings.ts';
import type { AppDeps } from '../deps.ts';
import { openApiDocument } from './openapi.ts';

interface RouteLayer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouteLayer[] };
}

/** `METHOD /path` for every route of a router, mounts followed, params written as {name}. */
function routesOf(stack: RouteLayer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = `${prefix}${layer.route.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
      }
    } else if (layer.handle.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...routesOf(layer.handle.stack, `${prefix}${mount}`));
    }
  }
  return out;
}

function appRoutes(): string[] {
  const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {
    DATABASE_URL: 'sqlite:///tmp/unused.sqlite',
  });
  // routers are only built here, never called: the deps they read at construction are enough
  const deps = {
    config,
    datasets: { settings: resolveDatasetSettings() },
    metrics: {},
    logger: pino({ level: 'silent' }),
  } as unknown as AppDeps;
  const app = createApp(deps) as unknown as { router: { stack: RouteLayer[] } };
  return [...new Set(routesOf(app.router.stack))].sort();
}

/** Outside the API document on purpose: the HTML pages, process health, Prometheus, the widget bundle's files. */
const NOT_API = new Set([
  'GET /',
  'GET /agents/{agentId}',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /widget/{file}',
]);

describe('the OpenAPI document and the routers', () => {
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
  const served = appRoutes();

  it('documents every route the app serves', () => {
    expect(served.length).toBeGreaterThan(20);
    const missing = served.filter((r) => !NOT_API.has(r) && !documented.includes(r));
    expect(missing).toEqual([]);
  });

  it('documents no route the app does not serve (the WebSocket upgrade aside)', () => {
    const extra = documented.filter((r) => !served.includes(r) && r !== 'GET /widget/v1/ws');
    expect(extra).toEqual([]);
  });

  it('includes the dataset routes, with and without the agent in the path', () => {
    for (const route of [
      'POST /api/v1/agents/{agentId}/datasets/user/{userIdentifier}',
      'DELETE /api/v1/agents/{agentId}/datasets/context/{contextKey}/{contextValue}/{filename}',
      'POST /api/v1/datasets/user/{userIdentifier}',
      'GET /api/v1/datasets/context/{contextKey}/{contextValue}',
      'DELETE /api/v1/datasets/user/{userIdentifier}/{filename}',
      'POST /widget/v1/datasets',
    ]) {
      expect(documented, route).toContain(route);
      expect(served, route).toContain(route);
    }
  });
});
