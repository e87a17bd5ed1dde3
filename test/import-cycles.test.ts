// No module imports itself back, directly or through others (type imports included): a cycle makes load order
// matter and hides which module a concept belongs to. Checked over the server and the widget together (the widget
// imports the server's dependency-free wire constants).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `import … from`, `export … from` (both with `type`) and bare `import './x.ts'`; lazy `import()` is not a cycle
const IMPORT = /^\s*(?:(?:import|export)\s[^'"]*?from\s+|import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sources(dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      .map((e) => path.join(e.parentPath, e.name)),
  );
}

/** Cycles among the modules under `dirs` (imports of modules outside them are ignored), as module paths: at least
 * one for every set of modules that import each other. */
function importCycles(dirs: string[]): string[][] {
  const files = new Set(sources(dirs));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const deps = [...text.matchAll(IMPORT)]
      .map((m) => path.resolve(path.dirname(file), m[1] as string))
      .filter((f) => files.has(f));
    graph.set(file, deps);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles.map((c) => c.map((f) => path.relative(ROOT, f)));
}

describe('import cycles', () => {
  it('server/ and widget/ have none', () => {
    expect(importCycles(['server', 'widget'].map((dir) => path.join(ROOT, dir)))).toEqual([]);
  });

  it('finds one when there is one', () => {
    fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    const tmp = fs.mkdtempSync(path.join(ROOT, 'test-artifacts', 'cycles-'));
    try {
      fs.writeFileSync(path.join(tmp, 'a.ts'), "import { b } from './b.ts';\nexport const a = 1;\n");
      fs.writeFileSync(path.join(tmp, 'b.ts'), "import type { a } from './a.ts';\nexport const b = 2;\n");
      fs.writeFileSync(path.join(tmp, 'c.ts'), "import './d.ts';\nexport const c = 3;\n");
      fs.writeFileSync(path.join(tmp, 'd.ts'), "export { c } from './c.ts';\n");
      expect(importCycles([tmp])).toHaveLength(2);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
