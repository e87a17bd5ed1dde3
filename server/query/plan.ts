// The QueryPlan: the typed, versioned description of a question that planners produce and the compiler checks.
// Planners (rules or LLM) only ever produce this shape; they never write SQL.
import { z } from 'zod';

/** A column reference: `table.column` (a model column or computed column). */
export const FieldRef = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'expected "table.column"');

/** The table and column of a `table.column` reference; a name without a table (an output column's) is a column. */
export function parseFieldRef(ref: string): { table: string; column: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { table: '', column: ref } : { table: ref.slice(0, dot), column: ref.slice(dot + 1) };
}

/** The table of a `table.column` reference. */
export function tableOf(ref: string): string {
  return parseFieldRef(ref).table;
}

/** The longest output name: MySQL's identifiers hold 64 characters. */
export const MAX_NAME_LENGTH = 63;

/** An output name for a measure or dimension. */
export const Alias = z
  .string()
  .regex(new RegExp(`^[a-z_][a-z0-9_]{0,${MAX_NAME_LENGTH - 1}}$`), 'expected a lower-case identifier');

/** A measure's output name from its parts, joined by `_` and cut to the longest name both dialects accept. */
export function measureName(...parts: string[]): string {
  return parts.join('_').slice(0, MAX_NAME_LENGTH);
}

export const Grain = z.enum(['day', 'week', 'month', 'quarter', 'year']);
export type Grain = z.infer<typeof Grain>;

export const Scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
export type Scalar = z.infer<typeof Scalar>;

const CalendarUnit = Grain;

/** A calendar period named absolutely; a missing year means the latest one that has started. */
export const Period = z
  .object({
    year: z.number().int().min(1900).max(2200).optional(),
    quarter: z.number().int().min(1).max(4).optional(),
    month: z.number().int().min(1).max(12).optional(),
    day: z.number().int().min(1).max(31).optional(),
  })
  .strict()
  .refine((p) => !(p.quarter !== undefined && (p.month !== undefined || p.day !== undefined)), {
    message: 'a period names a quarter or a month, not both',
  })
  .refine((p) => !(p.day !== undefined && p.month === undefined), { message: 'a day needs a month' })
  .refine((p) => p.year !== undefined || p.month !== undefined || p.quarter !== undefined, {
    message: 'a period needs a year, a quarter or a month',
  });
export type Period = z.infer<typeof Period>;

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const IsoLocalDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'expected YYYY-MM-DDTHH:MM:SS (local time, no zone)');

/** Date ranges in the forms of the contract's date rules; all resolve to [start, end) in the agent's zone. */
export const DateRange = z.discriminatedUnion('kind', [
  // today, this week/month/quarter/year, year to date: start of the current unit up to now
  z.object({ kind: z.literal('current'), unit: CalendarUnit }).strict(),
  // yesterday, last week/month/...(n = 1), last N days/weeks/...: the n whole units before the current one
  z.object({ kind: z.literal('last'), unit: CalendarUnit, n: z.number().int().min(1).max(1000) }).strict(),
  // in 2025, in March 2026, Q3 2025, in March (latest started March)
  z.object({ kind: z.literal('period'), period: Period }).strict(),
  // since March: from the start of that period until now
  z.object({ kind: z.literal('since'), period: Period }).strict(),
  // before today, before this month: everything before the current unit started ("past its due date")
  z.object({ kind: z.literal('before'), unit: CalendarUnit }).strict(),
  // explicit dates, both inclusive
  z.object({ kind: z.literal('between'), from: IsoDate, to: IsoDate }).strict(),
  // from one moment up to (not including) another, local times of the agent's zone: a like-for-like window ends
  // where the running period has got to ("1 Nov 00:00 up to 6 Nov 09:21"), not at a day's end
  z.object({ kind: z.literal('span'), from: IsoLocalDateTime, until: IsoLocalDateTime }).strict(),
]);
export type DateRange = z.infer<typeof DateRange>;

/**
 * A comparison of a count of related rows: "at least 5 orders" is { op: 'gte', value: 5 }; or of a sum of their
 * values: "spent over 10,000" is { op: 'gt', value: 10000, sum: 'orders.total_amount' } (0 when none are related).
 */
export const CountCondition = z
  .object({
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']),
    value: z.number().min(0).max(1_000_000_000_000),
    // count distinct values of this field of the related rows instead of the rows ("in 250 different orders")
    distinct: FieldRef.optional(),
    // add up this numeric field of the related rows (or of what each belongs to) instead of counting them
    sum: FieldRef.optional(),
  })
  .strict()
  .refine((c) => c.sum !== undefined || Number.isInteger(c.value), {
    message: 'a count is compared with a whole number',
  })
  .refine((c) => c.sum === undefined || c.distinct === undefined, {
    message: 'a related-row condition sums or counts distinct values, not both',
  });
export type CountCondition = z.infer<typeof CountCondition>;

export type Filter =
  | { op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; field: string; value: Scalar }
  | { op: 'in' | 'notIn'; field: string; values: Scalar[] }
  | { op: 'contains' | 'startsWith'; field: string; value: string }
  | { op: 'isNull' | 'isNotNull'; field: string }
  // one column of a row against another of the same row ("stock qty below the reorder level"): both numbers or both
  // dates, `field` <cmp> `other`
  | { op: 'compareFields'; field: string; cmp: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; other: string }
  | { op: 'dateRange'; field: string; range: DateRange }
  | { op: 'segment'; segment: string }
  | { op: 'and' | 'or'; filters: Filter[] }
  | { op: 'not'; filter: Filter }
  // rows that have related rows in `table` (a table the plan's rows own through one-to-many relations, e.g. a
  // user's orders) matching `filter`: at least one, or as many as `count` says ("customers with 5+ orders",
  // "products with no order items last month" = not related); `filter` applies to each related row as a whole.
  // `of` makes it about the rows of another table the plan's rows reach ("orders of customers with 40+ orders")
  | { op: 'related'; table: string; of?: string; filter?: Filter; count?: CountCondition };

export const Filter: z.ZodType<Filter> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z
      .object({ op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']), field: FieldRef, value: Scalar })
      .strict(),
    z
      .object({ op: z.enum(['in', 'notIn']), field: FieldRef, values: z.array(Scalar).min(1).max(500) })
      .strict(),
    z
      .object({ op: z.enum(['contains', 'startsWith']), field: FieldRef, value: z.string().max(1000) })
      .strict(),
    z.object({ op: z.enum(['isNull', 'isNotNull']), field: FieldRef }).strict(),
    z
      .object({
        op: z.literal('compareFields'),
        field: FieldRef,
        cmp: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']),
        other: FieldRef,
      })
      .strict(),
    z.object({ op: z.literal('dateRange'), field: FieldRef, range: DateRange }).strict(),
    z.object({ op: z.literal('segment'), segment: z.string().min(1).max(128) }).strict(),
    z.object({ op: z.enum(['and', 'or']), filters: z.array(Filter).min(1).max(50) }).strict(),
    z.object({ op: z.literal('not'), filter: Filter }).strict(),
    z
      .object({
        op: z.literal('related'),
        table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
        of: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .optional(),
        filter: Filter.optional(),
        count: CountCondition.optional(),
      })
      .strict(),
  ]),
);

export type Measure =
  | { kind: 'count'; as?: string; filter?: Filter }
  | { kind: 'countDistinct' | 'sum' | 'avg' | 'min' | 'max'; field: string; as?: string; filter?: Filter }
  // a measure of the model; `filter` narrows it further (its own filter, e.g. completed orders, always applies)
  | { kind: 'named'; name: string; as?: string; filter?: Filter }
  | { kind: 'ratio'; numerator: Measure; denominator: Measure; as?: string }
  | { kind: 'difference'; minuend: Measure; subtrahend: Measure; as?: string }
  // over the plan's time grain, in time order: the total so far ("running total of sign-ups by month")
  | { kind: 'running'; of: Measure; as?: string }
  // over the plan's time grain: the change against the previous bucket, also for the first bucket of the range
  // ("month over month growth in %": percent = (this - previous) / previous)
  | { kind: 'change'; of: Measure; mode: 'percent' | 'difference'; as?: string }
  // each row's part of the total over all rows of the result ("each country's share of revenue")
  | { kind: 'shareOfTotal'; of: Measure; as?: string };

export const Measure: z.ZodType<Measure> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('count'), as: Alias.optional(), filter: Filter.optional() }).strict(),
    z
      .object({
        kind: z.enum(['countDistinct', 'sum', 'avg', 'min', 'max']),
        field: FieldRef,
        as: Alias.optional(),
        filter: Filter.optional(),
      })
      .strict(),
    // a measure defined in the semantic model, by `name` or `table.name`
    z
      .object({
        kind: z.literal('named'),
        name: z.string().min(1).max(128),
        as: Alias.optional(),
        filter: Filter.optional(),
      })
      .strict(),
    z
      .object({ kind: z.literal('ratio'), numerator: Measure, denominator: Measure, as: Alias.optional() })
      .strict(),
    z
      .object({ kind: z.literal('difference'), minuend: Measure, subtrahend: Measure, as: Alias.optional() })
      .strict(),
    z.object({ kind: z.literal('running'), of: Measure, as: Alias.optional() }).strict(),
    z
      .object({
        kind: z.literal('change'),
        of: Measure,
        mode: z.enum(['percent', 'difference']),
        as: Alias.optional(),
      })
      .strict(),
    z.object({ kind: z.literal('shareOfTotal'), of: Measure, as: Alias.optional() }).strict(),
  ]),
);

export const Dimension = z
  .object({ field: FieldRef, grain: Grain.optional(), as: Alias.optional() })
  .strict();
export type Dimension = z.infer<typeof Dimension>;

export const TimeSlot = z
  .object({
    field: FieldRef,
    range: DateRange.optional(),
    grain: Grain.optional(),
    // comparisons ("this month vs last month"): one output row group per labelled period
    compare: z
      .array(z.object({ label: z.string().min(1).max(64), range: DateRange }).strict())
      .min(2)
      .max(6)
      .optional(),
  })
  .strict()
  .refine((t) => !(t.range && t.compare), { message: 'a time slot has a range or a comparison, not both' });
export type TimeSlot = z.infer<typeof TimeSlot>;

export const OrderBy = z
  .object({ by: z.string().min(1).max(128), direction: z.enum(['asc', 'desc']).default('desc') })
  .strict();

const planShape = {
  version: z.literal(1),
  // where `table` lives: the agent's database (tenant-scoped) or the datasets this user can see
  source: z.enum(['database', 'datasets']).default('database'),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  measures: z.array(Measure).max(20).default([]),
  dimensions: z.array(Dimension).max(5).default([]),
  time: TimeSlot.optional(),
  filters: z.array(Filter).max(50).default([]),
  // row listing: the columns to show when there are no measures
  select: z.array(FieldRef).max(50).default([]),
  order: z.array(OrderBy).max(5).default([]),
  limit: z.number().int().min(1).max(100_000).optional(),
};

const listingIsAlone = (p: { select: unknown[]; measures: unknown[]; dimensions: unknown[] }): boolean =>
  !(p.select.length > 0 && (p.measures.length > 0 || p.dimensions.length > 0));
const LISTING_ALONE = { message: 'a row listing (select) cannot also have measures or dimensions' };

/** The dataset side of a blend: a plan over the user's datasets, without a blend of its own. */
export const BlendedPlan = z.object(planShape).strict().refine(listingIsAlone, LISTING_ALONE);

export const QueryPlan = z
  .object({
    ...planShape,
    // "actual sales vs the targets in my file": a second plan over datasets, joined on output columns
    blend: z
      .object({
        plan: BlendedPlan,
        on: z
          .array(z.object({ left: Alias, right: Alias }).strict())
          .min(1)
          .max(3),
        // 'dataset': only the dataset's rows (its periods or keys), with the database figures beside them
        keep: z.enum(['all', 'dataset']).default('all'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(listingIsAlone, LISTING_ALONE)
  .refine((p) => !p.blend || (p.source === 'database' && p.blend.plan.source === 'datasets'), {
    message: 'a blend joins a database plan with a datasets plan',
  });
export type QueryPlan = z.infer<typeof QueryPlan>;
export type QueryPlanInput = z.input<typeof QueryPlan>;

/** Two columns one filter may compare: two numbers, or two dates of the same kind (a day is no instant). */
export function comparableColumns(a: string, b: string): boolean {
  const number = (t: string) => t === 'integer' || t === 'number';
  return (number(a) && number(b)) || (a === b && (a === 'date' || a === 'datetime'));
}
