// Demo data for the connection patterns of the demo host app. Pattern (c), a dedicated database per customer, needs
// a database that holds one organisation only: `prepareDemoData` builds it from the seeded demo data (that
// organisation's rows, same ids) when it is missing or older than the demo data, and links the customer's agent to
// it. `parley demo` calls it after seeding and before starting the server.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { LoadedConfig } from '../server/config/load.ts';
import { dialectOf, openDatabase, parseDatabaseUrl, redactUrl } from '../server/db/connect.ts';
import { DEMO_TABLES, recreateSchema } from '../server/seed/demo-data.ts';

/** A customer with a database of its own: its agent, the connection it owns, and its organisation in the demo data. */
export interface DedicatedCustomer {
  agentId: string;
  connectionId: string;
  organisationId: number;
}

export const DEDICATED_CUSTOMERS: readonly DedicatedCustomer[] = [
  { agentId: 'initech', connectionId: 'initech-db', organisationId: 3 },
];

/** The agent whose connection holds the full multi-tenant demo data. */
export const SOURCE_AGENT = 'demo';

export interface PrepareOptions {
  /** progress lines, e.g. process.stdout */
  log?: (line: string) => void;
  /** rebuild even when the copy looks up to date */
  force?: boolean;
}

export interface PreparedCustomer extends DedicatedCustomer {
  /** the connection URL, password redacted */
  url: string;
  built: boolean;
  linked: boolean;
}

/**
 * For each dedicated customer declared in the config (its agent and connection both exist): builds the customer's
 * single-organisation database from the `demo` agent's data when it is missing (a SQLite file that does not exist,
 * or a MySQL database without the demo tables) or, for SQLite, older than the demo file; then links the customer's
 * agent to its connection in `config` (in memory) when the config leaves it unlinked. Customers the config does not
 * declare are skipped.
 */
export async function prepareDemoData(
  config: LoadedConfig,
  options: PrepareOptions = {},
): Promise<PreparedCustomer[]> {
  const log = options.log ?? (() => {});
  const source = config.agents.get(SOURCE_AGENT)?.connection;
  const out: PreparedCustomer[] = [];
  for (const customer of DEDICATED_CUSTOMERS) {
    const agent = config.agents.get(customer.agentId);
    const connection = config.connections.get(customer.connectionId);
    if (!agent || !connection) continue;
    let built = false;
    if (await needsBuild(connection.url, source?.url, options.force ?? false)) {
      if (!source) {
        throw new Error(
          `cannot build ${customer.connectionId}: the config has no "${SOURCE_AGENT}" agent with a connection`,
        );
      }
      log(
        `Building the dedicated database of organisation ${customer.organisationId} (${customer.connectionId})...`,
      );
      await buildSingleOrganisationDatabase(source.url, connection.url, customer.organisationId);
      built = true;
    }
    let linked = false;
    if (!agent.connection) {
      agent.connection = connection;
      agent.config.connection = connection.id;
      linked = true;
    }
    out.push({ ...customer, url: redactUrl(connection.url), built, linked });
  }
  return out;
}

async function needsBuild(
  targetUrl: string,
  sourceUrl: string | undefined,
  force: boolean,
): Promise<boolean> {
  if (force) return true;
  const target = parseDatabaseUrl(targetUrl);
  if (target.dialect === 'sqlite') {
    if (!fs.existsSync(target.location)) return true;
    if (!sourceUrl) return false;
    const source = parseDatabaseUrl(sourceUrl);
    // the demo data was seeded again (a new anchor): the copy's dates would no longer match
    return source.dialect === 'sqlite' && fs.existsSync(source.location)
      ? fs.statSync(source.location).mtimeMs > fs.statSync(target.location).mtimeMs
      : false;
  }
  const db = openDatabase(targetUrl, { pool: { min: 0, max: 1 } });
  try {
    return !(await db.schema.hasTable('orders'));
  } finally {
    await db.destroy();
  }
}

const MONEY_COLUMNS = new Set(['price', 'total_amount', 'unit_price']);
const PAGE_ROWS = 5000;
const INSERT_ROWS = 400;

/**
 * Creates the demo tables in `targetUrl` (SQLite or MySQL; existing demo tables are replaced) holding only the rows of
 * organisation `organisationId` from `sourceUrl` (any dialect), with the same ids. A SQLite target is built in a
 * temporary file and renamed into place, so a half-built file never exists under the target's name.
 */
export async function buildSingleOrganisationDatabase(
  sourceUrl: string,
  targetUrl: string,
  organisationId: number,
): Promise<void> {
  const target = parseDatabaseUrl(targetUrl);
  const tempFile =
    target.dialect === 'sqlite'
      ? path.join(path.dirname(target.location), `.${path.basename(target.location)}.${process.pid}.tmp`)
      : undefined;
  const source = openDatabase(sourceUrl, { readOnly: true, pool: { min: 0, max: 1 } });
  let db: Knex | undefined;
  try {
    if (tempFile) fs.rmSync(tempFile, { force: true });
    db = openDatabase(tempFile ? `sqlite://${tempFile}` : targetUrl, { create: true });
    const dialect = dialectOf(db);
    await recreateSchema(db, dialect);
    await db.transaction(async (trx) => {
      for (const table of DEMO_TABLES) await copyRows(source, trx, table, organisationId);
    });
    if (dialect === 'sqlite') await db.raw('ANALYZE');
    await db.destroy();
    db = undefined;
    if (tempFile) fs.renameSync(tempFile, target.location);
  } finally {
    await db?.destroy();
    await source.destroy();
    if (tempFile) fs.rmSync(tempFile, { force: true });
  }
}

async function copyRows(source: Knex, target: Knex, table: string, organisationId: number): Promise<void> {
  const column = table === 'organisations' ? 'id' : 'organisation_id';
  let after = Number.NEGATIVE_INFINITY;
  for (;;) {
    const query = source(table).where(column, organisationId).orderBy('id').limit(PAGE_ROWS);
    if (Number.isFinite(after)) query.andWhere('id', '>', after);
    const rows = (await query) as Array<Record<string, unknown>>;
    if (rows.length === 0) return;
    for (const row of rows) {
      // mysql2 returns DECIMAL as text
      for (const key of Object.keys(row)) if (MONEY_COLUMNS.has(key)) row[key] = Number(row[key]);
    }
    // knex writes a multi-row insert on SQLite as a compound SELECT: at most 500 terms a statement
    await target.batchInsert(table, rows, INSERT_ROWS);
    after = Number(rows[rows.length - 1]?.id);
    if (rows.length < PAGE_ROWS) return;
  }
}
