// What instances behind one load balancer share: nothing (one instance, in memory: the embedded default) or a Redis
// server (PARLEY_REDIS_URL / cluster.redisUrl): rate limits and socket caps per user, and answer events between
// instances (cancel and live delivery from any instance's socket). Every Redis call has a bound.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type SharedMode = 'memory' | 'redis';

/** An answer event between instances; `from` is the sending instance (it never handles its own). */
export type ClusterMessage = { from: string } & (
  | { kind: 'cancel'; requestId: string; responseId: string; ownerKey: string }
  | { kind: 'cancel-ack'; requestId: string; to: string }
  | { kind: 'final'; ownerKey: string; event: Record<string, unknown> }
);

export interface SharedState {
  readonly mode: SharedMode;
  readonly instanceId: string;
  /** the Redis client for limiters and counters; undefined in memory mode */
  readonly redis?: Redis;
  publish(message: ClusterMessage): void;
  /** handlers for messages of other instances */
  onMessage(handler: (message: ClusterMessage) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'parley:answers';
/** one Redis command's deadline */
export const REDIS_COMMAND_MS = 1000;

export function memoryState(instanceId: string): SharedState {
  return {
    mode: 'memory',
    instanceId,
    publish: () => undefined,
    onMessage: () => undefined,
    close: async () => undefined,
  };
}

export function redisUrlFrom(env: NodeJS.ProcessEnv, configured: string | undefined): string | undefined {
  return env.PARLEY_REDIS_URL || configured || undefined;
}

/** Connects to Redis (failing start within a few seconds when it does not answer) and subscribes to answer events. */
export async function redisState(url: string, instanceId: string, logger: Logger): Promise<SharedState> {
  const options = {
    connectTimeout: 3000,
    commandTimeout: REDIS_COMMAND_MS,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    // reconnect forever with a short cap: a Redis restart must not need a Parley restart
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  // loaded here: an instance without Redis never needs the client
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, commandTimeout: undefined });
  const log = logger.child({ component: 'shared-state' });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  subscriber.on('error', (err) => log.warn({ err: err.message }, 'redis subscriber error'));
  try {
    await redis.connect();
    await subscriber.connect();
    await subscriber.subscribe(CHANNEL);
  } catch (err) {
    redis.disconnect();
    subscriber.disconnect();
    throw new Error(
      `Redis at ${url.replace(/\/\/[^@]*@/, '//***@')} does not answer: ${(err as Error).message}`,
    );
  }
  const handlers: Array<(m: ClusterMessage) => void> = [];
  subscriber.on('message', (_channel: string, text: string) => {
    let message: ClusterMessage;
    try {
      message = JSON.parse(text) as ClusterMessage;
    } catch {
      return;
    }
    if (message.from === instanceId) return;
    for (const handle of handlers) handle(message);
  });
  return {
    mode: 'redis',
    instanceId,
    redis,
    publish(message) {
      redis.publish(CHANNEL, JSON.stringify(message)).catch((err: Error) => {
        log.warn({ err: err.message, kind: message.kind }, 'could not publish an answer event');
      });
    },
    onMessage(handler) {
      handlers.push(handler);
    },
    async close() {
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
