// The server under load for the server benchmark, in a process of its own so the load generator's work is not the
// server's. Prints one JSON line `{ "url": ... }` once listening; closes gracefully on SIGTERM.
// Run by server.ts: node --import tsx server-child.ts  (env BENCH_DATABASE_URL, BENCH_STORE_URL)
import fs from 'node:fs';
import { pino } from 'pino';
import { parseConfig } from '../../server/config/load.ts';
import { startServer } from '../../server/main.ts';
import { withDatasetsConfig, withSection } from '../support/config-text.ts';
import { DEMO_CONFIG_FILE } from '../support/demo-db.ts';
import { BENCH_API_KEY, BENCH_NOW, BENCH_SECRET } from './server-common.ts';

const env = {
  ...process.env,
  DATABASE_URL: process.env.BENCH_DATABASE_URL,
  // the dedicated-database agent reads the same demo data (as in the start part): start-up checks every agent
  INITECH_DATABASE_URL: process.env.BENCH_DATABASE_URL,
  PARLEY_STORE_URL: process.env.BENCH_STORE_URL,
  PARLEY_SESSION_SECRET: BENCH_SECRET,
  PARLEY_API_KEY: BENCH_API_KEY,
  PARLEY_NOW: BENCH_NOW,
};
// the load comes from a few users as fast as they can: the front door's per-user limits would measure themselves
const LIFTED = { points: 1_000_000_000, durationSec: 60 };
const text = withSection(
  withDatasetsConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), {
    uploadsPerMinute: 10_000,
    concurrentUploads: 4,
  }),
  'limits',
  {
    socketMessages: { perSocket: LIFTED, perUser: LIFTED },
    // the cap on conversations a user keeps stays: the load generator moves to a new user every 250 questions
    conversations: { perUser: LIFTED },
  },
);
const config = parseConfig(text, DEMO_CONFIG_FILE, env);
const running = await startServer({
  config,
  port: 0,
  host: '127.0.0.1',
  env,
  logger: pino({ level: 'silent' }),
  // the load comes from a few users asking as fast as they can: the per-user question limit would measure itself
  questionRate: { burst: 1_000_000, perMinute: 60_000_000 },
});
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
process.once('SIGTERM', () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
