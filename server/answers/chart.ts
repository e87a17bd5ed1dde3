// Choosing how a result is shown (text, table or a Vega-Lite v6 chart) from its shape:
//
//   shape (after the presentation asked for)          auto              'chart'          'table'  'text'
//   empty result                                      text              text             text     text
//   one number (no dims, one measure, one row)        text              table            table    text
//   several numbers (no dims, measures > 1)           table             table            table    text
//   row listing (role 'field') / no measures          table             table            table    text
//   time dim + 1 measure                              line              line             table    text
//   category dim + 1 measure                          bar (<= 50 bars)  bar              table    text
//   compared periods + 1 measure                      bar by period     bar by period    table    text
//   time dim + category dim + 1 measure               multi-line (<=12) multi-line       table    text
//   two category dims + 1 measure                     grouped bar(<=60) grouped bar      table    text
//   periods + category/time dim + 1 measure           grouped bar       grouped bar      table    text
//   one dim + 2-6 measures with the same unit         folded lines (time) / grouped bars (others)
//   non-numeric measures, 3+ dims, mixed units        table             table            table    text
//
// Bars are horizontal for more than 8 categories or labels longer than 16 characters; they are sorted by value
// (descending) when the rows come that way, else kept in the result's order (the plan's ordering).
import type { Presentation } from '../planner/types.ts';
import type { CellValue } from '../query/execute.ts';
import { tableOf } from '../query/plan.ts';
import {
  comparedLabel,
  type DisplayColumn,
  formatCell,
  inferNumberStyle,
  type NumberStyle,
  unitTitle,
} from './format.ts';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export type ChartType = 'text' | 'table' | 'chart';

export interface ChartChoice {
  type: ChartType;
  spec?: Record<string, unknown>;
}

export interface ChartOptions {
  /** the compared periods' labels in display order (CompiledQuery.compareLabels) */
  compareLabels?: readonly string[];
}

export type DimKind = 'time' | 'period' | 'category';

export type ShapeKind =
  | 'empty'
  | 'scalar'
  | 'scalars'
  | 'listing'
  | 'series'
  | 'category'
  | 'compare'
  | 'two-dims'
  | 'multi-measure'
  | 'other';

export interface ShapeDim {
  column: DisplayColumn;
  index: number;
  kind: DimKind;
}

export interface ShapeMeasure {
  column: DisplayColumn;
  index: number;
}

export interface Shape {
  kind: ShapeKind;
  dims: ShapeDim[];
  measures: ShapeMeasure[];
}

const MAX_BARS = 50;
const MAX_GROUPED_BARS = 60;
const MAX_SERIES = 12;
const MAX_FOLDED_MEASURES = 6;
const HORIZONTAL_AFTER = 8;
const LONG_LABEL = 16;
/** the largest measure may be at most this many times the smallest for them to share an axis */
const MAX_SCALE_RATIO = 10;

function isPeriod(column: DisplayColumn, compareLabels: readonly string[] | undefined): boolean {
  if (column.role !== 'dimension' || column.type !== 'string' || column.grain) return false;
  return compareLabels ? column.name === 'period' : column.name === 'period' && column.label === 'Period';
}

/** Sorts a result's columns into dimensions (time, compared period, category) and measures, and names the shape. */
export function analyseShape(
  columns: readonly DisplayColumn[],
  rows: readonly CellValue[][],
  compareLabels?: readonly string[],
): Shape {
  const dims: ShapeDim[] = [];
  const measures: ShapeMeasure[] = [];
  let fields = 0;
  // a key beside its own table's label ("id" beside "name") only tells namesakes apart: charts use the label
  const labelled = (c: DisplayColumn): boolean =>
    c.identifies === true &&
    columns.some(
      (o) =>
        o !== c &&
        o.role === 'dimension' &&
        (o.field === undefined || c.field === undefined
          ? o.field === c.field
          : tableOf(o.field) === tableOf(c.field)),
    );
  columns.forEach((column, index) => {
    if (labelled(column)) return;
    if (column.role === 'measure') measures.push({ column, index });
    else if (column.role === 'field') fields += 1;
    else {
      const kind: DimKind = isPeriod(column, compareLabels)
        ? 'period'
        : column.grain || column.type === 'date'
          ? 'time'
          : 'category';
      dims.push({ column, index, kind });
    }
  });
  const shape = (kind: ShapeKind): Shape => ({ kind, dims, measures });
  if (rows.length === 0) return shape('empty');
  if (fields > 0 || measures.length === 0) return shape('listing');
  if (dims.length === 0) return shape(measures.length === 1 && rows.length === 1 ? 'scalar' : 'scalars');
  if (dims.length === 1) {
    const kind = dims[0]?.kind;
    if (kind === 'period') return shape('compare');
    if (measures.length > 1) return shape('multi-measure');
    return shape(kind === 'time' ? 'series' : 'category');
  }
  if (dims.length === 2 && measures.length === 1) return shape('two-dims');
  return shape('other');
}

/** How to show a result: text, table, or a chart with its Vega-Lite v6 spec (see the table at the top). */
export function chooseChart(
  columns: readonly DisplayColumn[],
  rows: readonly CellValue[][],
  presentation: Presentation = 'auto',
  options: ChartOptions = {},
): ChartChoice {
  const shape = analyseShape(columns, rows, options.compareLabels);
  if (shape.kind === 'empty' || presentation === 'text') return { type: 'text' };
  if (presentation === 'table') return { type: 'table' };
  const forced = presentation === 'chart';
  if (shape.kind === 'scalar') return { type: forced ? 'table' : 'text' };
  const spec = buildSpec(shape, columns, rows, forced, options);
  return spec ? { type: 'chart', spec } : { type: 'table' };
}

/**
 * Several measures over one dimension on one axis, whatever their sizes: a blend's actual and target, which the
 * reader compares by eye (lines over time, side-by-side bars over categories).
 */
export function seriesChart(
  columns: readonly DisplayColumn[],
  rows: readonly CellValue[][],
  dim: number,
  measures: readonly number[],
): Record<string, unknown> {
  const column = columns[dim] as DisplayColumn;
  const d: ShapeDim = {
    column,
    index: dim,
    kind: column.grain || column.type === 'date' ? 'time' : 'category',
  };
  const ms = measures.map((index) => ({ column: columns[index] as DisplayColumn, index }));
  const b = new SpecBuilder(columns, rows, {});
  return d.kind === 'time' ? b.foldedLines(d, ms) : b.foldedBars(d, ms);
}

// ---- specs --------------------------------------------------------------------------------------

type Spec = Record<string, unknown>;
type Encoding = Record<string, unknown>;

function buildSpec(
  shape: Shape,
  columns: readonly DisplayColumn[],
  rows: readonly CellValue[][],
  forced: boolean,
  options: ChartOptions,
): Spec | undefined {
  const { dims, measures } = shape;
  if (measures.length === 0 || !measures.every((m) => m.column.type === 'number')) return undefined;
  const b = new SpecBuilder(columns, rows, options);

  if (measures.length === 1) {
    const m = measures[0] as ShapeMeasure;
    if (dims.length === 1) {
      const d = dims[0] as ShapeDim;
      if (d.kind === 'time') return b.line(d, m);
      if (d.kind === 'period') return b.periodBar(d, m);
      if (!forced && rows.length > MAX_BARS) return undefined;
      return b.bar(d, m);
    }
    if (dims.length === 2) {
      const period = dims.find((d) => d.kind === 'period');
      const time = dims.filter((d) => d.kind === 'time');
      const categories = dims.filter((d) => d.kind === 'category');
      if (period) {
        const other = dims.find((d) => d !== period) as ShapeDim;
        if (!forced && rows.length > MAX_GROUPED_BARS) return undefined;
        return b.groupedBar(other, period, m);
      }
      if (time.length === 1 && categories.length === 1) {
        const series = b.distinct(categories[0] as ShapeDim);
        if (!forced && series > MAX_SERIES) return undefined;
        return b.multiLine(time[0] as ShapeDim, categories[0] as ShapeDim, m);
      }
      if (categories.length === 2) {
        if (!forced && rows.length > MAX_GROUPED_BARS) return undefined;
        return b.groupedBar(categories[0] as ShapeDim, categories[1] as ShapeDim, m);
      }
    }
    return undefined;
  }

  // several measures: one chart only when they share a unit, over one dimension
  if (dims.length !== 1 || measures.length > MAX_FOLDED_MEASURES || !sameScale(measures, rows))
    return undefined;
  const d = dims[0] as ShapeDim;
  if (d.kind === 'time') return b.foldedLines(d, measures);
  if (!forced && rows.length * measures.length > MAX_GROUPED_BARS) return undefined;
  return b.foldedBars(d, measures);
}

/**
 * Measures share one axis when they have the same unit and comparable sizes: a total next to an average of
 * the same unit (revenue and average order value) would flatten one of them, so that stays a table.
 */
function sameScale(measures: readonly ShapeMeasure[], rows: readonly CellValue[][]): boolean {
  const key = (m: ShapeMeasure): string =>
    `${unitTitle(m.column) ?? ''}|${styleOf(m.column) === 'percent' ? 'percent' : 'value'}`;
  const first = measures[0];
  if (first === undefined || !measures.every((m) => key(m) === key(first))) return false;
  const peaks = measures.map((m) => Math.max(0, ...rows.map((r) => Math.abs(Number(r[m.index] ?? 0)))));
  const top = Math.max(...peaks);
  return top === 0 || Math.min(...peaks) * MAX_SCALE_RATIO >= top;
}

function styleOf(column: DisplayColumn): NumberStyle {
  return column.style ?? inferNumberStyle(column);
}

/** d3-format strings for axes and tooltips. */
function numberFormat(column: DisplayColumn, forAxis: boolean): string {
  const style = styleOf(column);
  const usd = (column.currency ?? unitTitle(column)) === 'USD';
  switch (style) {
    case 'money':
      return usd ? (forAxis ? '$,.2~f' : '$,.2f') : forAxis ? ',.2~f' : ',.2f';
    case 'count':
      return forAxis ? ',.2~f' : ',.0f';
    case 'average':
      return forAxis ? ',.2~f' : ',.2f';
    case 'percent':
      return '.1~%';
    case 'ratio':
      return ',.4~g';
    case 'identifier':
      return 'd';
    default:
      return ',.2~f';
  }
}

function measureTitle(column: DisplayColumn): string {
  const unit = unitTitle(column);
  if (!unit || column.label.toLowerCase().includes(unit.toLowerCase())) return column.label;
  return `${column.label} (${unit})`;
}

const TIME_UNITS: Record<string, string | undefined> = {
  day: 'yearmonthdate',
  week: undefined,
  month: 'yearmonth',
  quarter: 'yearquarter',
  year: 'year',
};

const TIME_FORMATS: Record<string, string | undefined> = {
  day: '%-d %b %Y',
  week: 'Week of %-d %b %Y',
  month: '%b %Y',
  year: '%Y',
};

class SpecBuilder {
  private readonly values: Array<Record<string, CellValue>>;
  private readonly used: Set<string>;

  constructor(
    columns: readonly DisplayColumn[],
    private readonly rows: readonly CellValue[][],
    private readonly options: ChartOptions,
  ) {
    this.used = new Set(columns.map((c) => c.name));
    this.values = rows.map((row) => {
      const out: Record<string, CellValue> = {};
      columns.forEach((c, i) => {
        const v = row[i] ?? null;
        // categories are shown by name: empty ones get a visible label, booleans read Yes/No
        // compared periods are named on the axis as on the chips: "Q3", not the question's "in Q3"
        if (options.compareLabels && isPeriod(c, options.compareLabels) && typeof v === 'string')
          out[c.name] = comparedLabel(v);
        else if (c.role === 'dimension' && !c.grain && c.type !== 'date') {
          out[c.name] = v === null ? '(none)' : typeof v === 'boolean' ? (v ? 'Yes' : 'No') : v;
        } else out[c.name] = v;
      });
      return out;
    });
  }

  /** the compared periods in display order, named as their values are (comparedLabel) */
  private periodOrder(): string[] | null {
    return this.options.compareLabels?.map(comparedLabel) ?? null;
  }

  distinct(d: ShapeDim): number {
    return new Set(this.rows.map((r) => r[d.index] ?? null)).size;
  }

  private fresh(name: string): string {
    let candidate = name;
    for (let i = 2; this.used.has(candidate); i += 1) candidate = `${name}_${i}`;
    this.used.add(candidate);
    return candidate;
  }

  private base(extra: Spec): Spec {
    return { $schema: VEGA_LITE_SCHEMA, data: { values: this.values }, ...extra };
  }

  /** A dimension on a continuous axis (time) or a band axis (for bars; `band` forces ordinal time). */
  private dim(d: ShapeDim, band: boolean): Encoding {
    const c = d.column;
    if (d.kind === 'time') {
      const unit = c.grain ? (TIME_UNITS[c.grain] ?? (band ? 'yearmonthdate' : undefined)) : undefined;
      return {
        field: c.name,
        type: band ? 'ordinal' : 'temporal',
        ...(unit ? { timeUnit: { unit, utc: true } } : {}),
        ...(band ? {} : { scale: { type: 'utc' } }),
        title: c.label,
      };
    }
    if (d.kind === 'period') {
      return { field: c.name, type: 'nominal', sort: this.periodOrder(), title: c.label };
    }
    return { field: c.name, type: c.type === 'number' ? 'ordinal' : 'nominal', title: c.label };
  }

  private tooltip(d: ShapeDim): Encoding {
    const { scale: _scale, sort: _sort, ...rest } = this.dim(d, false);
    const grain = d.column.grain;
    if (d.kind !== 'time') return rest;
    // a UTC time unit makes the tooltip format the date as stored (weeks have no unit on the axis)
    const timeUnit = rest.timeUnit ?? { unit: 'yearmonthdate', utc: true };
    const format = grain ? TIME_FORMATS[grain] : undefined;
    return { ...rest, timeUnit, ...(format ? { format } : {}) };
  }

  private measure(m: ShapeMeasure): Encoding {
    return {
      field: m.column.name,
      type: 'quantitative',
      title: measureTitle(m.column),
      axis: { format: numberFormat(m.column, true) },
    };
  }

  private measureTip(m: ShapeMeasure): Encoding {
    return {
      field: m.column.name,
      type: 'quantitative',
      title: measureTitle(m.column),
      format: numberFormat(m.column, false),
    };
  }

  /** True when the rows run from the largest measure value to the smallest. */
  private descending(m: ShapeMeasure): boolean {
    const vs = this.rows.map((r) => r[m.index]).filter((v): v is number => typeof v === 'number');
    return vs.every((v, i) => i === 0 || v <= (vs[i - 1] as number));
  }

  line(d: ShapeDim, m: ShapeMeasure): Spec {
    return this.base({
      mark: { type: 'line', point: true },
      encoding: { x: this.dim(d, false), y: this.measure(m), tooltip: [this.tooltip(d), this.measureTip(m)] },
    });
  }

  multiLine(time: ShapeDim, series: ShapeDim, m: ShapeMeasure): Spec {
    return this.base({
      mark: { type: 'line', point: true },
      encoding: {
        x: this.dim(time, false),
        y: this.measure(m),
        color: { field: series.column.name, type: 'nominal', title: series.column.label },
        tooltip: [this.tooltip(time), this.tooltip(series), this.measureTip(m)],
      },
    });
  }

  bar(d: ShapeDim, m: ShapeMeasure): Spec {
    const labels = this.rows.map((r) => formatCell(r[d.index] ?? null, d.column));
    const horizontal = this.rows.length > HORIZONTAL_AFTER || labels.some((l) => l.length > LONG_LABEL);
    const desc = this.descending(m);
    const category = { ...this.dim(d, true), sort: desc ? (horizontal ? '-x' : '-y') : null };
    const value = this.measure(m);
    return this.base({
      mark: { type: 'bar' },
      encoding: {
        ...(horizontal
          ? { y: category, x: value }
          : { x: { ...category, axis: { labelAngle: 0 } }, y: value }),
        tooltip: [this.tooltip(d), this.measureTip(m)],
      },
    });
  }

  periodBar(d: ShapeDim, m: ShapeMeasure): Spec {
    return this.base({
      mark: { type: 'bar' },
      encoding: {
        x: { ...this.dim(d, true), axis: { labelAngle: 0 } },
        y: this.measure(m),
        tooltip: [this.tooltip(d), this.measureTip(m)],
      },
    });
  }

  /** Bars along `x`, one per `group` value side by side (xOffset), coloured by group. */
  groupedBar(x: ShapeDim, group: ShapeDim, m: ShapeMeasure): Spec {
    const groupSort = group.kind === 'period' ? this.periodOrder() : null;
    const g = { field: group.column.name, type: 'nominal', sort: groupSort };
    return this.base({
      mark: { type: 'bar' },
      encoding: {
        x: { ...this.dim(x, true), sort: x.kind === 'period' ? this.periodOrder() : null },
        xOffset: g,
        y: this.measure(m),
        color: { ...g, title: group.column.label },
        tooltip: [this.tooltip(x), this.tooltip(group), this.measureTip(m)],
      },
    });
  }

  /** Several measures of one unit as one long series: fold them into (measure, value) pairs. */
  private fold(measures: readonly ShapeMeasure[]): {
    transform: Spec[];
    key: string;
    label: string;
    value: string;
  } {
    const key = this.fresh('measure');
    const value = this.fresh('value');
    const label = this.fresh('measure_label');
    // measure names are identifiers ([a-z0-9_]); labels are quoted as JSON strings, valid Vega expression literals
    let expr = `datum.${key}`;
    for (const m of [...measures].reverse()) {
      expr = `datum.${key} === ${JSON.stringify(m.column.name)} ? ${JSON.stringify(m.column.label)} : ${expr}`;
    }
    return {
      transform: [
        { fold: measures.map((m) => m.column.name), as: [key, value] },
        { calculate: expr, as: label },
      ],
      key,
      label,
      value,
    };
  }

  private foldedValue(measures: readonly ShapeMeasure[], value: string): { axis: Encoding; tip: Encoding } {
    const first = (measures[0] as ShapeMeasure).column;
    const unit = unitTitle(first);
    return {
      axis: {
        field: value,
        type: 'quantitative',
        title: unit ?? 'Value',
        axis: { format: numberFormat(first, true) },
      },
      tip: {
        field: value,
        type: 'quantitative',
        title: unit ? `Value (${unit})` : 'Value',
        format: numberFormat(first, false),
      },
    };
  }

  foldedLines(d: ShapeDim, measures: readonly ShapeMeasure[]): Spec {
    const f = this.fold(measures);
    const v = this.foldedValue(measures, f.value);
    const color = {
      field: f.label,
      type: 'nominal',
      title: 'Measure',
      sort: measures.map((m) => m.column.label),
    };
    return this.base({
      transform: f.transform,
      mark: { type: 'line', point: true },
      encoding: {
        x: this.dim(d, false),
        y: v.axis,
        color,
        tooltip: [this.tooltip(d), { field: f.label, type: 'nominal', title: 'Measure' }, v.tip],
      },
    });
  }

  foldedBars(d: ShapeDim, measures: readonly ShapeMeasure[]): Spec {
    const f = this.fold(measures);
    const v = this.foldedValue(measures, f.value);
    const g = { field: f.label, type: 'nominal', sort: measures.map((m) => m.column.label) };
    return this.base({
      transform: f.transform,
      mark: { type: 'bar' },
      encoding: {
        x: { ...this.dim(d, true), ...(d.kind === 'category' ? { sort: null } : {}) },
        xOffset: g,
        y: v.axis,
        color: { ...g, title: 'Measure' },
        tooltip: [this.tooltip(d), { field: f.label, type: 'nominal', title: 'Measure' }, v.tip],
      },
    });
  }
}

// ---- checking ------------------------------------------------------------------------------------

const MARKS = new Set(['bar', 'line', 'point', 'area', 'rect', 'arc', 'text', 'tick']);
const FIELD_TYPES = new Set(['quantitative', 'temporal', 'nominal', 'ordinal']);

/**
 * Structural problems of a generated spec (an empty list when it is sane): the v6 schema, a known mark, inline
 * values, and every encoded field present in the data or made by a transform, quantitative ones numeric.
 */
export function specProblems(spec: Record<string, unknown>): string[] {
  if (Array.isArray(spec.layer)) {
    // a layered spec (an unfinished period drawn dashed): each layer over the shared data and transforms
    const { layer, ...shared } = spec;
    const before = Array.isArray(shared.transform) ? (shared.transform as unknown[]) : [];
    return (layer as Array<Record<string, unknown>>).flatMap((l) => {
      const own = Array.isArray(l.transform) ? (l.transform as unknown[]) : [];
      return specProblems({ ...shared, ...l, transform: [...before, ...own] });
    });
  }
  const problems: string[] = [];
  if (spec.$schema !== VEGA_LITE_SCHEMA) problems.push(`$schema is ${String(spec.$schema)}`);
  const mark = spec.mark;
  const markType = typeof mark === 'string' ? mark : (mark as { type?: unknown } | undefined)?.type;
  if (typeof markType !== 'string' || !MARKS.has(markType)) problems.push(`unknown mark ${String(markType)}`);
  const values = (spec.data as { values?: unknown } | undefined)?.values;
  if (!Array.isArray(values)) return [...problems, 'data.values is not an array'];
  const fields = new Set<string>();
  for (const row of values) for (const key of Object.keys(row as object)) fields.add(key);
  const made = new Set<string>();
  const transforms = Array.isArray(spec.transform) ? (spec.transform as Array<Record<string, unknown>>) : [];
  for (const t of transforms) {
    const as = t.as;
    if (typeof as === 'string') made.add(as);
    else if (Array.isArray(as)) for (const a of as) made.add(String(a));
    if (Array.isArray(t.fold))
      for (const f of t.fold) if (!fields.has(String(f))) problems.push(`fold of missing ${f}`);
  }
  const encoding = spec.encoding as Record<string, unknown> | undefined;
  if (!encoding || typeof encoding !== 'object') return [...problems, 'no encoding'];
  const defs: Array<[string, Record<string, unknown>]> = [];
  for (const [channel, def] of Object.entries(encoding)) {
    if (Array.isArray(def)) for (const d of def) defs.push([channel, d as Record<string, unknown>]);
    else defs.push([channel, def as Record<string, unknown>]);
  }
  for (const [channel, def] of defs) {
    const field = def.field;
    if (typeof field !== 'string') {
      problems.push(`${channel} has no field`);
      continue;
    }
    if (!fields.has(field) && !made.has(field)) problems.push(`${channel}.field ${field} is not in the data`);
    if (!FIELD_TYPES.has(String(def.type))) problems.push(`${channel}.type ${String(def.type)}`);
    if (def.type === 'quantitative' && fields.has(field)) {
      for (const row of values as Array<Record<string, unknown>>) {
        const v = row[field];
        if (v !== null && typeof v !== 'number') {
          problems.push(`${channel}.field ${field} holds ${typeof v}`);
          break;
        }
      }
    }
  }
  return problems;
}
