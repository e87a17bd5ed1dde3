// A live HTTP server with only the dataset routers mounted (/api/v1 and /widget/v1), built the way server/main.ts
// builds its deps (config, store, session verifier, API keys, dataset service), for the dataset end-to-end tests
// until server/app.ts mounts datasetsApiRouter and datasetsWidgetRouter itself.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { type ApiKeyEntry, apiKeysFromEnv, createApiKeyChecker } from '../../server/auth/api-keys.ts';
import {
  createSessionVerifier,
  mintSessionToken,
  sessionAuthConfigFromEnv,
} from '../../server/auth/session-token.ts';
import { parseConfig } from '../../server/config/load.ts';
import { ConversationStore } from '../../server/conversations/store.ts';
import {
  createDatasetService,
  type DatasetService,
  datasetAgentsFromConfig,
} from '../../server/datasets/service.ts';
import type { DatasetSettingsInput } from '../../server/datasets/settings.ts';
import { datasetsApiRouter } from '../../server/http/api-v1/datasets.ts';
import { errorHandler, notFound } from '../../server/http/errors.ts';
import { datasetsWidgetRouter } from '../../server/http/widget-v1/datasets.ts';
import { DEMO_CONFIG_FILE, makeTempDir, sqliteUrl } from './demo-db.ts';

export const DATASETS_TEST_SECRET = 'datasets-test-session-secret-0123456789-abcdef';
export const DATASETS_TEST_API_KEY = 'pk_datasets_test_0123456789abcdef';

export interface DatasetsTestServer {
  url: string;
  dir: string;
  apiKey: string;
  store: ConversationStore;
  datasets: DatasetService;
  /** a session token for the demo agent (userContext { organisationId }) */
  token(
    userIdentifier: string,
    organisationId: number,
    options?: { permissions?: string[]; agentId?: string },
  ): string;
  /** rows in parley_dataset_blobs (the default database storage) */
  blobRows(): Promise<number>;
  fileRows(): Promise<number>;
  close(): Promise<void>;
}

export interface DatasetsTestServerOptions {
  settings?: DatasetSettingsInput;
  /** more API keys (e.g. one scoped to another agent) */
  apiKeys?: ApiKeyEntry[];
  /** a transform of parley.config.yaml's text (e.g. another agent) */
  configText?: (text: string) => string;
}

export async function startDatasetsTestServer(
  options: DatasetsTestServerOptions = {},
): Promise<DatasetsTestServer> {
  const dir = makeTempDir('parley-datasets-http');
  const env: NodeJS.ProcessEnv = {
    PARLEY_SESSION_SECRET: DATASETS_TEST_SECRET,
    PARLEY_API_KEY: DATASETS_TEST_API_KEY,
  };
  let text = fs.readFileSync(DEMO_CONFIG_FILE, 'utf8');
  if (options.configText) text = options.configText(text);
  const config = parseConfig(text, DEMO_CONFIG_FILE, env);
  const logger = pino({ level: 'silent' });

  // as server/main.ts does
  const sessions = createSessionVerifier(
    sessionAuthConfigFromEnv(env, config.config.auth.session),
    (agentId) => config.agents.get(agentId)?.config,
  );
  const apiKeys = createApiKeyChecker([
    ...config.config.auth.apiKeys,
    ...apiKeysFromEnv(env),
    ...(options.apiKeys ?? []),
  ]);
  const store = await ConversationStore.open(sqliteUrl(path.join(dir, 'store.sqlite')));
  const datasets = createDatasetService({
    db: store.db,
    agents: datasetAgentsFromConfig(config),
    settings: { cache: { dir }, ...options.settings },
    logger,
  });

  const deps = { config, sessions, apiKeys, logger, datasets };
  const app = express();
  app.disable('x-powered-by');
  app.use('/api/v1', datasetsApiRouter(deps));
  app.use('/widget/v1', datasetsWidgetRouter(deps));
  app.use((_req, _res, next) => next(notFound('no such route')));
  app.use(errorHandler(logger));

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const count = async (table: string): Promise<number> =>
    Number(((await store.db(table).count({ n: '*' }).first()) as { n: number | string }).n);

  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    apiKey: DATASETS_TEST_API_KEY,
    store,
    datasets,
    token: (userIdentifier, organisationId, opts = {}) =>
      mintSessionToken({
        userIdentifier,
        userContext: { organisationId },
        agentId: opts.agentId ?? 'demo',
        ttl: '15m',
        permissions: opts.permissions,
        secret: DATASETS_TEST_SECRET,
      }),
    blobRows: () => count('parley_dataset_blobs'),
    fileRows: () => count('parley_dataset_files'),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await datasets.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
