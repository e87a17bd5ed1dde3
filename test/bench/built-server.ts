// The server as `parley serve` runs it, for the server benchmark: built first (`npm run build:server`, incremental,
// seconds when nothing changed), then loaded from dist/build. Not the sources through tsx: its transform keeps every
// function's name, at a cost on every closure made, so the sources ran a few percent slower than what ships, and a
// build older than the sources made the cold-start rows measure stale code.
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function buildServer(): Promise<void> {
  await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:server'], {
    cwd: ROOT,
    timeout: 300_000,
  });
}

/** A module of the built server by its path under server/ ('main.js'), typed as its source. */
export function builtServerModule<T>(file: string): Promise<T> {
  return import(pathToFileURL(`${ROOT}dist/build/server/${file}`).href) as Promise<T>;
}
