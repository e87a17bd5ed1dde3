// The composer's part for blends that compare a database figure with a file's (actual sales against the targets
// in an uploaded file): the totals, the difference and percentage of target, which periods were over or under, a
// Total line in the table, and a chart of both series. Every figure comes from the blended rows.
import type { Presentation } from '../planner/types.ts';
import { type BlendComparison, OVER, UNDER } from '../query/blend.ts';
import type { CellValue } from '../query/execute.ts';
import type { Answer } from './answer.ts';
import { seriesChart } from './chart.ts';
import { type DisplayColumn, formatCell, formatNumber, listWords, lowerFirst, plural } from './format.ts';

export interface ComparisonParts {
  type: Answer['type'];
  message: string;
  /** the table's Total line, aligned with its columns */
  totalRow: string[];
  spec?: Record<string, unknown>;
}

const MAX_LISTED = 6;

export function composeComparison(
  at: BlendComparison,
  columns: DisplayColumn[],
  rows: readonly CellValue[][],
  presentation: Presentation,
  timeZone: string,
  period: string,
): ComparisonParts {
  const col = (i: number): DisplayColumn => columns[i] as DisplayColumn;
  // shown as the figures they are: money stays money, the percentage is a percentage of the target
  col(at.percent).style = 'number';
  const actual = col(at.actual);
  const target = col(at.target);
  target.style = actual.style;
  col(at.difference).style = actual.style;
  const money = (v: number): string => formatCell(v, actual, timeZone);
  const key = at.key !== undefined ? col(at.key) : undefined;
  const name = (row: readonly CellValue[]): string =>
    key && at.key !== undefined ? formatCell(row[at.key] ?? null, key, timeZone) : '';
  const keyWord = key ? (key.grain ?? lowerFirst(key.label)) : 'row';

  const compared = rows.filter((r) => typeof r[at.actual] === 'number' && typeof r[at.target] === 'number');
  const missing = rows.filter((r) => typeof r[at.actual] !== 'number' && typeof r[at.target] === 'number');
  const sum = (i: number): number =>
    Math.round(compared.reduce((n, r) => n + (r[i] as number), 0) * 100) / 100;
  const totalActual = sum(at.actual);
  const totalTarget = sum(at.target);
  const totalDiff = Math.round((totalActual - totalTarget) * 100) / 100;
  const totalPercent = totalTarget === 0 ? undefined : Math.round((totalActual / totalTarget) * 10000) / 100;
  const targetWord = lowerFirst(target.label);

  const head = `${actual.label} against ${targetWord}${key ? ` by ${keyWord}` : ''}${period}`;
  let message: string;
  if (compared.length === 0) {
    message = `${head}: no ${keyWord} has both figures, so there is nothing to compare.`;
  } else {
    const direction = totalDiff > 0 ? 'over' : totalDiff < 0 ? 'under' : 'exactly on';
    const percent =
      totalPercent !== undefined ? ` (${formatNumber(totalPercent, 'number')}% of ${targetWord})` : '';
    const amount = totalDiff === 0 ? '' : `${money(Math.abs(totalDiff))} `;
    message =
      `${head}: ${money(totalActual)} in total against ${money(totalTarget)}, ` +
      `${amount}${direction} ${targetWord}${percent}.`;
    if (key) {
      const over = compared.filter((r) => r[at.status] === OVER).map(name);
      const under = compared.filter((r) => r[at.status] === UNDER).map(name);
      const listed = (items: string[]): string =>
        items.length <= MAX_LISTED ? ` (${listWords(items)})` : '';
      const n = compared.length;
      const parts: string[] = [];
      if (over.length > 0) parts.push(`over in ${over.length} of ${n} ${plural(keyWord, n)}${listed(over)}`);
      if (under.length > 0)
        parts.push(`under in ${under.length} of ${n} ${plural(keyWord, n)}${listed(under)}`);
      const on = n - over.length - under.length;
      if (on > 0) parts.push(`on ${targetWord} in ${on}`);
      if (parts.length > 0) message += ` ${capitalFirst(parts.join('; '))}.`;
    }
  }
  if (missing.length > 0) {
    const names = missing.map(name);
    message += ` No ${lowerFirst(actual.label)} yet for ${names.length <= MAX_LISTED ? listWords(names) : `${names.length} ${plural(keyWord, names.length)}`}: not compared.`;
  }

  const totalRow = columns.map((_, i) => {
    if (i === (at.key ?? 0)) return 'Total';
    if (compared.length === 0) return '';
    if (i === at.actual) return money(totalActual);
    if (i === at.target) return money(totalTarget);
    if (i === at.difference) return money(totalDiff);
    if (i === at.percent) return totalPercent === undefined ? '' : `${formatNumber(totalPercent, 'number')}%`;
    if (i === at.status) return totalDiff > 0 ? OVER : totalDiff < 0 ? UNDER : 'on target';
    return '';
  });

  let type: Answer['type'] = 'table';
  let spec: Record<string, unknown> | undefined;
  if (presentation === 'text') type = 'text';
  else if (presentation !== 'table' && key && at.key !== undefined && rows.length >= 2) {
    spec = seriesChart(columns, rows, at.key, [at.actual, at.target]);
    type = 'chart';
  }
  return { type, message, totalRow, ...(spec ? { spec } : {}) };
}

function capitalFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
