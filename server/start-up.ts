// The start-up once the server listens (server/main.ts): the agents checked against their databases, the shared
// state, the store opened and migrated, the datasets and the app built, the widget socket attached; then the starting
// gate lets the waiting requests in. A module of its own, imported after listen: its modules (express, knex, the
// store, the app) are most of what a start loads, and /healthz answers while they load.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import type { AnswerEngine } from './answers/engine.ts';
import { createApp } from './app.ts';
import type { ApiKeyChecker } from './auth/api-keys.ts';
import { RevocationStore, withRevocation } from './auth/revocations.ts';
import { MAX_LIFETIME_SEC, type SessionAuthConfig, type SessionVerifier } from './auth/session-token.ts';
import { memoryState, redisState } from './cluster/shared-state.ts';
import type { LoadedConfig } from './config/load.ts';
import { InstanceLease } from './conversations/leases.ts';
import { flushSaves } from './conversations/save-outcome.ts';
import { ConversationStore } from './conversations/store.ts';
import { createDatasetService, datasetAgentsFromConfig } from './datasets/service.ts';
import { openDatabase } from './db/connect.ts';
import { createAppDeps } from './deps.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { metricsRouter } from './http/health.ts';
import type { StartingGate } from './http/starting-gate.ts';
import { WIDGET_NOT_BUILT } from './http/widget-not-built.ts';
import { createMetrics } from './observability/metrics.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { assertAgentsReady } from './semantic/check.ts';
import {
  type InFlightRequests,
  type MetricsSettings,
  type RunningServer,
  type StartOptions,
  urlOf,
} from './start-options.ts';
import { attachWidgetSocket } from './ws/widget-socket.ts';

export const WIDGET_DIST = path.join(PACKAGE_ROOT, 'dist', 'widget');
/** the most a warm-up may add to start-up, however many agents there are (0.35 s for the demo's four agents) */
const WARM_UP_BUDGET_MS = 2000;

/** What startServer settled and opened before it listened. */
export interface Listening {
  options: StartOptions;
  config: LoadedConfig;
  logger: Logger;
  clock: () => Date;
  server: http.Server;
  gate: StartingGate;
  url: string;
  instanceId: string;
  redisUrl: string | undefined;
  metricsSettings: MetricsSettings;
  sessionConfig: SessionAuthConfig;
  verifier: SessionVerifier;
  apiKeys: ApiKeyChecker;
  inFlight: InFlightRequests;
  /** what the start-up opens, closed again by startServer when a later step fails */
  opened: Array<() => Promise<unknown>>;
}

export async function startUp(listening: Listening): Promise<RunningServer> {
  const { options, config, logger, clock, server, gate, url, instanceId, redisUrl, metricsSettings } =
    listening;
  const { sessionConfig, verifier, apiKeys, inFlight, opened } = listening;
  let closing: Promise<void> | undefined;
  // SQLite answers synchronously, so a step's queries chain through promises without giving the event loop a turn:
  // between the steps it gets one, to accept and answer a /healthz that came meanwhile
  const letRequestsIn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await letRequestsIn();
  // fail closed: an agent whose model does not fit its database never serves
  if (!options.skipCheck)
    await assertAgentsReady(config, (url) => openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } }));

  await letRequestsIn();
  const shared = redisUrl ? await redisState(redisUrl, instanceId, logger) : memoryState(instanceId);
  opened.push(() => shared.close());
  await letRequestsIn();
  const store = await ConversationStore.open(config.storeUrl, {
    instanceId,
    migrationLockWaitMs: config.config.store?.migrationLockWaitMs,
    queryTimeoutMs: config.config.store?.queryTimeoutMs,
  });
  opened.push(() => store.close());
  // answers other instances are making stay theirs; only those of instances whose lease ran out are failed
  const lease = new InstanceLease(store.db, instanceId, {
    ttlMs: (config.config.cluster?.leaseSeconds ?? 30) * 1000,
    onError: (err) => logger.warn({ err }, 'could not renew the instance lease'),
  });
  await letRequestsIn();
  await lease.start();
  opened.push(() => lease.stop());
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
  opened.push(async () => clearInterval(purge));
  const datasets = createDatasetService({
    db: store.db,
    agents: datasetAgentsFromConfig(config),
    settings: config.config.datasets,
    logger,
  });
  opened.push(() => datasets.close());
  datasets.startMaintenance();
  // the engine's modules (the planner, its date parser) load once the server is ready, not before it: a quarter
  // of start-up; an answer or a readiness check asked meanwhile waits for them
  let loading: Promise<AnswerEngine> | undefined;
  const loadEngine = (): Promise<AnswerEngine> => {
    loading ??= import('./answers/engine.ts').then(async ({ createAnswerEngine }) => {
      const loaded = createAnswerEngine({ config, now: clock, memory: store.memory(), datasets });
      // readiness waits for the warm-up, so the first user after a deploy is not the one who pays for a cold process
      const t0 = performance.now();
      await loaded.warmUp?.(WARM_UP_BUDGET_MS).then(
        (done) =>
          logger.debug({ ...done, ms: Math.round(performance.now() - t0) }, 'answer engine warmed up'),
        (err: unknown) => logger.warn({ err }, 'could not warm up the answer engine'),
      );
      return loaded;
    });
    return loading;
  };
  const loadedEngine: AnswerEngine = {
    ask: async (input) => (await loadEngine()).ask(input),
    ping: async () => (await loadEngine()).ping(),
    exportRows: async (input) => {
      const loaded = await loadEngine();
      if (!loaded.exportRows) throw new Error('this answer engine cannot export rows');
      return loaded.exportRows(input);
    },
    close: async () => {
      if (loading) await (await loading).close();
    },
  };
  const engine = options.wrapEngine ? options.wrapEngine(loadedEngine) : loadedEngine;
  const metrics = createMetrics();
  const readiness = async (): Promise<void> => {
    await store.ping();
    await engine.ping();
  };
  const bundleDir = options.widgetDir ?? WIDGET_DIST;
  const widgetDir = fs.existsSync(path.join(bundleDir, 'parley-widget.js')) ? bundleDir : undefined;
  if (!widgetDir)
    logger.warn({ widgetDir: bundleDir }, `/widget/parley-widget.js answers 404: ${WIDGET_NOT_BUILT}`);
  const deps = createAppDeps(
    {
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
      shared,
      widgetDir,
      ...(options.demoHostUrl ? { demoHostUrl: options.demoHostUrl } : {}),
      revocations,
      ...(metricsSettings.token !== undefined ? { metricsToken: metricsSettings.token } : {}),
    },
    { ...(options.questionRate ? { questionRate: options.questionRate } : {}) },
  );
  const app = createApp(deps);
  const graceMs = Math.min(5000, Math.floor(config.config.server.shutdownTimeoutMs / 3));
  const sockets = attachWidgetSocket(server, deps, { ...options.widgetSocket, shutdownGraceMs: graceMs });
  opened.push(() => sockets.close());
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
    opened.push(async () => listening.close());
  }
  // ready: the requests and upgrades that waited go to the app and the socket, and so does everything after
  gate.open(app);
  loadEngine().catch((err: unknown) => logger.error({ err }, 'could not load the answer engine'));

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // stop taking new work, let in-flight answers (socket and HTTP) finish or cancel, then close the databases
      inFlight.closing = true;
      server.close();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      clearInterval(purge);
      server.closeIdleConnections();
      const httpDrained = new Promise<void>((resolve) => {
        inFlight.drained = resolve;
        if (inFlight.responses.size === 0) resolve();
        setTimeout(resolve, graceMs).unref();
      });
      await Promise.all([sockets.close(), httpDrained]);
      server.closeAllConnections();
      await engine.close();
      await datasets.close();
      await flushSaves(store, graceMs);
      await lease
        .stop()
        .catch((err: unknown) => logger.warn({ err }, 'could not give up the instance lease'));
      await store.close();
      await shared.close();
    })();
    return closing;
  };
  return {
    url,
    ...(metricsServer ? { metricsUrl: urlOf(metricsServer) } : {}),
    server,
    store,
    datasets,
    instanceId,
    shared: shared.mode,
    close,
  };
}
