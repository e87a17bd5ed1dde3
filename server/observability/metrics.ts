// Prometheus metrics (prom-client): requests, answers, durations, open sockets.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  answers: Counter<'agent' | 'type' | 'surface'>;
  answerDuration: Histogram<'agent'>;
  openSockets: Gauge;
  /** requests and sockets the front door turned away, by reason (message_budget, conversation_rate, ...) */
  refusals: Counter<'reason'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      registers: [registry],
    }),
    answers: new Counter({
      name: 'parley_answers_total',
      help: 'answers given, by agent, answer type and surface (api, widget, ws)',
      labelNames: ['agent', 'type', 'surface'],
      registers: [registry],
    }),
    answerDuration: new Histogram({
      name: 'parley_answer_duration_seconds',
      help: 'time from question to answer',
      labelNames: ['agent'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    openSockets: new Gauge({
      name: 'parley_websocket_connections',
      help: 'open WebSocket connections',
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'parley_refusals_total',
      help: 'requests and sockets refused by the front door limits and checks, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
