// Boot: read the settings from the config and environment, listen, then hand over to the start-up (server/start-up.ts,
// imported once listening: the agents checked against their databases, the store, the app, the widget socket).

import http from 'node:http';
import { pino } from 'pino';
import { type ApiKeyChecker, apiKeysFromEnv, createApiKeyChecker } from './auth/api-keys.ts';
import { createSessionVerifier, sessionAuthConfigFromEnv } from './auth/session-token.ts';
import { redisUrlFrom } from './cluster/shared-state.ts';
import { newInstanceId } from './conversations/leases.ts';
import { startingGate } from './http/starting-gate.ts';
import {
  type InFlightRequests,
  type MetricsSettings,
  type RunningServer,
  type StartOptions,
  urlOf,
} from './start-options.ts';

export type { RunningServer, StartOptions } from './start-options.ts';

/** How long an idle HTTP keep-alive connection is kept open. */
export const KEEP_ALIVE_MS = 65_000;

export async function startServer(options: StartOptions): Promise<RunningServer> {
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
  const inFlight: InFlightRequests = { responses: new Set(), closing: false };
  server.on('request', (_req, res: http.ServerResponse) => {
    inFlight.responses.add(res);
    if (inFlight.closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.responses.delete(res);
      if (inFlight.responses.size === 0) inFlight.drained?.();
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
    const { startUp } = await import('./start-up.ts');
    return await startUp({
      options,
      config,
      logger,
      clock,
      server,
      gate,
      url,
      instanceId,
      redisUrl,
      metricsSettings,
      sessionConfig,
      verifier,
      apiKeys,
      inFlight,
      opened,
    });
  } catch (err) {
    gate.fail();
    server.close();
    server.closeAllConnections();
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

/** PARLEY_METRICS_TOKEN and PARLEY_METRICS_PORT win over server.metrics in the config. */
function metricsSettingsFrom(
  env: NodeJS.ProcessEnv,
  configured: { token?: string; host?: string; port?: number } | undefined,
): MetricsSettings {
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
