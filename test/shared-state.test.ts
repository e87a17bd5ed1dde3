// Two instances sharing Redis (and one store): a user's question burst and socket cap count across both, and a
// cancel or a live completion reaches the user from whichever instance their socket is on.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnswerEngine } from '../server/answers/engine.ts';
import { createApp } from '../server/app.ts';
import {
  createSessionVerifier,
  mintSessionToken,
  sessionAuthConfigFromEnv,
} from '../server/auth/session-token.ts';
import { redisState, type SharedState } from '../server/cluster/shared-state.ts';
import { parseConfig } from '../server/config/load.ts';
import { ConversationStore } from '../server/conversations/store.ts';
import { createDatasetService, datasetAgentsFromConfig } from '../server/datasets/service.ts';
import { type AppDeps, createAppDeps, type ServerStateOptions } from '../server/deps.ts';
import { createMetrics } from '../server/observability/metrics.ts';
import { attachWidgetSocket, type WidgetSocketOptions } from '../server/ws/widget-socket.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from './support/demo-db.ts';
import { REDIS_URL, redisEnabled, redisTitle } from './support/redis.ts';
import { TEST_NOW, TEST_SECRET } from './support/server.ts';
import { connect, eventually, QuestionGate, tryConnect, wsUrl } from './support/websocket-client.ts';

interface Instance {
  url: string;
  gate: QuestionGate;
  store: ConversationStore;
  close(): Promise<void>;
}

describe.skipIf(!redisEnabled)(redisTitle('instances sharing state'), () => {
  const dir = makeTempDir('parley-shared');
  const databaseUrl = sqliteUrl(path.join(dir, 'demo.sqlite'));
  const storeUrl = sqliteUrl(path.join(dir, 'store.sqlite'));
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;

  async function startInstance(
    name: string,
    options: WidgetSocketOptions & ServerStateOptions,
  ): Promise<Instance> {
    const { questionRate, ...socketOptions } = options;
    const env = { DATABASE_URL: databaseUrl, PARLEY_SESSION_SECRET: TEST_SECRET };
    const config = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, env);
    const store = await ConversationStore.open(storeUrl, { instanceId: name });
    const logger = pino({ level: 'silent' });
    const shared: SharedState = await redisState(REDIS_URL ?? '', `${name}-${randomUUID()}`, logger);
    const gate = new QuestionGate();
    const engine = gate.wrap(createAnswerEngine({ config, now: () => TEST_NOW, memory: store.memory() }));
    const deps: AppDeps = createAppDeps(
      {
        config,
        engine,
        store,
        datasets: createDatasetService({ db: store.db, agents: datasetAgentsFromConfig(config) }),
        sessions: createSessionVerifier(
          sessionAuthConfigFromEnv(env, config.config.auth.session),
          (id) => config.agents.get(id)?.config,
        ),
        apiKeys: {
          check() {
            throw new Error('no API keys here');
          },
        },
        logger,
        metrics: createMetrics(),
        clock: () => new Date(),
        readiness: async () => {},
        shared,
      },
      { questionRate },
    );
    const server = http.createServer(createApp(deps));
    const sockets = attachWidgetSocket(server, deps, socketOptions);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const instance: Instance = {
      url: wsUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      gate,
      store,
      async close() {
        await sockets.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await store.close();
        await shared.close();
      },
    };
    instances.push(instance);
    return instance;
  }

  // users are new on every run: Redis keeps their counts for a while
  const token = (user: string) =>
    mintSessionToken({
      userIdentifier: `${user}-${randomUUID()}`,
      userContext: { organisationId: 1 },
      agentId: 'demo',
      ttl: '15m',
      secret: TEST_SECRET,
    });

  beforeAll(async () => {
    await seedDemo(databaseUrl, { anchor: TEST_NOW, thin: 50 });
    const options = { questionRate: { burst: 3, perMinute: 3 }, maxSocketsPerUser: 2 };
    a = await startInstance('a', options);
    b = await startInstance('b', options);
  }, 60_000);
  afterAll(async () => {
    for (const i of instances) await i.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("counts a user's questions across instances", async () => {
    const t = token('burst');
    const onA = await connect(a.url, t);
    const onB = await connect(b.url, t);
    for (const n of [1, 2, 3]) {
      const created = await onA.ask('How many orders did we have last month?', `q${n}`);
      await onA.final(created.responseId);
    }
    onB.send({ type: 'message.send', clientId: 'q4', text: 'How many orders did we have last month?' });
    const refused = await onB.waitFor('response.error', (e) => e.clientId === 'q4');
    expect(refused.code).toBe('rate_limited');
    await onA.close();
    await onB.close();
  });

  it("counts a user's open sockets across instances", async () => {
    const t = token('sockets');
    const first = await connect(a.url, t);
    const second = await connect(b.url, t);
    const third = await tryConnect(a.url, t);
    expect(third).toMatchObject({ opened: false, status: 429 });
    await second.close();
    // the closed socket no longer counts, on either instance
    const again = await eventually(async () => {
      const r = await tryConnect(b.url, t);
      return r.opened ? r.client : undefined;
    }, 5000);
    await again.close();
    await first.close();
  });

  it('cancels an answer from a socket on the other instance', async () => {
    const t = token('cancel');
    const question = `How many orders did we have last month? ${randomUUID()}`;
    a.gate.hold(question);
    const asker = await connect(a.url, t);
    const other = await connect(b.url, t);
    const created = await asker.ask(question, 'c1');
    other.send({ type: 'response.cancel', responseId: created.responseId });
    const final = await asker.final(created.responseId);
    expect(final).toMatchObject({ type: 'response.error', code: 'cancelled' });
    expect(other.events.some((e) => e.type === 'response.error' && e.code === 'not_found')).toBe(false);
    expect((await b.store.getResponse(created.responseId, created.conversationId))?.status).toBe('cancelled');
    await asker.close();
    await other.close();
  });

  it('delivers the live completion to a socket that reconnected to the other instance', async () => {
    const t = token('reconnect');
    const question = `How many orders did we have last month? ${randomUUID()}`;
    const release = a.gate.hold(question);
    const asker = await connect(a.url, t);
    const created = await asker.ask(question, 'r1');
    await asker.close();
    const reconnected = await connect(b.url, t);
    release();
    const final = await reconnected.final(created.responseId);
    expect(final.type).toBe('response.completed');
    await reconnected.close();
  });
});
