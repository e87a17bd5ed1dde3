// `parley migrate`: brings the store to the latest schema (what `parley serve` also does at start), and
// `parley migrate unlock`: clears a migration lock that a crash left behind.
// The command layer of conversations/migrate.ts (the store migration itself), hence the same name.
import type { Command } from 'commander';
import { configPathOf, withConfigOption } from './common.ts';

// loaded when the command runs: `parley --help` needs none of them
const modules = () =>
  Promise.all([
    import('../config/load.ts'),
    import('../conversations/migrate.ts'),
    import('../db/connect.ts'),
  ]);

export function registerMigrateCommand(program: Command): void {
  const migrate = withConfigOption(
    program
      .command('migrate')
      .description('apply the store migrations (serve does this at start; run it before starting instances)'),
  ).action(async (_opts: unknown, cmd: Command) => {
    const [{ loadConfig }, { migrateStore }, { openDatabase, redactUrl }] = await modules();
    const loaded = loadConfig(configPathOf(cmd));
    const db = openDatabase(loaded.storeUrl, { create: true });
    try {
      const applied = await migrateStore(db, { waitMs: loaded.config.store?.migrationLockWaitMs });
      process.stdout.write(
        applied.length > 0
          ? `store ${redactUrl(loaded.storeUrl)}: applied ${applied.join(', ')}\n`
          : `store ${redactUrl(loaded.storeUrl)}: already up to date\n`,
      );
    } finally {
      await db.destroy();
    }
  });
  withConfigOption(
    migrate
      .command('unlock')
      .description(
        'clear the migration lock a crashed instance left (refused while an instance is migrating)',
      ),
  ).action(async (_opts: unknown, cmd: Command) => {
    const [{ loadConfig }, { unlockStoreMigrations }, { openDatabase, redactUrl }] = await modules();
    const loaded = loadConfig(configPathOf(cmd));
    const db = openDatabase(loaded.storeUrl, { create: true });
    try {
      const { wasLocked } = await unlockStoreMigrations(db);
      process.stdout.write(
        wasLocked
          ? `store ${redactUrl(loaded.storeUrl)}: migration lock cleared; run \`parley migrate\` next\n`
          : `store ${redactUrl(loaded.storeUrl)}: the migrations were not locked\n`,
      );
    } finally {
      await db.destroy();
    }
  });
}
