// Every wait on a database has a bound: a store or analytics database that is reachable but silent (a TCP proxy
// that holds every byte) fails calls with a timeout, it never hangs them, and /readyz says so within a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../server/conversations/store.ts';
import { createQueryRunner } from '../server/query/execute.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  MYSQL_URL,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from './support/mysql.ts';
import { startTestServer } from './support/server.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

async function elapsed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await work;
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe.skipIf(!mysqlEnabled)(mysqlTitle('database deadlines'), () => {
  const root = mysqlEnabled ? openMysqlRoot() : undefined;
  const name = testDatabaseName('parley_deadlines');
  let proxy: TcpProxy;
  let url: string;

  beforeAll(async () => {
    if (!root || !MYSQL_URL) throw new Error('MySQL gate is off');
    await assertMysqlReachable(root);
    await createMysqlDatabase(root, name);
    const server = new URL(MYSQL_URL.replace(/^mariadb:/, 'mysql:'));
    proxy = new TcpProxy(server.hostname, Number(server.port || 3306));
    await proxy.start();
    url = proxy.url(MYSQL_URL, name);
  });
  afterAll(async () => {
    await proxy?.close();
    if (root) {
      await dropMysqlDatabase(root, name);
      await root.destroy();
    }
  });

  it('fails a store call on a silent database within its deadline, and recovers when it answers again', async () => {
    proxy.pass();
    const store = await ConversationStore.open(url, { queryTimeoutMs: 800 });
    try {
      await store.ping();
      proxy.stall();
      const stalled = await elapsed(store.getConversation('x', { agentId: 'demo' }));
      expect((stalled.error as Error).name).toBe('DatabaseTimeoutError');
      expect(stalled.ms).toBeLessThan(800 + 1000);
      // a fresh connection while silent: bounded the same way (the handshake never completes)
      const connecting = await elapsed(store.ping());
      expect(connecting.error).toBeDefined();
      expect(connecting.ms).toBeLessThan(2 * 800 + 1000);
      proxy.pass();
      // the dropped connection is not reused: the next call gets a fresh one (a few tries under a loaded CI)
      let recovered = false;
      for (let i = 0; i < 10 && !recovered; i += 1)
        recovered = await store.ping().then(
          () => true,
          () => false,
        );
      expect(recovered).toBe(true);
    } finally {
      proxy.pass();
      await store.close();
    }
  });

  it('abandons an analytics query on a silent database as a timeout, within its statement limit plus a second', async () => {
    proxy.pass();
    const runner = createQueryRunner(url, { statementTimeoutMs: 1000 });
    try {
      await runner.ping();
      proxy.stall();
      const pooled = await elapsed(runner.runSql('SELECT 1', []));
      expect((pooled.error as Error).name).toBe('QueryTimeoutError');
      expect(pooled.ms).toBeLessThan(1000 + 1000);
      const fresh = createQueryRunner(url, { statementTimeoutMs: 1000 });
      const connecting = await elapsed(fresh.runSql('SELECT 1', []));
      await fresh.close();
      expect((connecting.error as Error).name).toBe('QueryTimeoutError');
      expect(connecting.ms).toBeLessThan(1000 + 1000);
    } finally {
      proxy.pass();
      await runner.close();
    }
  });

  it('answers /readyz with 503 within a second when the store does not answer', async () => {
    proxy.pass();
    const server = await startTestServer({ storeUrl: url, env: { PARLEY_LOG_LEVEL: 'silent' } });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      proxy.stall();
      const started = performance.now();
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      proxy.pass();
      await server.close();
    }
  });
});
