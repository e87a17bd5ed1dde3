// Questions the planner asks of the model view: a table's label, value and time columns, and what reaches what.
import type { ModelView } from '../../semantic/model-view.ts';
import { stem } from './text.ts';

/** What a view's tables alone decide, by view shape (ModelView.shape): worked out once, not on every question. */
const derived = new WeakMap<object, Map<string, unknown>>();

export function keptFor<T>(view: ModelView, key: string, work: () => T): T {
  let kept = derived.get(view.shape);
  if (!kept) {
    kept = new Map();
    derived.set(view.shape, kept);
  }
  if (kept.has(key)) return kept.get(key) as T;
  const value = work();
  kept.set(key, value);
  return value;
}

export function labelField(view: ModelView, table: string): string | undefined {
  const t = view.tables.get(table);
  if (!t?.labelColumn) return undefined;
  return Object.hasOwn(t.columns, t.labelColumn) ? `${table}.${t.labelColumn}` : undefined;
}

/**
 * The dimensions that group by a thing of a table: its key, then its label ("top customers" are people, and two
 * people may share a name). Only the label when the key is not a visible column.
 */
export function entityDimensions(view: ModelView, table: string): Array<{ field: string }> {
  const label = labelField(view, table);
  if (!label) return [];
  const pk = view.tables.get(table)?.primaryKey;
  const key = pk ? `${table}.${pk}` : undefined;
  if (!key || key === label) return [{ field: label }];
  try {
    view.field(key);
    return [{ field: key }, { field: label }];
  } catch {
    return [{ field: label }];
  }
}

/** What a row is worth, by its column's name: "total", "amount", "order_total", "revenue"; a person's "salary". */
const VALUE_NAME =
  /^(total|amount|value|revenue|sales|grand_total|[a-z]+_(total|amount|value)|salary|salaries|pay|wage|wages|compensation)$/;

/**
 * The column that says how big a row is (an order's total, a product's price): the first numeric one with a unit,
 * else one named as a row's worth, else the first numeric one.
 */

export function valueColumn(view: ModelView, table: string): string | undefined {
  const t = view.tables.get(table);
  if (!t) return undefined;
  const numeric = [...Object.entries(t.columns), ...Object.entries(t.computed)].filter(
    ([, c]) => c.type === 'number' || c.type === 'integer',
  );
  const withUnit = numeric.find(([, c]) => c.unit);
  // without units (an uploaded file), a column named as what a row is worth: "the biggest orders" by their total
  const named = numeric.find(([name]) => VALUE_NAME.test(name.toLowerCase()));
  const chosen = withUnit ?? named ?? numeric.find(([name]) => name !== t.primaryKey);
  return chosen ? `${table}.${chosen[0]}` : undefined;
}

/** Whether rows of `table` own rows of `other` (one-to-many on the way): an order owns its lines. */
export function owns(view: ModelView, table: string, other: string): boolean {
  try {
    return view.path(table, other).some((s) => s.kind === 'one-to-many');
  } catch {
    return false;
  }
}

/** Through relations that never fan out (many-to-one, one-to-one). */
export function reachableToOne(view: ModelView, from: string, to: string): boolean {
  if (from === to) return true;
  try {
    return view.path(from, to).every((s) => s.kind !== 'one-to-many');
  } catch {
    return false;
  }
}

/** The table's own columns, then the label of each table it belongs to (an order's user name). */
export function defaultListing(view: ModelView, table: string): string[] {
  const t = view.tables.get(table);
  if (!t) return [];
  const own = Object.keys(t.columns).map((c) => `${table}.${c}`);
  const parents: string[] = [];
  for (const rel of Object.values(t.relations)) {
    if (rel.kind !== 'many-to-one') continue;
    const label = labelField(view, rel.table);
    if (label && reachableToOne(view, table, rel.table)) parents.push(label);
  }
  return [...own.slice(0, 8), ...parents.slice(0, 2)];
}

/** The date a question's range applies to: the table's own time column, else the nearest to-one table's. */
export function nearestTimeField(view: ModelView, table: string): string | undefined {
  const own = view.tables.get(table)?.timeColumn;
  if (own) return `${table}.${own}`;
  const seen = new Set([table]);
  let frontier = [table];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const rel of Object.values(view.tables.get(name)?.relations ?? {})) {
        if (rel.kind === 'one-to-many' || seen.has(rel.table) || !view.tables.has(rel.table)) continue;
        const tc = view.tables.get(rel.table)?.timeColumn;
        if (tc) return `${rel.table}.${tc}`;
        seen.add(rel.table);
        next.push(rel.table);
      }
    }
    frontier = next;
  }
  return undefined;
}

export interface MeasureRef {
  table: string;
  name: string;
  description?: string;
}

/** Measures that say the same thing on another table ("revenue" -> "product revenue" on the items). */
export function measureAlternatives(view: ModelView, qualified: string): readonly MeasureRef[] {
  return keptFor(view, `alternatives ${qualified}`, () => findMeasureAlternatives(view, qualified));
}

function findMeasureAlternatives(view: ModelView, qualified: string): MeasureRef[] {
  const original = view.measure(qualified);
  const words = (name: string, synonyms: string[]): Set<string> =>
    new Set([name, ...synonyms].flatMap((s) => s.split(/[\s_]+/)).map((w) => stem(w.toLowerCase())));
  const mine = words(original.name, original.definition.synonyms);
  const out: MeasureRef[] = [];
  for (const [tableName, table] of view.tables) {
    for (const [name, def] of Object.entries(table.measures)) {
      if (tableName === original.table && name === original.name) continue;
      if (def.aggregate !== original.definition.aggregate || def.unit !== original.definition.unit) continue;
      const theirs = words(name, def.synonyms);
      if ([...mine].some((w) => theirs.has(w)))
        out.push({ table: tableName, name, description: def.description });
    }
  }
  return out;
}

function measureWords(name: string, synonyms: readonly string[]): string {
  return [name, ...synonyms].join(' ').replace(/_/g, ' ').toLowerCase();
}

/** The measure people mean by money ("how much did we make"): revenue, sales or income, else a currency sum. */
export function moneyMeasure(view: ModelView): MeasureRef | undefined {
  return keptFor(view, 'money', () => findMoneyMeasure(view));
}

function findMoneyMeasure(view: ModelView): MeasureRef | undefined {
  let fallback: MeasureRef | undefined;
  for (const [tableName, table] of view.tables) {
    for (const [name, def] of Object.entries(table.measures)) {
      if (def.aggregate !== 'sum') continue;
      if (
        /\b(revenue|sales|income|turnover)\b/.test(measureWords(name, def.synonyms)) &&
        !/\b(product|item)\b/.test(name)
      ) {
        return { table: tableName, name, description: def.description };
      }
      if (!fallback && def.unit && /^[A-Z]{3}$/.test(def.unit))
        fallback = { table: tableName, name, description: def.description };
    }
  }
  return fallback;
}

/** The measure of things sold ("how many did we sell"): a sum in units, or one named for units or quantity sold. */
export function unitsMeasure(view: ModelView): MeasureRef | undefined {
  return keptFor(view, 'units', () => findUnitsMeasure(view));
}

function findUnitsMeasure(view: ModelView): MeasureRef | undefined {
  for (const [tableName, table] of view.tables) {
    for (const [name, def] of Object.entries(table.measures)) {
      if (
        def.aggregate === 'sum' &&
        (def.unit === 'units' || /\b(units|sold|quantity)\b/.test(measureWords(name, def.synonyms)))
      ) {
        return { table: tableName, name, description: def.description };
      }
    }
  }
  return undefined;
}

/** The table of people: named or called people, persons, users, members, customers or accounts. */
export function personTable(view: ModelView): string | undefined {
  return keptFor(view, 'people', () => findPersonTable(view));
}

function findPersonTable(view: ModelView): string | undefined {
  const PEOPLE = /^(people|persons?|users?|members?|customers?|accounts?|clients?|shoppers?)$/;
  for (const [name, t] of view.tables) {
    if (t.access !== 'queryable') continue;
    if (PEOPLE.test(name) || t.synonyms.some((s) => /^(people|persons?)$/.test(s))) return name;
  }
  for (const [name, t] of view.tables) {
    if (t.access === 'queryable' && t.synonyms.some((s) => PEOPLE.test(s))) return name;
  }
  return undefined;
}

/** The rows a table's activity leaves behind: the nearest table it owns (one-to-many) that has a date. */
export function activityTable(view: ModelView, table: string): string | undefined {
  const seen = new Set([table]);
  let frontier = [table];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const rel of Object.values(view.tables.get(name)?.relations ?? {})) {
        if (rel.kind !== 'one-to-many' || seen.has(rel.table) || !view.tables.has(rel.table)) continue;
        if (view.tables.get(rel.table)?.access !== 'queryable') continue;
        if (nearestTimeField(view, rel.table)) return rel.table;
        seen.add(rel.table);
        next.push(rel.table);
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * A model that names no measures: an uploaded file's. Its numbers are what it measures, and its empty cells are
 * common; a model that names its measures has chosen what is measured.
 */
export function namesNoMeasures(view: ModelView): boolean {
  return keptFor(view, 'no measures', () =>
    [...view.tables.values()].every((t) => Object.keys(t.measures).length === 0),
  );
}

/** The things that are sold ("best sellers"): the undated, labelled table the units measure's rows belong to. */
export function soldThingTable(view: ModelView): string | undefined {
  return keptFor(view, 'sold', () => findSoldThingTable(view));
}

function findSoldThingTable(view: ModelView): string | undefined {
  const units = unitsMeasure(view);
  if (!units) return undefined;
  const people = personTable(view);
  for (const rel of Object.values(view.tables.get(units.table)?.relations ?? {})) {
    if (rel.kind !== 'many-to-one' || rel.table === people) continue;
    const t = view.tables.get(rel.table);
    if (t?.access === 'queryable' && t.labelColumn && !t.timeColumn) return rel.table;
  }
  return undefined;
}

/** The type of a field, or undefined when the view does not resolve it. */
function typeOf(view: ModelView, field: string): string | undefined {
  try {
    return view.field(field).type;
  } catch {
    return undefined;
  }
}

export function isDate(view: ModelView, field: string): boolean {
  const type = typeOf(view, field);
  return type === 'date' || type === 'datetime';
}

export function isNumeric(view: ModelView, field: string): boolean {
  const type = typeOf(view, field);
  return type === 'integer' || type === 'number';
}
