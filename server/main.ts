// Boot: read config, check agents against their databases (fail closed), create the app, listen,
// attach the WebSocket upgrade, and shut down gracefully.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { type Logger, pino } from 'pino';
import type { AnswerEngine } from './answers/engine.ts';
import { createApp } from './app.ts';
import { apiKeysFromEnv, createApiKeyChecker } from './auth/api-keys.ts';
import { RevocationStore, withRevocation } from './auth/revocations.ts';
import { createSessionVerifier, MAX_LIFETIME_SEC, sessionAuthConfigFromEnv } from './auth/session-token.ts';
import { memoryState, redisState, redisUrlFrom, type SharedState } from './cluster/shared-state.ts';
import type { LoadedConfig } from './config/load.ts';
import { InstanceLease, newInstanceId } from './conversations/leases.ts';
import { flushSaves } from './conversations/save-outcome.ts';
import { ConversationStore } from './conversations/store.ts';
import { createDatasetService, type DatasetService, datasetAgentsFromConfig } from './datasets/service.ts';
import { openDatabase } from './db/connect.ts';
import { type ApiKeyChecker, createAppDeps, type SessionVerifier } from './deps.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { metricsRouter } from './http/health.ts';
import { startingGate } from './http/starting-gate.ts';
import { WIDGET_NOT_BUILT } from './http/widget-bundle.ts';
import type { RateLimitOptions } from './limits/question-rate.ts';
import { createMetrics } from './observability/metrics.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { assertAgentsReady } from './semantic/check.ts';
import { attachWidgetSocket, type WidgetSocketOptions } from './ws/widget-socket.ts';

/** How long an idle HTTP keep-alive connection is kept open. */
export const KEEP_ALIVE_MS = 65_000;
export interface StartOptions {
  config: LoadedConfig;
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  clock?: () => Date;
  logger?: Logger;
  /** skip `parley check` at start (tests that build their own databases); never in production */
  skipCheck?: boolean;
  /** the folder of the built widget bundle (default: dist/widget) */
  widgetDir?: string;
  /** the demo host app's URL once it listens (`parley demo`), linked from the home page */
  demoHostUrl?: () => string | undefined;
  /** the widget socket's limits; default: the socket's own */
  widgetSocket?: WidgetSocketOptions;
  /** questions per user on both surfaces (the benchmark lifts it); default burst 5, 10 a minute */
  questionRate?: RateLimitOptions;
  /**
   * Called once the server listens, before its start-up work is done (agents checked, store opened): from then on
   * /healthz answers, and everything else waits for the start-up (server/http/starting-gate.ts). startServer still
   * resolves only when the server is ready, and rejects (the server closed) when the start-up fails.
   */
  onListening?: (listening: { url: string; instanceId: string; shared: SharedState['mode'] }) => void;
}

export interface RunningServer {
  url: string;
  /** the private /metrics listener, when server.metrics.port (or PARLEY_METRICS_PORT) is set */
  metricsUrl?: string;
  server: http.Server;
  store: ConversationStore;
  datasets: DatasetService;
  instanceId: string;
  /** what this instance shares with others: 'redis', or 'memory' (one instance) */
  shared: SharedState['mode'];
  close(): Promise<void>;
}

export const WIDGET_DIST = path.join(PACKAGE_ROOT, 'dist', 'widget');

export async function startServer(options: StartOptions): Promise<RunningServer> {
  let closing: Promise<void> | undefined;
  const env = options.env ?? process.env;
  const { config } = options;
  const logger = options.logger ?? pino({ level: env.PARLEY_LOG_LEVEL ?? 'info' });
  const clock = options.clock ?? clockFromEnv(env);
  // settings read from the config and environment: a mistake there stops the server before it listens
  const sessionConfig = sessionAuthConfigFromEnv(env, config.config.auth.session);
  const verifier = createSessionVerifier(sessionConfig, (agentId) => config.agents.get(agentId)?.config);
  const apiKeys: ApiKeyChecker = createApiKeyChecker([...config.config.auth.apiKeys, ...apiKeysFromEnv(env)]);
  // the store stamps real time even when PARLEY_NOW pins the answers' clock: reconnect sync relies on order
  const instanceId = env.PARLEY_INSTANCE_ID || newInstanceId();
  const redisUrl = redisUrlFrom(env, config.config.cluster?.redisUrl);
  const metricsSettings = metricsSettingsFrom(env, config.config.server.metrics);

  // listen first: /healthz answers while the agents are checked and the store opened; the rest waits for them
  // an idle keep-alive connection is kept longer than a load balancer or client keeps it (AWS ALB: 60 s; Node's own
  // 5 s), so the server never closes one just as a request is sent on it: that race fails the request ("socket hang
  // up", a 502 at the balancer). Headers still have to arrive within headersTimeout, which must exceed it.
  const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: KEEP_ALIVE_MS + 1000 });
  const gate = startingGate(server);
  // in-flight HTTP requests (/api/v1 answers and their streams among them), drained on shutdown like the socket
  const inFlight = new Set<http.ServerResponse>();
  let drained: (() => void) | undefined;
  server.on('request', (_req, res: http.ServerResponse) => {
    inFlight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.delete(res);
      if (inFlight.size === 0) drained?.();
    });
  });
  const port = options.port ?? config.config.server.port;
  const listenHost = options.host ?? config.config.server.host;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenHost, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new Error(
        `port ${port} on ${listenHost} is already in use: stop what listens there or choose another (--port, PARLEY_PORT)`,
      );
    throw err;
  }
  const url = urlOf(server);
  logger.info({ url, instanceId, shared: redisUrl ? 'redis' : 'memory' }, 'parley listening');
  options.onListening?.({ url, instanceId, shared: redisUrl ? 'redis' : 'memory' });
  // what the start-up opens is closed again when a later step fails: nothing may keep running for a server that
  // does not serve
  const opened: Array<() => Promise<unknown>> = [];
  try {
    return await startUp();
  } catch (err) {
    gate.fail();
    server.close();
    server.closeAllConnections();
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw err;
  }

  async function startUp(): Promise<RunningServer> {
    // SQLite answers synchronously, so a step's queries chain through promises without giving the event loop a turn:
    // between the steps it gets one, to accept and answer a /healthz that came meanwhile
    const letRequestsIn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await letRequestsIn();
    // fail closed: an agent whose model does not fit its database never serves
    if (!options.skipCheck)
      await assertAgentsReady(config, (url) =>
        openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } }),
      );

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
      loading ??= import('./answers/engine.ts').then(({ createAnswerEngine }) =>
        createAnswerEngine({ config, now: clock, memory: store.memory(), datasets }),
      );
      return loading;
    };
    const engine: AnswerEngine = {
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
        server.close();
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        clearInterval(purge);
        server.closeIdleConnections();
        const httpDrained = new Promise<void>((resolve) => {
          drained = resolve;
          if (inFlight.size === 0) resolve();
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
