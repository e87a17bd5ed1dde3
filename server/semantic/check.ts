// The live check of an agent's semantic model against its database (`parley check`, and server start):
// the static model checks, then every table, column and key the model relies on must exist with a fitting type.
// cli/check.ts is its command (`parley check`): the same idea one layer up, hence the same name.
import type { Knex } from 'knex';
import type { LoadedConfig, ResolvedAgent } from '../config/load.ts';
import type { AgentConfig, ColumnType, SemanticModel, UserContextType } from '../config/schema.ts';
import { type Dialect, dialectOf, redactUrl } from '../db/connect.ts';
import { ExpressionError, expressionColumns, parseExpression } from './expression.ts';
import {
  type DatabaseColumn,
  type DatabaseSchema,
  type DatabaseTable,
  introspectDatabase,
  isBinaryType,
} from './introspect.ts';
import { keyTypesCompatible, modelColumnUses, validateModel } from './validate.ts';

export type Severity = 'error' | 'warning';

export interface CheckIssue {
  path: string;
  message: string;
  severity: Severity;
}

export interface CheckResult {
  /** true when there is no error (warnings allowed) */
  ok: boolean;
  issues: CheckIssue[];
}

/**
 * Whether a column the model declares as `declared` fits the database column. Decisions:
 * - the same type, integer data in a number column, and integer (0/1) data in a boolean column fit;
 * - a numeric, boolean, date or datetime declaration on a text column is an error (comparisons and sums would be
 *   wrong) -- except date/datetime on text in SQLite, which has no date type and stores ISO text (on MySQL: warning);
 * - a string declaration on a numeric or date column is a warning (it works, but compares as text);
 * - integer on a decimal column, and datetime on a date column, are warnings (values lose fractions/time);
 * - binary columns fit nothing.
 */
export function typeFit(
  declared: ColumnType,
  column: DatabaseColumn,
  dialect: Dialect,
): { severity: Severity; message: string } | undefined {
  const actual = column.type;
  const raw = column.dataType === '' ? 'untyped' : column.dataType;
  const says = (severity: Severity, why: string) => ({
    severity,
    message: `declared ${declared} but the database column is ${raw}${why ? `: ${why}` : ''}`,
  });
  if (isBinaryType(column.dataType)) return says('error', 'binary data cannot be shown');
  if (declared === actual) return undefined;
  switch (declared) {
    case 'integer':
      if (actual === 'boolean') return undefined;
      if (actual === 'number') return says('warning', 'values with fractions will be treated as integers');
      return says('error', 'it does not hold numbers');
    case 'number':
      if (actual === 'integer') return undefined;
      if (actual === 'boolean') return says('warning', 'it holds true/false');
      return says('error', 'it does not hold numbers');
    case 'boolean':
      if (actual === 'integer') return undefined;
      return says('error', 'it does not hold true/false');
    case 'string':
      return says('warning', 'values will be compared as text');
    case 'date':
    case 'datetime':
      if (actual === 'date' || actual === 'datetime') {
        return declared === 'datetime' && actual === 'date'
          ? says('warning', 'it has no time of day')
          : undefined;
      }
      if (actual === 'string') {
        return dialect === 'sqlite'
          ? undefined
          : says('warning', 'dates stored as text must be ISO formatted');
      }
      return says('error', 'it does not hold dates');
  }
}

/** Whether a userContext value of `field` type can be compared with a column of type `column`. */
function contextTypeFits(field: UserContextType, column: ColumnType): boolean {
  const scalar = field.replace('[]', '');
  if (scalar === 'integer') return column === 'integer' || column === 'number';
  if (scalar === 'string') return column === 'string';
  return column === 'boolean' || column === 'integer';
}

function findTable(
  schema: DatabaseSchema,
  name: string,
): { name: string; table: DatabaseTable; exact: boolean } | undefined {
  if (Object.hasOwn(schema.tables, name))
    return { name, table: schema.tables[name] as DatabaseTable, exact: true };
  const lower = name.toLowerCase();
  for (const [other, table] of Object.entries(schema.tables)) {
    if (other.toLowerCase() === lower) return { name: other, table, exact: false };
  }
  return undefined;
}

/** Column names are case-insensitive in SQLite and MySQL. */
function findColumn(table: DatabaseTable, name: string): DatabaseColumn | undefined {
  if (Object.hasOwn(table.columns, name)) return table.columns[name];
  const lower = name.toLowerCase();
  for (const [other, column] of Object.entries(table.columns))
    if (other.toLowerCase() === lower) return column;
  return undefined;
}

/**
 * Compares a model with an introspected database schema (no static checks; see checkAgentAgainstDatabase).
 * Problems of tables whose access is off are warnings: queries never touch them.
 */
export function checkModelAgainstSchema(
  agent: AgentConfig,
  model: SemanticModel,
  schema: DatabaseSchema,
  dialect: Dialect,
): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const uses = modelColumnUses(model);
  const found = new Map<string, DatabaseTable>();
  for (const [name, table] of Object.entries(model.tables)) {
    const base = `model.tables.${name}`;
    const level: Severity = table.access === 'off' ? 'warning' : 'error';
    const add = (path: string, message: string, severity: Severity = level) => {
      issues.push({ path, message, severity: severity === 'error' ? level : 'warning' });
    };
    const hit = findTable(schema, name);
    if (!hit) {
      add(base, `table ${name} does not exist in the database`);
      continue;
    }
    found.set(name, hit.table);
    if (!hit.exact && dialect === 'mysql') {
      add(
        base,
        `the database calls the table ${hit.name}; MySQL table names can be case-sensitive`,
        'warning',
      );
    }
    const dbTable = hit.table;

    // every column the model relies on, once per place that names it
    for (const use of uses.get(name) ?? []) {
      const column = findColumn(dbTable, use.column);
      if (!column) {
        const what =
          use.role === 'column'
            ? 'column'
            : use.role === 'primaryKey'
              ? 'primary key column'
              : use.role === 'contextFilter'
                ? 'context filter column'
                : 'join key column';
        add(use.path, `${what} ${use.column} does not exist in table ${name}`);
        continue;
      }
      if (use.declared !== undefined) {
        const fit = typeFit(use.declared, column, dialect);
        if (fit) add(use.path, `${use.column}: ${fit.message}`, fit.severity);
      }
    }

    // computed columns: their inputs must exist
    const listed = new Set(Object.keys(table.columns));
    for (const [compName, computed] of Object.entries(table.computed)) {
      let inputs: string[];
      try {
        inputs = expressionColumns(parseExpression(computed.expression, listed));
      } catch (err) {
        if (err instanceof ExpressionError) continue; // reported by validateModel
        throw err;
      }
      for (const input of inputs) {
        if (!findColumn(dbTable, input)) {
          add(
            `${base}.computed.${compName}.expression`,
            `${compName} uses ${input}, which does not exist in table ${name}`,
          );
        }
      }
    }

    // primary key: should be the database's
    const pk = findColumn(dbTable, table.primaryKey);
    if (
      pk &&
      dbTable.primaryKey.length > 0 &&
      !dbTable.primaryKey.some((c) => c.toLowerCase() === table.primaryKey.toLowerCase())
    ) {
      add(
        `${base}.primaryKey`,
        `${table.primaryKey} is not part of the database's primary key (${dbTable.primaryKey.join(', ')}); counts rely on it being unique`,
        'warning',
      );
    }

    // context filter columns against the userContext types
    table.contextFilters.forEach((cf, i) => {
      const column = findColumn(dbTable, cf.column);
      const fieldType = Object.hasOwn(agent.userContext, cf.field) ? agent.userContext[cf.field] : undefined;
      if (column && fieldType && !contextTypeFits(fieldType, column.type)) {
        add(
          `${base}.contextFilters.${i}.column`,
          `${cf.column} is ${column.dataType} but userContext.${cf.field} is ${fieldType}; the comparison may never match`,
          'warning',
        );
      }
    });
  }

  // join keys: both sides must be comparable
  for (const [name, table] of Object.entries(model.tables)) {
    const local = found.get(name);
    if (!local) continue;
    for (const [relName, rel] of Object.entries(table.relations)) {
      const remote = found.get(rel.table);
      if (!remote) continue;
      for (const [localKey, remoteKey] of Object.entries(rel.on)) {
        const a = findColumn(local, localKey);
        const b = findColumn(remote, remoteKey);
        const path = `model.tables.${name}.relations.${relName}.on.${localKey}`;
        if (a && b && !keyTypesCompatible(a.type, b.type)) {
          issues.push({
            path,
            message: `join key ${name}.${localKey} (${a.dataType}) and ${rel.table}.${remoteKey} (${b.dataType}) have different types`,
            severity: 'warning',
          });
        }
      }
    }
  }
  return dedupe(issues);
}

function dedupe(issues: CheckIssue[]): CheckIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}\n${i.path}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The static model checks (validateModel, as errors) plus the comparison with the live database. */
export async function checkAgentAgainstDatabase(agent: ResolvedAgent, db: Knex): Promise<CheckResult> {
  const issues: CheckIssue[] = validateModel(agent.config, agent.model).map((i) => ({
    ...i,
    severity: 'error',
  }));
  let schema: DatabaseSchema;
  try {
    schema = await introspectDatabase(db);
  } catch (err) {
    const where = agent.connection ? ` (${agent.connection.id}: ${redactUrl(agent.connection.url)})` : '';
    issues.push({
      path: 'connection',
      message: `cannot read the database schema${where}: ${err instanceof Error ? err.message : String(err)}`,
      severity: 'error',
    });
    return { ok: false, issues };
  }
  issues.push(...checkModelAgainstSchema(agent.config, agent.model, schema, dialectOf(db)));
  return { ok: !issues.some((i) => i.severity === 'error'), issues };
}

/** `agent/path: message` (warnings marked), the line format of `parley check` and of startup failures. */
export function formatCheckIssue(agentId: string, issue: CheckIssue): string {
  return `${agentId}/${issue.path}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
}

/**
 * Checks every agent before the server starts and throws an Error listing every error (fail closed): a model
 * that does not match its database must not serve questions. Unlinked agents get the static checks only.
 * `openDb` opens a fresh handle for a connection URL; it is called once per distinct URL, and every handle it
 * returns is destroyed before this returns (do not hand out the server's own pools).
 */
export async function assertAgentsReady(loaded: LoadedConfig, openDb: (url: string) => Knex): Promise<void> {
  const errors: string[] = [];
  const handles = new Map<string, Knex>();
  try {
    for (const [id, agent] of loaded.agents) {
      let result: CheckResult;
      if (!agent.connection) {
        const issues = validateModel(agent.config, agent.model).map(
          (i): CheckIssue => ({ ...i, severity: 'error' }),
        );
        result = { ok: issues.length === 0, issues };
      } else {
        const url = agent.connection.url;
        try {
          let db = handles.get(url);
          if (!db) {
            db = openDb(url);
            handles.set(url, db);
          }
          result = await checkAgentAgainstDatabase(agent, db);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          const message = `cannot open connection ${agent.connection.id} (${redactUrl(url)}): ${why}`;
          result = { ok: false, issues: [{ path: 'connection', message, severity: 'error' }] };
        }
      }
      for (const issue of result.issues) {
        if (issue.severity === 'error') errors.push(formatCheckIssue(id, issue));
      }
    }
  } finally {
    await Promise.allSettled([...handles.values()].map((db) => db.destroy()));
  }
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e}`).join('\n');
    throw new Error(
      `the semantic model does not match the configuration or the database (run \`parley check\`):\n${lines}`,
    );
  }
}
