// Blending: the rows of a database query and of a query over the user's datasets, joined on output columns
// (a time bucket or a shared dimension). Each side was compiled and scoped on its own; only rows meet here.
import type { CompiledQuery, OutputColumn } from './compile.ts';
import type { CellValue, QueryResult } from './execute.ts';
import type { QueryPlan } from './plan.ts';

export interface QueryOutcome {
  compiled: CompiledQuery;
  result: QueryResult;
}

export class BlendError extends Error {
  override name = 'PlanError';
  readonly code = 'invalid_plan';
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

  const columns = [...leftCols, ...rightKept.map((r) => r.column)];
  const compiled: CompiledQuery = {
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
