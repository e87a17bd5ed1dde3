// A fast-check arbitrary of QueryPlans over a semantic model (the demo model in the tests): random base tables,
// measures, dimensions (to-one and one-to-many), time slots, filter trees over related tables, row listings.
// Mostly valid plans; a small share the compiler must refuse (unreachable tables, the tenant column, wrong types),
// which the isolation property requires to be refused identically for every organisation.
import fc from 'fast-check';
import type { ColumnType, SemanticModel } from '../../server/config/schema.ts';
import type {
  DateRange,
  Dimension,
  Filter,
  Grain,
  Measure,
  Period,
  Scalar,
} from '../../server/query/plan.ts';
import type { ValuePools } from './demo-db.ts';

export interface PlanArbitraryOptions {
  /** real values per `table.column` (of every organisation) */
  pools: ValuePools;
  /** the years the data covers, for periods and explicit dates */
  years: readonly [number, number];
  /** include a small share of plans the compiler must refuse (default true) */
  invalid?: boolean;
  /** filter tree depth (default 2) */
  maxDepth?: number;
  /** the tenant column, which no plan may name (default organisation_id) */
  tenantColumn?: string;
  /**
   * 'pool': order comparisons (gt/lt...) on text only use real values. For the dialect property on folded data:
   * MySQL's default collation orders 'Z' < 'a' < '_' differently from SQLite's bytes (documented separately)
   */
  textOrderValues?: 'any' | 'pool';
  /**
   * include ratio measures (default true). The dialect property leaves them out: MySQL computes `x * 1.0 / y` in
   * DECIMAL and keeps a few decimals (0.00041 for 0.000425), so values and their order differ (see dialects.test)
   */
  ratios?: boolean;
  /**
   * no dimensions, filters, orders or distinct counts on computed columns: SQLite computes quantity * unit_price in
   * doubles (3 * 19.99 = 59.970000000000006), MySQL in decimals, so equal-looking values differ (see the report)
   */
  avoidComputedComparisons?: boolean;
  /**
   * related-row conditions (in filters, measure filters and inner filters), filtered named measures, differences,
   * running totals, changes and shares of the total (default true)
   */
  newShapes?: boolean;
}

/** What the generator produces: the input shape of a QueryPlan (JSON-serialisable). */
export interface GeneratedPlan {
  version: 1;
  table: string;
  measures?: Measure[];
  dimensions?: Dimension[];
  time?: {
    field: string;
    range?: DateRange;
    grain?: Grain;
    compare?: Array<{ label: string; range: DateRange }>;
  };
  filters?: Filter[];
  select?: string[];
  order?: Array<{ by: string; direction?: 'asc' | 'desc' }>;
  limit?: number;
}

export interface FieldInfo {
  ref: string;
  table: string;
  column: string;
  type: ColumnType;
  /** reached through at least one one-to-many relation from the base */
  many: boolean;
  /** a computed column (an expression, e.g. quantity * unit_price) */
  computed?: boolean;
}

export const GRAINS: readonly Grain[] = ['day', 'week', 'month', 'quarter', 'year'];

export const HOSTILE_STRINGS = [
  '1; DROP TABLE orders',
  "' OR '1'='1",
  '1 OR 1=1',
  '%',
  '_',
  '!',
  '\\',
  '`',
  '"',
  '*',
  "x' --",
  'Acme%',
  'organisation_id',
] as const;

/** True when `m` is or contains a measure of one of `kinds`. */
export function usesKind(m: Measure, kinds: readonly Measure['kind'][]): boolean {
  if (kinds.includes(m.kind)) return true;
  switch (m.kind) {
    case 'ratio':
      return usesKind(m.numerator, kinds) || usesKind(m.denominator, kinds);
    case 'difference':
      return usesKind(m.minuend, kinds) || usesKind(m.subtrahend, kinds);
    case 'running':
    case 'change':
    case 'shareOfTotal':
      return usesKind(m.of, kinds);
    default:
      return false;
  }
}

/** The new plan shapes a plan uses (related-row conditions, filtered named measures, window measures...). */
export function shapesOf(plan: GeneratedPlan): Set<string> {
  const out = new Set<string>();
  const filter = (f: Filter | undefined, where: string): void => {
    if (!f) return;
    switch (f.op) {
      case 'and':
      case 'or':
        for (const g of f.filters) filter(g, where);
        return;
      case 'not':
        if (f.filter.op === 'related') out.add('not related');
        filter(f.filter, where);
        return;
      case 'related':
        out.add(f.count ? 'related count' : 'related');
        if (f.count?.sum) out.add('related sum');
        if (f.of) out.add('related of another table');
        if (where !== 'plan') out.add(`related in ${where}`);
        filter(f.filter, 'related');
        return;
      default:
        return;
    }
  };
  const measure = (m: Measure): void => {
    switch (m.kind) {
      case 'ratio':
        measure(m.numerator);
        measure(m.denominator);
        return;
      case 'difference':
        out.add('difference');
        measure(m.minuend);
        measure(m.subtrahend);
        return;
      case 'running':
      case 'change':
      case 'shareOfTotal':
        out.add(m.kind);
        measure(m.of);
        return;
      case 'named':
        if (m.filter) out.add('named filter');
        filter(m.filter, 'measure');
        return;
      default:
        filter(m.filter, 'measure');
    }
  };
  for (const f of plan.filters ?? []) filter(f, 'plan');
  for (const m of plan.measures ?? []) measure(m);
  return out;
}

/** Removes undefined-valued keys (zod's strict objects accept them, but the printed plans stay readable). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Tables reachable from `base` by shortest relation paths, with whether the path fans out. */
export function reachableTables(model: SemanticModel, base: string): Map<string, boolean> {
  const seen = new Map<string, boolean>([[base, false]]);
  let frontier = [base];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      const table = model.tables[name];
      if (!table) continue;
      for (const rel of Object.values(table.relations)) {
        if (seen.has(rel.table) || !model.tables[rel.table]) continue;
        seen.set(rel.table, (seen.get(name) ?? false) || rel.kind === 'one-to-many');
        next.push(rel.table);
      }
    }
    frontier = next;
  }
  return seen;
}

export function tableFields(model: SemanticModel, table: string, many = false): FieldInfo[] {
  const t = model.tables[table];
  if (!t) return [];
  const out: FieldInfo[] = [];
  for (const [column, c] of Object.entries(t.columns)) {
    out.push({ ref: `${table}.${column}`, table, column, type: c.type, many });
  }
  for (const [column, c] of Object.entries(t.computed)) {
    out.push({ ref: `${table}.${column}`, table, column, type: c.type, many, computed: true });
  }
  return out;
}

interface BaseFields {
  toOne: FieldInfo[];
  toMany: FieldInfo[];
  /** fields the compiler must refuse from this base: unreachable tables, the tenant column, unknown names */
  refused: FieldInfo[];
}

function baseFields(model: SemanticModel, base: string, tenantColumn: string): BaseFields {
  const reach = reachableTables(model, base);
  const toOne: FieldInfo[] = [];
  const toMany: FieldInfo[] = [];
  const refused: FieldInfo[] = [];
  for (const table of Object.keys(model.tables)) {
    const many = reach.get(table);
    const fields = tableFields(model, table, many ?? false);
    if (many === undefined) refused.push(...fields);
    else if (many) toMany.push(...fields);
    else toOne.push(...fields);
  }
  const odd = (ref: string, type: ColumnType): FieldInfo => {
    const [table = '', column = ''] = ref.split('.');
    return { ref, table, column, type, many: false };
  };
  refused.push(
    odd(`${base}.${tenantColumn}`, 'integer'),
    odd(`${base}.no_such_column`, 'string'),
    odd('no_such_table.id', 'integer'),
  );
  if (model.tables.organisations) refused.push(odd('organisations.id', 'integer'));
  return { toOne, toMany, refused };
}

const isNumeric = (t: ColumnType) => t === 'integer' || t === 'number';
const isTemporal = (t: ColumnType) => t === 'date' || t === 'datetime';

function maybeWeighted<T>(
  ...entries: Array<[number, fc.Arbitrary<T> | undefined]>
): fc.Arbitrary<T> | undefined {
  const usable = entries.filter((e): e is [number, fc.Arbitrary<T>] => e[0] > 0 && e[1] !== undefined);
  if (usable.length === 0) return undefined;
  if (usable.length === 1) return usable[0]![1];
  return fc.oneof(...usable.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

function weighted<T>(...entries: Array<[number, fc.Arbitrary<T> | undefined]>): fc.Arbitrary<T> {
  const arbitrary = maybeWeighted(...entries);
  if (!arbitrary) throw new Error('no arbitrary to choose from');
  return arbitrary;
}

function fromList<T>(items: readonly T[]): fc.Arbitrary<T> | undefined {
  return items.length > 0 ? fc.constantFrom(...items) : undefined;
}

/** The arbitrary of query plans over `model`. */
export function planArbitrary(
  model: SemanticModel,
  options: PlanArbitraryOptions,
): fc.Arbitrary<GeneratedPlan> {
  const valid = buildPlanArbitrary(model, options, false);
  if (options.invalid === false) return valid;
  // about one plan in eight may contain something the compiler must refuse
  return weighted<GeneratedPlan>([7, valid], [1, buildPlanArbitrary(model, options, true)]);
}

function buildPlanArbitrary(
  model: SemanticModel,
  options: PlanArbitraryOptions,
  invalid: boolean,
): fc.Arbitrary<GeneratedPlan> {
  const bad = invalid ? 1 : 0;
  const relatedShapes = options.newShapes !== false;
  const maxDepth = options.maxDepth ?? 2;
  const tenantColumn = options.tenantColumn ?? 'organisation_id';
  const [firstYear, lastYear] = options.years;
  const pools = options.pools;

  // ---- dates ----------------------------------------------------------------------------------
  const grain = fc.constantFrom(...GRAINS);
  const year = fc.integer({ min: firstYear, max: lastYear });
  const optYear = fc.option(year, { nil: undefined, freq: 3 });
  const period: fc.Arbitrary<Period> = fc
    .oneof(
      fc.record({ year }),
      fc.record({ year: optYear, quarter: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ year: optYear, month: fc.integer({ min: 1, max: 12 }) }),
      // days 1..28 exist in every month; the plans that may be refused also name 29..31 (30 February...)
      fc.record({
        year: optYear,
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: bad ? 31 : 28 }),
      }),
    )
    .map((p) => compact(p as Period));
  const isoDate = fc
    .date({
      min: new Date(Date.UTC(firstYear, 0, 1)),
      max: new Date(Date.UTC(lastYear, 11, 31)),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));
  const impossibleDate = fc
    .tuple(
      fc.integer({ min: firstYear, max: lastYear }),
      fc.constantFrom('02-30', '02-31', '04-31', '11-31', '13-01'),
    )
    .map(([y, md]) => `${y}-${md}`);
  const range: fc.Arbitrary<DateRange> = fc.oneof(
    fc.record({ kind: fc.constant('current' as const), unit: grain }),
    fc.record({
      kind: fc.constant('last' as const),
      unit: grain,
      n: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) },
        fc.integer({ min: 1, max: 1000 }),
      ),
    }),
    fc.record({ kind: fc.constant('period' as const), period }),
    fc.record({ kind: fc.constant('since' as const), period }),
    fc.record({
      kind: fc.constant('between' as const),
      from: weighted<string>([10, isoDate], [bad, impossibleDate]),
      to: isoDate,
    }),
  );

  // ---- values ---------------------------------------------------------------------------------
  const hostile = fc.constantFrom<string>(...HOSTILE_STRINGS);
  const cents = fc.integer({ min: 0, max: 300_000 }).map((c) => c / 100);
  const valueFor = (f: FieldInfo): fc.Arbitrary<Scalar> => {
    const pool = fromList(pools[f.ref] ?? []);
    if (isNumeric(f.type)) {
      return weighted<Scalar>(
        [6, pool],
        [2, fc.integer({ min: -2, max: 25_000 })],
        [1, f.type === 'number' ? cents : fc.integer({ min: 0, max: 10 })],
        [1, fc.integer({ min: 0, max: 5000 }).map(String)],
        [bad, hostile],
      );
    }
    if (isTemporal(f.type)) {
      return weighted<Scalar>([5, pool], [3, isoDate], [bad, hostile]);
    }
    if (f.type === 'boolean') return fc.boolean();
    return weighted<Scalar>([8, pool], [1, hostile], [1, fc.string({ maxLength: 6 })], [bad, fc.integer()]);
  };
  const orderedValueFor = (f: FieldInfo): fc.Arbitrary<Scalar> => {
    if (f.type !== 'string' || options.textOrderValues !== 'pool') return valueFor(f);
    return fromList(pools[f.ref] ?? []) ?? valueFor(f);
  };
  const fragment = (f: FieldInfo, prefix: boolean): fc.Arbitrary<string> => {
    const pool = (pools[f.ref] ?? []).map(String);
    const real =
      pool.length === 0
        ? undefined
        : fc.tuple(fc.constantFrom(...pool), fc.nat(), fc.integer({ min: 1, max: 8 })).map(([s, i, len]) => {
            const start = prefix ? 0 : i % Math.max(1, s.length);
            return s.slice(start, start + len);
          });
    return weighted<string>([8, real], [2, hostile], [1, fc.string({ maxLength: 3 })]);
  };

  // ---- fields and filters seen from one table (a plan's base, or a related-row condition's table) -----
  const scopes = new Map<string, ReturnType<typeof scopeOf>>();
  const scopeFor = (table: string) => {
    let scope = scopes.get(table);
    if (!scope) {
      scope = scopeOf(table);
      scopes.set(table, scope);
    }
    return scope;
  };
  const scopeOf = (base: string) => {
    const { toOne, toMany, refused } = baseFields(model, base, tenantColumn);
    type Weights = { one: number; many: number; refused: number };
    const maybeField = (w: Weights, filter?: (f: FieldInfo) => boolean) => {
      const keep = (list: FieldInfo[]) => (filter ? list.filter(filter) : list);
      return maybeWeighted<FieldInfo>(
        [w.one, fromList(keep(toOne))],
        [w.many, fromList(keep(toMany))],
        [w.refused * bad, fromList(keep(refused))],
      );
    };
    const field = (w: Weights, filter?: (f: FieldInfo) => boolean) => {
      const arbitrary = maybeField(w, filter);
      if (!arbitrary) throw new Error(`no field of ${base} to choose from`);
      return arbitrary;
    };

    const leaf = (f: FieldInfo): fc.Arbitrary<Filter> => {
      const v = valueFor(f);
      const ref = fc.constant(f.ref);
      const parts: Array<[number, fc.Arbitrary<Filter>]> = [
        [4, fc.record({ op: fc.constantFrom('eq' as const, 'neq' as const), field: ref, value: v })],
        [
          f.type === 'string' ? 1 : 3,
          fc.record({
            op: fc.constantFrom('gt' as const, 'gte' as const, 'lt' as const, 'lte' as const),
            field: ref,
            value: orderedValueFor(f),
          }),
        ],
        [
          2,
          fc.record({
            op: fc.constantFrom('in' as const, 'notIn' as const),
            field: ref,
            values: fc.array(v, { minLength: 1, maxLength: 4 }),
          }),
        ],
        [1, fc.record({ op: fc.constantFrom('isNull' as const, 'isNotNull' as const), field: ref })],
      ];
      if (f.type === 'string') {
        parts.push([
          2,
          fc.record({ op: fc.constant('contains' as const), field: ref, value: fragment(f, false) }),
        ]);
        parts.push([
          2,
          fc.record({ op: fc.constant('startsWith' as const), field: ref, value: fragment(f, true) }),
        ]);
      } else if (bad) {
        parts.push([
          1,
          fc.record({ op: fc.constant('contains' as const), field: ref, value: fc.constant('1') }),
        ]);
      }
      if (isTemporal(f.type))
        parts.push([6, fc.record({ op: fc.constant('dateRange' as const), field: ref, range })]);
      else if (bad) parts.push([1, fc.record({ op: fc.constant('dateRange' as const), field: ref, range })]);
      return weighted<Filter>(...parts);
    };
    const comparable = options.avoidComputedComparisons ? (f: FieldInfo) => !f.computed : undefined;
    const leafAny = field({ one: 5, many: 4, refused: 1 }, comparable).chain(leaf);
    const segmentNames = Object.entries(model.tables).flatMap(([t, table]) =>
      Object.keys(table.segments).flatMap((s) => [s, `${t}.${s}`]),
    );
    const segment = maybeWeighted<Filter>(
      [3, fromList(segmentNames)?.map((segment) => ({ op: 'segment' as const, segment }))],
      [bad, fc.constant({ op: 'segment' as const, segment: 'no_such_segment' })],
    );
    // related-row conditions: mostly on the tables this one owns (one-to-many), with a count or not, and an
    // inner filter seen from the related table (which may hold another related-row condition)
    const reach = reachableTables(model, base);
    const relatedTables = [...reach].filter(([t]) => t !== base);
    const relatedTable = maybeWeighted<string>(
      [4, fromList(relatedTables.filter(([, many]) => many).map(([t]) => t))],
      [1, fromList(relatedTables.filter(([, many]) => !many).map(([t]) => t))],
      [
        bad,
        fc.constantFrom(base, 'no_such_table', ...Object.keys(model.tables).filter((t) => !reach.has(t))),
      ],
    );
    const countCondition = (table: string) =>
      fc
        .record({
          op: fc.constantFrom(
            'eq' as const,
            'neq' as const,
            'gt' as const,
            'gte' as const,
            'lt' as const,
            'lte' as const,
          ),
          value: weighted<number>([6, fc.integer({ min: 0, max: 3 })], [1, fc.integer({ min: 4, max: 12 })]),
          distinct: fc.option(
            model.tables[table]
              ? scopeFor(table)
                  .field({ one: 1, many: 0, refused: 0 }, comparable)
                  .map((f) => f.ref)
              : fc.constant('no_such_table.id'),
            { nil: undefined, freq: 4 },
          ),
          // a sum of a numeric field instead of a count ("spent over 10,000"); fanning-out ones are refused
          sum: fc.option(
            (model.tables[table]
              ? scopeFor(table)
                  .maybeField({ one: 3, many: 1, refused: 0 }, (f) => isNumeric(f.type))
                  ?.map((f) => f.ref)
              : undefined) ?? fc.constant('no_such_table.id'),
            { nil: undefined, freq: 4 },
          ),
        })
        .map((c) => compact(c.sum !== undefined ? { ...c, distinct: undefined, value: c.value * 50 } : c));
    const relatedAt = (depth: number): fc.Arbitrary<Filter> | undefined =>
      relatedTable?.chain((table) =>
        fc
          .record({
            op: fc.constant('related' as const),
            table: fc.constant(table),
            filter:
              depth > 0 && model.tables[table]
                ? fc.option(scopeFor(table).filterAt(depth - 1), { nil: undefined, freq: 4 })
                : fc.constant(undefined),
            count: fc.option(countCondition(table), { nil: undefined, freq: 2 }),
          })
          .map((f) => compact(f)),
      );
    // the same about rows the base reaches ("orders of customers with 3+ orders": `of` users, counting orders)
    const owners = [...reach].filter(([t, many]) => t !== base && !many).map(([t]) => t);
    const relatedOfAnother = maybeWeighted<Filter>([
      1,
      fromList(
        owners.flatMap((of) =>
          [...reachableTables(model, of)]
            .filter(([t, many]) => t !== of && many)
            .map(([t]) => [of, t] as const),
        ),
      )?.chain(([of, table]) =>
        fc
          .record({
            op: fc.constant('related' as const),
            of: fc.constant(of),
            table: fc.constant(table),
            count: fc.option(countCondition(table), { nil: undefined, freq: 2 }),
          })
          .map((f) => compact(f)),
      ),
    ]);
    const filters = new Map<number, fc.Arbitrary<Filter>>();
    const filterAt = (depth: number): fc.Arbitrary<Filter> => {
      const known = filters.get(depth);
      if (known) return known;
      const leafOrSegment = weighted<Filter>(
        [10, leafAny],
        [segmentNames.length > 0 ? 1 : 0, segment],
        [relatedShapes ? 2 : 0, relatedAt(Math.min(depth, 1))],
        [relatedShapes ? 1 : 0, relatedOfAnother],
      );
      if (depth <= 0) {
        filters.set(depth, leafOrSegment);
        return leafOrSegment;
      }
      const sub = filterAt(depth - 1);
      const arbitrary = weighted<Filter>(
        [6, leafOrSegment],
        [
          2,
          fc.record({
            op: fc.constantFrom('and' as const, 'or' as const),
            filters: fc.array(sub, { minLength: 1, maxLength: 3 }),
          }),
        ],
        [1, fc.record({ op: fc.constant('not' as const), filter: sub })],
      );
      filters.set(depth, arbitrary);
      return arbitrary;
    };
    return { toOne, toMany, maybeField, field, comparable, filterAt };
  };

  // ---- per base table -------------------------------------------------------------------------
  const planFor = (base: string): fc.Arbitrary<GeneratedPlan> => {
    const { toOne, toMany, maybeField, field, comparable, filterAt } = scopeFor(base);
    const filter = filterAt(maxDepth);
    const measureFilter = fc.option(filterAt(Math.min(1, maxDepth)), { nil: undefined, freq: 3 });

    // measures
    const baseMeasures = Object.keys(model.tables[base]?.measures ?? {});
    const otherMeasures = Object.entries(model.tables)
      .filter(([t]) => t !== base)
      .flatMap(([t, table]) => Object.keys(table.measures).map((m) => `${t}.${m}`));
    const named = maybeWeighted<Measure>(
      [
        4,
        fromList([...baseMeasures, ...baseMeasures.map((m) => `${base}.${m}`)])?.map((name) => ({
          kind: 'named' as const,
          name,
        })),
      ],
      [bad, fromList(otherMeasures)?.map((name) => ({ kind: 'named' as const, name }))],
      [bad, fc.constant({ kind: 'named' as const, name: 'no_such_measure' })],
    );
    // a named measure narrowed by the plan ("revenue from Germany"): its own filter still applies
    const filteredNamed =
      named && relatedShapes
        ? fc
            .tuple(named, fc.option(filterAt(Math.min(1, maxDepth)), { nil: undefined, freq: 2 }))
            .map(([m, f]) => compact({ ...m, filter: f }) as Measure)
        : named;
    const count: fc.Arbitrary<Measure> = fc
      .record({ kind: fc.constant('count' as const), filter: measureFilter })
      .map((m) => compact(m));
    const aggregate: fc.Arbitrary<Measure> = field({ one: 8, many: bad, refused: 1 }).chain((f) => {
      const kinds = isNumeric(f.type)
        ? f.computed && options.avoidComputedComparisons
          ? (['sum', 'avg', 'min', 'max'] as const)
          : (['countDistinct', 'sum', 'avg', 'min', 'max'] as const)
        : bad
          ? (['countDistinct', 'min', 'max', 'countDistinct', 'min', 'max', 'sum'] as const)
          : (['countDistinct', 'min', 'max'] as const);
      return fc
        .record({ kind: fc.constantFrom(...kinds), field: fc.constant(f.ref), filter: measureFilter })
        .map((m) => compact(m));
    });
    const simpleMeasure = weighted<Measure>(
      [3, count],
      [4, aggregate],
      [baseMeasures.length > 0 ? 3 : 1, filteredNamed],
    );
    // a ratio divides numbers: min/max of text or dates only in the plans that may be refused
    const numericFields = new Set([...toOne, ...toMany].filter((f) => isNumeric(f.type)).map((f) => f.ref));
    const ratioPart = bad
      ? simpleMeasure
      : simpleMeasure.filter((m) => !((m.kind === 'min' || m.kind === 'max') && !numericFields.has(m.field)));
    const ratio: fc.Arbitrary<Measure> = fc.record({
      kind: fc.constant('ratio' as const),
      numerator: ratioPart,
      denominator: ratioPart,
    });
    const difference: fc.Arbitrary<Measure> = fc.record({
      kind: fc.constant('difference' as const),
      minuend: ratioPart,
      subtrahend: ratioPart,
    });
    // window measures over the grouped rows; the plan gets a time grain when one needs it (see aggregatePlan)
    const windowOf = weighted<Measure>([6, ratioPart], [1, ratio], [1, difference]);
    const windowMeasure = fc.oneof(
      fc.record({ kind: fc.constant('running' as const), of: windowOf }),
      fc.record({
        kind: fc.constant('change' as const),
        of: windowOf,
        mode: fc.constantFrom('percent' as const, 'difference' as const),
      }),
      fc.record({ kind: fc.constant('shareOfTotal' as const), of: windowOf }),
    );
    const measure = weighted<Measure>(
      [8, simpleMeasure],
      [options.ratios === false ? 0 : 1, ratio],
      [relatedShapes ? 1 : 0, difference],
      [relatedShapes ? 3 : 0, windowMeasure],
      [
        relatedShapes ? 1 : 0,
        fc.record({ kind: fc.constant('ratio' as const), numerator: windowMeasure, denominator: ratioPart }),
      ],
    );
    const measures = fc
      .array(fc.tuple(measure, fc.boolean()), { minLength: 0, maxLength: 3 })
      .map((list) => list.map(([m, named], i) => (named ? { ...m, as: `m${i + 1}` } : m)));

    // dimensions
    const dimension: fc.Arbitrary<Dimension> = field({ one: 6, many: 3, refused: 1 }, comparable).chain((f) =>
      fc
        .record({
          field: fc.constant(f.ref),
          grain: isTemporal(f.type)
            ? fc.option(grain, { nil: undefined, freq: 4 })
            : bad
              ? fc.option(grain, { nil: undefined, freq: 30 })
              : fc.constant(undefined),
          as: fc.option(fc.constantFrom('d1', 'd2', 'label'), { nil: undefined, freq: 4 }),
        })
        .map((d) => compact(d)),
    );
    const dimensions = fc.array(dimension, { minLength: 0, maxLength: 2 });

    // time slot
    // products has no date of its own: in valid plans it gets no time slot
    const timeField =
      maybeField({ one: 10, many: bad, refused: 1 }, (f) => isTemporal(f.type)) ??
      field({ one: 0, many: 1, refused: 0 }, (f) => isTemporal(f.type));
    const timeChance = maybeField({ one: 10, many: bad, refused: 1 }, (f) => isTemporal(f.type)) ? 2 : 0;
    const compare = fc
      .array(range, { minLength: 2, maxLength: 3 })
      .map((ranges) => ranges.map((r, i) => ({ label: i === 0 ? 'this one' : `period ${i + 1}`, range: r })));
    const time = fc
      .tuple(
        timeField,
        fc.constantFrom('range', 'compare', 'none', 'range'),
        range,
        compare,
        fc.option(grain, { nil: undefined, freq: 2 }),
      )
      .map(([f, mode, r, c, g]) =>
        compact({
          field: f.ref,
          range: mode === 'range' ? r : undefined,
          compare: mode === 'compare' ? c : undefined,
          grain: g,
        }),
      );

    const limit = weighted<number | undefined>(
      [6, fc.constant(undefined)],
      [4, fc.integer({ min: 1, max: 30 })],
      [1, fc.integer({ min: 200, max: 2000 })],
    );
    const direction = fc.constantFrom<'asc' | 'desc' | undefined>('asc', 'desc', undefined);
    const filters = fc.array(filter, { minLength: 0, maxLength: 3 });

    const aggregatePlan = fc
      .record({
        measures,
        dimensions,
        time: timeChance > 0 ? fc.option(time, { nil: undefined, freq: timeChance }) : fc.constant(undefined),
        // the time slot of a plan whose running total or change needs a grain and has none
        grainTime:
          timeChance > 0
            ? fc
                .tuple(timeField, grain, fc.option(range, { nil: undefined }))
                .map(([f, g, r]) => compact({ field: f.ref, grain: g, range: r }))
            : fc.constant(undefined),
        filters,
        limit,
        orderPick: fc.array(fc.tuple(fc.nat(), direction), { maxLength: 2 }),
      })
      .map(({ measures: ms, dimensions: ds, time: slot, grainTime, filters: fs, limit: l, orderPick }) => {
        const needsGrain = ms.some((m) => usesKind(m, ['running', 'change']));
        const t =
          !needsGrain || slot?.grain || slot?.compare
            ? slot
            : slot && grainTime
              ? { ...slot, grain: grainTime.grain }
              : grainTime;
        // order by names the result has: measure aliases, dimension fields or aliases, plus a few that it lacks
        const names = [
          ...ms.map((m) => m.as).filter((a): a is string => a !== undefined),
          ...ds.map((d) => d.as ?? d.field),
          ...(ms.some((m) => m.kind === 'count' && m.as === undefined) ? ['count'] : []),
          ...(bad ? ['count', 'no_such_column'] : []),
        ];
        const order =
          names.length === 0
            ? []
            : orderPick.map(([i, dir]) => compact({ by: names[i % names.length] as string, direction: dir }));
        return compact<GeneratedPlan>({
          version: 1,
          table: base,
          measures: ms,
          dimensions: ds,
          time: t,
          filters: fs,
          order: order.length > 0 ? order : undefined,
          limit: l,
        });
      });

    const listingField = field({ one: 10, many: bad, refused: 1 });
    const listingPlan = fc
      .record({
        select: fc.uniqueArray(
          listingField.map((f) => f.ref),
          { maxLength: 4 },
        ),
        filters,
        time:
          timeChance > 0
            ? fc.option(
                time.map((t) => ({ ...t, compare: undefined, grain: undefined })),
                { nil: undefined, freq: 4 },
              )
            : fc.constant(undefined),
        order: fc.array(
          fc
            .record({ by: field({ one: 10, many: 0, refused: 1 }, comparable).map((f) => f.ref), direction })
            .map((o) => compact(o)),
          { maxLength: 2 },
        ),
        limit,
      })
      .map(({ select, filters: fs, time: t, order, limit: l }) =>
        compact<GeneratedPlan>({
          version: 1,
          table: base,
          select: select.length > 0 ? select : undefined,
          filters: fs,
          time: t ? compact(t) : undefined,
          order: order.length > 0 ? order : undefined,
          limit: l,
        }),
      );

    return weighted<GeneratedPlan>([3, aggregatePlan], [1, listingPlan]);
  };

  const queryable = Object.entries(model.tables)
    .filter(([, t]) => t.access === 'queryable')
    .map(([name]) => name);
  const notQueryable = [
    ...Object.entries(model.tables)
      .filter(([, t]) => t.access !== 'queryable')
      .map(([name]) => name),
    'no_such_table',
  ];
  const base = weighted<string>([20, fromList(queryable)], [bad, fromList(notQueryable)]);
  return base.chain((b) =>
    model.tables[b]?.access === 'queryable'
      ? planFor(b)
      : fc.constant<GeneratedPlan>({ version: 1, table: b, measures: [{ kind: 'count' }] }),
  );
}
