// `parley serve` as a child process, as an operator runs it: started, signalled, killed, and its exit awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'parley.mjs');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class ParleyProcess {
  readonly child: ChildProcess;
  output = '';
  /** resolves with the exit code (null when killed by a signal) */
  readonly exited: Promise<number | null>;
  /** resolves when it listens; rejects when it exits first */
  readonly listening: Promise<void>;

  constructor(
    readonly port: number,
    config: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', String(port)], {
      cwd: ROOT,
      env: { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.listening = new Promise((resolve, reject) => {
      const check = () => {
        if (this.output.includes('Parley is listening on')) resolve();
      };
      this.child.stdout?.on('data', check);
      void this.exited.then((code) =>
        reject(new Error(`parley serve exited (${code}) before listening:\n${this.output}`)),
      );
    });
    this.listening.catch(() => undefined);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** SIGTERM, then the milliseconds until it exited and its code */
  async stop(): Promise<{ ms: number; code: number | null }> {
    const started = performance.now();
    this.child.kill('SIGTERM');
    const code = await this.exited;
    return { ms: performance.now() - started, code };
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
