// The widget bundle the Parley server serves at /widget/parley-widget.js (dist/widget, built by `vite build`). A fresh
// clone has none: `parley demo` and the browser tests build it when it is missing, or older than the widget's sources.
// The server only serves dist/widget when it exists at start, so build before starting it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.ts';

export const ROOT = PACKAGE_ROOT;
export const WIDGET_ENTRY = path.join(ROOT, 'dist', 'widget', 'parley-widget.js');
const WIDGET_SOURCES = path.join(ROOT, 'widget');
const LOCK = path.join(ROOT, 'dist', '.parley-widget-build.lock');
const STALE_LOCK_MS = 180_000;

export type BundleStatus = 'missing' | 'stale' | 'fresh';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  }
  return newest;
}

export function widgetBundleStatus(): BundleStatus {
  if (!fs.existsSync(WIDGET_ENTRY)) return 'missing';
  if (!fs.existsSync(WIDGET_SOURCES)) return 'fresh';
  return fs.statSync(WIDGET_ENTRY).mtimeMs >= newestSource(WIDGET_SOURCES) ? 'fresh' : 'stale';
}

export interface EnsureOptions {
  /** rebuild a bundle older than the widget's sources too (default true) */
  rebuildStale?: boolean;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `vite build` (vite.config.ts builds the widget into dist/widget); rejects with its output when it fails. */
export function buildWidget(): Promise<void> {
  let vite: string;
  try {
    vite = path.join(
      path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
      'bin',
      'vite.js',
    );
  } catch {
    return Promise.reject(
      new Error('the widget is not built and vite is not installed: run `npm install` first'),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`building the widget (vite build) failed with exit code ${code}:\n${output.trim()}`),
        );
    });
  });
}

/**
 * Builds the widget bundle when it is missing (or stale, unless rebuildStale is false). Processes that call this at
 * the same time (parallel test files) build once: the others wait for the lock. Resolves to what it found.
 */
export async function ensureWidgetBundle(options: EnsureOptions = {}): Promise<BundleStatus> {
  const wanted = (s: BundleStatus) => s === 'fresh' || (s === 'stale' && options.rebuildStale === false);
  const first = widgetBundleStatus();
  if (wanted(first)) return first;
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    fs.mkdirSync(path.dirname(LOCK), { recursive: true });
    let mine = false;
    try {
      fs.mkdirSync(LOCK);
      mine = true;
    } catch {
      // another process is building; a lock older than this is left over from a killed one
      const since = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > STALE_LOCK_MS) fs.rmSync(LOCK, { recursive: true, force: true });
    }
    if (mine) {
      try {
        if (!wanted(widgetBundleStatus())) {
          options.log?.(
            first === 'missing'
              ? 'Building the widget (first run)...'
              : 'Rebuilding the widget (sources changed)...',
          );
          await buildWidget();
        }
      } finally {
        fs.rmSync(LOCK, { recursive: true, force: true });
      }
      return first;
    }
    if (wanted(widgetBundleStatus()) && !fs.existsSync(LOCK)) return first;
    if (Date.now() > deadline) throw new Error('timed out waiting for another process to build the widget');
    await sleep(250);
  }
}
