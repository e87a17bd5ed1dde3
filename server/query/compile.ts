// compileQueryPlan: QueryPlan + semantic model + userContext -> one SELECT, built with knex.
// This is the only module in Parley that builds SQL. Identifiers are `??` bindings, values `?` bindings,
// and every table reference it emits (base, joins, subqueries) carries the agent's context filters.
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { AgentConfig, SemanticModel } from '../config/schema.ts';
import { resolveDateRange, startOfGrain, toUtcSql } from '../dates/resolve.ts';
import type { Dialect } from '../db/connect.ts';
import { ParleyError } from '../errors.ts';
import type { Expr } from '../semantic/expression.ts';
import { type JoinStep, ModelError, ModelView, type ResolvedField } from '../semantic/model-view.ts';
import { validateUserContext } from '../semantic/user-context.ts';
import {
  comparableColumns,
  type DateRange,
  type Filter,
  type Grain,
  MAX_NAME_LENGTH,
  type Measure,
  measureName,
  QueryPlan,
  type Scalar,
} from './plan.ts';
import { type SqlDialect, sqlDialect } from './sql-dialect.ts';

export type ValueType = 'number' | 'string' | 'date' | 'boolean';

export interface OutputColumn {
  name: string;
  label: string;
  type: ValueType;
  role: 'dimension' | 'measure' | 'field';
  unit?: string;
  /** the model field behind a dimension or listed column */
  field?: string;
  grain?: Grain;
  /** a measure's plain description, for explanations */
  definition?: string;
  /** a dimension that is its table's key: it tells rows apart; the label beside it is what people read */
  identifies?: boolean;
}

export interface ResolvedTimeRange {
  field: string;
  label: string;
  start: string;
  end: string;
}

export interface CompiledQuery {
  plan: QueryPlan;
  sql: { text: string; bindings: unknown[] };
  columns: OutputColumn[];
  /** the most rows the answer may show; the query fetches one more to detect truncation when `capped` */
  limit: number;
  capped: boolean;
  ranges: ResolvedTimeRange[];
  /** labels of a comparison's periods, in the order they should be shown */
  compareLabels?: string[];
  /** the context filters applied, as "table.column = userContext.field" (values never appear here) */
  contextFilters: string[];
  /** the clock the ranges were resolved with: what is "now" for this answer's unfinished periods */
  now?: Date;
}

export interface CompileOptions {
  dialect: Dialect;
  now: Date;
  /** the connection's row cap (default 1,000) */
  maxRows?: number;
  /**
   * count the rows the plan selects instead (one column `n`): the true total behind a listing that hit the cap,
   * under exactly the same joins, filters and context filters; the plan's own limit still applies
   */
  countRows?: boolean;
}

export type AgentModel = Pick<AgentConfig, 'id' | 'multiTenant' | 'timeZone' | 'userContext'> & {
  model: SemanticModel;
};

/** A plan that cannot be answered from this model (unknown field, fan-out, bad value): the asker's 400. */
export class PlanError extends ParleyError {
  override name = 'PlanError';
  constructor(message: string) {
    super(400, 'invalid_plan', message);
  }
}

export function compileQueryPlan(
  planInput: unknown,
  agent: AgentModel,
  userContextInput: unknown,
  options: CompileOptions,
): CompiledQuery {
  const parsed = QueryPlan.safeParse(planInput);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PlanError(`invalid query plan at ${first?.path.join('.') || '(root)'}: ${first?.message}`);
  }
  const plan = parsed.data;
  const userContext = validateUserContext(agent.userContext, userContextInput);
  const view = new ModelView(agent, agent.model, userContext);
  try {
    return new Compilation(plan, view, options).run();
  } catch (err) {
    if (err instanceof ModelError) throw new PlanError(err.message);
    throw err;
  }
}

type Aggregate = 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';

/** A measure as SQL: an aggregate of the grouped query, or (window measures) an expression of the outer query. */
interface BuiltMeasure {
  sql: Knex.Raw;
  type: ValueType;
  unit?: string;
  name: string;
  definition: string;
}

type WindowKind = 'running' | 'change' | 'shareOfTotal';
const WINDOW_WORDS: Record<WindowKind, string> = {
  running: 'running total',
  change: 'change',
  shareOfTotal: 'share of the total',
};

/** One FROM scope: the main query, an EXISTS subquery or a related-row subquery, with the joins it has added. */
class Scope {
  readonly joins = new Map<string, string>();
  fannedOut = false;

  constructor(
    readonly c: Compilation,
    readonly qb: Knex.QueryBuilder,
    readonly base: string,
    readonly alias: string,
    /** EXISTS subqueries may fan out freely; the main query tracks it to protect its measures */
    readonly isSubquery: boolean,
    /** a related-row subquery keeps one row per related row (its counts count them), like the main query */
    readonly joinsFanOut: boolean = isSubquery,
  ) {}

  /** Adds (once) the LEFT JOINs for a path, each with its own context filters in the ON clause. */
  joinPath(steps: JoinStep[]): string {
    let alias = this.alias;
    let key = '';
    for (const step of steps) {
      key += `/${step.relation}`;
      const existing = this.joins.get(key);
      if (existing) {
        alias = existing;
        continue;
      }
      const next = this.c.nextAlias(this.isSubquery ? 's' : 't');
      const fromAlias = alias;
      const c = this.c;
      this.qb.leftJoin({ [next]: step.to }, function () {
        for (const [local, remote] of Object.entries(step.on))
          this.on(`${fromAlias}.${local}`, '=', `${next}.${remote}`);
        c.contextFilterOn(this, step.to, next);
      });
      if (step.kind === 'one-to-many') this.fannedOut = true;
      this.joins.set(key, next);
      alias = next;
    }
    return alias;
  }

  /** The SQL for a field reachable through to-one relations; `undefined` when the path fans out. */
  fieldSql(field: ResolvedField, allowFanOut: boolean): Knex.Raw | undefined {
    const steps = this.c.view.path(this.base, field.table);
    if (!allowFanOut && !this.joinsFanOut && steps.some((s) => s.kind === 'one-to-many')) return undefined;
    const alias = this.joinPath(steps);
    return this.c.columnSql(field, alias);
  }
}

class Compilation {
  readonly k: Knex;
  /** what the SQL text differs in between SQLite and MySQL */
  readonly dialect: SqlDialect;
  readonly view: ModelView;
  private aliasCounter = 0;
  private readonly ranges: ResolvedTimeRange[] = [];
  private readonly appliedContext = new Set<string>();
  /** the expressions of plain output columns, for ordering text byte-wise in MySQL */
  private readonly textOutputs = new Map<string, Knex.Raw>();

  constructor(
    readonly plan: QueryPlan,
    view: ModelView,
    readonly options: CompileOptions,
  ) {
    this.dialect = sqlDialect(options.dialect);
    this.k = this.dialect.builder();
    this.view = view;
  }

  nextAlias(prefix: string): string {
    this.aliasCounter += 1;
    return `${prefix}${this.aliasCounter}`;
  }

  // ---- tenant scoping -------------------------------------------------------------------------

  private contextConditions(table: string): Array<{ column: string; values: Scalar[]; list: boolean }> {
    const t = this.view.table(table);
    if (this.view.agent.multiTenant && t.contextFilters.length === 0) {
      throw new PlanError(`table "${table}" has no context filter in a multi-tenant agent`);
    }
    return t.contextFilters.map((f) => {
      const value = this.view.userContext[f.field];
      if (value === undefined) throw new PlanError(`userContext.${f.field} is required by table "${table}"`);
      this.appliedContext.add(`${table}.${f.column} ${f.op === 'in' ? 'IN' : '='} userContext.${f.field}`);
      if (f.op === 'in') {
        if (!Array.isArray(value)) throw new PlanError(`userContext.${f.field} must be a list`);
        return { column: f.column, values: value.map((v) => this.bindable(v)), list: true };
      }
      if (Array.isArray(value)) throw new PlanError(`userContext.${f.field} must be a single value`);
      return { column: f.column, values: [this.bindable(value)], list: false };
    });
  }

  /** WHERE-side context filters for a table reference (base tables of the query and of subqueries). */
  contextFilterWhere(qb: Knex.QueryBuilder, table: string, alias: string): void {
    for (const cond of this.contextConditions(table)) {
      const column = `${alias}.${cond.column}`;
      // a text tenant key must match byte for byte ('acme' is not 'ACME'), which a plain = is not in MySQL
      const exact = this.dialect.exactMatch(this.k.raw('??', [column]), cond.values);
      if (cond.list && cond.values.length === 0) qb.whereRaw('1 = 0');
      else if (exact) qb.whereRaw(exact);
      else if (cond.list) qb.whereIn(column, cond.values);
      else qb.where(column, '=', cond.values[0] as Scalar);
    }
  }

  /** ON-side context filters for a joined table. */
  contextFilterOn(join: Knex.JoinClause, table: string, alias: string): void {
    for (const cond of this.contextConditions(table)) {
      const column = `${alias}.${cond.column}`;
      const exact = this.dialect.exactMatch(this.k.raw('??', [column]), cond.values);
      if (cond.list && cond.values.length === 0) join.andOn(this.k.raw('1 = 0'));
      else if (exact) join.andOn(exact);
      else if (cond.list) join.andOnIn(column, cond.values as string[]);
      else join.andOnVal(column, '=', cond.values[0] as string);
    }
  }

  /**
   * The side of a comparison that makes both dialects agree: text compares as bytes in both; money in SQLite is a
   * double, so equality on decimals is to 6 places.
   */
  private comparable(sql: Knex.Raw, field: ResolvedField, equality: boolean): Knex.Raw {
    if (field.type === 'string') return this.dialect.byteText(sql) ?? sql;
    if (field.type === 'number' && equality) return this.k.raw('ROUND(?, 6)', [sql]);
    return sql;
  }

  private roundedValue(field: ResolvedField, value: Scalar): Scalar {
    return field.type === 'number' && typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value;
  }

  private bindable(v: Scalar): Scalar {
    return this.dialect.bindable(v);
  }

  // ---- fields and expressions -----------------------------------------------------------------

  columnSql(field: ResolvedField, alias: string): Knex.Raw {
    if (field.kind === 'column') return this.k.raw('??', [`${alias}.${field.column}`]);
    if (!field.expr) throw new PlanError(`computed column ${field.table}.${field.column} has no expression`);
    return this.exprSql(field.expr, alias);
  }

  private exprSql(expr: Expr, alias: string): Knex.Raw {
    switch (expr.type) {
      case 'column':
        return this.k.raw('??', [`${alias}.${expr.name}`]);
      case 'number':
        return this.k.raw('?', [expr.value]);
      case 'negate':
        return this.k.raw('(- ?)', [this.exprSql(expr.operand, alias)]);
      case 'daysBetween':
        return this.dialect.daysBetween(
          this.k.raw('??', [`${alias}.${expr.from}`]),
          this.k.raw('??', [`${alias}.${expr.to}`]),
        );
      case 'binary': {
        const left = this.exprSql(expr.left, alias);
        const right = this.exprSql(expr.right, alias);
        switch (expr.op) {
          case '+':
            return this.k.raw('(? + ?)', [left, right]);
          case '-':
            return this.k.raw('(? - ?)', [left, right]);
          case '*':
            return this.k.raw('(? * ?)', [left, right]);
          case '/':
            // 1e0 is a double in both dialects; MySQL's 1.0 would make the division a 5-digit DECIMAL
            return this.k.raw('(? * 1e0 / NULLIF(?, 0))', [left, right]);
          default:
            throw new PlanError(`unknown operator ${expr.op satisfies never}`);
        }
      }
      default:
        throw new PlanError(`unknown expression ${(expr satisfies never as { type: string }).type}`);
    }
  }

  /** Coerces a plan value to the column's type, refusing what does not fit. */
  private value(field: ResolvedField, v: Scalar, ref: string): Scalar {
    switch (field.type) {
      case 'integer':
      case 'number': {
        const n =
          typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (!Number.isFinite(n)) throw new PlanError(`${ref} is a number; "${String(v)}" is not`);
        return n;
      }
      case 'string':
        if (typeof v === 'boolean') throw new PlanError(`${ref} is text; a boolean does not fit`);
        return String(v);
      case 'boolean': {
        if (typeof v !== 'boolean') throw new PlanError(`${ref} is true or false`);
        return this.bindable(v);
      }
      case 'date':
      case 'datetime': {
        if (typeof v !== 'string') throw new PlanError(`${ref} is a date; expected an ISO date`);
        const dt = DateTime.fromISO(v, { zone: this.view.agent.timeZone });
        if (!dt.isValid) throw new PlanError(`${ref} is a date; "${v}" is not an ISO date`);
        return field.type === 'date' ? dt.toFormat('yyyy-MM-dd') : toUtcSql(dt);
      }
      default:
        throw new PlanError(`unknown column type ${field.type satisfies never}`);
    }
  }

  private resolveRange(
    field: ResolvedField,
    ref: string,
    range: DateRange,
  ): { start: string; end: string; startAt: DateTime } {
    if (field.type !== 'date' && field.type !== 'datetime')
      throw new PlanError(`${ref} is not a date column`);
    let resolved: ReturnType<typeof resolveDateRange>;
    try {
      resolved = resolveDateRange(range, this.options.now, this.view.agent.timeZone);
    } catch (err) {
      // an impossible date (30 February) is a bad plan, not a server error
      throw new PlanError(err instanceof Error ? err.message : String(err));
    }
    const out = { start: this.instant(field, resolved.start), end: this.instant(field, resolved.end) };
    this.ranges.push({ field: ref, label: resolved.label, ...out });
    return { ...out, startAt: resolved.start };
  }

  /** A moment as the column stores it: a local date, or a UTC date-time. */
  private instant(field: ResolvedField, dt: DateTime): string {
    return field.type === 'date' ? dt.toFormat('yyyy-MM-dd') : toUtcSql(dt);
  }

  // ---- filters --------------------------------------------------------------------------------

  /**
   * A filter as a boolean SQL expression in this scope; filters on fanning-out tables become EXISTS. `anchor` is
   * the table whose rows a related-row condition is about: the scope's, or the table of the segment or named
   * measure that defines it (a segment of users means the same users from an orders query).
   */
  filterSql(filter: Filter, scope: Scope, anchor?: string): Knex.Raw {
    const k = this.k;
    switch (filter.op) {
      case 'and':
      case 'or': {
        const parts = filter.filters.map((f) => this.filterSql(f, scope, anchor));
        const joiner = filter.op === 'and' ? ' AND ' : ' OR ';
        return k.raw(`(${parts.map(() => '?').join(joiner)})`, parts);
      }
      case 'not':
        return k.raw('(NOT ?)', [this.filterSql(filter.filter, scope, anchor)]);
      case 'segment': {
        const segment = this.view.segment(filter.segment);
        return this.filterSql(segment.definition.filter, scope, segment.table);
      }
      case 'related':
        return this.relatedSql(filter, scope, filter.of ?? anchor ?? scope.base);
      default:
        return this.leafSql(filter, scope);
    }
  }

  private leafSql(
    filter: Exclude<Filter, { op: 'and' | 'or' | 'not' | 'segment' | 'related' }>,
    scope: Scope,
  ): Knex.Raw {
    const field = this.view.field(filter.field);
    const direct = scope.fieldSql(field, false);
    if (!direct) return this.existsSql(filter, field, scope);
    const k = this.k;
    switch (filter.op) {
      case 'eq':
      case 'neq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const op = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.op];
        const value = this.value(field, filter.value, filter.field);
        const exact =
          filter.op === 'eq' && field.type === 'string' && this.dialect.exactMatch(direct, [value]);
        if (exact) return exact;
        const left = this.comparable(direct, field, filter.op === 'eq' || filter.op === 'neq');
        // neq keeps NULLs out explicitly so both dialects agree
        if (filter.op === 'neq')
          return k.raw('(? IS NOT NULL AND ? <> ?)', [direct, left, this.roundedValue(field, value)]);
        return k.raw(`(? ${op} ?)`, [left, filter.op === 'eq' ? this.roundedValue(field, value) : value]);
      }
      case 'in':
      case 'notIn': {
        const values = filter.values.map((v) => this.roundedValue(field, this.value(field, v, filter.field)));
        const placeholders = values.map(() => '?').join(', ');
        const exact =
          filter.op === 'in' && field.type === 'string' && this.dialect.exactMatch(direct, values);
        if (exact) return exact;
        const left = this.comparable(direct, field, true);
        if (filter.op === 'in') return k.raw(`(? IN (${placeholders}))`, [left, ...values]);
        return k.raw(`(? IS NOT NULL AND ? NOT IN (${placeholders}))`, [direct, left, ...values]);
      }
      case 'contains':
      case 'startsWith': {
        if (field.type !== 'string') throw new PlanError(`${filter.field} is not text`);
        const escaped = filter.value.replace(/[!%_]/g, (ch) => `!${ch}`);
        const pattern = filter.op === 'contains' ? `%${escaped}%` : `${escaped}%`;
        return this.dialect.likeIgnoringCase(direct, pattern);
      }
      case 'compareFields': {
        // the other column must be on the same row: this scope reaches it without a subquery of its own
        const other = this.view.field(filter.other);
        const otherSql = scope.fieldSql(other, false);
        if (!otherSql) throw new PlanError(`${filter.other} is not on the rows of ${filter.field}`);
        if (!comparableColumns(field.type, other.type))
          throw new PlanError(`${filter.field} and ${filter.other} cannot be compared`);
        const op = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.cmp];
        return k.raw(`(? ${op} ?)`, [direct, otherSql]);
      }
      case 'isNull':
        return k.raw('(? IS NULL)', [direct]);
      case 'isNotNull':
        return k.raw('(? IS NOT NULL)', [direct]);
      case 'dateRange': {
        const { start, end } = this.resolveRange(field, filter.field, filter.range);
        return k.raw('(? >= ? AND ? < ?)', [direct, start, direct, end]);
      }
      default:
        throw new PlanError(`unknown filter ${(filter satisfies never as { op: string }).op}`);
    }
  }

  /** A condition on a table reached through a one-to-many relation: EXISTS over a scoped subquery. */
  private existsSql(filter: Filter, field: ResolvedField, outer: Scope): Knex.Raw {
    return this.existsVia(field.table, outer, (inner) => this.filterSql(filter, inner));
  }

  /** EXISTS over the first one-to-many step towards `table`, with `condition` evaluated inside it. */
  private existsVia(table: string, outer: Scope, condition: (inner: Scope) => Knex.Raw): Knex.Raw {
    const steps = this.view.path(outer.base, table);
    const firstMany = steps.findIndex((s) => s.kind === 'one-to-many');
    const outerAlias = outer.joinPath(steps.slice(0, firstMany));
    const edge = steps[firstMany] as JoinStep;
    const subAlias = this.nextAlias('s');
    const sub = this.k
      .queryBuilder()
      .select(this.k.raw('1'))
      .from({ [subAlias]: edge.to });
    for (const [local, remote] of Object.entries(edge.on))
      sub.whereRaw('?? = ??', [`${subAlias}.${remote}`, `${outerAlias}.${local}`]);
    this.contextFilterWhere(sub, edge.to, subAlias);
    const inner = new Scope(this, sub, edge.to, subAlias, true);
    sub.where(condition(inner));
    return this.k.raw('EXISTS ?', [sub]);
  }

  /**
   * Rows of the scope that have related rows in `filter.table` matching `filter.filter` as one row: a subquery on
   * the related rows, correlated on the first relation step, with the further steps inner-joined (a related row
   * exists, in this tenant, or it is not related) and every table scoped. Without a count it is an EXISTS; with one,
   * a correlated COUNT (0 when nothing is related) compared to the count's value.
   */
  private relatedSql(filter: Extract<Filter, { op: 'related' }>, outer: Scope, anchor: string): Knex.Raw {
    const k = this.k;
    if (anchor !== outer.base) {
      // about other rows than the scope's: through their join, or "has one of them that..." when they are many
      const toAnchor = this.view.path(outer.base, anchor);
      if (toAnchor.some((s) => s.kind === 'one-to-many'))
        return this.existsVia(anchor, outer, (inner) => this.relatedSql(filter, inner, anchor));
      const alias = outer.joinPath(toAnchor);
      return this.relatedSql(filter, new Scope(this, outer.qb, anchor, alias, outer.isSubquery), anchor);
    }
    const steps = this.view.path(outer.base, filter.table);
    const first = steps[0];
    if (!first) throw new PlanError(`a related-row condition on ${outer.base} needs another table`);
    const related = this.view.table(filter.table);
    const firstAlias = this.nextAlias('s');
    const sub = k.queryBuilder().from({ [firstAlias]: first.to });
    for (const [local, remote] of Object.entries(first.on))
      sub.whereRaw('?? = ??', [`${firstAlias}.${remote}`, `${outer.alias}.${local}`]);
    this.contextFilterWhere(sub, first.to, firstAlias);
    let alias = firstAlias;
    for (const step of steps.slice(1)) {
      const next = this.nextAlias('s');
      const fromAlias = alias;
      const c = this;
      sub.join({ [next]: step.to }, function () {
        for (const [local, remote] of Object.entries(step.on))
          this.on(`${fromAlias}.${local}`, '=', `${next}.${remote}`);
        c.contextFilterOn(this, step.to, next);
      });
      alias = next;
    }
    // the inner filter sees one related row: its to-one fields are joined, its to-many ones become EXISTS
    const inner = new Scope(this, sub, filter.table, alias, true, false);
    const count = filter.count;
    const distinct = count?.distinct ? inner.fieldSql(this.view.field(count.distinct), true) : undefined;
    const summed = count?.sum ? this.relatedSum(inner, count.sum) : undefined;
    if (filter.filter) sub.where(this.filterSql(filter.filter, inner));
    if (!count) return k.raw('EXISTS ?', [sub.select(k.raw('1'))]);
    if (!distinct && !summed) {
      // "at least one" and "none" need no count: EXISTS stops at the first related row
      const { op, value } = count;
      if ((op === 'gte' && value === 1) || ((op === 'gt' || op === 'neq') && value === 0))
        return k.raw('EXISTS ?', [sub.select(k.raw('1'))]);
      if ((op === 'lt' && value === 1) || ((op === 'eq' || op === 'lte') && value === 0))
        return k.raw('(NOT EXISTS ?)', [sub.select(k.raw('1'))]);
    }
    // a related table reached past its first step repeats (an order once per item of the product): count it once
    const counted =
      summed !== undefined
        ? k.raw('COALESCE(SUM(?), 0)', [summed])
        : distinct !== undefined
          ? k.raw('COUNT(DISTINCT ?)', [distinct])
          : steps.length > 1
            ? k.raw('COUNT(DISTINCT ??)', [`${alias}.${related.primaryKey}`])
            : k.raw('COUNT(??)', [`${alias}.${related.primaryKey}`]);
    const op = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[count.op];
    return k.raw(`(? ${op} ?)`, [sub.select(counted), count.value]);
  }

  /** A numeric field each related row has once (its own, or of what it belongs to): a sum over it does not double. */
  private relatedSum(inner: Scope, ref: string): Knex.Raw {
    const field = this.view.field(ref);
    if (field.type !== 'number' && field.type !== 'integer')
      throw new PlanError(`a related-row sum needs a numeric column, ${ref} is ${field.type}`);
    const sql = inner.fieldSql(field, false);
    if (!sql)
      throw new PlanError(
        `a related-row sum of ${ref} would count rows more than once; sum a column of ${inner.base}`,
      );
    return sql;
  }

  // ---- measures -------------------------------------------------------------------------------

  private measureSql(measure: Measure, scope: Scope): BuiltMeasure {
    if (measure.kind === 'ratio')
      return this.ratioOf(
        this.measureSql(measure.numerator, scope),
        this.measureSql(measure.denominator, scope),
      );
    if (measure.kind === 'difference') {
      return this.differenceOf(
        this.measureSql(measure.minuend, scope),
        this.measureSql(measure.subtrahend, scope),
      );
    }
    if (measure.kind === 'named') {
      const named = this.view.measure(measure.name);
      const def = named.definition;
      const field = def.column ? `${named.table}.${def.column}` : undefined;
      // the plan's filter narrows the measure; the model's own filter (completed orders) always applies
      const own = def.filter ? this.filterSql(def.filter, scope, named.table) : undefined;
      const extra = measure.filter ? this.filterSql(measure.filter, scope) : undefined;
      const cond = own && extra ? this.k.raw('(? AND ?)', [own, extra]) : (own ?? extra);
      const built = this.aggregateSql(def.aggregate, field, cond, named.table, scope);
      return {
        ...built,
        unit: def.unit ?? built.unit,
        name: named.name,
        definition: def.description ?? built.definition,
      };
    }
    if (measure.kind === 'running' || measure.kind === 'change' || measure.kind === 'shareOfTotal') {
      // the query's measures with windows go through windowMeasureSql, which refuses windows inside windows
      throw new PlanError(`a ${WINDOW_WORDS[measure.kind]} cannot be part of another window measure`);
    }
    const cond = measure.filter ? this.filterSql(measure.filter, scope) : undefined;
    if (measure.kind === 'count') return this.aggregateSql('count', undefined, cond, scope.base, scope);
    return this.aggregateSql(measure.kind, measure.field, cond, undefined, scope);
  }

  private ratioOf(num: BuiltMeasure, den: BuiltMeasure): BuiltMeasure {
    if (num.type !== 'number' || den.type !== 'number') {
      throw new PlanError(
        `a ratio divides numbers; ${num.type !== 'number' ? num.name : den.name} is not a number`,
      );
    }
    return {
      sql: this.k.raw('(? * 1e0 / NULLIF(?, 0))', [num.sql, den.sql]),
      type: 'number',
      name: measureName(num.name, 'per', den.name),
      definition: `${num.definition} divided by ${den.definition}`,
    };
  }

  /** NULL when either side is (an average of no rows); sums are COALESCEd to 0 already. */
  private differenceOf(minuend: BuiltMeasure, subtrahend: BuiltMeasure): BuiltMeasure {
    if (minuend.type !== 'number' || subtrahend.type !== 'number') {
      throw new PlanError(
        `a difference subtracts numbers; ${minuend.type !== 'number' ? minuend.name : subtrahend.name} is not a number`,
      );
    }
    return {
      sql: this.k.raw('(? - ?)', [minuend.sql, subtrahend.sql]),
      type: 'number',
      unit: minuend.unit === subtrahend.unit ? minuend.unit : undefined,
      name: 'difference',
      definition: `${minuend.definition} minus ${subtrahend.definition}`,
    };
  }

  /** An aggregate of the scope's rows; `cond` (a filter's SQL) keeps only the rows it counts. */
  private aggregateSql(
    aggregate: Aggregate,
    fieldRef: string | undefined,
    cond: Knex.Raw | undefined,
    countTable: string | undefined,
    scope: Scope,
  ): BuiltMeasure {
    const k = this.k;
    const base = this.view.table(scope.base);
    if (aggregate === 'count') {
      if (countTable !== undefined && countTable !== scope.base) {
        throw new PlanError(`counting ${countTable} needs a plan whose table is "${countTable}"`);
      }
      // a one-to-many join repeats base rows: count each base row once
      const target = scope.fannedOut
        ? k.raw('DISTINCT ??', [`${scope.alias}.${base.primaryKey}`])
        : k.raw('??', [`${scope.alias}.${base.primaryKey}`]);
      const sql = cond
        ? k.raw(
            scope.fannedOut ? 'COUNT(DISTINCT CASE WHEN ? THEN ?? END)' : 'COUNT(CASE WHEN ? THEN ?? END)',
            [cond, `${scope.alias}.${base.primaryKey}`],
          )
        : k.raw('COUNT(?)', [target]);
      return { sql, type: 'number', name: 'count', definition: `the number of ${scope.base}` };
    }
    if (!fieldRef) throw new PlanError(`${aggregate} needs a field`);
    const field = this.view.field(fieldRef);
    const path = this.view.path(scope.base, field.table);
    const multiplies = path.some((s) => s.kind !== 'one-to-one');
    if ((aggregate === 'sum' || aggregate === 'avg') && (scope.fannedOut || multiplies)) {
      throw new PlanError(
        `${aggregate} of ${fieldRef} would be multiplied by the join from ${scope.base}; ` +
          `ask it from the "${field.table}" table instead`,
      );
    }
    if (path.some((s) => s.kind === 'one-to-many')) {
      throw new PlanError(`${fieldRef} is on the many side of ${scope.base}; ask it from "${field.table}"`);
    }
    const column = scope.fieldSql(field, true) as Knex.Raw;
    const input = cond ? k.raw('CASE WHEN ? THEN ? END', [cond, column]) : column;
    const fn = {
      countDistinct: 'COUNT(DISTINCT ?)',
      sum: 'COALESCE(SUM(?), 0)',
      avg: 'AVG(?)',
      min: 'MIN(?)',
      max: 'MAX(?)',
    }[aggregate];
    const isTemporal = field.type === 'date' || field.type === 'datetime';
    const type: ValueType =
      aggregate === 'countDistinct'
        ? 'number'
        : (aggregate === 'min' || aggregate === 'max') && isTemporal
          ? 'date'
          : field.type === 'string'
            ? 'string'
            : 'number';
    if ((aggregate === 'sum' || aggregate === 'avg') && field.type !== 'integer' && field.type !== 'number') {
      throw new PlanError(`${aggregate} needs a numeric field; ${fieldRef} is ${field.type}`);
    }
    const verb = {
      countDistinct: 'the number of distinct',
      sum: 'the total of',
      avg: 'the average of',
      min: 'the smallest',
      max: 'the largest',
    }[aggregate];
    return {
      sql: k.raw(fn, [input]),
      type,
      unit: aggregate === 'countDistinct' ? undefined : field.unit,
      name: `${aggregate === 'countDistinct' ? 'distinct' : aggregate}_${field.column}`,
      definition: `${verb} ${fieldRef}`,
    };
  }

  // ---- window measures ------------------------------------------------------------------------

  /** What window measures see of the grouped query: its output columns, its time bucket and its period. */
  private windowing(scope: Scope, columns: OutputColumn[], compared: boolean): Windowing {
    const dims = columns.filter((c) => c.role === 'dimension');
    const time = this.plan.time;
    const bucketColumn = time?.grain ? dims.find((d) => d.grain && d.field === time.field) : undefined;
    return {
      scope,
      dims: dims.map((d) => d.name),
      bucket: bucketColumn?.grain ? { name: bucketColumn.name, grain: bucketColumn.grain } : undefined,
      // the same date at another grain ("by year and month") would split the buckets' sequence
      otherGrainOfBucket: dims.some(
        (d) => d.grain && d.field === bucketColumn?.field && d.name !== bucketColumn?.name,
      ),
      period: compared ? dims[0]?.name : undefined,
      parts: [],
      partColumns: new Map(),
      lags: [],
    };
  }

  /**
   * A measure of the outer query: parts without windows are columns of the grouped query (`q.$m1`); ratios and
   * differences combine what their sides give; running totals, changes and shares are window functions over them.
   */
  private windowMeasureSql(measure: Measure, w: Windowing): BuiltMeasure {
    const k = this.k;
    if (!hasKind(measure, WINDOW_KINDS)) return this.windowPart(measure, w).built;
    switch (measure.kind) {
      case 'ratio':
        return this.ratioOf(
          this.windowMeasureSql(measure.numerator, w),
          this.windowMeasureSql(measure.denominator, w),
        );
      case 'difference':
        return this.differenceOf(
          this.windowMeasureSql(measure.minuend, w),
          this.windowMeasureSql(measure.subtrahend, w),
        );
      case 'running':
      case 'change':
      case 'shareOfTotal':
        break;
      default:
        throw new PlanError(`a ${measure.kind} measure has no window inside`);
    }
    const words = WINDOW_WORDS[measure.kind];
    if (hasKind(measure.of, WINDOW_KINDS)) {
      // SQL cannot nest window functions, and a running total of shares means little
      throw new PlanError(`a ${words} cannot be taken of a running total, change or share`);
    }
    const { built: of, column } = this.windowPart(measure.of, w);
    if (of.type !== 'number') throw new PlanError(`a ${words} needs a number; ${of.name} is not one`);
    const value = `q.${column}`;
    const bucket = w.bucket;
    if (measure.kind === 'shareOfTotal') {
      // with a time bucket (or period) and other dimensions, the share within each bucket: the bars of one month
      // add up to 100%; otherwise of the whole result, including the groups a limit leaves out
      const time = [w.period, bucket?.name].filter((n): n is string => n !== undefined);
      const others = w.dims.filter((d) => !time.includes(d));
      return {
        sql: k.raw('(? * 1e0 / NULLIF(SUM(??) OVER ?, 0))', [
          k.raw('??', [value]),
          value,
          this.windowSpec('q', others.length > 0 ? time : []),
        ]),
        type: 'number',
        name: measureName('share', of.name),
        definition:
          others.length > 0 && time.length > 0
            ? `each row's share of ${of.definition} within its ${bucket?.grain ?? 'period'}`
            : `each row's share of the total of ${of.definition}`,
      };
    }
    if (measure.kind === 'running') {
      if (!bucket) throw new PlanError('a running total needs the plan’s time grain (time.grain)');
      if (w.otherGrainOfBucket)
        throw new PlanError(
          `a running total by ${bucket.grain} cannot also group by another grain of that date`,
        );
      // restarts at the range's start; a row without a date (NULL bucket) is no step of it
      const q = (n: string) => `q.${n}`;
      return {
        sql: k.raw('SUM(CASE WHEN ?? IS NOT NULL THEN ?? END) OVER ?', [
          q(bucket.name),
          value,
          this.windowSpec(
            'q',
            w.dims.filter((d) => d !== bucket.name),
            bucket.name,
            true,
          ),
        ]),
        type: 'number',
        unit: of.unit,
        name: measureName('running', of.name),
        definition: `the running total of ${of.definition}, ${bucket.grain} by ${bucket.grain}`,
      };
    }
    return this.changeSql(measure, of, column, w);
  }

  /**
   * The change against the previous bucket (or the comparison's period before), whose value the LAG layer of
   * windowQuery puts beside each row.
   */
  private changeSql(
    measure: Extract<Measure, { kind: 'change' }>,
    of: BuiltMeasure,
    column: string,
    w: Windowing,
  ): BuiltMeasure {
    const k = this.k;
    const bucket = w.bucket;
    let against: string;
    if (bucket && w.period === undefined) {
      if (w.otherGrainOfBucket)
        throw new PlanError(`a change by ${bucket.grain} cannot also group by another grain of that date`);
      w.lag ??= { key: bucket.name, grain: bucket.grain, partition: w.dims.filter((d) => d !== bucket.name) };
      against = `the previous ${bucket.grain}`;
    } else if (!bucket && w.period !== undefined) {
      const period = w.period;
      w.lag ??= { key: RANK, partition: w.dims.filter((d) => d !== period) };
      against = 'the period before it';
    } else if (bucket) {
      // each period's buckets would need their own bucket before: ask per bucket over one range, or per period
      throw new PlanError('a change cannot be over both a comparison of periods and a time grain');
    } else {
      throw new PlanError('a change needs the plan’s time grain (time.grain) or a comparison of periods');
    }
    const previous = `$prev${w.lags.length + 1}`;
    w.lags.push({ from: column, as: previous, empty: emptyValue(measure.of, this.view) });
    const percent = measure.mode === 'percent';
    return {
      sql: percent
        ? k.raw('((?? - ??) * 1e0 / NULLIF(??, 0))', [`q.${column}`, `q.${previous}`, `q.${previous}`])
        : k.raw('(?? - ??)', [`q.${column}`, `q.${previous}`]),
      type: 'number',
      unit: percent ? undefined : of.unit,
      name: measureName('change', of.name),
      definition: percent
        ? `the change of ${of.definition} against ${against}, as a fraction of it`
        : `the change of ${of.definition} against ${against}`,
    };
  }

  /** A window-free measure as a column of the grouped query (once per distinct SQL), and its outer SQL. */
  private windowPart(measure: Measure, w: Windowing): { built: BuiltMeasure; column: string } {
    const built = this.measureSql(measure, w.scope);
    const native = built.sql.toSQL();
    const key = `${native.sql} ${JSON.stringify(native.bindings)}`;
    let column = w.partColumns.get(key);
    if (column === undefined) {
      column = `$m${w.parts.length + 1}`;
      w.partColumns.set(key, column);
      w.parts.push(this.k.raw('? AS ??', [built.sql, column]));
    }
    return { built: { ...built, sql: this.k.raw('??', [`q.${column}`]) }, column };
  }

  /** `(PARTITION BY .. ORDER BY .. ROWS ..)` over columns of the derived table `alias`. */
  private windowSpec(alias: string, partition: string[], order?: string, running = false): Knex.Raw {
    const text: string[] = [];
    const bindings: string[] = [];
    if (partition.length > 0) {
      text.push(`PARTITION BY ${partition.map(() => '??').join(', ')}`);
      bindings.push(...partition.map((n) => `${alias}.${n}`));
    }
    if (order !== undefined) {
      text.push('ORDER BY ??');
      bindings.push(`${alias}.${order}`);
    }
    if (running) text.push('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW');
    return this.k.raw(`(${text.join(' ')})`, bindings);
  }

  /**
   * The outer query of window measures: over the grouped query, or, for changes, over the grouped query with the
   * previous rows' values (LAG) beside each row; the bucket read before the range is dropped here, after LAG.
   */
  private windowQuery(
    grouped: Knex.QueryBuilder,
    w: Windowing,
    columns: OutputColumn[],
    measures: Knex.Raw[],
    keepFrom: string | undefined,
  ): Knex.QueryBuilder {
    const k = this.k;
    let source = grouped;
    const lag = w.lag;
    if (lag) {
      const spec = this.windowSpec('g', lag.partition, lag.key);
      const key = k.raw('??', [`g.${lag.key}`]);
      // the row before is the previous bucket (period) only when its key is the one just before this one's;
      // otherwise that bucket had no rows, and the measure's value over no rows stands in (0 for counts, sums)
      const expected = lag.grain ? this.dialect.previousBucket(key, lag.grain) : k.raw('? - 1', [key]);
      const found = k.raw('LAG(?) OVER ? = ?', [key, spec, expected]);
      // the first bucket of all (no range) has an empty one before it; the earliest period has none
      const hasBefore = lag.grain ? k.raw('? IS NOT NULL', [key]) : k.raw('? > 1', [key]);
      source = k
        .queryBuilder()
        .from(grouped.as('g'))
        .select('g.*')
        .select(
          w.lags.map((l) =>
            l.empty === 0
              ? k.raw('CASE WHEN ? THEN LAG(??) OVER ? WHEN ? THEN 0 END AS ??', [
                  found,
                  `g.${l.from}`,
                  spec,
                  hasBefore,
                  l.as,
                ])
              : k.raw('CASE WHEN ? THEN LAG(??) OVER ? END AS ??', [found, `g.${l.from}`, spec, l.as]),
          ),
        );
    }
    const outer = k.queryBuilder().from(source.as('q'));
    const dims = columns.filter((c) => c.role === 'dimension');
    outer.select([...dims.map((d) => k.raw('?? AS ??', [`q.${d.name}`, d.name])), ...measures]);
    // ordering text byte-wise in MySQL now reads the grouped query's column
    for (const d of dims)
      if (this.textOutputs.has(d.name)) this.textOutputs.set(d.name, k.raw('??', [`q.${d.name}`]));
    if (keepFrom !== undefined && w.bucket) outer.where(k.raw('?? >= ?', [`q.${w.bucket.name}`, keepFrom]));
    return outer;
  }

  // ---- the query ------------------------------------------------------------------------------

  run(): CompiledQuery {
    const { plan, k } = this;
    const table = this.view.queryableTable(plan.table);
    const maxRows = this.options.maxRows ?? 1000;
    const qb = k.queryBuilder().from({ t0: plan.table });
    const scope = new Scope(this, qb, plan.table, 't0', false);
    this.contextFilterWhere(qb, plan.table, 't0');

    const columns: OutputColumn[] = [];
    const used = new Set<string>();
    const uniqueName = (name: string): string => {
      let candidate = name.slice(0, MAX_NAME_LENGTH);
      // room for `_2` .. `_99`
      for (let i = 2; used.has(candidate); i += 1) candidate = `${name.slice(0, MAX_NAME_LENGTH - 3)}_${i}`;
      used.add(candidate);
      return candidate;
    };
    const selects: Knex.Raw[] = [];
    let compareLabels: string[] | undefined;
    // window measures (running, change, share) are computed by an outer query over this grouped one
    const windowed = plan.measures.some((m) => hasKind(m, WINDOW_KINDS));
    const changes = plan.measures.some((m) => hasKind(m, ['change']));
    /** columns grouped on but not shown (a comparison period's rank) */
    let hiddenGroups = 0;
    /** the first bucket the answer shows, when the query also reads the one before the range */
    let keepFrom: string | undefined;

    // time slot: range filter, comparison periods, grain
    const dimensions = [...plan.dimensions];
    if (plan.time) {
      const timeField = this.view.field(plan.time.field);
      const timeSql = scope.fieldSql(timeField, false);
      if (!timeSql) throw new PlanError(`${plan.time.field} is on the many side of ${plan.table}`);
      const time = plan.time;
      const bucketGrain = time.grain
        ? (dimensions.find((d) => d.field === time.field && d.grain)?.grain ?? time.grain)
        : undefined;
      if (plan.time.range) {
        const { start, end, startAt } = this.resolveRange(timeField, plan.time.field, plan.time.range);
        if (changes && bucketGrain) {
          // the first bucket's change needs the bucket before it: read that one too, and drop it after LAG
          const first = startOfGrain(startAt, bucketGrain);
          const before = {
            start: this.instant(timeField, first.minus({ [bucketGrain]: 1 })),
            end: this.instant(timeField, first),
          };
          keepFrom = first.toFormat('yyyy-MM-dd');
          qb.where(
            before.end === start
              ? k.raw('? >= ? AND ? < ?', [timeSql, before.start, timeSql, end])
              : k.raw('((? >= ? AND ? < ?) OR (? >= ? AND ? < ?))', [
                  timeSql,
                  start,
                  timeSql,
                  end,
                  timeSql,
                  before.start,
                  timeSql,
                  before.end,
                ]),
          );
        } else qb.where(k.raw('? >= ? AND ? < ?', [timeSql, start, timeSql, end]));
      }
      if (plan.time.compare) {
        const cases: Knex.RawBinding[] = [];
        const whens: string[] = [];
        const ors: Knex.Raw[] = [];
        const periods: Array<{ inRange: Knex.Raw; start: string; end: string }> = [];
        for (const period of plan.time.compare) {
          const { start, end } = this.resolveRange(timeField, plan.time.field, period.range);
          const inRange = k.raw('(? >= ? AND ? < ?)', [timeSql, start, timeSql, end]);
          whens.push('WHEN ? THEN ?');
          cases.push(inRange, period.label);
          ors.push(inRange);
          periods.push({ inRange, start, end });
        }
        qb.where(k.raw(`(${ors.map(() => '?').join(' OR ')})`, ors));
        const name = uniqueName('period');
        selects.push(k.raw(`CASE ${whens.join(' ')} END AS ??`, [...cases, name]));
        columns.push({ name, label: 'Period', type: 'string', role: 'dimension', field: plan.time.field });
        compareLabels = plan.time.compare.map((p) => p.label);
        if (changes && !bucketGrain) {
          // a change compares each period with the one before it in time: its rank, earliest first
          const order = [...periods].sort(
            (a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end),
          );
          const ranks = periods.flatMap((p) => [p.inRange, order.indexOf(p) + 1]);
          selects.push(k.raw(`CASE ${whens.join(' ')} END AS ??`, [...ranks, RANK]));
          hiddenGroups += 1;
        }
      }
      if (plan.time.grain && !dimensions.some((d) => d.field === plan.time?.field && d.grain)) {
        dimensions.unshift({ field: plan.time.field, grain: plan.time.grain });
      }
    }

    for (const dim of dimensions) {
      const field = this.view.field(dim.field);
      const sql = scope.fieldSql(field, true) as Knex.Raw;
      if (dim.grain) {
        if (field.type !== 'date' && field.type !== 'datetime')
          throw new PlanError(`${dim.field} is not a date column`);
        if (field.kind !== 'column')
          throw new PlanError(`a time grain needs a stored date column; ${dim.field} is computed`);
        const alias = scope.joinPath(this.view.path(plan.table, field.table));
        const column = `${alias}.${field.column}`;
        const local =
          field.type === 'datetime'
            ? this.dialect.localTime(column, this.view.agent.timeZone)
            : k.raw('??', [column]);
        const name = uniqueName(dim.as ?? dim.grain);
        selects.push(k.raw('? AS ??', [this.dialect.truncateDate(local, dim.grain), name]));
        columns.push({
          name,
          label: capitalise(dim.grain),
          type: 'date',
          role: 'dimension',
          field: dim.field,
          grain: dim.grain,
        });
      } else {
        const name = uniqueName(dim.as ?? field.column);
        selects.push(k.raw('? AS ??', [sql, name]));
        this.textOutputs.set(name, sql);
        columns.push({
          name,
          label: humanise(field.column),
          type: valueType(field.type),
          role: 'dimension',
          field: dim.field,
          unit: field.unit,
          ...(field.kind === 'column' && field.column === this.view.table(field.table).primaryKey
            ? { identifies: true }
            : {}),
        });
      }
    }

    const windows = windowed ? this.windowing(scope, columns, compareLabels !== undefined) : undefined;
    const outerSelects: Knex.Raw[] = [];
    for (const measure of plan.measures) {
      const built = windows ? this.windowMeasureSql(measure, windows) : this.measureSql(measure, scope);
      const name = uniqueName(measure.as ?? built.name);
      (windows ? outerSelects : selects).push(k.raw('? AS ??', [built.sql, name]));
      columns.push({
        name,
        label: humanise(name),
        type: built.type,
        role: 'measure',
        unit: built.unit,
        definition: built.definition,
      });
    }
    if (windows) selects.push(...windows.parts);

    const isListing = plan.measures.length === 0 && dimensions.length === 0 && !compareLabels;
    if (isListing) {
      const fields = plan.select.length > 0 ? plan.select : defaultListing(plan.table, table);
      for (const ref of fields) {
        const field = this.view.field(ref);
        const sql = scope.fieldSql(field, false);
        if (!sql)
          throw new PlanError(`${ref} is on the many side of ${plan.table} and cannot be listed per row`);
        const name = uniqueName(field.table === plan.table ? field.column : `${field.table}_${field.column}`);
        selects.push(k.raw('? AS ??', [sql, name]));
        this.textOutputs.set(name, sql);
        columns.push({
          name,
          label: humanise(name),
          type: valueType(field.type),
          role: 'field',
          field: ref,
          unit: field.unit,
        });
      }
    }
    if (scope.fannedOut && isListing)
      throw new PlanError('a row listing cannot fan out over a one-to-many relation');

    for (const filter of plan.filters) qb.where(this.filterSql(filter, scope));
    qb.select(selects);

    const groupCount = columns.filter((c) => c.role === 'dimension').length;
    if (groupCount + hiddenGroups > 0) {
      // ordinals: the same text in both dialects, and no re-binding of expressions
      qb.groupByRaw(Array.from({ length: groupCount + hiddenGroups }, (_, i) => String(i + 1)).join(', '));
    }

    const query = windows ? this.windowQuery(qb, windows, columns, outerSelects, keepFrom) : qb;
    this.applyOrder(query, columns, scope, isListing, table.primaryKey);

    const explicit = plan.limit;
    if (this.options.countRows) return this.countOf(query, groupCount > 0 || isListing);
    const capped = explicit === undefined || explicit > maxRows;
    const limit = capped ? maxRows : explicit;
    // aggregates without dimensions return one row; everything else fetches one extra row to detect the cap
    if (groupCount > 0 || isListing) query.limit(capped ? limit + 1 : limit);

    const native = query.toSQL();
    return {
      plan,
      sql: { text: native.sql, bindings: [...native.bindings] },
      columns,
      limit,
      capped: capped && (groupCount > 0 || isListing),
      ranges: this.ranges,
      compareLabels,
      contextFilters: [...this.appliedContext],
      now: this.options.now,
    };
  }

  /** The plan's query counted: SELECT COUNT(*) over it as a derived table, its order dropped. */
  private countOf(query: Knex.QueryBuilder, hasRows: boolean): CompiledQuery {
    const { plan } = this;
    query.clearOrder();
    if (hasRows && plan.limit !== undefined) query.limit(plan.limit);
    const native = this.k.count({ n: '*' }).from(query.as('counted_rows')).toSQL();
    return {
      plan,
      sql: { text: native.sql, bindings: [...native.bindings] },
      columns: [{ name: 'n', label: 'Rows', type: 'number', role: 'measure' }],
      limit: 1,
      capped: false,
      ranges: this.ranges,
      contextFilters: [...this.appliedContext],
      now: this.options.now,
    };
  }

  private applyOrder(
    qb: Knex.QueryBuilder,
    columns: OutputColumn[],
    scope: Scope,
    isListing: boolean,
    pk: string,
  ): void {
    const { plan } = this;
    const ordered = new Set<string>();
    for (const o of plan.order) {
      const col = columns.find((c) => c.name === o.by || c.field === o.by);
      if (col) {
        this.orderByColumn(qb, col, o.direction);
        ordered.add(col.name);
        continue;
      }
      if (isListing && o.by.includes('.')) {
        const field = this.view.field(o.by);
        const sql = scope.fieldSql(field, false);
        if (!sql) throw new PlanError(`cannot order rows by ${o.by}`);
        const key = field.type === 'string' ? (this.dialect.byteText(sql) ?? sql) : sql;
        qb.orderByRaw(`? ${o.direction === 'asc' ? 'ASC' : 'DESC'}`, [key]);
        continue;
      }
      throw new PlanError(`cannot order by "${o.by}": it is not a column of the result`);
    }
    const dims = columns.filter((c) => c.role === 'dimension');
    if (plan.order.length === 0 && !dims.some((d) => d.grain) && !this.plan.time?.compare) {
      const firstMeasure = columns.find((c) => c.role === 'measure');
      if (firstMeasure && dims.length > 0) {
        qb.orderBy(firstMeasure.name, 'desc');
        ordered.add(firstMeasure.name);
      }
    }
    // tie-breakers keep results deterministic across runs and dialects
    for (const d of dims) if (!ordered.has(d.name)) this.orderByColumn(qb, d, 'asc');
    // a listing's key follows the main ordering's direction: "the 10 most recent orders" is then created_at DESC,
    // id DESC, which an index on (tenant, created_at) gives by walking backwards (id ASC made MariaDB sort them all)
    if (isListing) qb.orderBy(`${scope.alias}.${pk}`, plan.order[0]?.direction ?? 'asc');
  }

  /** Text orders byte-wise in both dialects, so "González" and "Gómez" come in the same order. */
  private orderByColumn(qb: Knex.QueryBuilder, column: OutputColumn, direction: 'asc' | 'desc'): void {
    const expr = this.textOutputs.get(column.name);
    // the expression, not the alias: inside an expression MySQL reads a name as a table column
    const key = column.type === 'string' && expr ? this.dialect.byteText(expr) : undefined;
    if (key) qb.orderByRaw(`? ${direction === 'asc' ? 'ASC' : 'DESC'}`, [key]);
    else qb.orderBy(column.name, direction);
  }
}

/** Window measures: computed over the grouped rows, by the outer query. */
const WINDOW_KINDS: readonly Measure['kind'][] = ['running', 'change', 'shareOfTotal'];
/** Names of the outer queries' own columns: `$` is in no alias or model identifier, so none collides. */
const RANK = '$rank';

interface Windowing {
  scope: Scope;
  /** the dimension columns, in order (the period first, when there is one) */
  dims: string[];
  /** the time grain's bucket column */
  bucket?: { name: string; grain: Grain };
  otherGrainOfBucket: boolean;
  /** a comparison's period column */
  period?: string;
  /** the grouped query's measure columns (`$m1`, ...) */
  parts: Knex.Raw[];
  /** the grouped query's measure columns by their SQL, so that a measure used twice is computed once */
  partColumns: Map<string, string>;
  /** the row before each row (for changes): by bucket (with its grain) or period rank, in the other dimensions */
  lag?: { key: string; grain?: Grain; partition: string[] };
  /** the previous row's value of a measure column, or `empty` (the value of no rows) if it had none */
  lags: Array<{ from: string; as: string; empty: 0 | null }>;
}

function hasKind(m: Measure, kinds: readonly Measure['kind'][]): boolean {
  if (kinds.includes(m.kind)) return true;
  switch (m.kind) {
    case 'ratio':
      return hasKind(m.numerator, kinds) || hasKind(m.denominator, kinds);
    case 'difference':
      return hasKind(m.minuend, kinds) || hasKind(m.subtrahend, kinds);
    case 'running':
    case 'change':
    case 'shareOfTotal':
      return hasKind(m.of, kinds);
    default:
      return false;
  }
}

/** What a measure gives over no rows (a bucket without any): 0 for counts and sums, NULL for the rest. */
function emptyValue(m: Measure, view: ModelView): 0 | null {
  switch (m.kind) {
    case 'count':
    case 'countDistinct':
    case 'sum':
      return 0;
    case 'named': {
      const aggregate = view.measure(m.name).definition.aggregate;
      return aggregate === 'count' || aggregate === 'countDistinct' || aggregate === 'sum' ? 0 : null;
    }
    case 'difference':
      return emptyValue(m.minuend, view) === 0 && emptyValue(m.subtrahend, view) === 0 ? 0 : null;
    default:
      // a ratio of no rows divides by 0 or NULL; avg, min and max of nothing are NULL
      return null;
  }
}

function defaultListing(tableName: string, table: { columns: Record<string, unknown> }): string[] {
  return Object.keys(table.columns)
    .slice(0, 8)
    .map((c) => `${tableName}.${c}`);
}

function valueType(type: ResolvedField['type']): ValueType {
  switch (type) {
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
    case 'datetime':
      return 'date';
    case 'string':
      return 'string';
    default:
      throw new PlanError(`unknown column type ${type satisfies never}`);
  }
}

function humanise(name: string): string {
  return capitalise(name.replace(/_/g, ' '));
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
