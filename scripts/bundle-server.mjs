// `npm run build:server`, second step: bundles the compiled CLI and server (dist/build, from tsc) with their
// dependencies into a few files in dist/build/bundle, which bin/parley.mjs runs. Loading ~1,100 small modules was
// most of `parley serve`'s start-up (each one resolved, read, compiled and linked on its own); one bundle of the
// same code loads in about half the time. esbuild because it bundles Node code, CommonJS and ES modules alike, with
// dynamic imports split into chunks that load when first used (the answer engine, the planner, the demo), in a
// second or two; it is already what tsx and Vite run on.
//
// Left out of the bundle, loaded from node_modules as before: native modules and what starts worker threads from its
// own files (better-sqlite3, piscina), dev tools (vite, tsx, esbuild) and knex's drivers for databases Parley does
// not use. The worker threads themselves (query/sqlite-worker.mjs, datasets/build-worker.mjs) keep running from
// dist/build. Every bundled module still sees its own location: `import.meta.url`, `__dirname` and `__filename`
// are rewritten to the file they came from, so paths next to a module (its worker, the package root) resolve as
// before.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'dist', 'build');
export const BUNDLE_DIR = path.join(BUILD, 'bundle');

const EXTERNAL = [
  // native, or start threads from their own files
  'better-sqlite3',
  'piscina',
  // dev tools, loaded only by `parley demo` / a first start without a widget bundle, or from the sources
  'vite',
  'tsx',
  'esbuild',
  // knex's drivers for databases Parley does not use (knex requires them only when such a client is configured)
  'pg',
  'pg-query-stream',
  'oracledb',
  'tedious',
  'mysql',
  'sqlite3',
  'mariadb',
  // loaded with the first MySQL connection, as before; bundled, its 740 KB would be read at every start
  'mysql2',
  // loaded only when Redis is configured; bundled, its named export `Redis` was lost (its module.exports is the class)
  'ioredis',
  // body-parser requires it at start-up, but it loads its 500 KB of encodings only for a body not in UTF-8
  'iconv-lite',
];

/**
 * zod's error messages in 49 languages, of which zod itself uses English ('en', imported on its own): the others are
 * half of zod in the bundle, read at every start. Parley's messages are English; `z.locales` keeps `en` alone.
 */
const zodEnglishOnly = {
  name: 'parley-zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
    }));
  },
};

/** A path from the bundle's folder to `file`, for `new URL(..., import.meta.url)` in the bundle. */
function fromBundle(file) {
  return JSON.stringify(path.relative(BUNDLE_DIR, file).split(path.sep).join('/'));
}

/** Each module keeps its own location (see the header), and `createRequire(import.meta.url)(x)` is bundled. */
const ownLocation = {
  name: 'parley-own-location',
  setup(build) {
    build.onLoad({ filter: /\.(m?js|cjs)$/ }, async (args) => {
      let text = await fs.promises.readFile(args.path, 'utf8');
      // a module that loads a package on first use (knex, stopwords-iso) does so with createRequire: in the bundle a
      // plain require, which esbuild bundles and still runs only when called
      text = text.replace(/\bcreateRequire\(import\.meta\.url\)\(/g, 'require(');
      if (text.includes('import.meta.url'))
        text = text.replaceAll('import.meta.url', `new URL(${fromBundle(args.path)}, import.meta.url).href`);
      else if (/\b__(dirname|filename)\b/.test(text)) {
        // CommonJS (`import.meta` would make esbuild take it for an ES module): the chunk's own URL comes from the
        // banner, and esbuild wraps each module in a function, so these are the module's own
        const own = `new URL(${fromBundle(args.path)}, __parleyChunkUrl)`;
        text = `var __filename = require('node:url').fileURLToPath(${own}), __dirname = require('node:path').dirname(__filename);\n${text}`;
      }
      return { contents: text, loader: 'js' };
    });
  },
};

/**
 * Packages that load on first use, synchronously (knex with the first connection), each bundled into a CommonJS file
 * of its own beside the chunks. Bundled into a chunk like the rest, knex's 560 KB were read and compiled at every
 * start, `parley serve` before it listened among them, because an ES module's imports load with it; a CommonJS file
 * is read only when `require`d. yaml (160 KB) likewise, needed only to say where a config mistake is or to write a
 * model file. Every import of the package, static or through createRequire, names that file.
 */
const LAZY_PACKAGES = ['knex', 'yaml'];
const lazyFile = (name) => `./lazy-${name}.cjs`;

const lazyPackages = {
  name: 'parley-lazy-packages',
  setup(build) {
    const names = new RegExp(`^(${LAZY_PACKAGES.join('|')})$`);
    build.onResolve({ filter: names }, (args) => ({ path: lazyFile(args.path), external: true }));
  },
};

function bundleLazyPackage(name) {
  return esbuild.build({
    entryPoints: [createRequire(import.meta.url).resolve(name)],
    outfile: path.join(BUNDLE_DIR, lazyFile(name)),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [ownLocation],
    // ownLocation's CommonJS modules find their own location from the file's URL, as in the chunks
    banner: { js: "var __parleyChunkUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: 'linked',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
}

export async function bundleServer() {
  fs.rmSync(BUNDLE_DIR, { recursive: true, force: true });
  await Promise.all(LAZY_PACKAGES.map(bundleLazyPackage));
  const result = await esbuild.build({
    entryPoints: { program: path.join(BUILD, 'server', 'cli', 'program.js') },
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [zodEnglishOnly, lazyPackages, ownLocation],
    // CommonJS packages require Node's modules and the external ones: a real require in every chunk; and the chunk's
    // URL, which every chunk shares (they are in one folder)
    banner: {
      js: "import { createRequire as __parleyCreateRequire } from 'node:module'; const require = __parleyCreateRequire(import.meta.url), __parleyChunkUrl = import.meta.url;",
    },
    sourcemap: 'linked',
    // a third less to read and compile at start; names are kept as written (stack traces, class and error names)
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    metafile: Boolean(process.env.PARLEY_BUNDLE_META),
  });
  // what each chunk holds, for esbuild's analyzer (https://esbuild.github.io/analyze/) or a script
  if (process.env.PARLEY_BUNDLE_META)
    fs.writeFileSync(process.env.PARLEY_BUNDLE_META, JSON.stringify(result.metafile));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleServer();
