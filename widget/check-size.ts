// The widget's size budget: the initial bundle (dist/widget/parley-widget.js with everything it imports
// statically, Lit included) must stay at or under 60 KB gzipped. Lazily loaded chunks (the chart code) are
// printed but not counted; the chart code must be one of them, never part of the initial bundle.
//   npm run build:widget && npm run size
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 60 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', 'dist', 'widget');
const entry = join(dist, 'parley-widget.js');

function gz(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Files an ES module imports statically (`import … from "./x.js"`, `import "./x.js"`), resolved to paths. */
function staticImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found = new Set<string>();
  const patterns = [
    /\bimport\s*(?:[\w*${}\s,]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g,
    /\bexport\s*[\w*${}\s,]+from\s*["'](\.{1,2}\/[^"']+)["']/g,
  ];
  for (const re of patterns)
    for (const m of code.matchAll(re)) if (m[1]) found.add(resolve(dirname(file), m[1]));
  return [...found];
}

function dynamicImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  return [...code.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) =>
    resolve(dirname(file), m[1] ?? ''),
  );
}

function main(): number {
  if (!existsSync(entry)) {
    console.error(`size: ${relative(process.cwd(), entry)} is missing; run \`npm run build:widget\` first`);
    return 1;
  }
  // the initial bundle: the entry and everything reachable through static imports
  const initial = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (initial.has(file) || !existsSync(file)) continue;
    initial.add(file);
    queue.push(...staticImports(file));
  }
  const chunksDir = join(dist, 'chunks');
  const all = existsSync(chunksDir)
    ? readdirSync(chunksDir)
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(chunksDir, f))
    : [];
  const lazy = all.filter((f) => !initial.has(f));

  let initialBytes = 0;
  console.log('initial bundle (counted):');
  for (const file of initial) {
    const size = gz(file);
    initialBytes += size;
    console.log(`  ${relative(dist, file)}  ${kb(size)} gzipped`);
  }
  console.log('lazy chunks (not counted):');
  for (const file of lazy) console.log(`  ${relative(dist, file)}  ${kb(gz(file))} gzipped`);

  const chart = lazy.filter((f) => /(^|\/)vega-[^/]*\.js$/.test(f));
  const chartBytes = chart.reduce((n, f) => n + gz(f), 0);
  console.log(`initial: ${kb(initialBytes)} gzipped (budget ${kb(BUDGET_BYTES)})`);
  console.log(`chart chunk: ${chart.length > 0 ? `${kb(chartBytes)} gzipped` : 'missing'}`);

  let failed = false;
  if (initialBytes > BUDGET_BYTES) {
    console.error(
      `size: FAIL: the initial bundle is ${kb(initialBytes)} gzipped, over the ${kb(BUDGET_BYTES)} budget`,
    );
    failed = true;
  }
  if (chart.length === 0 || !dynamicImports(entry).some((f) => chart.includes(f))) {
    console.error('size: FAIL: the chart code is not a lazily imported chunk of its own (chunks/vega-*.js)');
    failed = true;
  }
  if ([...initial].some((f) => /(^|\/)vega-[^/]*\.js$/.test(f))) {
    console.error('size: FAIL: chart code is part of the initial bundle');
    failed = true;
  }
  if (!failed) console.log('size: OK');
  return failed ? 1 : 0;
}

process.exitCode = main();
