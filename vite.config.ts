// Builds the <parley-chat> widget bundle (library mode) and configures vitest.
import { type Plugin, transformWithEsbuild } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Vite keeps whitespace in ES library output (for bundlers that tree-shake it again). The widget is served to
 * browsers as is, so every chunk is minified fully once the bundle is complete (after Vite's own renderChunk).
 */
function minifyChunks(): Plugin {
  return {
    name: 'parley-minify-chunks',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const out = await transformWithEsbuild(chunk.code, chunk.fileName, {
          loader: 'js',
          format: 'esm',
          target: 'es2022',
          minify: true,
          legalComments: 'none',
        });
        chunk.code = out.code;
      }
    },
  };
}

export default defineConfig(({ command }) => ({
  // the bundle runs in browsers: libraries' process.env.NODE_ENV checks must see production
  define: command === 'build' ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
  plugins: [minifyChunks()],
  build: {
    target: 'es2022',
    outDir: 'dist/widget',
    emptyOutDir: true,
    // no source maps: the final minification would not carry them over
    sourcemap: false,
    copyPublicDir: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 2048,
    lib: {
      entry: 'widget/index.ts',
      formats: ['es'],
      fileName: () => 'parley-widget.js',
    },
    rollupOptions: {
      output: {
        // hashed names: the BFF serves them with `Cache-Control: immutable`; the entry keeps a stable name
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  test: {
    include: ['server/**/*.test.ts', 'widget/**/*.test.ts', 'demo/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI also writes the counts as JSON so .ci/run can print one plain "N passed, N failed" closing line
    reporters:
      process.env.CI === 'true'
        ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]]
        : ['default'],
  },
}));
