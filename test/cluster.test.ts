// Several instances behind a load balancer (issue 12), as an operator runs them: two `parley serve` processes on
// one MariaDB store sharing Redis, a round-robin HTTP+WebSocket balancer in front, and TCP proxies in front of the
// databases to stall or cut them. Replays: a start of one instance never fails the other's live answers; cancel,
// live delivery and per-user limits work across instances; instances start together on a fresh store; a stalled
// database fails answers with a timeout, /readyz says so within a second and SIGTERM still exits; a store failure
// during a save keeps the answer; an answer orphaned by kill -9 is failed, with one message everywhere.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSessionToken } from '../server/auth/session-token.ts';
import { INTERRUPTED } from '../server/conversations/leases.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo } from './support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  MYSQL_URL,
  mysqlDatabaseUrl,
  mysqlEnabled,
  openMysqlRoot,
  testDatabaseName,
} from './support/mysql.ts';
import { freePort, ParleyProcess } from './support/parley-process.ts';
import { REDIS_URL, redisEnabled } from './support/redis.ts';
import { RoundRobin } from './support/round-robin.ts';
import { TEST_API_KEY, TEST_NOW, TEST_SECRET } from './support/server.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { connect, eventually, type TestClient, tryConnect, wsUrl } from './support/websocket-client.ts';

const enabled = mysqlEnabled && redisEnabled;
const QUESTION = 'How many orders did we have last month?';
/** instance A's statement limit (the stall replay); B's is long, so its answers outlive A's restart */
const LIMIT_A_MS = 3000;
const LIMIT_B_MS = 30_000;
const SHUTDOWN_MS = 4000;

describe.skipIf(!enabled)(
  enabled ? 'two instances behind a load balancer (MySQL, Redis)' : 'cluster (requires MySQL and Redis)',
  () => {
    const root = mysqlEnabled ? openMysqlRoot() : undefined;
    const storeDb = testDatabaseName('parley_cluster_store');
    const dataDb = testDatabaseName('parley_cluster_data');
    const dir = makeTempDir('parley-cluster');
    const proxies: Record<'store' | 'dataA' | 'dataB', TcpProxy> = {} as never;
    const configs: Record<'a' | 'b', string> = { a: '', b: '' };
    const ports = { a: 0, b: 0 };
    const envOf: Record<'a' | 'b', NodeJS.ProcessEnv> = { a: {}, b: {} };
    let a: ParleyProcess;
    let b: ParleyProcess;
    let lb: RoundRobin;
    const clients: TestClient[] = [];

    const token = (user = `user-${randomUUID()}`) =>
      mintSessionToken({
        userIdentifier: user,
        userContext: { organisationId: 1 },
        agentId: 'demo',
        ttl: '15m',
        secret: TEST_SECRET,
      });

    /** a socket through the balancer that landed on `port` (the balancer alternates; misses stay open meanwhile) */
    async function socketOn(port: number, t: string): Promise<TestClient> {
      const misses: TestClient[] = [];
      try {
        for (let i = 0; i < 4; i += 1) {
          const c = await connect(wsUrl(lb.url), t);
          if (lb.upgrades.at(-1) === port) {
            clients.push(c);
            return c;
          }
          misses.push(c);
        }
        throw new Error(`no socket reached port ${port}`);
      } finally {
        for (const m of misses) await m.close();
      }
    }

    function writeConfig(name: 'a' | 'b', limitMs: number): string {
      const text = fs
        .readFileSync(DEMO_CONFIG_FILE, 'utf8')
        .replace('statementTimeoutMs: 15000', `statementTimeoutMs: ${limitMs}`)
        .replace('  host: 127.0.0.1\n', `  host: 127.0.0.1\n  shutdownTimeoutMs: ${SHUTDOWN_MS}\n`);
      const file = path.join(dir, `parley-${name}.yaml`);
      fs.writeFileSync(
        file,
        `${text}\nstore:\n  queryTimeoutMs: 2000\n  migrationLockWaitMs: 30000\ncluster:\n  leaseSeconds: 3\n`,
      );
      return file;
    }

    function start(name: 'a' | 'b'): ParleyProcess {
      return new ParleyProcess(ports[name], configs[name], envOf[name]);
    }

    beforeAll(async () => {
      if (!root || !MYSQL_URL) throw new Error('MySQL gate is off');
      await assertMysqlReachable(root);
      await createMysqlDatabase(root, storeDb);
      await createMysqlDatabase(root, dataDb);
      await seedDemo(mysqlDatabaseUrl(dataDb), { anchor: TEST_NOW, thin: 50 });
      const server = new URL(MYSQL_URL.replace(/^mariadb:/, 'mysql:'));
      for (const key of ['store', 'dataA', 'dataB'] as const) {
        proxies[key] = new TcpProxy(server.hostname, Number(server.port || 3306));
        await proxies[key].start();
      }
      configs.a = writeConfig('a', LIMIT_A_MS);
      configs.b = writeConfig('b', LIMIT_B_MS);
      ports.a = await freePort();
      ports.b = await freePort();
      const common = {
        PARLEY_STORE_URL: proxies.store.url(MYSQL_URL, storeDb),
        INITECH_DATABASE_URL: mysqlDatabaseUrl(dataDb),
        PARLEY_SESSION_SECRET: TEST_SECRET,
        PARLEY_API_KEY: TEST_API_KEY,
        PARLEY_REDIS_URL: REDIS_URL,
        PARLEY_NOW: TEST_NOW.toISOString(),
      };
      envOf.a = { ...common, DATABASE_URL: proxies.dataA.url(MYSQL_URL, dataDb) };
      envOf.b = { ...common, DATABASE_URL: proxies.dataB.url(MYSQL_URL, dataDb) };
      // the two start together on a fresh store: one migrates, the other waits for it
      a = start('a');
      b = start('b');
      await Promise.all([a.listening, b.listening]);
      lb = new RoundRobin([ports.a, ports.b]);
      await lb.start();
    }, 90_000);

    afterAll(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      await lb?.close();
      for (const p of [a, b])
        if (p && p.child.exitCode === null && p.child.signalCode === null) await p.kill();
      for (const p of Object.values(proxies)) await p.close();
      if (root) {
        await dropMysqlDatabase(root, storeDb);
        await dropMysqlDatabase(root, dataDb);
        await root.destroy();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('started both instances together on a fresh store, each saying it shares state in Redis', () => {
      for (const p of [a, b]) {
        expect(p.output).toMatch(/shared state in Redis/);
        expect(p.output).not.toMatch(/already locked/);
      }
    });

    it("limits a user's questions and sockets across instances", async () => {
      const t = token();
      const onA = await socketOn(ports.a, t);
      const onB = await socketOn(ports.b, t);
      for (let n = 1; n <= 5; n += 1) {
        const created = await onA.ask(QUESTION, `q${n}`);
        expect((await onA.final(created.responseId)).type).toBe('response.completed');
      }
      onB.send({ type: 'message.send', clientId: 'q6', text: QUESTION });
      expect(await onB.waitFor('response.error', (e) => e.clientId === 'q6')).toMatchObject({
        code: 'rate_limited',
      });

      const more: TestClient[] = [];
      for (let n = 0; n < 8; n += 1) more.push(await connect(wsUrl(lb.url), t));
      // 10 open sockets, 5 on each instance: the 11th is refused wherever it lands
      expect(await tryConnect(wsUrl(lb.url), t)).toMatchObject({ opened: false, status: 429 });
      for (const c of more) await c.close();
    });

    it('cancels from the other instance, and delivers live to a socket that moved to the other instance', async () => {
      const t = token();
      proxies.dataB.stall();
      try {
        const onB = await socketOn(ports.b, t);
        const onA = await socketOn(ports.a, t);
        const first = await onB.ask(QUESTION, 'cancel-me');
        onA.send({ type: 'response.cancel', responseId: first.responseId });
        expect(await onB.final(first.responseId)).toMatchObject({
          type: 'response.error',
          code: 'cancelled',
        });

        const second = await onB.ask(QUESTION, 'follow-me');
        await onB.close();
        proxies.dataB.pass();
        expect((await onA.final(second.responseId)).type).toBe('response.completed');
      } finally {
        proxies.dataB.pass();
      }
    });

    it('restarts one instance while the other answers: the answer completes and is stored completed', async () => {
      const t = token();
      proxies.dataB.stall();
      const onB = await socketOn(ports.b, t);
      const asked = await onB.ask(QUESTION, 'through-a-deploy');

      // A is stopped while an /api/v1 answer is in flight on it: drained like the socket, not cut
      const apiHeaders = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
      const created = await fetch(`${a.url}/api/v1/agents/demo/conversations`, {
        method: 'POST',
        headers: apiHeaders,
        body: JSON.stringify({ userIdentifier: 'api-user', userContext: { organisationId: 1 } }),
      });
      const conversationId = ((await created.json()) as { id: string }).id;
      proxies.dataA.stall();
      const inFlight = fetch(`${a.url}/api/v1/agents/demo/conversations/${conversationId}/response`, {
        method: 'POST',
        headers: apiHeaders,
        body: JSON.stringify({ message: QUESTION }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stopping = a.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxies.dataA.pass();
      const drained = await inFlight;
      expect(drained.status).toBe(200);
      expect(((await drained.json()) as { message: string }).message).toMatch(/order/i);
      const stopped = await stopping;
      expect(stopped.code).toBe(0);
      a = start('a');
      await a.listening;
      proxies.dataB.pass();
      const final = await onB.final(asked.responseId, 30_000);
      expect(final.type).toBe('response.completed');
      const history = await fetch(`${b.url}/widget/v1/conversations/${asked.conversationId}`, {
        headers: { authorization: `Bearer ${t}` },
      });
      const body = (await history.json()) as { responses: Array<{ id: string; status: string }> };
      expect(body.responses.find((r) => r.id === asked.responseId)?.status).toBe('completed');
    }, 60_000);

    it('keeps an answer whose save meets a store failure: the client gets it, the row ends completed', async () => {
      const t = token();
      proxies.dataB.stall();
      const onB = await socketOn(ports.b, t);
      const asked = await onB.ask(QUESTION, 'save-through-outage');
      // the engine has read the conversation and waits on the stalled query: the store goes away now
      await onB.waitFor(
        'response.progress',
        (e) => e.responseId === asked.responseId && e.stage === 'querying',
      );
      proxies.store.cut();
      proxies.dataB.pass();
      try {
        const final = await onB.final(asked.responseId, 20_000);
        expect(final.type).toBe('response.completed');
      } finally {
        proxies.store.pass();
      }
      await eventually(async () => {
        const res = await fetch(`${b.url}/widget/v1/conversations/${asked.conversationId}`, {
          headers: { authorization: `Bearer ${t}` },
        });
        if (res.status !== 200) return false;
        const body = (await res.json()) as { responses: Array<{ id: string; status: string }> };
        return body.responses.find((r) => r.id === asked.responseId)?.status === 'completed';
      }, 20_000);
    }, 60_000);

    it('fails an answer orphaned by kill -9 within the lease, with one message in history, sync and /api/v1', async () => {
      const user = `orphan-${randomUUID()}`;
      const t = token(user);
      proxies.dataB.stall();
      const onB = await socketOn(ports.b, t);
      const since = new Date().toISOString();
      const asked = await onB.ask(QUESTION, 'orphan');
      await b.kill();
      proxies.dataB.pass();
      const widget = async () => {
        const res = await fetch(`${a.url}/widget/v1/conversations/${asked.conversationId}`, {
          headers: { authorization: `Bearer ${t}` },
        });
        const body = (await res.json()) as {
          responses: Array<{ id: string; status: string; error?: unknown }>;
        };
        return body.responses.find((r) => r.id === asked.responseId);
      };
      const failed = await eventually(async () => {
        const r = await widget();
        return r?.status === 'failed' ? r : undefined;
      }, 15_000);
      expect(failed.error).toEqual(INTERRUPTED);

      const onA = await connect(wsUrl(a.url), t);
      clients.push(onA);
      onA.send({ type: 'sync', since });
      const synced = await onA.waitFor('response.error', (e) => e.responseId === asked.responseId);
      expect({ code: synced.code, message: synced.message }).toEqual(INTERRUPTED);

      const api = await fetch(
        `${a.url}/api/v1/agents/demo/conversations/${asked.conversationId}?userIdentifier=${encodeURIComponent(user)}&userContext[organisationId]=1`,
        { headers: { authorization: `Bearer ${TEST_API_KEY}` } },
      );
      expect(api.status).toBe(200);
      const conversation = (await api.json()) as { messages: Array<{ id?: string; message: string }> };
      expect(conversation.messages.find((m) => m.id === asked.responseId)?.message).toBe(INTERRUPTED.message);
    }, 60_000);

    it('bounds every wait on a stalled database: answers time out, /readyz is 503 within a second, SIGTERM exits', async () => {
      const t = token();
      const onA = await connect(wsUrl(a.url), t);
      clients.push(onA);
      proxies.dataA.stall();
      const started = performance.now();
      const asked = await onA.ask(QUESTION, 'stalled');
      const final = await onA.final(asked.responseId, 20_000);
      const took = performance.now() - started;
      expect(final.type).toBe('response.completed');
      expect(final.type === 'response.completed' ? final.answer.code : undefined).toBe('query_timeout');
      expect(took).toBeLessThan(LIMIT_A_MS + 1000);

      proxies.store.stall();
      const ready = performance.now();
      expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
      expect(performance.now() - ready).toBeLessThan(1000);

      const stopped = await a.stop();
      expect(stopped.ms).toBeLessThan(SHUTDOWN_MS + 1000);
      proxies.store.pass();
      proxies.dataA.pass();
    }, 60_000);
  },
);
