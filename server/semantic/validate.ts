// Static checks of an agent's semantic model (no database): references between tables, columns, measures,
// segments and the agent's userContext, plus the tenant-safety rules of multi-tenant agents.
import type { AgentConfig, ColumnType, SemanticModel, Table } from '../config/schema.ts';
import { comparableColumns, type Filter, parseFieldRef } from '../query/plan.ts';
import { ExpressionError, expressionColumns, expressionDateColumns, parseExpression } from './expression.ts';

export interface ModelIssue {
  /** where the problem is, e.g. `model.tables.orders.measures.revenue.column` */
  path: string;
  message: string;
}

/** Why the model relies on a database column. */
export type ColumnRole = 'column' | 'primaryKey' | 'contextFilter' | 'relationKey';

/** A database column the model relies on, with the place in the model that names it. */
export interface ColumnUse {
  column: string;
  role: ColumnRole;
  path: string;
  /** the type the model declares for it (listed columns only) */
  declared?: ColumnType;
}

const NUMERIC: ReadonlySet<ColumnType> = new Set(['integer', 'number']);
const TEMPORAL: ReadonlySet<ColumnType> = new Set(['date', 'datetime']);

/** A record's own entry (names like `constructor` must not resolve to Object.prototype members). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function tablePath(table: string): string {
  return `model.tables.${table}`;
}

/**
 * Every database column each table of the model relies on: listed columns, the primary key, context filter
 * columns and relation keys (both the local keys and the keys other tables' relations expect on this table).
 * Key columns need not be listed in `columns` (the model hides them) but must exist in the database.
 * Tables that are not in the model (relation targets that are missing) are left out.
 */
export function modelColumnUses(model: SemanticModel): Map<string, ColumnUse[]> {
  const uses = new Map<string, ColumnUse[]>();
  for (const name of Object.keys(model.tables)) uses.set(name, []);
  for (const [name, table] of Object.entries(model.tables)) {
    const mine = uses.get(name) as ColumnUse[];
    const base = tablePath(name);
    for (const [column, def] of Object.entries(table.columns)) {
      mine.push({ column, role: 'column', path: `${base}.columns.${column}`, declared: def.type });
    }
    mine.push({ column: table.primaryKey, role: 'primaryKey', path: `${base}.primaryKey` });
    table.contextFilters.forEach((cf, i) => {
      mine.push({ column: cf.column, role: 'contextFilter', path: `${base}.contextFilters.${i}.column` });
    });
    for (const [relName, rel] of Object.entries(table.relations)) {
      const target = uses.get(rel.table);
      for (const [local, remote] of Object.entries(rel.on)) {
        const path = `${base}.relations.${relName}.on.${local}`;
        mine.push({ column: local, role: 'relationKey', path });
        target?.push({ column: remote, role: 'relationKey', path });
      }
    }
  }
  return uses;
}

/** The key columns a table uses without listing them: primary key, context filter and relation key columns. */
export function hiddenKeyColumns(model: SemanticModel, tableName: string): Set<string> {
  const table = own(model.tables, tableName);
  const hidden = new Set<string>();
  if (!table) return hidden;
  for (const use of modelColumnUses(model).get(tableName) ?? []) {
    if (use.role !== 'column' && !Object.hasOwn(table.columns, use.column)) hidden.add(use.column);
  }
  return hidden;
}

/** Whether queries may use a table (as ModelView decides): not off, and scoped when the agent is multi-tenant. */
export function usableTable(agent: Pick<AgentConfig, 'multiTenant'>, table: Table): boolean {
  return table.access !== 'off' && !(agent.multiTenant && table.contextFilters.length === 0);
}

/**
 * The tables a query on `start` can reach through relations between usable tables, with the number of distinct
 * shortest join paths to each. This mirrors ModelView.path: a table reached in more than one shortest way is
 * refused at query time, so filters must not name it.
 */
export function joinPaths(
  model: SemanticModel,
  agent: Pick<AgentConfig, 'multiTenant'>,
  start: string,
): Map<string, number> {
  const best = new Map<string, number>([[start, 1]]);
  let frontier = [start];
  while (frontier.length > 0) {
    const reached = new Map<string, number>();
    for (const name of frontier) {
      const table = own(model.tables, name);
      if (!table) continue;
      const count = best.get(name) ?? 1;
      for (const rel of Object.values(table.relations)) {
        const target = own(model.tables, rel.table);
        if (best.has(rel.table) || !target || !usableTable(agent, target)) continue;
        reached.set(rel.table, (reached.get(rel.table) ?? 0) + count);
      }
    }
    for (const [name, count] of reached) best.set(name, count);
    frontier = [...reached.keys()];
  }
  return best;
}

/** The type of a listed or computed column, or undefined when the table has no such field. */
function fieldType(table: Table | undefined, column: string): ColumnType | undefined {
  if (!table) return undefined;
  return own(table.columns, column)?.type ?? own(table.computed, column)?.type;
}

function normalizeSynonym(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

class ModelValidator {
  readonly issues: ModelIssue[] = [];

  constructor(
    private readonly agent: AgentConfig,
    private readonly model: SemanticModel,
  ) {}

  private add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  run(): ModelIssue[] {
    const tables = Object.entries(this.model.tables);
    if (tables.length === 0) this.add('model.tables', 'the model has no tables');
    for (const [name, table] of tables) this.checkTable(name, table);
    // following segments can find the same problem twice
    const seen = new Set<string>();
    return this.issues.filter((issue) => {
      const key = `${issue.path}\n${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private checkTable(name: string, table: Table): void {
    const base = tablePath(name);
    const listed = new Set(Object.keys(table.columns));
    const contextColumns = new Set(table.contextFilters.map((cf) => cf.column));

    // columns
    for (const [colName, col] of Object.entries(table.columns)) {
      if (contextColumns.has(colName)) {
        this.add(
          `${base}.columns.${colName}`,
          `${colName} is a context filter column and must not be a visible column`,
        );
      }
      if (col.values !== undefined) {
        const path = `${base}.columns.${colName}.values`;
        if (col.type !== 'string' && col.type !== 'integer') {
          this.add(path, `values lists are only allowed on string and integer columns, not ${col.type}`);
        } else {
          col.values.forEach((v, i) => {
            const fits = col.type === 'string' ? typeof v === 'string' : Number.isInteger(v);
            if (!fits) this.add(`${path}.${i}`, `value ${JSON.stringify(v)} is not a ${col.type}`);
          });
        }
      }
    }

    // computed columns
    for (const [compName, comp] of Object.entries(table.computed)) {
      const path = `${base}.computed.${compName}`;
      if (listed.has(compName)) this.add(path, `${compName} is both a column and a computed column`);
      try {
        const expr = parseExpression(comp.expression, listed);
        const dated = expressionDateColumns(expr);
        for (const input of expressionColumns(expr)) {
          const type = own(table.columns, input)?.type;
          if (type === undefined) continue;
          if (dated.has(input) && type !== 'date' && type !== 'datetime')
            this.add(`${path}.expression`, `${input} is a ${type} column; days_between needs date columns`);
          else if (!dated.has(input) && !NUMERIC.has(type))
            this.add(
              `${path}.expression`,
              `${input} is a ${type} column; expressions need integer or number columns`,
            );
        }
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        this.add(`${path}.expression`, err.message);
      }
    }

    // keys
    if (Object.hasOwn(table.computed, table.primaryKey)) {
      this.add(
        `${base}.primaryKey`,
        `the primary key ${table.primaryKey} must be a column, not a computed column`,
      );
    }
    for (const [relName, rel] of Object.entries(table.relations)) {
      this.checkRelation(name, table, relName, rel);
    }

    // label and time columns
    if (table.labelColumn !== undefined && !listed.has(table.labelColumn)) {
      this.add(`${base}.labelColumn`, `labelColumn ${table.labelColumn} is not a column of ${name}`);
    }
    if (table.timeColumn !== undefined) {
      const type = own(table.columns, table.timeColumn)?.type;
      if (type === undefined) {
        this.add(`${base}.timeColumn`, `timeColumn ${table.timeColumn} is not a column of ${name}`);
      } else if (!TEMPORAL.has(type)) {
        this.add(
          `${base}.timeColumn`,
          `timeColumn ${table.timeColumn} is a ${type} column, not a date or datetime`,
        );
      }
    }

    // context filters and visibility
    table.contextFilters.forEach((cf, i) => {
      const path = `${base}.contextFilters.${i}`;
      if (Object.hasOwn(table.computed, cf.column)) {
        this.add(
          `${path}.column`,
          `context filter column ${cf.column} must be a column, not a computed column`,
        );
      }
      const fieldType = own(this.agent.userContext, cf.field);
      if (fieldType === undefined) {
        this.add(
          `${path}.field`,
          `context filter field ${cf.field} is not declared in the agent's userContext`,
        );
      } else if (cf.op === 'eq' && fieldType.endsWith('[]')) {
        this.add(
          `${path}.field`,
          `userContext field ${cf.field} is a list (${fieldType}); use op "in" for lists`,
        );
      } else if (cf.op === 'in' && !fieldType.endsWith('[]')) {
        this.add(
          `${path}.field`,
          `op "in" needs an integer[] or string[] userContext field, ${cf.field} is ${fieldType}`,
        );
      }
    });
    if (table.visibleWhen !== undefined) {
      const type = own(this.agent.userContext, table.visibleWhen);
      if (type === undefined) {
        this.add(
          `${base}.visibleWhen`,
          `visibleWhen field ${table.visibleWhen} is not declared in the agent's userContext`,
        );
      } else if (type !== 'boolean') {
        this.add(
          `${base}.visibleWhen`,
          `visibleWhen field ${table.visibleWhen} must be a boolean, not ${type}`,
        );
      }
    }
    if (this.agent.multiTenant && table.access !== 'off' && table.contextFilters.length === 0) {
      this.add(
        `${base}.contextFilters`,
        `table ${name} is ${table.access} in a multi-tenant agent but has no context filter`,
      );
    }

    // measures and segments
    for (const [measureName, measure] of Object.entries(table.measures)) {
      const path = `${base}.measures.${measureName}`;
      if (measure.column !== undefined) {
        const type = fieldType(table, measure.column);
        if (type === undefined) {
          this.add(
            `${path}.column`,
            `measure column ${measure.column} is not a column or computed column of ${name}`,
          );
        } else if ((measure.aggregate === 'sum' || measure.aggregate === 'avg') && !NUMERIC.has(type)) {
          this.add(
            `${path}.column`,
            `${measure.aggregate} needs a numeric column, ${measure.column} is ${type}`,
          );
        }
      }
      if (measure.filter !== undefined) this.checkFilter(name, measure.filter, `${path}.filter`, []);
    }
    for (const [segmentName, segment] of Object.entries(table.segments)) {
      this.checkFilter(name, segment.filter, `${base}.segments.${segmentName}.filter`, [
        `${name}.${segmentName}`,
      ]);
    }

    this.checkSynonyms(name, table);
  }

  private checkRelation(name: string, table: Table, relName: string, rel: Table['relations'][string]): void {
    const path = `${tablePath(name)}.relations.${relName}`;
    const target = own(this.model.tables, rel.table);
    if (!target) {
      this.add(`${path}.table`, `relation ${relName} targets table ${rel.table}, which is not in the model`);
    }
    for (const [local, remote] of Object.entries(rel.on)) {
      if (Object.hasOwn(table.computed, local)) {
        this.add(`${path}.on.${local}`, `join key ${local} must be a column, not a computed column`);
      }
      if (!target) continue;
      if (Object.hasOwn(target.computed, remote)) {
        this.add(
          `${path}.on.${local}`,
          `join key ${rel.table}.${remote} must be a column, not a computed column`,
        );
      }
      const localType = own(table.columns, local)?.type;
      const remoteType = own(target.columns, remote)?.type;
      if (localType !== undefined && remoteType !== undefined && !keyTypesCompatible(localType, remoteType)) {
        this.add(
          `${path}.on.${local}`,
          `join key ${name}.${local} (${localType}) cannot match ${rel.table}.${remote} (${remoteType})`,
        );
      }
    }
  }

  /**
   * Checks a measure's or segment's filter on `tableName`. Referenced segments are followed (their filter is
   * applied in this table's query) with `via` set: then only what depends on the using table is reported at the
   * reference (fields it cannot reach, cycles); the segment's own definition reports everything else.
   */
  private checkFilter(tableName: string, filter: Filter, path: string, stack: string[], via?: string): void {
    switch (filter.op) {
      case 'and':
      case 'or':
        filter.filters.forEach((f, i) => {
          this.checkFilter(tableName, f, via ? path : `${path}.filters.${i}`, stack, via);
        });
        return;
      case 'not':
        this.checkFilter(tableName, filter.filter, via ? path : `${path}.filter`, stack, via);
        return;
      case 'segment': {
        const where = via ? path : `${path}.segment`;
        const resolved = this.resolveSegment(filter.segment);
        if (typeof resolved === 'string') {
          if (!via) this.add(where, resolved);
          return;
        }
        if (stack.includes(resolved.key)) {
          if (!via || resolved.key === stack[0]) {
            this.add(
              where,
              `segment ${stack[0]} refers to itself (${[...stack, resolved.key].join(' -> ')})`,
            );
          }
          return;
        }
        this.checkFilter(tableName, resolved.filter, where, [...stack, resolved.key], via ?? filter.segment);
        return;
      }
      case 'related': {
        // the related rows' own conditions are checked from the related table
        const where = via ? path : `${path}.table`;
        if (!Object.hasOwn(this.model.tables, filter.table)) {
          if (!via) this.add(where, `unknown table ${filter.table}`);
          return;
        }
        if (filter.of !== undefined && !Object.hasOwn(this.model.tables, filter.of)) {
          if (!via) this.add(`${path}.of`, `unknown table ${filter.of}`);
          return;
        }
        if (filter.filter) {
          this.checkFilter(filter.table, filter.filter, via ? path : `${path}.filter`, stack, via);
        }
        return;
      }
      default: {
        const where = via ? path : `${path}.field`;
        const field = this.resolveField(tableName, filter.field);
        if ('error' in field) {
          if (!via) this.add(where, field.error);
          else if (field.dependsOnUser) this.add(where, `segment ${via}: ${field.error}`);
          return;
        }
        if (via) return;
        if (filter.op === 'compareFields') {
          const other = this.resolveField(tableName, filter.other);
          if ('error' in other) this.add(`${path}.other`, other.error);
          else if (!comparableColumns(field.type, other.type))
            this.add(
              path,
              `${filter.field} (${field.type}) and ${filter.other} (${other.type}) cannot be compared`,
            );
        }
        if (filter.op === 'dateRange' && !TEMPORAL.has(field.type)) {
          this.add(where, `dateRange needs a date or datetime column, ${filter.field} is ${field.type}`);
        }
        if ((filter.op === 'contains' || filter.op === 'startsWith') && field.type !== 'string') {
          this.add(where, `${filter.op} needs a string column, ${filter.field} is ${field.type}`);
        }
        // enum-like columns: a filter value outside the declared values is a typo that would match nothing
        const known = field.values;
        if (known !== undefined) {
          const given =
            filter.op === 'in' || filter.op === 'notIn'
              ? filter.values
              : filter.op === 'eq' || filter.op === 'neq'
                ? [filter.value]
                : [];
          for (const v of given) {
            if (!known.includes(v as string | number)) {
              this.add(path, `${JSON.stringify(v)} is not one of the values of ${filter.field}`);
            }
          }
        }
      }
    }
  }

  /**
   * Resolves a segment reference as ModelView does: `table.name`, or a bare name defined on exactly one usable
   * table. A string is the reason it does not resolve.
   */
  private resolveSegment(ref: string): { table: string; key: string; filter: Filter } | string {
    const dot = ref.indexOf('.');
    if (dot !== -1) {
      const segTable = ref.slice(0, dot);
      const segName = ref.slice(dot + 1);
      const table = own(this.model.tables, segTable);
      if (!table) return `segment ${ref} names table ${segTable}, which is not in the model`;
      if (!usableTable(this.agent, table))
        return `segment ${ref} is on table ${segTable}, which queries cannot use`;
      const segment = own(table.segments, segName);
      if (!segment) return `segment ${ref} is not defined on table ${segTable}`;
      return { table: segTable, key: ref, filter: segment.filter };
    }
    const hits = Object.entries(this.model.tables).filter(
      ([, table]) => usableTable(this.agent, table) && Object.hasOwn(table.segments, ref),
    );
    const [hit, ...more] = hits;
    if (!hit) return `segment ${ref} is not defined`;
    if (more.length > 0) {
      return `segment ${ref} is defined on several tables (${hits.map(([t]) => t).join(', ')}); write table.${ref}`;
    }
    const [segTable, table] = hit;
    return {
      table: segTable,
      key: `${segTable}.${ref}`,
      filter: (table.segments[ref] as { filter: Filter }).filter,
    };
  }

  /**
   * Resolves a `table.column` field used by a filter on `tableName`. On failure, `dependsOnUser` says whether the
   * problem is the using table's (no or no unique join path) rather than the field's own.
   */
  private resolveField(
    tableName: string,
    field: string,
  ): { type: ColumnType; values?: Array<string | number> } | { error: string; dependsOnUser: boolean } {
    const { table: fieldTable, column } = parseFieldRef(field);
    const table = own(this.model.tables, fieldTable);
    if (!table)
      return {
        error: `field ${field} names table ${fieldTable}, which is not in the model`,
        dependsOnUser: false,
      };
    if (table.access === 'off') {
      return { error: `field ${field} is on table ${fieldTable}, whose access is off`, dependsOnUser: false };
    }
    if (!usableTable(this.agent, table)) {
      return {
        error: `field ${field} is on table ${fieldTable}, which has no context filter`,
        dependsOnUser: false,
      };
    }
    const type = fieldType(table, column);
    if (type === undefined) {
      return {
        error: `field ${field}: ${column} is not a column or computed column of ${fieldTable}`,
        dependsOnUser: false,
      };
    }
    const paths = joinPaths(this.model, this.agent, tableName).get(fieldTable);
    if (paths === undefined) {
      return {
        error: `field ${field} is on table ${fieldTable}, which ${tableName} has no relation path to`,
        dependsOnUser: true,
      };
    }
    if (paths > 1) {
      return {
        error: `field ${field}: ${tableName} relates to ${fieldTable} in more than one way; the model must make the path unique`,
        dependsOnUser: true,
      };
    }
    const values = own(table.columns, column)?.values;
    return values === undefined ? { type } : { type, values };
  }

  /**
   * Synonyms must be unique within a table among things of one kind: the table's own, its fields (columns and
   * computed columns), its measures, its segments. Across kinds a word may repeat (a `units` column synonym
   * and a `units` measure synonym): the planner knows from the question whether it needs a field or a measure.
   */
  private checkSynonyms(name: string, table: Table): void {
    const base = tablePath(name);
    const kind = (what: string, entries: Array<[string, string[]]>): void => {
      const seen = new Map<string, string>();
      for (const [path, synonyms] of entries) {
        synonyms.forEach((synonym, i) => {
          const key = normalizeSynonym(synonym);
          const first = seen.get(key);
          if (first !== undefined) {
            this.add(
              `${path}.synonyms.${i}`,
              `synonym "${synonym}" is used by more than one ${what} of table ${name} (first at ${first})`,
            );
          } else {
            seen.set(key, `${path}.synonyms`);
          }
        });
      }
    };
    kind('table name', [[base, table.synonyms]]);
    kind('column', [
      ...Object.entries(table.columns).map(([n, c]): [string, string[]] => [
        `${base}.columns.${n}`,
        c.synonyms,
      ]),
      ...Object.entries(table.computed).map(([n, c]): [string, string[]] => [
        `${base}.computed.${n}`,
        c.synonyms,
      ]),
    ]);
    kind(
      'measure',
      Object.entries(table.measures).map(([n, m]): [string, string[]] => [
        `${base}.measures.${n}`,
        m.synonyms,
      ]),
    );
    kind(
      'segment',
      Object.entries(table.segments).map(([n, sg]): [string, string[]] => [
        `${base}.segments.${n}`,
        sg.synonyms,
      ]),
    );
  }
}

/** Whether two join key types can be compared (integers and numbers match each other; strings only strings). */
export function keyTypesCompatible(a: ColumnType, b: ColumnType): boolean {
  if (a === b) return true;
  if (NUMERIC.has(a) && NUMERIC.has(b)) return true;
  if (TEMPORAL.has(a) && TEMPORAL.has(b)) return true;
  return false;
}

/** The static problems of an agent's semantic model; an empty list means the model is consistent. */
export function validateModel(agent: AgentConfig, model: SemanticModel): ModelIssue[] {
  return new ModelValidator(agent, model).run();
}
