// `parley demo` (npm run demo): seed the embedded demo data if missing, then start the BFF and the demo host app.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { DemoHost } from '../../demo/server.ts';
import { openDatabase, parseDatabaseUrl } from '../db/connect.ts';
import { configPathOf, nowFrom, withConfigOption } from './common.ts';
import { exitAtOnce, portFrom, untilSignalled } from './serve.ts';

export function registerDemoCommand(program: Command): void {
  withConfigOption(
    program
      .command('demo')
      .description('seed the demo data if missing, start Parley and the demo host app, print the URL')
      .option('--port <n>', 'port of the Parley server (default: PARLEY_PORT or the config)')
      .option('--host-port <n>', 'port of the demo host app', '3000'),
  ).action(async (opts: { port?: string; hostPort: string }, cmd: Command) => {
    // demo-only defaults so a fresh clone runs with no setup; real deployments set these themselves
    process.env.PARLEY_SESSION_SECRET ??= randomBytes(32).toString('base64url');
    process.env.PARLEY_API_KEY ??= `pk_demo_${randomBytes(12).toString('hex')}`;
    // the config loader loads when the command runs: `parley --help` does not need it
    const { loadConfig } = await import('../config/load.ts');
    const loaded = loadConfig(configPathOf(cmd));
    const agent = loaded.agents.get('demo');
    if (!agent?.connection) throw new Error('the config has no "demo" agent linked to a connection');
    await seedIfMissing(agent.connection.url);
    const log = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    // the demo's dedicated-database agent gets its own single-organisation copy; the widget is built once
    const { prepareDemoData } = await import('../../demo/prepare-data.ts');
    await prepareDemoData(loaded, { log });
    const { ensureWidgetBundle } = await import('../../demo/widget-bundle.ts');
    await ensureWidgetBundle({ log });

    // the demo host on another port than the committed config's is one of the demo's own pages: allow it
    const { allowDemoHostPort } = await import('../../demo/host-origins.ts');
    allowDemoHostPort(loaded, Number(opts.hostPort));

    const { startServer } = await import('../main.ts');
    let hostUrl: string | undefined;
    const running = await startServer({
      config: loaded,
      port: portFrom(opts.port),
      demoHostUrl: () => hostUrl,
    }).catch(exitAtOnce);
    const lines = [
      `Parley is listening on ${running.url}  (open it: the agents, the embed snippet, the API and this demo)`,
    ];
    const hostApp = await startHostApp(running.url, Number(opts.hostPort));
    hostUrl = hostApp.url;
    lines.push(`Demo host app: ${hostApp.url}  (log in as a user of any organisation)`);
    lines.push(
      '',
      'Ask from the command line:',
      '  npx parley ask "How many orders did we have last month?" --agent demo --user alice --context organisationId=1',
      `API key for the host-backend API (/api/v1): ${process.env.PARLEY_API_KEY}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    await untilSignalled(
      {
        close: async () => {
          await hostApp.close();
          await running.close();
        },
      },
      loaded.config.server.shutdownTimeoutMs,
    );
  });
}

async function seedIfMissing(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite' && fs.existsSync(target.location)) return;
  if (target.dialect === 'sqlite') fs.mkdirSync(path.dirname(target.location), { recursive: true });
  const db = openDatabase(url, { create: true });
  try {
    if (target.dialect === 'mysql' && (await db.schema.hasTable('orders'))) return;
    process.stdout.write('Seeding the demo data (a few seconds)...\n');
    const { seedDemoData } = await import('../seed/demo-data.ts');
    await seedDemoData(db, { anchor: nowFrom(undefined) });
  } finally {
    await db.destroy();
  }
}

/** The demo host app (demo/server.ts), on its own port. */
async function startHostApp(parleyUrl: string, port: number): Promise<DemoHost> {
  const { startDemoHost } = await import('../../demo/server.ts');
  return startDemoHost({ parleyUrl, port });
}
