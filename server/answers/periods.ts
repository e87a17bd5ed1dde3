// Unfinished periods: a time bucket the data cannot fill yet (the current month on the 6th) or that the asked range
// only partly covers. The composer marks them so that charts draw them apart and summaries never call a few days'
// figure the "lowest" month of the year.
import { DateTime } from 'luxon';
import { calendarDaysBetween, formatDay } from '../dates/resolve.ts';
import type { CompiledQuery } from '../query/compile.ts';
import type { CellValue } from '../query/execute.ts';
import type { Grain } from '../query/plan.ts';
import { type DisplayColumn, formatCell } from './format.ts';

export interface PartialPeriod {
  /** the bucket's value as the rows hold it ("2026-11-01") */
  value: string;
  /** the bucket for people ("Nov 2026") */
  label: string;
  /** calendar days of the bucket the data covers so far, and the bucket's length in days */
  days: number;
  of: number;
  /** the first and last day covered ("1 Nov 2026", "6 Nov 2026") */
  from: string;
  through: string;
}

export interface PartialPeriods {
  /** the time column (index into the result's columns) */
  column: number;
  grain: Grain;
  periods: PartialPeriod[];
  /** indices of the rows in an unfinished bucket */
  rows: Set<number>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A stored bound ("2026-11-01" local, or "2026-11-01 00:00:00" UTC) as a moment in the agent's zone. */
function parseBound(value: string, timeZone: string): DateTime {
  return DAY.test(value)
    ? DateTime.fromISO(value, { zone: timeZone })
    : DateTime.fromSQL(value.replace('T', ' ').replace(/Z$/, ''), { zone: 'UTC' }).setZone(timeZone);
}

/** how many months a bucket of each grain spans (days and weeks step by days) */
const MONTHS_IN: Partial<Record<Grain, number>> = { month: 1, quarter: 3, year: 12 };

/**
 * The first day of the bucket after the one starting on `day` ("2026-11-01" by month: "2026-12-01"), by the
 * calendar alone; undefined for a text that is not a day, or a month, quarter or year bucket not starting on a 1st.
 */
export function nextBucketDay(day: string, grain: Grain): string | undefined {
  if (!DAY.test(day)) return undefined;
  const [y, m, d] = [Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))];
  const months = MONTHS_IN[grain];
  // Date.UTC reads years 0-99 as 1900-1999
  if (y < 1000 || (months !== undefined && d !== 1)) return undefined;
  const next = new Date(Date.UTC(y, m + (months ?? 0), d + (grain === 'day' ? 1 : grain === 'week' ? 7 : 0)));
  return next.toISOString().slice(0, 10);
}

/**
 * The buckets of the answer's time grain that are not whole: cut by `now` (the running month) or by the edges of
 * the plan's range (the first month of "the last 30 days by month"). Undefined when nothing is unfinished.
 */
export function findPartialPeriods(
  compiled: Pick<CompiledQuery, 'plan' | 'ranges' | 'now'>,
  columns: readonly DisplayColumn[],
  rows: readonly CellValue[][],
  timeZone: string,
): PartialPeriods | undefined {
  const column = columns.findIndex((c) => c.role === 'dimension' && c.grain && c.type === 'date');
  const col = columns[column];
  if (!col?.grain || !compiled.now) return undefined;
  const grain = col.grain;
  const now = DateTime.fromJSDate(compiled.now, { zone: timeZone });
  const time = compiled.plan.time;
  // the slot's own range, when it has one (the compiler records ranges in the order it resolves them)
  const range =
    time?.range && time.field === col.field ? compiled.ranges.find((r) => r.field === time.field) : undefined;
  const rangeStart = range ? parseBound(range.start, timeZone) : undefined;
  const rangeEnd = range ? parseBound(range.end, timeZone) : undefined;

  // a bucket that starts on a later day than the range and ends on an earlier day than the range's end and `now` is
  // whole, told by its date text: most rows of a series, which then need no DateTime of their own (20 µs a row)
  const startsAfter = rangeStart?.toISODate();
  const endsBefore = (rangeEnd && rangeEnd < now ? rangeEnd : now).toISODate() ?? '';
  const periods = new Map<string, PartialPeriod>();
  const partialRows = new Set<number>();
  rows.forEach((row, i) => {
    const value = row[column];
    if (typeof value !== 'string') return;
    const day = value.slice(0, 10);
    const next = nextBucketDay(day, grain);
    if (next !== undefined && (!startsAfter || startsAfter < day) && next < endsBefore) return;
    const start = DateTime.fromISO(day, { zone: timeZone });
    if (!start.isValid) return;
    const end = start.plus({ [grain]: 1 });
    const from: DateTime = rangeStart && rangeStart > start ? rangeStart : start;
    let until: DateTime = end;
    if (rangeEnd && rangeEnd < until) until = rangeEnd;
    if (now < until) until = now;
    if (until <= from || (from.equals(start) && until.equals(end))) return;
    partialRows.add(i);
    if (periods.has(value)) return;
    const last = until.minus({ milliseconds: 1 });
    periods.set(value, {
      value,
      label: formatCell(value, col, timeZone),
      days: calendarDaysBetween(from, last) + 1,
      of: calendarDaysBetween(start, end.minus({ milliseconds: 1 })) + 1,
      from: formatDay(from),
      through: formatDay(last),
    });
  });
  if (periods.size === 0) return undefined;
  return { column, grain, periods: [...periods.values()], rows: partialRows };
}

/** "Nov 2026 is not over: it covers 1–6 Nov 2026 (6 of 30 days)." for the message and the chart's note. */
export function partialNote(partial: PartialPeriods): string {
  return partial.periods
    .map((p) => {
      const span = p.from === p.through ? p.from : `${p.from} – ${p.through}`;
      return `${p.label} is partial: ${span} only (${p.days} of ${p.of} days).`;
    })
    .join(' ');
}

/** The field the chart data carries to tell unfinished buckets apart; not a name a plan can produce (no "_" start). */
export const PARTIAL_FIELD = '_partial';
const SEGMENT_FIELD = '_partial_segment';

type Spec = Record<string, unknown>;

/** A note under a chart (Vega-Lite title at the bottom, left, small): what a reader must know to read the marks. */
export function chartNote(text: string): Spec {
  return { text, orient: 'bottom', anchor: 'start', fontSize: 11, fontWeight: 'normal', limit: 0 };
}

/**
 * Marks unfinished buckets in a Vega-Lite spec: lines get a dashed segment into each partial point, bars a lighter
 * fill with a dashed outline, and the chart a note under it. Specs of other shapes are returned unchanged.
 */
export function markPartialPeriods(spec: Spec, partial: PartialPeriods, columnName: string): Spec {
  const data = spec.data as { values?: Array<Record<string, unknown>> } | undefined;
  const encoding = spec.encoding as Record<string, { field?: string }> | undefined;
  const values = data?.values;
  const markType = typeof spec.mark === 'string' ? spec.mark : (spec.mark as { type?: string })?.type;
  if (!values || !encoding || (encoding.x?.field !== columnName && encoding.y?.field !== columnName))
    return spec;
  const partialValues = new Set(partial.periods.map((p) => p.value));
  const sorted = [...new Set(values.map((v) => String(v[columnName])))].sort();
  // a dashed segment runs from the last whole bucket into each partial one
  const segment = new Set<string>();
  sorted.forEach((v, i) => {
    if (!partialValues.has(v)) return;
    segment.add(v);
    const before = sorted[i - 1];
    if (before !== undefined) segment.add(before);
    const after = sorted[i + 1];
    if (after !== undefined && !partialValues.has(after)) segment.add(after);
  });
  const marked = values.map((v) => ({
    ...v,
    [PARTIAL_FIELD]: partialValues.has(String(v[columnName])),
    [SEGMENT_FIELD]: segment.has(String(v[columnName])),
  }));
  const note = chartNote(partialNote(partial));
  const { mark, encoding: enc, transform, ...rest } = spec;
  const baseMark = typeof mark === 'string' ? { type: mark } : (mark as Record<string, unknown>);
  if (markType === 'line') {
    const prefix = Array.isArray(transform) ? (transform as Spec[]) : [];
    return {
      ...rest,
      data: { ...data, values: marked },
      title: note,
      ...(prefix.length > 0 ? { transform: prefix } : {}),
      layer: [
        // whole buckets, solid; the partial point is drawn hollow by the dashed layer
        { transform: [{ filter: `!datum.${PARTIAL_FIELD}` }], mark: baseMark, encoding: enc },
        {
          transform: [{ filter: `datum.${SEGMENT_FIELD}` }],
          mark: { ...baseMark, strokeDash: [5, 4], point: { filled: false } },
          encoding: enc,
        },
      ],
    };
  }
  if (markType === 'bar') {
    return {
      ...rest,
      data: { ...data, values: marked },
      title: note,
      ...(transform ? { transform } : {}),
      mark: { ...baseMark, strokeWidth: 1.5 },
      encoding: {
        ...(enc as Record<string, unknown>),
        fillOpacity: { condition: { test: `datum.${PARTIAL_FIELD}`, value: 0.35 }, value: 1 },
        strokeDash: { condition: { test: `datum.${PARTIAL_FIELD}`, value: [4, 3] }, value: [] },
        stroke: { condition: { test: `datum.${PARTIAL_FIELD}`, value: '#4c78a8' }, value: null },
      },
    };
  }
  return spec;
}
