// bin/parley.mjs picks the built CLI while the build is current and the TypeScript sources once one is newer, so a
// developer who edits a file and forgets `npm run build` never runs yesterday's code. Tried on a copy of the bin in a
// package of its own, with a stand-in build and stand-in sources that print which one ran.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bin-'));

function write(file: string, text: string, mtime: Date): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
  fs.utimesSync(path.join(dir, file), mtime, mtime);
}

const built = new Date('2026-01-02T00:00:00Z');
const before = new Date('2026-01-01T00:00:00Z');
const after = new Date('2026-01-03T00:00:00Z');
write('package.json', '{ "type": "module" }\n', before);
write('bin/parley.mjs', fs.readFileSync(path.join(ROOT, 'bin', 'parley.mjs'), 'utf8'), before);
write('dist/build/.built', '', built);
write('dist/build/bundle/program.js', "export async function runCli() { console.log('built'); }\n", built);
write('server/cli/program.ts', "export async function runCli() { console.log('sources'); }\n", before);
write('server/semantic/deep/model.ts', 'export {};\n', before);
write('server/semantic/deep/model.test.ts', 'export {};\n', after); // tests are not part of the build
write('demo/host.ts', 'export {};\n', before);
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function parley(): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(dir, 'bin', 'parley.mjs')], { cwd: dir });
}

describe('bin/parley.mjs', () => {
  it('runs the build while no source is newer than it (a newer test file does not count)', async () => {
    const { stdout, stderr } = await parley();
    expect(stdout.trim()).toBe('built');
    expect(stderr).toBe('');
  });

  it('runs the sources, saying why, once a source in a nested folder is newer than the build', async () => {
    fs.utimesSync(path.join(dir, 'server/semantic/deep/model.ts'), after, after);
    const { stdout, stderr } = await parley();
    expect(stdout.trim()).toBe('sources');
    expect(stderr).toContain('the built server is older than its sources (run `npm run build`)');
  });

  it('runs the sources when there is no build', async () => {
    fs.rmSync(path.join(dir, 'dist'), { recursive: true });
    const { stdout, stderr } = await parley();
    expect(stdout.trim()).toBe('sources');
    expect(stderr).toContain('no built server (run `npm run build`)');
  });
});
