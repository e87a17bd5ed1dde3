// Migrating the store safely when several instances start together: on MySQL/MariaDB the migrating instance holds
// a named lock (GET_LOCK, released by the server if that instance dies), so the others wait for it with a bound
// instead of dying on knex's "Migration table is already locked"; a knex lock row set while nobody holds the named
// lock was left by a crash, and is explained with the Parley command that clears it.
// cli/migrate.ts is its command (`parley migrate`): the same idea one layer up, hence the same name.
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.ts';
import { ParleyError } from '../errors.ts';
import { storeMigrations } from './migrations.ts';

const MIGRATIONS_TABLE = 'parley_migrations';
const LOCK_TABLE = `${MIGRATIONS_TABLE}_lock`;
const NAMED_LOCK = 'parley_store_migrations';
export const DEFAULT_MIGRATION_LOCK_WAIT_MS = 60_000;

/** Another instance holds (or a crash left) the store's migration lock: the server cannot start on this store. */
export class MigrationLockError extends ParleyError {
  override name = 'MigrationLockError';
  constructor(message: string) {
    super(500, 'migration_locked', message);
  }
}

const UNLOCK_HINT =
  'If no Parley instance is migrating this store (a migration was interrupted by a crash), check that the ' +
  'store is intact, then run `parley migrate unlock` and start again.';

const config = { migrationSource: storeMigrations, tableName: MIGRATIONS_TABLE };

interface RawConnection {
  query(sql: string, values: unknown[], cb: (err: Error | null, rows: unknown) => void): void;
}

function ask<T>(conn: RawConnection, sql: string, values: unknown[]): Promise<T> {
  return new Promise((resolve, reject) =>
    conn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as T))),
  );
}

async function knexLockHeld(db: Knex): Promise<boolean> {
  if (!(await db.schema.hasTable(LOCK_TABLE))) return false;
  const row = (await db(LOCK_TABLE).first('is_locked')) as { is_locked?: number } | undefined;
  return Number(row?.is_locked ?? 0) === 1;
}

/** Brings the store to the latest migration; returns the names applied. Waits at most `waitMs` for another instance. */
export async function migrateStore(db: Knex, options: { waitMs?: number } = {}): Promise<string[]> {
  const waitMs = options.waitMs ?? DEFAULT_MIGRATION_LOCK_WAIT_MS;
  if (dialectOf(db) === 'mysql') return migrateMysql(db, waitMs);
  // SQLite: one file, one host; retry while another process holds knex's lock, with the same bound
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      // look first: knex's own lock failure prints a hint naming a knex command Parley does not have
      if (!(await knexLockHeld(db))) {
        const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
        return applied;
      }
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      // another process got there first: its lock, its busy file, or its just-created migrations table
      const busy =
        e.name === 'MigrationLocked' || e.code === 'SQLITE_BUSY' || /already exists/.test(e.message ?? '');
      if (!busy) throw err;
    }
    if (Date.now() >= deadline) {
      throw new MigrationLockError(
        `the store's migrations stayed locked for ${Math.round(waitMs / 1000)} s. ${UNLOCK_HINT}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function migrateMysql(db: Knex, waitMs: number): Promise<string[]> {
  const client = db.client as {
    acquireConnection(): Promise<RawConnection>;
    releaseConnection(c: RawConnection): Promise<void>;
  };
  const conn = await client.acquireConnection();
  try {
    const seconds = Math.max(0, Math.ceil(waitMs / 1000));
    const [row] = await ask<Array<{ got: number | null }>>(conn, 'SELECT GET_LOCK(?, ?) AS got', [
      NAMED_LOCK,
      seconds,
    ]);
    if (Number(row?.got) !== 1) {
      throw new MigrationLockError(
        `another Parley instance has been migrating the store for more than ${seconds} s; ` +
          'start this one again when it has finished (store.migrationLockWaitMs sets how long to wait)',
      );
    }
    try {
      // every Parley that migrates holds the named lock, and we hold it now: a set lock row is a crash's leftover
      if (await knexLockHeld(db)) {
        throw new MigrationLockError(
          `the store's migration lock (table ${LOCK_TABLE}) is set, but no instance is migrating. ${UNLOCK_HINT}`,
        );
      }
      const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
      return applied;
    } finally {
      await ask(conn, 'SELECT RELEASE_LOCK(?)', [NAMED_LOCK]).catch(() => undefined);
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Clears a migration lock left by a crash (`parley migrate unlock`); refuses while an instance is migrating. */
export async function unlockStoreMigrations(db: Knex): Promise<{ wasLocked: boolean }> {
  if (dialectOf(db) === 'mysql') {
    const [rows] = (await db.raw('SELECT IS_FREE_LOCK(?) AS free', [NAMED_LOCK])) as [
      Array<{ free: number }>,
    ];
    if (Number(rows[0]?.free) !== 1) {
      throw new MigrationLockError('a Parley instance is migrating this store right now: let it finish');
    }
  }
  const wasLocked = await knexLockHeld(db);
  if (wasLocked) await db.migrate.forceFreeMigrationsLock(config);
  return { wasLocked };
}
