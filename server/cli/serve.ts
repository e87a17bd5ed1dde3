// `parley serve`: the backend-for-frontend, until SIGINT/SIGTERM, then a graceful shutdown.
import type { Command } from 'commander';
import type { RunningServer } from '../main.ts';
import { configPathOf, withConfigOption } from './common.ts';

export function registerServeCommand(program: Command): void {
  withConfigOption(
    program
      .command('serve')
      .description('start the backend-for-frontend (API, widget API, WebSocket, widget bundle)')
      .option('--port <n>', 'port (default: PARLEY_PORT or server.port in the config)')
      .option('--host <host>', 'interface to listen on (default: server.host in the config)'),
  ).action(async (opts: { port?: string; host?: string }, cmd: Command) => {
    // loaded on demand: the other commands need none of the server's modules
    const [{ loadConfig }, { startServer }] = await Promise.all([
      import('../config/load.ts'),
      import('../main.ts'),
    ]);
    const loaded = loadConfig(configPathOf(cmd));
    const { ensureWidgetBundle, widgetBundleStatus } = await import('../../demo/widget-bundle.ts');
    const { widgetBundleAtFirstStart } = await import('./widget-at-start.ts');
    await widgetBundleAtFirstStart({
      missing: () => widgetBundleStatus() === 'missing',
      build: () => ensureWidgetBundle({ rebuildStale: false }).then(() => {}),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    // said as soon as it listens (/healthz answers from then on); the agents' check and the store follow, and a
    // failure there still ends the process with its message. A signal meanwhile closes the server once started.
    const starting = startServer({
      config: loaded,
      port: portFrom(opts.port),
      host: opts.host,
      onListening: ({ url, instanceId, shared }) =>
        process.stdout.write(
          `Parley is listening on ${url} (instance ${instanceId}; ${
            shared === 'redis'
              ? 'shared state in Redis: limits, socket caps and answer events across instances'
              : 'state in memory: one instance (set PARLEY_REDIS_URL to run several)'
          })\n`,
        ),
    }).catch(exitAtOnce);
    const stopped = untilSignalled(
      { close: async () => (await starting).close() },
      loaded.config.server.shutdownTimeoutMs,
    );
    await starting;
    await stopped;
  });
}

export function portFrom(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const text = option ?? env.PARLEY_PORT;
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`port must be 0-65535, got "${text}"`);
  return port;
}

/**
 * A server that could not start (its port taken, its store unreachable) exits now: open pools and timers must not
 * keep a process alive that serves nothing.
 */
export function exitAtOnce(err: unknown): never {
  process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/**
 * Resolves after the first SIGINT/SIGTERM has closed the server; a second signal exits at once, and so does a
 * shutdown still running after `deadlineMs` (a database that does not answer must not keep the process).
 */
export function untilSignalled(running: Pick<RunningServer, 'close'>, deadlineMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\n${signal}: finishing in-flight answers and closing...\n`);
      setTimeout(() => {
        process.stderr.write(`shutdown did not finish within ${deadlineMs} ms: exiting\n`);
        process.exit(1);
      }, deadlineMs).unref();
      running.close().then(resolve, (err) => {
        process.stderr.write(`shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
