// "How was this answered?" for people who do not read SQL: a short account built from the validated plan, line by
// line ("Counted: orders where status is completed, created 1 Oct 2026 – 31 Oct 2026, for your organisation only"),
// and the SQL made readable for those who do: table names instead of t0/t1 aliases, every bound value labelled with
// the column it is compared to. Display only: the SQL that ran is the compiler's, unchanged, in `answer.sql`.
import type { CompiledQuery } from '../query/compile.ts';
import type { Filter, Measure } from '../query/plan.ts';
import {
  dateFieldWords,
  describeFilter,
  fieldWords,
  grainWords,
  measureDefinition,
  type RangeAttribution,
  rangeWords,
  scopeWords,
  type WordsContext,
} from './explain.ts';
import { capitalise, comparedLabel, type DisplayColumn, listWords, lowerFirst } from './format.ts';

export interface AccountLine {
  /** "Counted", "Dates", "Whose data", ... */
  label: string;
  text: string;
}

export interface ReadableSql {
  text: string;
  /** the bound values in order, each with what it is compared to ("orders.status =") */
  values: Array<{ label: string; value: unknown }>;
}

const VERBS: Record<Measure['kind'], string> = {
  count: 'Counted',
  countDistinct: 'Counted',
  sum: 'Added up',
  avg: 'Averaged',
  min: 'Took the lowest',
  max: 'Took the highest',
  named: 'Measured',
  ratio: 'Divided',
  difference: 'Subtracted',
  running: 'Added up over time',
  change: 'Compared each period with the one before',
  shareOfTotal: 'Took each row’s share',
};

export interface AccountInput {
  compiled: CompiledQuery;
  columns: readonly DisplayColumn[];
  ctx: WordsContext;
  attribution: RangeAttribution;
  /** extra lines the composer knows: unfinished periods, like-for-like, the total behind a capped listing */
  notes?: string[];
}

/** The plan, line by line, in words: what was counted, which rows, which dates, whose data, how grouped. */
export function accountOf(input: AccountInput): AccountLine[] {
  const { compiled, columns, ctx, attribution } = input;
  const { plan } = compiled;
  const lines: AccountLine[] = [];
  const rows = ctx.tableLabel(plan.table);

  // which rows: the filters (dates apart), the dates, and whose data
  const filters = plan.filters
    .filter((f) => f.op !== 'dateRange' && f !== ctx.rowsSegment)
    .map((f) => describeFilter(f, ctx, 'message'));
  const dates: string[] = [];
  if (plan.time?.range) dates.push(rangeWords(plan.time.field, attribution.time[0], plan.time.range, ctx));
  for (const f of plan.filters.filter((x): x is Extract<Filter, { op: 'dateRange' }> => x.op === 'dateRange'))
    dates.push(describeFilter(f, ctx));
  const whose = scopeWords(compiled.contextFilters);
  const which = [
    filters.length > 0 ? ` where ${filters.join(' and ')}` : '',
    dates.length > 0 ? `, ${dates.join(', ')}` : '',
    whose ? `, ${whose}` : '',
  ].join('');

  // no period asked for and none in the plan: the figure covers every date in the data, and says so
  const allTime =
    !plan.time && compiled.ranges.length === 0 && !plan.filters.some((f) => f.op === 'dateRange');
  const measures = columns.filter((c) => c.role === 'measure');
  const listed = columns.filter((c) => c.role === 'field');
  if (listed.length > 0) {
    lines.push({ label: 'Listed', text: `${rows}${which}` });
    lines.push({ label: 'Columns', text: listWords(listed.map((c) => lowerFirst(c.label))) });
  } else if (measures.length > 0) {
    const first = plan.measures[0];
    // a model measure says its own aggregate ("Added up"), not just "Measured"
    const kind =
      first?.kind === 'named' ? (ctx.namedMeasure?.(first.name)?.aggregate ?? 'named') : first?.kind;
    const verb = kind && measures.length === 1 ? VERBS[kind] : 'Measured';
    // several measures are named, all of them ("Revenue and revenue change"), never the rows instead
    const what = listWords(measures.map((c) => lowerFirst(c.label)));
    lines.push({
      label: verb,
      text: `${first?.kind === 'count' && measures.length === 1 ? rows : what}${which}`,
    });
    measures.forEach((column, i) => {
      const m = plan.measures[i];
      const definition = m ? measureDefinition(m, column, ctx) : (column.definition ?? column.label);
      // "Customers: the number of customers" under "Counted: customers" would only say the same thing again
      if (definition.toLowerCase() === `the number of ${rows}`.toLowerCase()) return;
      lines.push({ label: column.label, text: definition });
    });
  }

  if (allTime)
    lines.push({ label: 'Dates', text: 'All time: no period was asked for, so every date counts' });
  // the segment that names the rows says what it means: "Customers: users who have ordered at least once"
  const segment = ctx.rowsSegment?.op === 'segment' ? ctx.rowsSegment.segment : undefined;
  const meaning = segment ? ctx.describeSegment?.(segment) : undefined;
  if (meaning) lines.push({ label: capitalise(rows), text: meaning.replace(/\.$/, '') });

  if (plan.time?.compare) {
    const periods = plan.time.compare.map((p, i) => {
      const name = comparedLabel(p.label);
      const full = attribution.time[i]?.label.replace(/^.*\((.+)\)$/, '$1');
      // "Q3 2026", not "In Q3 (Q3 2026)": the period said once
      if (!full) return name;
      return full.toLowerCase().startsWith(name.toLowerCase()) ? full : `${name} (${full})`;
    });
    lines.push({
      label: 'Compared',
      text: `${listWords(periods, 'with')}, by ${dateFieldWords(plan.time.field, ctx).noun}`,
    });
  }
  const groups = columns
    .filter((c) => c.role === 'dimension' && !(plan.time?.compare && c.name === 'period'))
    .map((c) =>
      c.field ? (c.grain ? grainWords(c.grain, c.field, ctx) : fieldWords(c.field, ctx)) : c.label,
    );
  if (groups.length > 0) lines.push({ label: 'Grouped by', text: listWords(groups.map(lowerFirst)) });
  if (plan.limit !== undefined)
    lines.push({ label: 'Limited to', text: `${plan.limit} ${plan.limit === 1 ? 'row' : 'rows'}` });
  for (const note of input.notes ?? []) lines.push({ label: 'Note', text: note });
  return lines.map((l) => ({ label: l.label, text: capitalise(l.text.trim()) }));
}

/**
 * The compiler's SQL for reading: `t0`, `t1` aliases become their tables' names (a second join of one table gets
 * a number), and each `?` binding is labelled by the column it is compared to.
 */
export function readableSql(
  sql: { text: string; bindings: readonly unknown[] },
  /** the compiler's context filters ("orders.organisation_id = userContext.organisationId") */
  contextFilters: readonly string[] = [],
): ReadableSql {
  const fromSignIn = new Map<string, string>();
  for (const f of contextFilters) {
    const m = /^(\w+\.\w+) = userContext\.(\w+)$/.exec(f);
    if (m?.[1] && m[2]) fromSignIn.set(m[1], m[2]);
  }
  // "`orders` as `t0`": the compiler names every table reference this way
  const aliases = new Map<string, string>();
  const used = new Map<string, number>();
  for (const m of sql.text.matchAll(/[`"](\w+)[`"] as [`"](t\d+)[`"]/g)) {
    const table = m[1] as string;
    const alias = m[2] as string;
    if (aliases.has(alias)) continue;
    const n = (used.get(table) ?? 0) + 1;
    used.set(table, n);
    aliases.set(alias, n === 1 ? table : `${table}_${n}`);
  }
  const renamed = (text: string): string =>
    text.replace(/([`"])(t\d+)\1/g, (whole, q: string, alias: string) => {
      const name = aliases.get(alias);
      return name ? `${q}${name}${q}` : whole;
    });
  let text = renamed(sql.text);
  // a table that keeps its own name needs no "as": "`orders` as `orders`" reads as just "`orders`"
  text = text.replace(/([`"])(\w+)\1 as \1\2\1/g, '$1$2$1');

  const values: ReadableSql['values'] = [];
  let index = 0;
  for (const m of text.matchAll(/\?/g)) {
    const before = text.slice(0, m.index);
    values.push({ label: bindingLabel(before, fromSignIn, aliases), value: sql.bindings[index] });
    index += 1;
  }
  return { text, values };
}

/** What a `?` is compared to, from the SQL just before it. */
function bindingLabel(
  before: string,
  fromSignIn: ReadonlyMap<string, string>,
  aliases: ReadonlyMap<string, string>,
): string {
  if (/\blimit\s*$/i.test(before)) return 'row limit';
  if (/\boffset\s*$/i.test(before)) return 'rows skipped';
  // "`orders`.`status` = ?", "`orders`.`created_at` >= ?", "in (?, ?" and "between ? and ?"
  const m =
    /[`"](\w+)[`"]\.[`"](\w+)[`"]\)?\s*(=|<>|!=|>=|<=|>|<|not like|like|not in|in|between)\s*\(?(?:\?\s*(?:,|and)\s*)*$/i.exec(
      before,
    );
  if (m) {
    const [, table, column, op] = m;
    // "orders_2" is a second reference to orders: its context column is the same
    const base = [...aliases.values()].includes(table ?? '') ? (table ?? '').replace(/_\d+$/, '') : table;
    const claim = fromSignIn.get(`${base}.${column}`);
    if (claim) return `${table}.${column} ${op} your ${claim} (from your sign-in)`;
    return `${table}.${column} ${op?.toLowerCase()}`;
  }
  if (/\bthen\s*$/i.test(before)) return 'label';
  if (/\bwhen\s*$/i.test(before)) return 'condition';
  return 'value';
}
