// Strategies whose answer is rows rather than a measure: the earliest or latest time, the top rows by value, a
// column's values, a listing, a lookup.
import { type Measure, type QueryPlan, tableOf } from '../../../query/plan.ts';
import type { ModelView } from '../../../semantic/model-view.ts';
import type { PlannerOutcome } from '../../types.ts';
import {
  type Assembly,
  DISTINCT_WORDS,
  enumeratedEntity,
  isPluralAt,
  matchesOf,
  numberBefore,
} from '../assembly.ts';
import { collectFilters, dateFilters, dateTime, segmentFilters, withAskedColumns } from '../filters.ts';
import type { Match } from '../lexicon.ts';
import { measureAlias } from '../measures.ts';
import {
  defaultListing,
  entityDimensions,
  labelField,
  moneyMeasure,
  nearestTimeField,
  personTable,
  reachableToOne,
  valueColumn,
} from '../model-helpers.ts';
import { planOutcome, unanswerable } from '../outcomes.ts';
import { type Reading, targetTable } from '../reading.ts';

/** "when was our first order": the earliest or latest time of the subject. */
export function earliestOrLatest(a: Assembly): PlannerOutcome | undefined {
  const { r, view, notes, used, measures } = a;
  if (measures.length === 0 && r.when) {
    const subject = matchesOf(r, 'table')[0] ?? matchesOf(r, 'segment')[0];
    const table = subject ? subject.target.table : undefined;
    const timeField = table ? nearestTimeField(view, table) : undefined;
    if (table && timeField && view.tables.get(table)?.access === 'queryable') {
      if (subject) used.add(subject);
      return planOutcome(
        {
          version: 1,
          table,
          measures: [{ kind: r.when, field: timeField }],
          dimensions: [],
          filters: [
            ...collectFilters(r, view, table, used, notes),
            ...segmentFilters(r, view, table, used),
            ...dateFilters(r, view, table),
          ],
          select: [],
          order: [],
        },
        r,
        notes,
      );
    }
  }
  return undefined;
}

/** "largest order", "priciest book", "3 biggest orders last month": rank rows by the table's value column. */
export function superlativeRows(a: Assembly): PlannerOutcome | undefined {
  const { r, view, notes, used, measures } = a;
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  if (measures.length === 0 && r.countCue < 0 && r.byCues.length === 0) {
    const superlative = [...r.aggCues.entries()].find(([, agg]) => agg === 'max' || agg === 'min');
    const entity = tables[0] ?? segments[0] ?? matchesOf(r, 'value')[0];
    const entityTable = entity ? targetTable(entity.target) : undefined;
    const label = entityTable ? labelField(view, entityTable) : undefined;
    const money = moneyMeasure(view);
    if (
      superlative &&
      entity &&
      entityTable &&
      !valueColumn(view, entityTable) &&
      label &&
      money &&
      reachableToOne(view, money.table, entityTable)
    ) {
      // "our biggest customer": the one with the most money against their name
      used.add(entity);
      notes.push(`ranked by ${money.name.replace(/_/g, ' ')}: ${money.description ?? ''}`.trim());
      const named: Measure = { kind: 'named', name: `${money.table}.${money.name}` };
      return planOutcome(
        {
          version: 1,
          table: money.table,
          measures: [named],
          dimensions: entityDimensions(view, entityTable),
          time: dateTime(r, view, money.table),
          filters: collectFilters(r, view, money.table, used, notes),
          select: [],
          order: [{ by: measureAlias(named, view), direction: superlative[1] === 'max' ? 'desc' : 'asc' }],
          limit: r.topN?.n || numberBefore(r, superlative[0]) || (isPluralAt(r, entity) ? 10 : 1),
        },
        r,
        notes,
      );
    }
    if (superlative && entity) {
      const table = targetTable(entity.target);
      const valueCol = valueColumn(view, table);
      if (valueCol && view.tables.get(table)?.access === 'queryable') {
        if (entity.target.kind !== 'value') used.add(entity);
        return planOutcome(
          {
            version: 1,
            table,
            measures: [],
            dimensions: [],
            filters: [
              ...collectFilters(r, view, table, used, notes),
              ...segmentFilters(r, view, table, used),
              ...dateFilters(r, view, table),
            ],
            // the figure the rows are ranked by is shown with them, however far along the row it is
            select: listingShowing(view, table, [valueCol]),
            order: [{ by: valueCol, direction: superlative[1] === 'max' ? 'desc' : 'asc' }],
            limit:
              r.topN?.n ||
              numberBefore(r, superlative[0]) ||
              (isPluralAt(r, entity) && entity.target.kind !== 'value' ? 10 : 1),
          },
          r,
          notes,
        );
      }
    }
  }
  return undefined;
}

/** The values a column takes: "what categories do we have", "which countries are our customers in". */
export function columnValues(a: Assembly): PlannerOutcome | undefined {
  const { r, view, notes, used, measures } = a;
  const distinct = distinctValuesPlan(r, view, used, measures.length);
  if (distinct) return planOutcome(distinct, r, notes);
  return undefined;
}

/** A listing: "show the 10 most recent orders", "which grocery products cost more than 20 dollars?" */
export function listing(a: Assembly): PlannerOutcome | undefined {
  const { r, view, notes, used, measures } = a;
  const tables = matchesOf(r, 'table');
  const segments = matchesOf(r, 'segment');
  const entity =
    tables.find((t) => !used.has(t)) ??
    segments.find((s) => !used.has(s)) ??
    enumeratedEntity(r, used) ??
    catalogueKind(r, view, used);
  // "which grocery products ...": the first thing named after "which", past any value words
  const afterWhich =
    r.whichAt >= 0 ? r.matches.find((m) => m.from > r.whichAt && m.target.kind !== 'value') : undefined;
  const whichEntity = entity !== undefined && afterWhich === entity && entity.from - r.whichAt <= 4;
  // "products priced over 200", "products that didn't sell this year": things with no date of their own (a catalogue)
  // named with nothing asked of them are shown; people and events are counted ("orders from Germany")
  const catalogue =
    entity !== undefined &&
    (entity.target.kind === 'table' || entity.target.kind === 'value') &&
    isCatalogue(view, targetTable(entity.target)) &&
    !r.tokens.some((t) => DISTINCT_WORDS.has(t.text));
  const wantsListing =
    measures.length === 0 &&
    r.countCue < 0 &&
    r.byCues.length === 0 &&
    !r.grain &&
    !r.share &&
    afterWhich?.target.kind !== 'column' &&
    (r.listing || r.recency !== undefined || whichEntity || (r.topN?.n ?? 0) > 0 || catalogue);
  if (wantsListing && entity) {
    const table = targetTable(entity.target);
    if (view.tables.get(table)?.access !== 'queryable')
      return unanswerable(view, `I can't list ${entity.text} on their own.`);
    // a status that stands for its rows still filters them
    if (entity.target.kind !== 'value') used.add(entity);
    const timeField = nearestTimeField(view, table);
    // "list 20 customers", "show me 5 recent orders": a number right before the thing listed (a number elsewhere,
    // such as a clause's "more than 8 orders", is not how many to show)
    const n =
      r.topN?.n ||
      r.tokens.find(
        (t, i) =>
          t.num !== undefined &&
          Number.isInteger(t.num) &&
          t.num <= 1000 &&
          r.matches.some((m) => targetTable(m.target) === table && m.from > i && m.from - i <= 5) &&
          !r.comparisons.some((c) => c.value === t.num),
      )?.num;
    const valueCol = valueColumn(view, table);
    const order: QueryPlan['order'] =
      r.recency && timeField
        ? [{ by: timeField, direction: r.recency }]
        : r.topN && valueCol
          ? [{ by: valueCol, direction: r.topN.direction }]
          : [];
    return planOutcome(
      {
        version: 1,
        table,
        measures: [],
        dimensions: [],
        filters: [
          ...collectFilters(r, view, table, used, notes),
          ...segmentFilters(r, view, table, used, entity),
          ...dateFilters(r, view, table),
        ],
        // the figure the rows are ordered by is shown with them, however far along the row it is
        select: withAskedColumns(
          view,
          table,
          listingShowing(
            view,
            table,
            order.map((o) => o.by),
          ),
          r,
          used,
        ),
        order,
        limit: n ?? (r.recency ? 10 : undefined),
      },
      r,
      notes,
    );
  }
  return undefined;
}

/** "electronics under 100 bucks": a catalogue's kind said in the plural names its items of that kind. */
function catalogueKind(r: Reading, view: ModelView, used: Set<Match>): Match | undefined {
  return r.matches.find(
    (m) =>
      !used.has(m) &&
      m.target.kind === 'value' &&
      isCatalogue(view, targetTable(m.target)) &&
      isPluralAt(r, m),
  );
}

/** Rows with no date of their own that are not the people: things kept, not events (a product catalogue). */
function isCatalogue(view: ModelView, table: string): boolean {
  const t = view.tables.get(table);
  return (
    t?.access === 'queryable' &&
    !t.timeColumn &&
    table !== personTable(view) &&
    labelField(view, table) !== undefined
  );
}

/** A lookup: "what's the price of the Enterprise plan", "what is Emma Taylor's email". */
export function lookup(a: Assembly): PlannerOutcome | undefined {
  const { r, view, notes, used, measures } = a;
  const lookupColumns = matchesOf(r, 'column').filter((m) => !used.has(m));
  const lookupValues = matchesOf(r, 'value');
  if (
    measures.length === 0 &&
    r.countCue < 0 &&
    !r.share &&
    lookupColumns.length > 0 &&
    r.byCues.length === 0 &&
    !r.grain &&
    (lookupValues.length > 0 || r.dates.length > 0)
  ) {
    const table = tableOf(lookupColumns[0]?.target.field ?? '');
    if (
      view.tables.get(table)?.access === 'queryable' &&
      lookupValues.every((v) => reachableToOne(view, table, tableOf(v.target.field)))
    ) {
      const label = labelField(view, table);
      const select = [
        ...new Set([
          ...(label ? [label] : []),
          ...lookupValues.map((v) => v.target.field),
          ...lookupColumns.map((c) => c.target.field),
        ]),
      ];
      for (const c of lookupColumns) used.add(c);
      // nothing asked beyond what filters the rows ("how much does the Starter plan cost"): show whole rows
      const filtered = new Set(lookupValues.map((v) => v.target.field));
      const asked = select.filter((f) => f !== label && !filtered.has(f));
      const shown = asked.length > 0 ? select : defaultListing(view, table);
      return planOutcome(
        {
          version: 1,
          table,
          measures: [],
          dimensions: [],
          filters: [...collectFilters(r, view, table, used, notes), ...dateFilters(r, view, table)],
          select: shown.filter((f) => reachableToOne(view, table, tableOf(f))),
          order: [],
          limit: 50,
        },
        r,
        notes,
      );
    }
  }
  return undefined;
}

/**
 * "what categories do we have", "list the order statuses", "which countries are our customers in": the values of
 * one text column, with how many rows have each (the rows of the thing named, if any: customers, not users).
 */
export function distinctValuesPlan(
  r: Reading,
  view: ModelView,
  used: Set<Match>,
  measureCount: number,
): Omit<QueryPlan, 'source'> | undefined {
  if (measureCount > 0 || r.countCue >= 0 || r.grain || r.topN || r.share) return undefined;
  if (!(r.whichAt >= 0 || r.listing) || r.comparisons.length > 0) return undefined;
  const columns = matchesOf(r, 'column').filter((m) => !used.has(m));
  const column = columns[0];
  const values = matchesOf(r, 'value').filter((m) => !used.has(m));
  // "what different job titles are in sales": values said after the column say whose titles; a value before it
  // says which rows are listed ("list our canadian customers with their emails")
  if (
    columns.length !== 1 ||
    !column ||
    values.some((v) => v.target.field === column.target.field || v.from < column.from)
  )
    return undefined;
  // "show every order status": "every" picks the column itself, it does not break anything down
  if (r.byCues.some((b) => !(b < column.from && column.from - b <= 2))) return undefined;
  const field = column.target.field;
  if (view.field(field).type !== 'string') return undefined;
  const owner = tableOf(field);
  const named = [...matchesOf(r, 'table'), ...matchesOf(r, 'segment')].find((m) =>
    reachableToOne(view, m.target.table, owner),
  );
  const table = named?.target.table ?? owner;
  if (view.tables.get(table)?.access !== 'queryable') return undefined;
  if (values.some((v) => !reachableToOne(view, table, tableOf(v.target.field)))) return undefined;
  used.add(column);
  if (named) used.add(named);
  const valueFilters = values.length > 0 ? collectFilters(r, view, table, used, []) : [];
  return {
    version: 1,
    table,
    measures: [{ kind: 'count' }],
    dimensions: [{ field }],
    time: dateTime(r, view, table),
    filters: [...segmentFilters(r, view, table, used, named), ...valueFilters],
    select: [],
    order: [{ by: field, direction: 'asc' }],
  };
}

/** A listing's usual columns, and the fields it is ordered by however far along the row they are. */
function listingShowing(view: ModelView, table: string, shown: string[]): string[] {
  return [...new Set([...defaultListing(view, table), ...shown])];
}
