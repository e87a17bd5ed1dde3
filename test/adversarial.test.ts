// The nine findings of the attacker's pass over the running server (issue 11), replayed against a live server whose
// store is SQLite, and MariaDB when enabled; each asserts the safe behaviour. The older attacks have their own suites:
// token forgeries (token-attacks), socket abuse (websocket), IDOR (conversation-access, datasets-access), uploads
// (server/datasets/upload-limits*) and tenant isolation (isolation).
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatasetsConfig } from './support/config-text.ts';
import { makeTempDir, sqliteUrl } from './support/demo-db.ts';
import {
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlDatabaseUrl,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from './support/mysql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { connect, tryConnect, wsUrl } from './support/websocket-client.ts';

const PINNED = 'pk_adversarial_org1_0123456789';
const SHOP = 'https://shop.example.com';
let root: Knex | undefined;
const mysqlName = testDatabaseName('parley_adv');

const stores = [
  {
    title: 'the nine findings, replayed (SQLite store)',
    enabled: true,
    url: async () => sqliteUrl(path.join(makeTempDir('parley-adv'), 'store.sqlite')),
    cleanup: async () => undefined,
  },
  {
    title: mysqlTitle('the nine findings, replayed (MariaDB store)'),
    enabled: mysqlEnabled,
    url: async () => {
      root = openMysqlRoot();
      await createMysqlDatabase(root, mysqlName);
      return mysqlDatabaseUrl(mysqlName);
    },
    cleanup: async () => {
      if (root) {
        await dropMysqlDatabase(root, mysqlName);
        await root.destroy();
      }
    },
  },
];

for (const kind of stores) {
  describe.skipIf(!kind.enabled)(kind.title, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        storeUrl: await kind.url(),
        configText: (text) =>
          withDatasetsConfig(text.replace(/allowedOrigins: \[[^\]]*\]/, `allowedOrigins: [${SHOP}]`), {}, [
            { key: PINNED, agents: ['demo'], userContext: { organisationId: 1 } },
          ]),
      });
    }, 90_000);
    afterAll(async () => {
      await server?.close();
      await kind.cleanup();
    });

    const get = (p: string, token: string) =>
      fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    const api = (key: string, method: string, p: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });

    it('1. cheap socket messages are counted: a ping flood is closed with 4029 and the user cannot reopen at once; others are served', async () => {
      const flooder = await connect(wsUrl(server.url), server.token('flooder', 2));
      for (let i = 0; i < 500; i++) {
        flooder.send(
          i % 3 === 0 ? { type: 'ping' } : i % 3 === 1 ? { type: 'response.cancel', responseId: 'x' } : '{',
        );
      }
      expect((await flooder.closed).code).toBe(4029);
      // the per-user budget (120 a minute) is not spent by one socket's 60: a second socket floods it
      const again = await connect(wsUrl(server.url), server.token('flooder', 2));
      for (let i = 0; i < 200; i++) again.send({ type: 'ping' });
      expect((await again.closed).code).toBe(4029);
      const refused = await tryConnect(wsUrl(server.url), server.token('flooder', 2));
      expect(refused).toMatchObject({ opened: false, status: 429 });
      expect((await get('/widget/v1/conversations', server.token('bystander', 2))).status).toBe(200);
    });

    it('2. conversation creation is limited per user (429 past 20 a minute)', async () => {
      const token = server.token('creator', 1);
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await fetch(`${server.url}/widget/v1/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 201)).toHaveLength(20);
      expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    });

    it('3. a stolen token can be revoked before its exp', async () => {
      const stolen = server.token('victim', 1, { ttl: '24h' });
      expect((await get('/widget/v1/config', stolen)).status).toBe(200);
      const revoked = await api(server.apiKey, 'POST', '/revocations', { userIdentifier: 'victim' });
      expect(revoked.status).toBe(200);
      const res = await get('/widget/v1/config', stolen);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('token_revoked');
    });

    it('4. a key pinned to organisation 1 cannot read organisation 2', async () => {
      const res = await api(PINNED, 'POST', '/agents/demo/conversations', {
        userIdentifier: 'x',
        userContext: { organisationId: 2 },
      });
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('tenant_not_allowed');
    });

    it('5. the origin check ignores the Host header (Origin: http://evil + Host: evil is refused)', async () => {
      const result = await tryConnect(wsUrl(server.url), server.token('alice', 1), {
        origin: 'http://evil',
        headers: { Host: 'evil' },
      });
      expect(result).toMatchObject({ opened: false, status: 403 });
    });

    it('6. a malformed URL is a 400 in the one error shape', async () => {
      const res = await get('/widget/v1/conversations/%E0%A4%A', server.token('alice', 1));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_url', message: expect.any(String) } });
    });

    it('7. /metrics is not public', async () => {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    });

    it('8. an answer says it covers only the caller’s organisation when another was asked for', async () => {
      const created = await api(server.apiKey, 'POST', '/agents/demo/conversations', {
        userIdentifier: 'analyst',
        userContext: { organisationId: 1 },
      });
      const { id } = (await created.json()) as { id: string };
      const res = await api(server.apiKey, 'POST', `/agents/demo/conversations/${id}/response`, {
        message: 'What was the revenue for organisation 2 last month?',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { response?: { message?: string } };
      expect(JSON.stringify(body)).toContain('I can only see');
    });

    it('9. a refused page origin can learn why (and the widget shows it), instead of "Failed to fetch"', async () => {
      const res = await fetch(`${server.url}/widget/v1/origin?agent=demo`, {
        headers: { origin: 'https://elsewhere.example' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({ origin: 'https://elsewhere.example', allowed: false });
      const ok = await fetch(`${server.url}/widget/v1/origin?agent=demo`, { headers: { origin: SHOP } });
      expect(await ok.json()).toEqual({ origin: SHOP, allowed: true });
    });
  });
}
