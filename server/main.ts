// Boot: read config, check agents against their databases (fail closed), create the app, listen,
// attach the WebSocket upgrade, and shut down gracefully.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import type { AnswerEngine } from './answers/engine.ts';
import { type ApiKeyChecker, createApp, type SessionVerifier } from './app.ts';
import { apiKeysFromEnv, createApiKeyChecker } from './auth/api-keys.ts';
import { createSessionVerifier, sessionAuthConfigFromEnv } from './auth/session-token.ts';
import type { LoadedConfig } from './config/load.ts';
import { ConversationStore } from './conversations/store.ts';
import { createDatasetService, type DatasetService, datasetAgentsFromConfig } from './datasets/service.ts';
import { openDatabase } from './db/connect.ts';
import { createMetrics } from './observability/metrics.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { assertAgentsReady } from './semantic/check.ts';
import { attachWidgetSocket, type WidgetSocketOptions } from './ws/widget-socket.ts';

export interface StartOptions {
  config: LoadedConfig;
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  clock?: () => Date;
  logger?: Logger;
  /** skip `parley check` at start (tests that build their own databases); never in production */
  skipCheck?: boolean;
  /** the widget socket's limits (the benchmark lifts the per-user question rate); default: the socket's own */
  widgetSocket?: WidgetSocketOptions;
}

export interface RunningServer {
  url: string;
  server: http.Server;
  store: ConversationStore;
  datasets: DatasetService;
  close(): Promise<void>;
}

const WIDGET_DIST = path.join(PACKAGE_ROOT, 'dist', 'widget');

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const { config } = options;
  const logger = options.logger ?? pino({ level: env.PARLEY_LOG_LEVEL ?? 'info' });
  const clock = options.clock ?? clockFromEnv(env);

  // fail closed: an agent whose model does not fit its database never serves
  if (!options.skipCheck)
    await assertAgentsReady(config, (url) => openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } }));

  const sessions: SessionVerifier = createSessionVerifier(
    sessionAuthConfigFromEnv(env, config.config.auth.session),
    (agentId) => config.agents.get(agentId)?.config,
  );
  const apiKeys: ApiKeyChecker = createApiKeyChecker([...config.config.auth.apiKeys, ...apiKeysFromEnv(env)]);
  // the store stamps real time even when PARLEY_NOW pins the answers' clock: reconnect sync relies on order
  const store = await ConversationStore.open(config.storeUrl);
  await store.failAbandoned();
  const datasets = createDatasetService({
    db: store.db,
    agents: datasetAgentsFromConfig(config),
    settings: config.config.datasets,
    logger,
  });
  datasets.startMaintenance();
  // the engine's modules (the planner, its date parser) load while the server starts listening, not before it:
  // a quarter of start-up; an answer or a readiness check asked meanwhile waits for them
  let loading: Promise<AnswerEngine> | undefined;
  const loadEngine = (): Promise<AnswerEngine> => {
    loading ??= import('./answers/engine.ts').then(({ createAnswerEngine }) =>
      createAnswerEngine({ config, now: clock, memory: store.memory(), datasets }),
    );
    return loading;
  };
  const engine: AnswerEngine = {
    ask: async (input) => (await loadEngine()).ask(input),
    ping: async () => (await loadEngine()).ping(),
    close: async () => {
      if (loading) await (await loading).close();
    },
  };
  const metrics = createMetrics();
  const readiness = async (): Promise<void> => {
    await store.ping();
    await engine.ping();
  };
  const deps = {
    config,
    engine,
    store,
    datasets,
    sessions,
    apiKeys,
    logger,
    metrics,
    clock,
    readiness,
    widgetDir: fs.existsSync(WIDGET_DIST) ? WIDGET_DIST : undefined,
  };
  const app = createApp(deps);
  const server = http.createServer(app);
  const sockets = attachWidgetSocket(server, deps, options.widgetSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.config.server.port, options.host ?? config.config.server.host, () =>
      resolve(),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, 'parley listening');
  loadEngine().catch((err: unknown) => logger.error({ err }, 'could not load the answer engine'));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // stop taking new work, let in-flight answers finish or cancel, then close the databases
      server.close();
      await sockets.close();
      server.closeAllConnections();
      await engine.close();
      await datasets.close();
      await store.close();
    })();
    return closing;
  };
  return { url, server, store, datasets, close };
}

function clockFromEnv(env: NodeJS.ProcessEnv): () => Date {
  const pinned = env.PARLEY_NOW;
  if (!pinned) return () => new Date();
  const at = new Date(pinned);
  if (Number.isNaN(at.getTime())) throw new Error(`PARLEY_NOW="${pinned}" is not an ISO time`);
  return () => at;
}
