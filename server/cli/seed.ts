// `parley seed`: (re)builds the deterministic demo data set in a SQLite file or a MySQL/MariaDB database.
import type { Command } from 'commander';
import type { SeedSummary } from '../seed/demo-data.ts';
import { withConfigOption } from './common.ts';

export const MAX_SCALE = 20;

interface SeedCommandOptions {
  database?: string;
  anchor?: string;
  scale: string;
  config?: string;
}

export function parseScale(value: string): number {
  const text = value.trim();
  const scale = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new Error(`--scale must be a whole number from 1 to ${MAX_SCALE}, got "${value}"`);
  }
  return scale;
}

export function formatSummary(summary: SeedSummary): string {
  const header = ['id', 'organisation', 'users', 'products', 'orders', 'order_items'];
  const body = summary.organisations.map((o) => [
    String(o.id),
    o.name,
    String(o.users),
    String(o.products),
    String(o.orders),
    String(o.orderItems),
  ]);
  const total = (key: 'users' | 'products' | 'orders' | 'orderItems') =>
    String(summary.organisations.reduce((n, o) => n + o[key], 0));
  const rows = [
    header,
    ...body,
    ['', 'total', total('users'), total('products'), total('orders'), total('orderItems')],
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

export function registerSeedCommand(program: Command): void {
  withConfigOption(program.command('seed'))
    .description('drop and rebuild the demo tables (organisations, users, products, orders, order_items)')
    .option(
      '--database <url>',
      'sqlite:///abs.sqlite, sqlite://./rel.sqlite or mysql://user:pass@host:3306/db (default: $DATABASE_URL)',
    )
    .option('--anchor <iso>', 'latest moment of the data, ISO 8601 (default: $PARLEY_NOW, else now)')
    .option('--scale <n>', `multiply users, orders and items by n (1-${MAX_SCALE})`, '1')
    .action(async (opts: SeedCommandOptions) => {
      const url = opts.database ?? process.env.DATABASE_URL;
      if (!url) throw new Error('seed needs a database: pass --database URL or set DATABASE_URL');
      const scale = parseScale(opts.scale);
      // loaded when the command runs: `parley --help` and the other commands need none of it
      const [{ openDatabase, redactUrl }, { seedDemoData }, { parseAnchor }] = await Promise.all([
        import('../db/connect.ts'),
        import('../seed/demo-data.ts'),
        import('./seed-anchor.ts'),
      ]);
      const anchor = parseAnchor(opts.anchor);
      const started = performance.now();
      const db = openDatabase(url, { create: true });
      try {
        const summary = await seedDemoData(db, {
          anchor,
          scale,
          onProgress: (msg) => process.stderr.write(`seed: ${msg}\n`),
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          `Seeded demo data into ${redactUrl(url)} (anchor ${summary.anchor}, scale ${summary.scale}) in ${seconds}s\n` +
            `${formatSummary(summary)}\n`,
        );
      } finally {
        await db.destroy();
      }
    });
}
