// Blending: the rows of a database query and of a query over the user's datasets, joined on output columns
// (a time bucket or a shared dimension). Each side was compiled and scoped on its own; only rows meet here.
// A blend of one database figure with one figure of the file (actual sales against targets) is a comparison:
// each row also gets the difference, the actual as a share of the file's figure, and whether it is over or under.
import { type CompiledQuery, type OutputColumn, PlanError } from './compile.ts';
import type { CellValue, QueryResult } from './execute.ts';
import type { QueryPlan } from './plan.ts';

export interface QueryOutcome {
  compiled: CompiledQuery;
  result: QueryResult;
}

/** Where a comparison's columns are in a blended result (indexes into its columns). */
export interface BlendComparison {
  /** the join key shown (time bucket or shared dimension), when there is one */
  key?: number;
  /** the database figure ("actual") */
  actual: number;
  /** the file's figure ("target") */
  target: number;
  difference: number;
  percent: number;
  status: number;
}

export interface BlendedQuery extends CompiledQuery {
  comparison?: BlendComparison;
}

export const OVER = 'over';
export const UNDER = 'under';
export const ON_TARGET = 'on target';

/** A blend whose sides cannot be joined: a plan error like any other (the friendly reply, the turn remembered). */
export class BlendError extends PlanError {
  override name = 'BlendError';
}

/** Dates compare by day ("2026-11-01" and "2026-11-01T00:00:00Z" are one bucket); text ignores case and spaces. */
function keyOf(value: CellValue, column: OutputColumn): string {
  if (value === null) return '\u0000null';
  if (column.type === 'date') return String(value).slice(0, 10);
  if (column.type === 'string') return String(value).trim().toLowerCase();
  return String(value);
}

/** A full outer join of two results on the named columns; the left side's order first, then the rest. */
export function blendResults(plan: QueryPlan, left: QueryOutcome, right: QueryOutcome): QueryOutcome {
  const on = plan.blend?.on ?? [];
  const index = (cols: OutputColumn[], name: string, side: string): number => {
    const i = cols.findIndex((c) => c.name === name);
    if (i < 0) throw new BlendError(`the ${side} side of the blend has no column "${name}"`);
    return i;
  };
  const leftCols = left.compiled.columns;
  const rightCols = right.compiled.columns;
  const leftKeys = on.map((o) => index(leftCols, o.left, 'database'));
  const rightKeys = on.map((o) => index(rightCols, o.right, 'dataset'));
  const taken = new Set(leftCols.map((c) => c.name));
  const rightKept = rightCols
    .map((c, i) => ({ c, i }))
    .filter(({ i }) => !rightKeys.includes(i))
    .map(({ c, i }) => {
      const renamed = taken.has(c.name);
      const name = renamed ? `file_${c.name}` : c.name;
      taken.add(name);
      return { column: { ...c, name, label: renamed ? `${c.label} (file)` : c.label }, i };
    });

  const rowKey = (row: CellValue[], keys: number[], cols: OutputColumn[]): string =>
    keys.map((k) => keyOf(row[k] ?? null, cols[k] as OutputColumn)).join('\u0001');
  const rightByKey = new Map<string, CellValue[]>();
  for (const row of right.result.rows) rightByKey.set(rowKey(row, rightKeys, rightCols), row);

  const rows: CellValue[][] = [];
  const seen = new Set<string>();
  const keepDatasetOnly = plan.blend?.keep === 'dataset';
  for (const row of left.result.rows) {
    const key = rowKey(row, leftKeys, leftCols);
    const match = rightByKey.get(key);
    if (keepDatasetOnly && !match) continue;
    seen.add(key);
    rows.push([...row, ...rightKept.map(({ i }) => (match ? (match[i] ?? null) : null))]);
  }
  const rightOnly = right.result.rows.filter((row) => !seen.has(rowKey(row, rightKeys, rightCols)));
  for (const row of rightOnly) {
    const out: CellValue[] = leftCols.map(() => null);
    on.forEach((_, k) => {
      out[leftKeys[k] as number] = row[rightKeys[k] as number] ?? null;
    });
    rows.push([...out, ...rightKept.map(({ i }) => row[i] ?? null)]);
  }
  if (rightOnly.length > 0 && leftKeys.length === 1) {
    const k = leftKeys[0] as number;
    rows.sort((a, b) => String(a[k] ?? '').localeCompare(String(b[k] ?? '')));
  }

  let columns = [...leftCols, ...rightKept.map((r) => r.column)];
  const comparison = compare(columns, rows, leftKeys[0]);
  if (comparison) columns = comparison.columns;
  const compiled: BlendedQuery = {
    ...(comparison ? { comparison: comparison.at } : {}),
    plan,
    sql: {
      text: `${left.compiled.sql.text};\n-- blended in Parley with this query over your uploaded files:\n${right.compiled.sql.text}`,
      bindings: [...left.compiled.sql.bindings, ...right.compiled.sql.bindings],
    },
    columns,
    limit: left.compiled.limit,
    capped: false,
    ranges: [...left.compiled.ranges, ...right.compiled.ranges],
    contextFilters: left.compiled.contextFilters,
  };
  return {
    compiled,
    result: {
      columns,
      rows,
      truncated: left.result.truncated || right.result.truncated,
      durationMs: left.result.durationMs + right.result.durationMs,
    },
  };
}

/**
 * Adds difference, percent-of-target and over/under to each row when the blend sets exactly one database figure
 * against one figure of the file; rows missing either figure get nulls.
 */
function compare(
  columns: OutputColumn[],
  rows: CellValue[][],
  key: number | undefined,
): { columns: OutputColumn[]; at: BlendComparison } | undefined {
  const measures = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.role === 'measure');
  if (measures.length !== 2) return undefined;
  const [left, right] = measures as [{ c: OutputColumn; i: number }, { c: OutputColumn; i: number }];
  if (left.c.type !== 'number' || right.c.type !== 'number') return undefined;
  const target = right.c.label.toLowerCase();
  // the file's figure is in the database figure's unit (a sales target is money when sales are)
  if (!right.c.unit && left.c.unit) columns[right.i] = { ...right.c, unit: left.c.unit };
  const taken = new Set(columns.map((c) => c.name));
  const fresh = (name: string): string => {
    let candidate = name;
    for (let n = 2; taken.has(candidate); n += 1) candidate = `${name}_${n}`;
    taken.add(candidate);
    return candidate;
  };
  const width = columns.length;
  const added: OutputColumn[] = [
    {
      name: fresh('difference'),
      label: 'Difference',
      type: 'number',
      role: 'measure',
      ...(left.c.unit ? { unit: left.c.unit } : {}),
      definition: `${left.c.label} minus ${target}`,
    },
    {
      name: fresh(`percent_of_${right.c.name}`),
      label: `% of ${target}`,
      type: 'number',
      role: 'measure',
      unit: 'percent',
      definition: `${left.c.label} as a percentage of ${target}`,
    },
    { name: fresh('over_under'), label: `Over/under ${target}`, type: 'string', role: 'field' },
  ];
  for (const row of rows) {
    const a = row[left.i];
    const t = row[right.i];
    if (typeof a === 'number' && typeof t === 'number') {
      const diff = Math.round((a - t) * 100) / 100;
      row.push(
        diff,
        t === 0 ? null : Math.round((a / t) * 10000) / 100,
        diff > 0 ? OVER : diff < 0 ? UNDER : ON_TARGET,
      );
    } else row.push(null, null, null);
  }
  return {
    columns: [...columns, ...added],
    at: {
      ...(key !== undefined ? { key } : {}),
      actual: left.i,
      target: right.i,
      difference: width,
      percent: width + 1,
      status: width + 2,
    },
  };
}
