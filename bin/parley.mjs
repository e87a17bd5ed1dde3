#!/usr/bin/env node
// The `parley` command. Runs the built CLI (dist/build/bundle, the server compiled and bundled by `npm run build`;
// see scripts/bundle-server.mjs) when it is there and no older than the TypeScript sources; otherwise the sources
// through tsx (development), saying so. Either way in this process, no wrapper process: SIGINT and SIGTERM reach
// `parley serve` itself.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// written last by `npm run build:server`: the build finished
const STAMP = path.join(root, 'dist', 'build', '.built');

/** the newest modification time of the sources the build compiles (0 when they are not here, as in a package) */
function newestSource() {
  let newest = 0;
  // walked by hand: readdirSync's { recursive: true } took 5x as long, on every start
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
        newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  };
  walk(path.join(root, 'server'));
  walk(path.join(root, 'demo'));
  return newest;
}

function builtState() {
  let builtAt;
  try {
    builtAt = fs.statSync(STAMP).mtimeMs;
  } catch {
    return 'missing';
  }
  return newestSource() <= builtAt ? 'current' : 'stale';
}

const state = builtState();
let runCli;
if (state === 'current') {
  ({ runCli } = await import('../dist/build/bundle/program.js'));
} else {
  process.stderr.write(
    state === 'missing'
      ? 'parley: no built server (run `npm run build`); running from the TypeScript sources, which starts slower\n'
      : 'parley: the built server is older than its sources (run `npm run build`); running from the sources\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../server/cli/program.ts'));
}
await runCli(process.argv);
