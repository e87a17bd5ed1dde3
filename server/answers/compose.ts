// The answer composer: a query result becomes the contract's answer — a sentence with the figure, its unit and
// period, an Inconvo-compatible table of strings, the typed data, a Vega-Lite v6 chart when the shape suits one,
// and a plain explanation of how it was computed. Nothing here invents a number: every figure comes from the rows.
import type { Presentation } from '../planner/types.ts';
import type { BlendedQuery } from '../query/blend.ts';
import type { CompiledQuery, OutputColumn } from '../query/compile.ts';
import type { CellValue, QueryResult } from '../query/execute.ts';
import { type Filter, type Measure, parseFieldRef, type QueryPlan } from '../query/plan.ts';
import { accountOf, readableSql } from './account.ts';
import { type Answer, type AnswerChoice, MAX_CHOICES, MIN_CHOICES } from './answer.ts';
import { analyseShape, chooseChart, type Shape, type ShapeDim, type ShapeMeasure } from './chart.ts';
import { composeComparison } from './compose-blend.ts';
import {
  attributeRanges,
  dateFieldWords,
  describeDateRange,
  describeFilter,
  explainAnswer,
  fieldNounPlural,
  fieldWords,
  type RangeAttribution,
  rowsSegment,
  segmentNoun,
  type WordsContext,
} from './explain.ts';
import { answerSubject, exportName } from './export.ts';
import {
  capitalise,
  comparedLabel,
  currencyOf,
  type DisplayColumn,
  formatCell,
  formatChange,
  formatCount,
  formatFigure,
  formatNumber,
  humanise,
  inferNumberStyle,
  isShareDefinition,
  listWords,
  lowerFirst,
  type NumberStyle,
  plural,
  singular,
} from './format.ts';
import type { LikeForLike } from './like-for-like.ts';
import {
  chartNote,
  findPartialPeriods,
  markPartialPeriods,
  type PartialPeriods,
  partialNote,
} from './periods.ts';
import { readAsChips } from './read-as.ts';

/** A measure's label that is already a superlative of one direction ("Lowest price", "Max stock"). */
const LOWEST_LABEL = /^(lowest|smallest|min|minimum|fewest|least) /;
const HIGHEST_LABEL = /^(highest|largest|biggest|max|maximum|most) /;

export interface ComposeInput {
  compiled: CompiledQuery;
  result: QueryResult;
  presentation: Presentation;
  question: string;
  /** what the planner understood (PlannerOutcome notes), added to the explanation */
  notes?: string[];
  /** a table's name for people, plural ("orders", "order items"); default: the name with spaces */
  tableLabel?: (table: string) => string;
  /** the agent's IANA time zone, for the exact bounds of resolved date ranges (default UTC) */
  timeZone?: string;
  /** a segment's description from the model ("Users who have ordered at least once"), for the explanation */
  describeSegment?: WordsContext['describeSegment'];
  /** a field's description and synonyms from the model, for dates said as people say them (model-words.ts) */
  describeField?: WordsContext['describeField'];
  /** a named measure's definition in the model, for the account */
  namedMeasure?: WordsContext['namedMeasure'];
  /** a comparison of a running period, run again over the same number of elapsed days (see like-for-like.ts) */
  /** the comparison again over the same elapsed time: its rows, and the query that produced them (for the "how") */
  likeForLike?: {
    info: LikeForLike;
    result: QueryResult;
    compiled?: Pick<CompiledQuery, 'sql' | 'contextFilters'>;
  };
  /** when the result hit the row cap: how many rows the plan selects in all (a count under the same plan) */
  total?: number;
}

export type ComposedAnswer = Pick<
  Answer,
  | 'type'
  | 'message'
  | 'table'
  | 'spec'
  | 'data'
  | 'plan'
  | 'sql'
  | 'explanation'
  | 'partialPeriods'
  | 'likeForLike'
  | 'exportName'
  | 'subject'
  | 'asOf'
  | 'account'
  | 'readableSql'
  | 'readAs'
>;

const defaultTableLabel = (table: string): string => humanise(table);

export function composeAnswer(input: ComposeInput): ComposedAnswer {
  const { compiled, result } = input;
  const rows = result.rows;
  const attribution = attributeRanges(compiled);
  // users in the customer segment are "customers": the segment's noun names the rows everywhere
  const named = rowsSegment(compiled.plan);
  const tableLabel = input.tableLabel ?? defaultTableLabel;
  const rowsNoun = named?.op === 'segment' ? segmentNoun(named.segment) : undefined;
  const ctx: WordsContext = {
    base: compiled.plan.table,
    tableLabel: rowsNoun ? (t) => (t === compiled.plan.table ? rowsNoun : tableLabel(t)) : tableLabel,
    ...(named ? { rowsSegment: named } : {}),
    timeZone: input.timeZone ?? 'UTC',
    describeSegment: input.describeSegment,
    describeField: input.describeField,
    namedMeasure: input.namedMeasure,
    ranges: attribution.leaves,
  };
  const columns = displayColumns(compiled.plan, result.columns, rows, ctx);

  const data: NonNullable<Answer['data']> = {
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows,
    ...(result.truncated ? { truncated: true } : {}),
    ...(result.truncated && input.total !== undefined ? { total: input.total } : {}),
  };
  const table = {
    head: columns.map((c) => c.label),
    body: rows.map((row) => columns.map((c, i) => formatCell(row[i] ?? null, c, ctx.timeZone))),
  };
  const explanation = explainAnswer({
    compiled,
    columns,
    rowCount: rows.length,
    truncated: result.truncated,
    notes: input.notes,
    ctx,
    attribution,
  });
  const how = (notes: string[]): Pick<Answer, 'account' | 'readableSql' | 'readAs'> => ({
    readAs: readAsChips(compiled, columns, ctx, attribution),
    account: accountOf({ compiled, columns, ctx, attribution, notes }),
    readableSql: readableSql(compiled.sql, compiled.contextFilters),
  });
  const comparison = (compiled as BlendedQuery).comparison;
  if (comparison) {
    // a blend that compares: its own message, a Total line, and a chart of both series
    const messages = new Messages(compiled, columns, rows, result.truncated, ctx, attribution);
    const parts = composeComparison(
      comparison,
      columns,
      rows,
      input.presentation,
      ctx.timeZone,
      messages.periodText(),
    );
    return {
      type: parts.type,
      message: parts.message,
      table: {
        head: columns.map((c) => c.label),
        body: [
          ...rows.map((row) => columns.map((c, i) => formatCell(row[i] ?? null, c, ctx.timeZone))),
          parts.totalRow,
        ],
      },
      ...(parts.spec ? { spec: parts.spec } : {}),
      data,
      plan: compiled.plan,
      sql: compiled.sql,
      explanation,
      ...how([]),
    };
  }
  const shape = analyseShape(columns, rows, compiled.compareLabels);
  const even = input.likeForLike?.info;
  // a comparison answered like for like: the bars show the figures the sentence compares, not the whole periods
  const likeForLikeChart = even && shape.kind === 'compare' ? input.likeForLike?.result.rows : undefined;
  const choice = chooseChart(columns, likeForLikeChart ?? rows, input.presentation, {
    compareLabels: compiled.compareLabels,
  });
  const partial = findPartialPeriods(compiled, columns, rows, ctx.timeZone);
  const messages = new Messages(
    compiled,
    columns,
    rows,
    result.truncated,
    ctx,
    attribution,
    partial,
    input.total,
  );
  const message = messages.compose(shape, input.likeForLike);
  const timeColumn = partial ? columns[partial.column] : undefined;
  const accountNotes: string[] = [];
  if (partial) accountNotes.push(partialNote(partial));
  if (even)
    accountNotes.push(
      `${even.running} is not over, so each period is also compared over the same elapsed time (${likeForLikeWindows(even)}).`,
    );
  if (result.truncated)
    accountNotes.push(
      input.total !== undefined
        ? `Showing the first ${formatCount(rows.length)} of ${formatCount(input.total)} rows (the row cap); the full CSV export has them all.`
        : `Showing the first ${formatCount(rows.length)} rows (the row cap).`,
    );
  let spec =
    choice.spec && partial && timeColumn
      ? markPartialPeriods(choice.spec, partial, timeColumn.name)
      : choice.spec;
  if (spec && even && likeForLikeChart)
    spec = {
      ...spec,
      title: chartNote(`Like for like, as ${even.running} is not over: ${likeForLikeWindows(even)}.`),
    };

  return {
    type: choice.type,
    message,
    table,
    ...(spec ? { spec } : {}),
    data,
    ...(partial ? { partialPeriods: partial.periods } : {}),
    ...(compiled.now ? { asOf: compiled.now.toISOString() } : {}),
    exportName: exportName(
      columns.find((c) => c.role === 'measure')?.label ?? ctx.tableLabel(compiled.plan.table),
      attribution.time[0]?.label ?? compiled.ranges[0]?.label,
    ),
    subject: answerSubject(
      [
        columns.find((c) => c.role === 'measure')?.label ?? capitalise(ctx.tableLabel(compiled.plan.table)),
        ...columns
          .filter((c) => c.role === 'dimension' && c.name !== 'period')
          .map((c) => lowerFirst(c.label)),
      ].join(' by '),
      attribution.time[0]?.label ?? compiled.ranges[0]?.label,
    ),
    ...(input.likeForLike
      ? {
          likeForLike: {
            days: input.likeForLike.info.days,
            window: { label: input.likeForLike.info.running, span: input.likeForLike.info.window },
            periods: input.likeForLike.info.cut,
            rows: input.likeForLike.result.rows,
            // the query behind the headline figures, shown beside the whole-period one
            ...(input.likeForLike.compiled
              ? {
                  sql: input.likeForLike.compiled.sql,
                  readableSql: readableSql(
                    input.likeForLike.compiled.sql,
                    input.likeForLike.compiled.contextFilters,
                  ),
                }
              : {}),
          },
        }
      : {}),
    plan: compiled.plan,
    sql: compiled.sql,
    explanation,
    ...how(accountNotes),
  };
}

/** "this month: 1 Dec 2026, 00:00 – 6 Dec 2026, 09:21; last month: 1 Nov 2026, 00:00 – 6 Nov 2026, 09:21" */
function likeForLikeWindows(info: LikeForLike): string {
  return [{ label: info.running, span: info.window }, ...info.cut]
    .map((c) => `${c.label}: ${c.span}`)
    .join('; ');
}

// ---- clarifications -----------------------------------------------------------------------------

export interface ClarifyInput {
  /** what the planner asks the user ("“sales” could mean more than one thing here. Which did you mean?") */
  message: string;
  choices: ReadonlyArray<{ label: string; question: string }>;
  /** the question that was asked: a choice that only repeats it would ask the same thing again */
  question: string;
}

export type ComposedClarification = Pick<Answer, 'type' | 'message' | 'code' | 'choices' | 'suggestions'>;

const DEFAULT_CLARIFY_MESSAGE = 'Could you say a little more precisely what you would like to know?';

/**
 * A planner's "which did you mean?" as an answer: `type: 'clarification'` with 2-4 distinct choices, each a
 * question that differs from the one asked. Planners (a language model especially) may offer fewer usable
 * choices than that; the answer is then a plain text question with the few it had as suggestions.
 */
export function composeClarification(input: ClarifyInput): ComposedClarification {
  const key = (text: string): string => text.replace(/\s+/g, ' ').trim().toLowerCase();
  const seen = new Set([key(input.question)]);
  const choices: AnswerChoice[] = [];
  for (const c of input.choices) {
    const question = c.question.replace(/\s+/g, ' ').trim();
    if (!question || seen.has(key(question))) continue;
    seen.add(key(question));
    choices.push({ label: c.label.replace(/\s+/g, ' ').trim() || question, question });
  }
  const message = input.message.trim() || DEFAULT_CLARIFY_MESSAGE;
  if (choices.length < MIN_CHOICES) {
    return {
      type: 'text',
      message,
      code: 'ambiguous',
      ...(choices.length > 0 ? { suggestions: choices.map((c) => c.question) } : {}),
    };
  }
  return { type: 'clarification', message, code: 'ambiguous', choices: choices.slice(0, MAX_CHOICES) };
}

// ---- columns as shown ---------------------------------------------------------------------------

/** Whether a measure is a share: a count over a count of the same rows. */
function isShare(m: Measure): boolean {
  return m.kind === 'ratio' && m.numerator.kind === 'count' && m.denominator.kind === 'count';
}

/** A measure's name for people: "Revenue", "Orders", "Average total amount", "Share of orders (status is cancelled)". */
export function measureLabel(m: Measure, ctx: WordsContext, column?: OutputColumn): string {
  if (m.as) return column?.label ?? capitalise(humanise(m.as));
  const filtered = (label: string, f: Filter | undefined): string =>
    f ? `${label} (${describeFilter(f, ctx, 'message')})` : label;
  switch (m.kind) {
    case 'named':
      return column?.label ?? capitalise(humanise(parseFieldRef(m.name).column || m.name));
    case 'count':
      return filtered(capitalise(ctx.tableLabel(ctx.base)), m.filter);
    case 'ratio': {
      const num = measureLabel(m.numerator, ctx);
      const den = measureLabel(m.denominator, ctx);
      if (isShare(m)) return `Share of ${lowerFirst(num)}`;
      return `${num} per ${den.includes('(') ? lowerFirst(den) : singular(lowerFirst(den))}`;
    }
    case 'difference':
      return `${measureLabel(m.minuend, ctx)} minus ${lowerFirst(measureLabel(m.subtrahend, ctx))}`;
    case 'running':
      return `Running total of ${lowerFirst(measureLabel(m.of, ctx))}`;
    case 'change':
      return `Change in ${lowerFirst(measureLabel(m.of, ctx))}${m.mode === 'percent' ? ' (%)' : ''}`;
    case 'shareOfTotal':
      return `Share of ${lowerFirst(measureLabel(m.of, ctx))}`;
    default: {
      const { table, column: name } = parseFieldRef(m.field);
      const words = humanise(name);
      const isDate = column?.type === 'date';
      let label: string;
      switch (m.kind) {
        case 'countDistinct':
          if (name === 'id') label = `Distinct ${ctx.tableLabel(table)}`;
          else if (name.endsWith('_id')) label = `Distinct ${plural(humanise(name.slice(0, -3)))}`;
          else label = `Distinct ${plural(words)}`;
          break;
        case 'sum':
          label = /^total\b/.test(words) ? capitalise(words) : `Total ${words}`;
          break;
        case 'avg':
          label = `Average ${words}`;
          break;
        case 'min':
          label = `${isDate ? 'Earliest' : 'Lowest'} ${words}`;
          break;
        case 'max':
          label = `${isDate ? 'Latest' : 'Highest'} ${words}`;
          break;
      }
      return filtered(label, m.filter);
    }
  }
}

function measureStyle(m: Measure | undefined, column: OutputColumn, values: CellValue[]): NumberStyle {
  if (m?.kind === 'shareOfTotal' || (m?.kind === 'change' && m.mode === 'percent')) return 'percent';
  if (m?.kind === 'running' || m?.kind === 'change' || m?.kind === 'difference') {
    const inner = m.kind === 'difference' ? m.minuend : m.of;
    return measureStyle(inner, column, values);
  }
  if (m?.kind === 'ratio')
    return isShare(m) || isShareDefinition(column.definition ?? '') ? 'percent' : 'ratio';
  if (currencyOf(column.unit)) return 'money';
  if (m?.kind === 'count' || m?.kind === 'countDistinct') return 'count';
  if (m?.kind === 'avg') return 'average';
  return inferNumberStyle(column, values);
}

/** The result's columns with the labels and number styles they are shown with. */
export function displayColumns(
  plan: QueryPlan,
  columns: readonly OutputColumn[],
  rows: readonly CellValue[][],
  ctx: WordsContext,
): DisplayColumn[] {
  const comparing = plan.time?.compare !== undefined;
  let measureIndex = 0;
  return columns.map((column, i) => {
    const values = rows.map((r) => r[i] ?? null);
    const currency = currencyOf(column.unit);
    const out: DisplayColumn = { ...column, ...(currency ? { currency } : {}) };
    if (column.role === 'measure') {
      const m = plan.measures[measureIndex];
      measureIndex += 1;
      out.label = m ? measureLabel(m, ctx, column) : column.label;
      if (column.type === 'number') out.style = measureStyle(m, column, values);
      return out;
    }
    if (column.type === 'number') out.style = inferNumberStyle(column, values);
    const aliased = plan.dimensions.some((d) => d.as === column.name);
    const period = comparing && column.name === 'period' && column.type === 'string';
    if (column.field && !column.grain && !aliased && !period) {
      const { table, column: name } = parseFieldRef(column.field);
      // a date column as people say it ("Date placed"), when the model or its name gives the verb
      const date = column.type === 'date' ? dateFieldWords(column.field, ctx) : undefined;
      if (date?.verb) out.label = capitalise(date.noun);
      else if (table !== plan.table) out.label = capitalise(fieldWords(column.field, ctx));
      else if (name === 'id') out.label = 'ID';
    }
    return out;
  });
}

// ---- messages -----------------------------------------------------------------------------------

/** A resolved range label as it reads after a figure: "in October 2026", "this year (1 Jan – 25 Nov 2026)". */
export function periodPhrase(label: string): string {
  const last = /^last (month|quarter|year) \((.+)\)$/.exec(label);
  if (last) return `in ${last[2]}`;
  if (/^the last /.test(label)) return `in ${label}`;
  if (/^(today|yesterday|this |last |since )/.test(label)) return label;
  const day = /^\d{1,2} [A-Z][a-z]{2} \d{4}$/;
  if (day.test(label)) return `on ${label}`;
  const span = /^(\d{1,2} [A-Z][a-z]{2} \d{4}) – (\d{1,2} [A-Z][a-z]{2} \d{4})$/.exec(label);
  if (span) return `from ${span[1]} to ${span[2]}`;
  return `in ${label}`;
}

/** A compared period after its figure, "in" on every side: "102 in Q3 vs 108 in Q2", "253 this month". */
function comparedPhrase(label: string): string {
  return periodPhrase(comparedLabel(label));
}

const MAX_SCOPE_CHARS = 120;

class Messages {
  private readonly plan: QueryPlan;
  /** the dateRange filter used as the message's period, when the period is not the time slot's */
  private readonly periodFilter: Filter | undefined;
  private readonly period: string;

  constructor(
    private readonly compiled: CompiledQuery,
    private readonly columns: DisplayColumn[],
    private readonly rows: readonly CellValue[][],
    private readonly truncated: boolean,
    private readonly ctx: WordsContext,
    attribution: RangeAttribution,
    /** unfinished time buckets: never the highest or lowest, and said so */
    private readonly partial?: PartialPeriods,
    /** all the rows the plan selects, when the result was cut at the cap */
    private readonly total?: number,
  ) {
    this.plan = compiled.plan;
    let label: string | undefined;
    if (this.plan.time?.range) label = attribution.time[0]?.label ?? describeDateRange(this.plan.time.range);
    else if (!this.plan.time?.compare) {
      const f = this.plan.filters.find((x) => x.op === 'dateRange');
      if (f?.op === 'dateRange') {
        this.periodFilter = f;
        label = attribution.leaves.get(f)?.label ?? describeDateRange(f.range);
      }
    }
    this.period = label ? ` ${periodPhrase(label)}` : '';
  }

  /** the answer's period as it reads after a figure (" in October 2026"), or '' */
  periodText(): string {
    return this.period;
  }

  compose(shape: Shape, likeForLike?: ComposeInput['likeForLike']): string {
    let text =
      shape.kind === 'compare' && likeForLike
        ? this.compare(shape.dims[0] as ShapeDim, shape.measures, likeForLike)
        : this.body(shape);
    // a sentence never starts with a lowercase raw value ("completed had the most orders")
    text = capitalise(text);
    if (this.partial) text += ` ${partialNote(this.partial)}`;
    if (!this.truncated) return text;
    if (this.total !== undefined && this.total > this.rows.length) {
      if (shape.kind === 'listing') return `${text} The full CSV export has all ${formatCount(this.total)}.`;
      return `${text} Showing the first ${formatCount(this.rows.length)} of ${formatCount(this.total)} rows; the full CSV export has them all.`;
    }
    return `${text} Showing the first ${formatCount(this.rows.length)} rows; more matched.`;
  }

  private body(shape: Shape): string {
    switch (shape.kind) {
      case 'empty':
        return `Nothing matched: no ${this.ctx.tableLabel(this.plan.table)}${this.scoped()}.`;
      case 'scalar':
        return this.scalar(shape.measures[0] as ShapeMeasure);
      case 'scalars':
        return this.scalars(shape.measures);
      case 'listing':
        return this.listing();
      case 'series':
        return this.series(shape.dims[0] as ShapeDim, shape.measures[0] as ShapeMeasure);
      case 'category':
        return this.category(shape.dims[0] as ShapeDim, shape.measures[0] as ShapeMeasure);
      case 'compare':
        return this.compare(shape.dims[0] as ShapeDim, shape.measures);
      case 'two-dims':
      case 'multi-measure':
      case 'other':
        return this.grouped(shape.dims, shape.measures);
      default:
        return `${formatCount(this.rows.length)} rows.`;
    }
  }

  // -- pieces --

  /** The plan's filters for a sentence: " in the customer segment where country is Germany" (or ''). */
  private scope(extra: Filter[] = []): string {
    const filters = [
      ...extra,
      ...this.plan.filters.filter((f) => f !== this.periodFilter && f !== this.ctx.rowsSegment),
    ];
    const segments = filters
      .filter((f) => f.op === 'segment')
      .map((f) => describeFilter(f, this.ctx, 'message'));
    const others = filters
      .filter((f) => f.op !== 'segment')
      .map((f) => describeFilter(f, this.ctx, 'message'));
    let text = segments.length > 0 ? ` ${segments.join(' ')}` : '';
    if (others.length > 0) text += ` where ${others.join(' and ')}`;
    return text.length > MAX_SCOPE_CHARS ? '' : text;
  }

  /** The scope then the period: " where status is completed, in October 2026". */
  private scoped(extra: Filter[] = []): string {
    const scope = this.scope(extra);
    return scope && this.period ? `${scope},${this.period}` : `${scope}${this.period}`;
  }

  /** ", for orders where country is Germany" after a measure's figure (or ''). */
  private scopeFor(): string {
    const s = this.scope();
    return s ? `, for ${this.ctx.tableLabel(this.plan.table)}${s}` : '';
  }

  private measureOf(m: ShapeMeasure): Measure | undefined {
    const position = this.columns.filter((c) => c.role === 'measure').indexOf(m.column);
    return this.plan.measures[position];
  }

  /** A plain count of the base table ("880 orders"), rather than a named quantity. */
  private isTableCount(m: ShapeMeasure): boolean {
    const measure = this.measureOf(m);
    return measure?.kind === 'count' && !measure.as;
  }

  private countNoun(value: number): string {
    const noun = this.ctx.tableLabel(this.plan.table);
    return value === 1 ? singular(noun) : noun;
  }

  /** The figure for a sentence; plain counts carry their noun ("5,562 orders"). */
  private figure(value: CellValue, m: ShapeMeasure): string | undefined {
    if (typeof value === 'number' && this.isTableCount(m)) {
      return `${formatNumber(value, 'count')} ${this.countNoun(value)}`;
    }
    return formatFigure(value, m.column, this.ctx.timeZone);
  }

  private plainFigure(value: CellValue, m: ShapeMeasure): string {
    return formatFigure(value, m.column, this.ctx.timeZone) ?? 'no value';
  }

  private dimValue(row: readonly CellValue[], d: ShapeDim): string {
    const v = row[d.index] ?? null;
    if (v === null) return '(none)';
    return formatCell(v, d.column, this.ctx.timeZone);
  }

  /** A category as the subject of a sentence: numbers say what they are ("Quantity 3"). */
  private subject(row: readonly CellValue[], d: ShapeDim): string {
    const value = this.dimValue(row, d);
    return typeof row[d.index] === 'number' ? `${d.column.label} ${value}` : value;
  }

  /** "most orders", "most units sold" for counts, "highest revenue" for other quantities. */
  private superlative(m: ShapeMeasure, lowest = false): string {
    if (this.isTableCount(m)) return `${lowest ? 'fewest' : 'most'} ${this.ctx.tableLabel(this.plan.table)}`;
    const label = lowerFirst(m.column.label);
    // "the lowest price" for a ranking by the lowest price, never "the lowest lowest price"
    if ((lowest ? LOWEST_LABEL : HIGHEST_LABEL).test(label)) return label;
    if (m.column.style === 'count') return `${lowest ? 'fewest' : 'most'} ${label}`;
    return `${lowest ? 'lowest' : 'highest'} ${label}`;
  }

  private dimWord(d: ShapeDim): string {
    if (d.kind === 'period') return 'period';
    if (d.column.grain) return d.column.grain;
    return lowerFirst(d.column.label);
  }

  private dimNoun(d: ShapeDim): string {
    return d.column.field && !this.plan.dimensions.some((x) => x.as === d.column.name)
      ? fieldNounPlural(d.column.field, this.ctx)
      : plural(lowerFirst(d.column.label));
  }

  /** Index of the row with the largest (or smallest) value of a measure, skipping nulls and unfinished periods. */
  private extreme(m: ShapeMeasure, lowest = false): number | undefined {
    let best: number | undefined;
    this.rows.forEach((row, i) => {
      const v = row[m.index];
      if (typeof v !== 'number' || this.partial?.rows.has(i)) return;
      const b = best === undefined ? undefined : this.rows[best]?.[m.index];
      if (typeof b !== 'number' || (lowest ? v < b : v > b)) best = i;
    });
    return best;
  }

  /** The direction the rows are ordered in by this measure, as the plan asked (default: descending). */
  private orderOf(m: ShapeMeasure): 'asc' | 'desc' | undefined {
    const first = this.plan.order[0];
    if (!first) return 'desc';
    if (first.by === m.column.name) return first.direction;
    return undefined;
  }

  // -- shapes --

  private scalar(m: ShapeMeasure): string {
    const value = this.rows[0]?.[m.index] ?? null;
    const measure = this.measureOf(m);
    if (value === null) {
      return `There is no ${lowerFirst(m.column.label)}${this.period}: no ${this.ctx.tableLabel(this.plan.table)} matched${this.scope()}.`;
    }
    if (this.isTableCount(m) && measure?.kind === 'count') {
      const extra = measure.filter ? [measure.filter] : [];
      return `${this.figure(value, m)}${this.scoped(extra)}.`;
    }
    return `${m.column.label} was ${this.figure(value, m)}${this.period}${this.scopeFor()}.`;
  }

  private scalars(measures: ShapeMeasure[]): string {
    const row = this.rows[0] ?? [];
    const parts = measures.map((m, i) => {
      const label = i === 0 ? m.column.label : lowerFirst(m.column.label);
      return `${label}: ${this.plainFigure(row[m.index] ?? null, m)}`;
    });
    return `${parts.join('; ')}${this.period}${this.scopeFor()}.`;
  }

  private listing(): string {
    const n = this.rows.length;
    const noun = this.ctx.tableLabel(this.plan.table);
    const one = singular(noun);
    // cut at the cap with the true total known: "1,000 of 1,237 orders"
    const count =
      this.truncated && this.total !== undefined && this.total > n
        ? `${formatCount(n)} of ${formatCount(this.total)}`
        : formatCount(n);
    const order = this.plan.order[0];
    let what: string;
    if (!order) what = n === 1 ? `1 ${one}` : `${count} ${noun}`;
    else {
      const col = this.columns.find((c) => c.name === order.by || c.field === order.by);
      const kind = col?.type ?? (/(_at|_on|date|time)$/.test(order.by) ? 'date' : 'number');
      const field = col
        ? lowerFirst(col.label)
        : kind === 'date'
          ? dateFieldWords(order.by, this.ctx).noun
          : fieldWords(order.by, this.ctx);
      const desc = order.direction === 'desc';
      if (kind === 'date') {
        const adj = desc ? 'most recent' : 'earliest';
        what = n === 1 ? `the ${adj} ${one}` : `the ${count} ${adj} ${noun}`;
      } else if (kind === 'number') {
        const adj = desc ? 'highest' : 'lowest';
        what =
          n === 1 ? `the ${one} with the ${adj} ${field}` : `the ${count} ${noun} with the ${adj} ${field}`;
      } else {
        what = `${n === 1 ? `1 ${one}` : `${count} ${noun}`}, sorted by ${field}${desc ? ' from Z to A' : ''}`;
      }
    }
    return `Here ${n === 1 ? 'is' : 'are'} ${what}${this.scoped()}.`;
  }

  private series(d: ShapeDim, m: ShapeMeasure): string {
    const head = `${m.column.label} by ${this.dimWord(d)}${this.period}`;
    const hi = this.extreme(m);
    const lo = this.extreme(m, true);
    const on = d.column.grain === 'day' ? 'on' : 'in';
    const when = (i: number): string =>
      `${on} ${this.dimValue(this.rows[i] ?? [], d).replace(/^Week of/, 'week of')}`;
    const fig = (i: number): string => this.figure(this.rows[i]?.[m.index] ?? null, m) ?? 'no value';
    if (hi === undefined || lo === undefined) {
      // only unfinished buckets have values: the figure so far, never a "highest"
      const first = this.partial ? [...this.partial.rows][0] : undefined;
      return first === undefined ? `${head}: no values.` : `${head}: ${fig(first)} ${when(first)} so far.`;
    }
    if (this.rows.length === 1 || hi === lo) return `${head}: ${fig(hi)} ${when(hi)}.`;
    return `${head}: highest ${when(hi)} (${fig(hi)}), lowest ${when(lo)} (${fig(lo)}).`;
  }

  private category(d: ShapeDim, m: ShapeMeasure): string {
    const n = this.rows.length;
    const order = this.orderOf(m);
    const lowest = order === 'asc';
    const leaderIndex = this.extreme(m, lowest);
    if (leaderIndex === undefined) return `${m.column.label} by ${this.dimWord(d)}${this.period}: no values.`;
    const leaderRow = this.rows[leaderIndex] ?? [];
    const leader = this.subject(leaderRow, d);
    const fig = this.figure(leaderRow[m.index] ?? null, m) ?? 'no value';
    const limited = this.plan.limit !== undefined && this.plan.limit <= this.compiled.limit;
    // "which country has the most customers?": the one row asked for is the leader
    if (n === 1 && limited && order !== undefined)
      return `${leader} had the ${this.superlative(m, lowest)}${this.period}: ${fig}.`;
    if (n === 1) return `${m.column.label} for ${leader}${this.period}: ${fig}.`;
    const nouns = this.dimNoun(d);
    if (limited && order !== undefined && leaderIndex === 0) {
      // "top 5 products by revenue", not "by product revenue": the noun is said once
      const one = `${singular(nouns)} `;
      const label = lowerFirst(m.column.label);
      const by = this.isTableCount(m)
        ? `number of ${this.ctx.tableLabel(this.plan.table)}`
        : label.startsWith(one) && label.length > one.length
          ? label.slice(one.length)
          : label;
      return lowest
        ? `Bottom ${formatCount(n)} ${nouns} by ${by}${this.period}: ${leader} has the ${this.superlative(m, true)}, ${fig}.`
        : `Top ${formatCount(n)} ${nouns} by ${by}${this.period}: ${leader} leads with ${fig}.`;
    }
    const of = this.truncated ? '' : `, of ${formatCount(n)} ${nouns}`;
    return `${leader} had the ${this.superlative(m, lowest)}${this.period}: ${fig}${of}.`;
  }

  private compare(d: ShapeDim, measures: ShapeMeasure[], likeForLike?: ComposeInput['likeForLike']): string {
    const labels = this.compiled.compareLabels ?? [...new Set(this.rows.map((r) => String(r[d.index])))];
    const rowOf = (label: string): readonly CellValue[] | undefined =>
      this.rows.find((r) => r[d.index] === label);
    if (likeForLike && labels.length === 2) return this.compareLikeForLike(d, measures, labels, likeForLike);
    const parts = measures.map((m) => {
      const values = labels.map((l) => rowOf(l)?.[m.index] ?? null);
      const shown = labels.map((l, i) => {
        const v = values[i] ?? null;
        return v === null
          ? `no data for ${comparedLabel(l)}`
          : `${this.plainFigure(v, m)} ${comparedPhrase(l)}`;
      });
      let text: string;
      if (labels.length === 2) {
        text = `${shown[0]} vs ${shown[1]}`;
        const [a, b] = values;
        if (typeof a === 'number' && typeof b === 'number') {
          const change = formatChange(a, b);
          if (change !== undefined) text += ` (${a === b ? 'no change' : change})`;
        }
      } else text = listWords(shown);
      return `${m.column.label}${this.scope()}: ${text}`;
    });
    return `${parts.map((p, i) => (i === 0 ? p : lowerFirst(p))).join('; ')}.`;
  }

  /**
   * Two periods, one still running: the change is over the same elapsed time, to the instant ("253 this month vs
   * 180 last month (+41%)", last month up to 6 Nov 09:21), and the earlier period's whole figure follows.
   */
  private compareLikeForLike(
    d: ShapeDim,
    measures: ShapeMeasure[],
    labels: string[],
    likeForLike: NonNullable<ComposeInput['likeForLike']>,
  ): string {
    const { info, result } = likeForLike;
    const valueIn = (rows: readonly CellValue[][], label: string, m: ShapeMeasure): CellValue =>
      rows.find((r) => r[d.index] === label)?.[m.index] ?? null;
    const cut = new Set(info.cut.map((c) => c.label));
    const parts = measures.map((m) => {
      const same = labels.map((l) => valueIn(result.rows, l, m));
      const shown = labels.map((l, i) => {
        const v = same[i] ?? null;
        return v === null
          ? `no data for ${comparedLabel(l)}`
          : `${this.plainFigure(v, m)} ${comparedPhrase(l)}`;
      });
      let text = `${shown[0]} vs ${shown[1]}`;
      const [a, b] = same;
      if (typeof a === 'number' && typeof b === 'number') {
        const change = formatChange(a, b);
        if (change !== undefined) text += ` (${a === b ? 'no change' : change})`;
      }
      const whole = labels
        .filter((l) => cut.has(l))
        .map((l) => `${l} in full: ${this.plainFigure(valueIn(this.rows, l, m), m)}`);
      return `${m.column.label}${this.scope()}: ${text}${whole.length > 0 ? `; ${whole.join(', ')}` : ''}`;
    });
    const text = parts.map((p, i) => (i === 0 ? p : lowerFirst(p))).join('; ');
    return `${text}. Compared like with like: the same elapsed time of each period, as ${info.running} is not over (${likeForLikeWindows(info)}).`;
  }

  /**
   * What a change measure beside its own measure is, and its largest value: " Revenue change is the change from
   * the month before, as a difference: largest in Nov 2026 (+$52,000.00)." (or '' when there is none)
   */
  private changes(d: ShapeDim, measures: ShapeMeasure[]): string {
    const out: string[] = [];
    for (const m of measures) {
      const measure = this.measureOf(m);
      if (measure?.kind !== 'change') continue;
      const how = measure.mode === 'percent' ? 'in percent' : 'as a difference';
      const before = `the ${d.column.grain ?? 'period'} before`;
      const top = this.extreme(m);
      const value = top === undefined ? null : (this.rows[top]?.[m.index] ?? null);
      let text = `${m.column.label} is the change from ${before}, ${how}`;
      if (top !== undefined && typeof value === 'number') {
        const fig = this.plainFigure(value, m);
        const when = this.dimValue(this.rows[top] ?? [], d).replace(/^Week of/, 'week of');
        text += `: largest in ${when} (${value > 0 && !fig.startsWith('+') ? '+' : ''}${fig})`;
      }
      out.push(`${text}.`);
    }
    return out.length > 0 ? ` ${out.join(' ')}` : '';
  }

  private grouped(dims: ShapeDim[], measures: ShapeMeasure[]): string {
    const labels = measures.map((m, i) => (i === 0 ? m.column.label : lowerFirst(m.column.label)));
    const head = `${listWords(labels)} by ${listWords(dims.map((d) => this.dimWord(d)))}${this.period}`;
    const first = measures[0];
    if (!first) return `${head}: ${formatCount(this.rows.length)} rows.`;
    const top = this.extreme(first);
    if (top === undefined) return `${head}: no values.`;
    const row = this.rows[top] ?? [];
    const where = dims.map((d) => this.dimValue(row, d)).join(', ');
    const size = this.truncated ? '' : `, across ${formatCount(this.rows.length)} rows`;
    const only = dims.length === 1 ? dims[0] : undefined;
    if (only && measures.length > 1) {
      const fig = this.plainFigure(row[first.index] ?? null, first);
      const value = this.subject(row, only);
      if (only.kind === 'time')
        return `${head}: the ${this.superlative(first)} was in ${value.replace(/^Week of/, 'week of')} (${fig}).${this.changes(only, measures)}`;
      const of = this.truncated ? '' : `, of ${formatCount(this.rows.length)} ${this.dimNoun(only)}`;
      return `${head}: ${value} has the ${this.superlative(first)} (${fig})${of}.`;
    }
    if (measures.length === 1) {
      const fig = this.figure(row[first.index] ?? null, first) ?? 'no value';
      return `${head}: the largest is ${fig} (${where})${size}.`;
    }
    const fig = this.plainFigure(row[first.index] ?? null, first);
    return `${head}: the ${this.superlative(first)}: ${fig} (${where})${size}.`;
  }
}
