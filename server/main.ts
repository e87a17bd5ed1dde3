// Boot: read config, check agents against their databases (fail closed), create the app, listen,
// attach the WebSocket upgrade, and shut down gracefully.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { type Logger, pino } from 'pino';
import { createAnswerEngine } from './answers/engine.ts';
import { type ApiKeyChecker, createApp, type SessionVerifier } from './app.ts';
import { apiKeysFromEnv, createApiKeyChecker } from './auth/api-keys.ts';
import { RevocationStore, withRevocation } from './auth/revocations.ts';
import { createSessionVerifier, MAX_LIFETIME_SEC, sessionAuthConfigFromEnv } from './auth/session-token.ts';
import type { LoadedConfig } from './config/load.ts';
import { ConversationStore } from './conversations/store.ts';
import { createDatasetService, type DatasetService, datasetAgentsFromConfig } from './datasets/service.ts';
import { openDatabase } from './db/connect.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { metricsRouter } from './http/health.ts';
import { createMetrics } from './observability/metrics.ts';
import { assertAgentsReady } from './semantic/check.ts';
import { attachWidgetSocket } from './ws/widget-socket.ts';

export interface StartOptions {
  config: LoadedConfig;
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  clock?: () => Date;
  logger?: Logger;
  /** skip `parley check` at start (tests that build their own databases); never in production */
  skipCheck?: boolean;
}

export interface RunningServer {
  url: string;
  /** the private /metrics listener, when server.metrics.port (or PARLEY_METRICS_PORT) is set */
  metricsUrl?: string;
  server: http.Server;
  store: ConversationStore;
  datasets: DatasetService;
  close(): Promise<void>;
}

const WIDGET_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/widget');

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const { config } = options;
  const logger = options.logger ?? pino({ level: env.PARLEY_LOG_LEVEL ?? 'info' });
  const clock = options.clock ?? clockFromEnv(env);

  // fail closed: an agent whose model does not fit its database never serves
  if (!options.skipCheck)
    await assertAgentsReady(config, (url) => openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } }));

  const sessionConfig = sessionAuthConfigFromEnv(env, config.config.auth.session);
  const verifier = createSessionVerifier(sessionConfig, (agentId) => config.agents.get(agentId)?.config);
  const apiKeys: ApiKeyChecker = createApiKeyChecker([...config.config.auth.apiKeys, ...apiKeysFromEnv(env)]);
  // the store stamps real time even when PARLEY_NOW pins the answers' clock: reconnect sync relies on order
  const store = await ConversationStore.open(config.storeUrl);
  await store.failAbandoned();
  // revocations live in the store, so every instance sharing it refuses a revoked token on its next use
  const revocations = new RevocationStore(store.db);
  const sessions: SessionVerifier = withRevocation(verifier, revocations);
  const maxLifetimeSec = sessionConfig.maxLifetimeSec ?? MAX_LIFETIME_SEC;
  const purge = setInterval(() => {
    revocations
      .purge(maxLifetimeSec)
      .catch((err: unknown) => logger.warn({ err }, 'revocation purge failed'));
  }, 3_600_000);
  purge.unref();
  const datasets = createDatasetService({
    db: store.db,
    agents: datasetAgentsFromConfig(config),
    settings: config.config.datasets,
    logger,
  });
  datasets.startMaintenance();
  const engine = createAnswerEngine({ config, now: clock, memory: store.memory(), datasets });
  const metrics = createMetrics();
  const readiness = async (): Promise<void> => {
    await store.ping();
    await engine.ping();
  };
  const metricsSettings = metricsSettingsFrom(env, config.config.server.metrics);
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
    revocations,
    ...(metricsSettings.token !== undefined ? { metricsToken: metricsSettings.token } : {}),
    widgetDir: fs.existsSync(WIDGET_DIST) ? WIDGET_DIST : undefined,
  };
  const app = createApp(deps);
  const server = http.createServer(app);
  const sockets = attachWidgetSocket(server, deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.config.server.port, options.host ?? config.config.server.host, () =>
      resolve(),
    );
  });
  const url = urlOf(server);
  logger.info({ url }, 'parley listening');
  let metricsServer: http.Server | undefined;
  if (metricsSettings.port !== undefined) {
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    metricsApp.use(metricsRouter(metrics));
    metricsApp.use((_req, _res, next) => next(notFound('no such route')));
    metricsApp.use(errorHandler(logger));
    const listening = http.createServer(metricsApp);
    metricsServer = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(metricsSettings.port, metricsSettings.host, () => resolve());
    });
    logger.info({ url: `${urlOf(listening)}/metrics` }, 'metrics listening');
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // stop taking new work, let in-flight answers finish or cancel, then close the databases
      server.close();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      clearInterval(purge);
      await sockets.close();
      server.closeAllConnections();
      await engine.close();
      await datasets.close();
      await store.close();
    })();
    return closing;
  };
  return {
    url,
    ...(metricsServer ? { metricsUrl: urlOf(metricsServer) } : {}),
    server,
    store,
    datasets,
    close,
  };
}

function urlOf(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** PARLEY_METRICS_TOKEN and PARLEY_METRICS_PORT win over server.metrics in the config. */
function metricsSettingsFrom(
  env: NodeJS.ProcessEnv,
  configured: { token?: string; host?: string; port?: number } | undefined,
): { token?: string; host: string; port?: number } {
  const token = env.PARLEY_METRICS_TOKEN?.trim() || configured?.token;
  if (token !== undefined && token.length < 16)
    throw new Error('the metrics token must be at least 16 characters');
  const portText = env.PARLEY_METRICS_PORT?.trim();
  let port = configured?.port;
  if (portText) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
      throw new Error('PARLEY_METRICS_PORT must be a port number');
    port = Number(portText);
  }
  return {
    ...(token !== undefined ? { token } : {}),
    host: configured?.host ?? '127.0.0.1',
    ...(port !== undefined ? { port } : {}),
  };
}

function clockFromEnv(env: NodeJS.ProcessEnv): () => Date {
  const pinned = env.PARLEY_NOW;
  if (!pinned) return () => new Date();
  const at = new Date(pinned);
  if (Number.isNaN(at.getTime())) throw new Error(`PARLEY_NOW="${pinned}" is not an ISO time`);
  return () => at;
}
