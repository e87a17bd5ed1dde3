// What starting a server takes and gives (server/main.ts, which listens, and server/start-up.ts, the work after it).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AnswerEngine } from './answers/engine.ts';
import type { SharedState } from './cluster/shared-state.ts';
import type { LoadedConfig } from './config/load.ts';
import type { ConversationStore } from './conversations/store.ts';
import type { DatasetService } from './datasets/service.ts';
import type { RateLimitOptions } from './limits/question-rate.ts';
import type { WidgetSocketOptions } from './ws/widget-socket.ts';

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
   * Wraps the answer engine: the benchmark replays answers through it to measure the server without the engine's
   * work (test/bench/server-child.ts); never in production
   */
  wrapEngine?: (engine: AnswerEngine) => AnswerEngine;
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

/** The HTTP requests in flight, tracked from before the server listens so that a shutdown can wait for them. */
export interface InFlightRequests {
  readonly responses: Set<http.ServerResponse>;
  /** set when the shutdown begins: every response from then on closes its connection */
  closing: boolean;
  /** called when the last in-flight response closes (set by the shutdown) */
  drained?: () => void;
}

/** Where /metrics is served apart from the public port, and its bearer token there. */
export interface MetricsSettings {
  token?: string;
  host: string;
  port?: number;
}

export function urlOf(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
