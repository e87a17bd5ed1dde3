// "Read as": the reading the planner took, as short chips under the answer (what was measured, over which period,
// with which filters, grouped how), so that a misreading is visible at a glance. Built from the validated plan.
import type { CompiledQuery } from '../query/compile.ts';
import { describeFilter, fieldWords, type RangeAttribution, type WordsContext } from './explain.ts';
import { capitalise, comparedLabel, type DisplayColumn } from './format.ts';

/** Another reading of the chip's part of the question: asking `question` in the conversation gets that answer. */
export interface ReadAsAlternative {
  label: string;
  question: string;
}

export interface ReadAsChip {
  kind: 'measure' | 'listing' | 'period' | 'filter' | 'grouping';
  text: string;
  /** the other readings the planner answers (read-as-alternatives.ts); absent when there are none */
  alternatives?: ReadAsAlternative[];
}

export function readAsChips(
  compiled: CompiledQuery,
  columns: readonly DisplayColumn[],
  ctx: WordsContext,
  attribution: RangeAttribution,
): ReadAsChip[] {
  const { plan } = compiled;
  const chips: ReadAsChip[] = [];
  const measures = columns.filter((c) => c.role === 'measure');
  if (measures.length === 0) chips.push({ kind: 'listing', text: `List of ${ctx.tableLabel(plan.table)}` });
  for (const m of measures) chips.push({ kind: 'measure', text: m.label });
  if (plan.time?.compare)
    for (const p of plan.time.compare) chips.push({ kind: 'period', text: comparedLabel(p.label) });
  else if (plan.time?.range) {
    const label = attribution.time[0]?.label;
    if (label) chips.push({ kind: 'period', text: label });
  }
  for (const f of plan.filters) {
    // the segment that names the rows: "Customers only"
    const text =
      f === ctx.rowsSegment ? `${ctx.tableLabel(plan.table)} only` : describeFilter(f, ctx, 'message');
    chips.push({ kind: f.op === 'dateRange' ? 'period' : 'filter', text });
  }
  for (const c of columns) {
    if (c.role !== 'dimension' || (plan.time?.compare && c.name === 'period')) continue;
    const by = c.grain ? c.grain : c.field ? fieldWords(c.field, ctx) : c.label;
    chips.push({ kind: 'grouping', text: `by ${by}` });
  }
  return chips.map((c) => ({ ...c, text: capitalise(c.text) }));
}
