// What one user of one agent may see of the semantic model: visible tables, fields, join paths, measures, segments.
// Planners and the compiler both look at the model through this view, so hidden things stay hidden everywhere.
import type {
  AgentConfig,
  Column,
  ComputedColumn,
  MeasureDefinition,
  Relation,
  SegmentDefinition,
  SemanticModel,
  Table,
} from '../config/schema.ts';
import { ParleyError } from '../errors.ts';
import { parseFieldRef } from '../query/plan.ts';
import { type Expr, parseExpression } from './expression.ts';
import type { UserContext } from './user-context.ts';

/** compileQueryPlan answers it as a PlanError (400); met anywhere else, the server read its own model wrongly */
export class ModelError extends ParleyError {
  override name = 'ModelError';
  constructor(message: string) {
    super(500, 'invalid_plan', message);
  }
}

export type FieldKind = 'column' | 'computed';

export interface ResolvedField {
  table: string;
  column: string;
  kind: FieldKind;
  type: Column['type'];
  unit?: string;
  description?: string;
  /** parsed expression, for computed columns */
  expr?: Expr;
}

export interface JoinStep {
  from: string;
  to: string;
  relation: string;
  kind: Relation['kind'];
  on: Record<string, string>;
}

export interface ResolvedMeasure {
  table: string;
  name: string;
  definition: MeasureDefinition;
}

export interface ResolvedSegment {
  table: string;
  name: string;
  definition: SegmentDefinition;
}

/**
 * One object per model and set of visible tables: a view is made for every question, and what its tables alone
 * decide (the planner's model-helpers.ts) is worked out once per shape instead. Few shapes: visibility is config.
 */
const shapes = new WeakMap<SemanticModel, Map<string, object>>();

function shapeOf(model: SemanticModel, visible: Iterable<string>): object {
  let byTables = shapes.get(model);
  if (!byTables) {
    byTables = new Map();
    shapes.set(model, byTables);
  }
  const key = [...visible].join('\n');
  let shape = byTables.get(key);
  if (!shape) {
    shape = {};
    byTables.set(key, shape);
  }
  return shape;
}

export class ModelView {
  readonly tables: ReadonlyMap<string, Table>;
  /** the same object for every view of the same model with the same visible tables */
  readonly shape: object;

  constructor(
    readonly agent: Pick<AgentConfig, 'id' | 'multiTenant' | 'timeZone' | 'userContext'>,
    model: SemanticModel,
    readonly userContext: UserContext,
  ) {
    const visible = new Map<string, Table>();
    for (const [name, table] of Object.entries(model.tables)) {
      if (table.access === 'off') continue;
      if (table.visibleWhen !== undefined && userContext[table.visibleWhen] !== true) continue;
      // fail closed: a multi-tenant agent never exposes a table it cannot scope
      if (agent.multiTenant && table.contextFilters.length === 0) continue;
      visible.set(name, table);
    }
    this.tables = visible;
    this.shape = shapeOf(model, visible.keys());
  }

  table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new ModelError(`table "${name}" is not available`);
    return t;
  }

  queryableTable(name: string): Table {
    const t = this.table(name);
    if (t.access !== 'queryable')
      throw new ModelError(`table "${name}" can only be joined, not queried directly`);
    return t;
  }

  field(ref: string): ResolvedField {
    const { table: tableName, column } = parseFieldRef(ref);
    const table = this.table(tableName);
    const col: Column | undefined = Object.hasOwn(table.columns, column) ? table.columns[column] : undefined;
    if (col) {
      return {
        table: tableName,
        column,
        kind: 'column',
        type: col.type,
        unit: col.unit,
        description: col.description,
      };
    }
    const computed: ComputedColumn | undefined = Object.hasOwn(table.computed, column)
      ? table.computed[column]
      : undefined;
    if (computed) {
      const expr = parseExpression(computed.expression, new Set(Object.keys(table.columns)));
      return {
        table: tableName,
        column,
        kind: 'computed',
        type: computed.type,
        unit: computed.unit,
        description: computed.description,
        expr,
      };
    }
    throw new ModelError(`column "${ref}" is not available`);
  }

  /** The unique shortest path of relations from one table to another; ambiguity is an error, not a guess. */
  path(from: string, to: string): JoinStep[] {
    this.table(from);
    this.table(to);
    if (from === to) return [];
    // breadth-first, counting the shortest paths to each table so that two equally short routes are caught
    const best = new Map<string, { steps: JoinStep[]; count: number }>([[from, { steps: [], count: 1 }]]);
    let frontier = [from];
    while (frontier.length > 0 && !best.has(to)) {
      const reached = new Map<string, { steps: JoinStep[]; count: number }>();
      for (const name of frontier) {
        const node = best.get(name)!;
        for (const [relation, rel] of Object.entries(this.table(name).relations)) {
          if (best.has(rel.table) || !this.tables.has(rel.table)) continue;
          const prior = reached.get(rel.table);
          if (prior) prior.count += node.count;
          else {
            const step = { from: name, to: rel.table, relation, kind: rel.kind, on: rel.on };
            reached.set(rel.table, { steps: [...node.steps, step], count: node.count });
          }
        }
      }
      for (const [name, entry] of reached) best.set(name, entry);
      frontier = [...reached.keys()];
    }
    const hit = best.get(to);
    if (!hit) throw new ModelError(`no relation in the model connects "${from}" to "${to}"`);
    if (hit.count > 1) {
      throw new ModelError(
        `"${from}" relates to "${to}" in more than one way; the model must make the path unique`,
      );
    }
    return hit.steps;
  }

  /** A named measure by `name` or `table.name`; a bare name must be unique across visible tables. */
  measure(name: string): ResolvedMeasure {
    const found = this.lookupNamed(name, (t) => t.measures);
    if (!found) throw new ModelError(`measure "${name}" is not defined`);
    return { table: found.table, name: found.name, definition: found.value };
  }

  segment(name: string): ResolvedSegment {
    const found = this.lookupNamed(name, (t) => t.segments);
    if (!found) throw new ModelError(`segment "${name}" is not defined`);
    return { table: found.table, name: found.name, definition: found.value };
  }

  private lookupNamed<T>(
    name: string,
    pick: (t: Table) => Record<string, T>,
  ): { table: string; name: string; value: T } | undefined {
    const dot = name.indexOf('.');
    if (dot > 0) {
      const tableName = name.slice(0, dot);
      const short = name.slice(dot + 1);
      const table = this.tables.get(tableName);
      const items = table ? pick(table) : undefined;
      if (!items || !Object.hasOwn(items, short)) return undefined;
      return { table: tableName, name: short, value: items[short] as T };
    }
    const hits: Array<{ table: string; name: string; value: T }> = [];
    for (const [tableName, table] of this.tables) {
      const items = pick(table);
      if (Object.hasOwn(items, name)) hits.push({ table: tableName, name, value: items[name] as T });
    }
    if (hits.length > 1) {
      throw new ModelError(`"${name}" is defined on several tables (${hits.map((h) => h.table).join(', ')})`);
    }
    return hits[0];
  }
}
