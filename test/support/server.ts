// A real Parley server for end-to-end tests: demo data seeded into a temp SQLite file (or a MySQL database),
// a temp store, a session secret and an API key, listening on 127.0.0.1 with a random port.
import fs from 'node:fs';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { buildSingleOrganisationDatabase } from '../../demo/prepare-data.ts';
import { mintSessionToken } from '../../server/auth/session-token.ts';
import { parseConfig } from '../../server/config/load.ts';
import { type RunningServer, startServer } from '../../server/main.ts';
import type { StartOptions } from '../../server/start-options.ts';
import { DEMO_CONFIG_FILE, makeTempDir, seedDemo, sqliteUrl } from './demo-db.ts';

export const TEST_SECRET = 'test-session-secret-0123456789-abcdefghij';
export const TEST_API_KEY = 'pk_test_0123456789abcdef0123';
export const TEST_NOW = new Date('2026-11-25T12:00:00Z');

export interface TestServer extends RunningServer {
  dir: string;
  databaseUrl: string;
  apiKey: string;
  token(
    userIdentifier: string,
    organisationId: number,
    options?: { ttl?: string | number; permissions?: string[] },
  ): string;
}

export interface TestServerOptions {
  /** an already seeded database; default: a fresh SQLite file seeded at TEST_NOW */
  databaseUrl?: string;
  /** extra YAML appended to the agent (e.g. allowedOrigins), or a transform of the config text */
  configText?: (text: string) => string;
  env?: NodeJS.ProcessEnv;
  storeUrl?: string;
  /** the folder of the widget bundle (default: dist/widget) */
  widgetDir?: string;
  /** as `parley demo` passes it */
  demoHostUrl?: () => string | undefined;
  /** default: silent */
  logger?: Logger;
  /** wraps the answer engine (to watch what the server asks of it) */
  wrapEngine?: StartOptions['wrapEngine'];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = makeTempDir('parley-server');
  const databaseUrl = options.databaseUrl ?? sqliteUrl(path.join(dir, 'demo.sqlite'));
  if (!options.databaseUrl) await seedDemo(databaseUrl, { anchor: TEST_NOW });
  // the committed config links the dedicated-database agent: give it its own copy, as `npm run demo` does
  let initechUrl = options.env?.INITECH_DATABASE_URL;
  if (initechUrl === undefined) {
    initechUrl = sqliteUrl(path.join(dir, 'initech.sqlite'));
    await buildSingleOrganisationDatabase(databaseUrl, initechUrl, 3);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    INITECH_DATABASE_URL: initechUrl,
    PARLEY_STORE_URL: options.storeUrl ?? sqliteUrl(path.join(dir, 'store.sqlite')),
    PARLEY_SESSION_SECRET: TEST_SECRET,
    PARLEY_API_KEY: TEST_API_KEY,
    PARLEY_NOW: TEST_NOW.toISOString(),
    ...options.env,
  };
  let text = fs.readFileSync(DEMO_CONFIG_FILE, 'utf8');
  if (options.configText) text = options.configText(text);
  const config = parseConfig(text, DEMO_CONFIG_FILE, env);
  // the server loads the answer engine's modules once it is ready; here they are loaded first, so that a /readyz right
  // after the start does not wait past its deadline for the test runner to transform the planner
  await import('../../server/answers/engine.ts');
  const running = await startServer({
    config,
    port: 0,
    host: '127.0.0.1',
    env,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.widgetDir !== undefined ? { widgetDir: options.widgetDir } : {}),
    ...(options.demoHostUrl !== undefined ? { demoHostUrl: options.demoHostUrl } : {}),
    ...(options.wrapEngine ? { wrapEngine: options.wrapEngine } : {}),
  });
  return {
    ...running,
    dir,
    databaseUrl,
    apiKey: TEST_API_KEY,
    token: (userIdentifier, organisationId, opts = {}) =>
      mintSessionToken({
        userIdentifier,
        userContext: { organisationId },
        agentId: 'demo',
        ttl: opts.ttl ?? '15m',
        permissions: opts.permissions,
        secret: TEST_SECRET,
      }),
    async close() {
      await running.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
