// The server under load for the server benchmark, in a process of its own so the load generator's work is not the
// server's: the built server, as `parley serve` runs it (built-server.ts; server.ts builds it first). Prints one JSON
// line `{ "url": ... }` once listening; closes gracefully on SIGTERM.
// Run by server.ts: node --import tsx server-child.ts  (env BENCH_DATABASE_URL, BENCH_STORE_URL, BENCH_REPLAY)
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { pino } from 'pino';
import type { Answer } from '../../server/answers/answer.ts';
import type { AnswerEngine } from '../../server/answers/engine.ts';
import { withDatasetsConfig, withSection } from '../support/config-text.ts';
import { DEMO_CONFIG_FILE } from '../support/demo-db.ts';
import { builtServerModule } from './built-server.ts';
import { BENCH_API_KEY, BENCH_NOW, BENCH_SECRET } from './server-common.ts';

const { parseConfig } =
  await builtServerModule<typeof import('../../server/config/load.ts')>('config/load.js');
const { startServer } = await builtServerModule<typeof import('../../server/main.ts')>('main.js');

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
/**
 * BENCH_REPLAY=1: each organisation's first answer to a question is the engine's, every later one a copy of it with
 * ids of its own, announced with the same progress events: the server's own work per answer (transport, store,
 * limits) without planning, SQL or composing
 */
function replaying(engine: AnswerEngine): AnswerEngine {
  const answers = new Map<string, Promise<Answer>>();
  return {
    ...engine,
    async ask(input) {
      const key = `${JSON.stringify(input.userContext)}|${input.question}`;
      let answer = answers.get(key);
      if (!answer) {
        answer = engine.ask(input);
        answers.set(key, answer);
      } else for (const stage of ['planning', 'querying', 'composing'] as const) input.onProgress?.(stage);
      return { ...(await answer), id: randomUUID(), conversationId: input.conversationId ?? randomUUID() };
    },
  };
}

const running = await startServer({
  config,
  port: 0,
  host: '127.0.0.1',
  env,
  logger: pino({ level: 'silent' }),
  // the load comes from a few users asking as fast as they can: the per-user question limit would measure itself
  questionRate: { burst: 1_000_000, perMinute: 60_000_000 },
  ...(process.env.BENCH_REPLAY ? { wrapEngine: replaying } : {}),
});
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
process.once('SIGTERM', () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
