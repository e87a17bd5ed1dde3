// Two modules of the server share a file name only when they hold the same role in different rooms or layers (the
// router.ts of each API surface, a cli/ command and the module it runs), and then each one's opening comment names
// the other, so a reader who opens one learns of its twin. A shared name for different roles is a rename.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'server');

function modulesByName(): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const e of fs.readdirSync(SERVER, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    const rel = path.relative(SERVER, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    byName.set(e.name, [...(byName.get(e.name) ?? []), rel]);
  }
  return byName;
}

/** The comment lines a module opens with. */
function header(rel: string): string {
  const lines = fs.readFileSync(path.join(SERVER, rel), 'utf8').split('\n');
  const end = lines.findIndex((line) => !line.startsWith('//'));
  return lines.slice(0, end === -1 ? lines.length : end).join('\n');
}

describe('server file names', () => {
  const shared = [...modulesByName()].filter(([, paths]) => paths.length > 1);

  it.each(shared)('%s: each twin names the others', (_name, paths) => {
    for (const own of paths) {
      for (const other of paths) if (other !== own) expect(header(own), own).toContain(other);
    }
  });
});
