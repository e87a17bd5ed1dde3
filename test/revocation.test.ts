// Revocation against two live servers sharing one store (SQLite file; MariaDB too when enabled): a token denied by
// its jti, a user's tokens voided before a time (per tenant or for all), through the host API and `parley token
// revoke`; every instance refuses them, and their open sockets close within the check interval (5 s).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { startTestServer, TEST_SECRET, type TestServer } from './support/server.ts';
import { connect, delay, wsUrl } from './support/websocket-client.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

let root: Knex | undefined;
const mysqlName = testDatabaseName('parley_revoke');
const stores: Array<{
  title: string;
  enabled: boolean;
  url: () => Promise<string>;
  cleanup?: () => Promise<void>;
}> = [
  {
    title: 'revocation on a shared SQLite store',
    enabled: true,
    url: async () => sqliteUrl(path.join(makeTempDir('parley-revoke'), 'store.sqlite')),
  },
  {
    title: mysqlTitle('revocation on a shared MariaDB store'),
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

async function get(server: TestServer, token: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${server.url}/widget/v1/conversations`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

async function revoke(server: TestServer, body: object): Promise<Response> {
  return fetch(`${server.url}/api/v1/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** the next whole second: a token minted then has an iat after a revocation made now */
const nextSecond = () => delay(1100 - (Date.now() % 1000));

for (const kind of stores) {
  describe.skipIf(!kind.enabled)(kind.title, () => {
    let a: TestServer;
    let b: TestServer;
    let storeUrl = '';
    beforeAll(async () => {
      storeUrl = await kind.url();
      a = await startTestServer({ storeUrl });
      b = await startTestServer({ storeUrl });
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await kind.cleanup?.();
    });

    it('refuses a widget token without a jti', async () => {
      const t = Math.floor(Date.now() / 1000);
      const token = jwt.sign(
        {
          sub: 'nojti',
          agentId: 'demo',
          userContext: { organisationId: 1 },
          aud: 'parley',
          iat: t,
          exp: t + 600,
        },
        TEST_SECRET,
      );
      expect(await get(a, token)).toEqual({ status: 401, code: 'invalid_token' });
    });

    it('denies one token by its jti on every instance, and leaves the user’s other tokens alone', async () => {
      const stolen = a.token('jti-user', 1);
      const other = a.token('jti-user', 1);
      expect((await get(b, stolen)).status).toBe(200);
      const tokenId = (jwt.decode(stolen) as { jti: string }).jti;
      const res = await revoke(a, { tokenId });
      expect(res.status).toBe(200);
      expect(await get(a, stolen)).toEqual({ status: 401, code: 'token_revoked' });
      expect(await get(b, stolen)).toEqual({ status: 401, code: 'token_revoked' });
      expect((await get(b, other)).status).toBe(200);
    });

    it('voids a user’s tokens in one tenant issued before now, closes their open socket on the other instance within seconds, and accepts a token issued later', async () => {
      const old = a.token('leaver', 1);
      const otherTenant = a.token('leaver', 2);
      const socket = await connect(wsUrl(b.url), old);
      const res = await revoke(a, {
        userIdentifier: 'leaver',
        agentId: 'demo',
        userContext: { organisationId: 1 },
      });
      expect(res.status).toBe(200);
      const started = Date.now();
      expect(await get(b, old)).toEqual({ status: 401, code: 'token_revoked' });
      expect(await socket.closed).toEqual({ code: 4003, reason: 'token revoked' });
      // the documented bound: the socket server's check interval (5 s) plus a query
      expect(Date.now() - started).toBeLessThan(8_000);
      expect((await get(a, otherTenant)).status).toBe(200);
      await nextSecond();
      expect((await get(b, a.token('leaver', 1))).status).toBe(200);
    }, 20_000);

    it('`parley token revoke --user` voids the user’s tokens for every agent and tenant', async () => {
      const one = a.token('cli-user', 1);
      const two = a.token('cli-user', 3);
      const { stdout } = await run(
        process.execPath,
        [path.join(ROOT, 'bin', 'parley.mjs'), 'token', 'revoke', '--user', 'cli-user'],
        {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: a.databaseUrl, PARLEY_STORE_URL: storeUrl },
        },
      );
      expect(stdout).toMatch(/revoked tokens of cli-user issued before .* for every agent in every tenant/);
      expect(await get(b, one)).toEqual({ status: 401, code: 'token_revoked' });
      expect(await get(a, two)).toEqual({ status: 401, code: 'token_revoked' });
    }, 30_000);

    it('refuses malformed revocations in the one error shape, and unknown keys with 401', async () => {
      for (const body of [
        {},
        { tokenId: 'x', userIdentifier: 'y' },
        { userIdentifier: 'u', userContext: { organisationId: 1 } },
        { userIdentifier: 'u', issuedBefore: '2999-01-01T00:00:00Z' },
        { userIdentifier: 'u', agentId: 'demo', userContext: { organisationId: 'all' } },
      ]) {
        const res = await revoke(a, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect((await res.json()).error.code).toEqual(expect.any(String));
      }
      const res = await fetch(`${a.url}/api/v1/revocations`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ userIdentifier: 'x' }),
      });
      expect(res.status).toBe(401);
    });
  });
}
