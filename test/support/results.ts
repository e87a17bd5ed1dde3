// Comparing query results (with a numeric tolerance) and checking compiled SQL for tenant scoping.
import type { SemanticModel } from '../../server/config/schema.ts';
import type { CompiledQuery } from '../../server/query/compile.ts';
import type { CellValue, QueryResult } from '../../server/query/execute.ts';

export interface Tolerance {
  /** relative difference allowed between two numbers */
  rel: number;
  /** absolute difference allowed between two numbers */
  abs: number;
}

export const EXACTISH: Tolerance = { rel: 1e-9, abs: 1e-6 };
/** money sums may be computed as doubles in one dialect and decimals in the other */
export const CROSS_DIALECT: Tolerance = { rel: 1e-6, abs: 0.01 };

export function cellsEqual(a: CellValue, b: CellValue, tol: Tolerance): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= Math.max(tol.abs, tol.rel * Math.max(Math.abs(a), Math.abs(b)));
  }
  return a === b;
}

function rowKey(row: CellValue[]): string {
  // numbers rounded so that rows equal within the tolerance sort alike
  return JSON.stringify(row.map((c) => (typeof c === 'number' ? Math.round(c * 100) / 100 : c)));
}

/** True when the SQL fixes the row order (the compiler adds tie-breakers to every ORDER BY). */
export function isOrdered(compiled: CompiledQuery): boolean {
  return /\border by\b/i.test(compiled.sql.text);
}

/** The result columns named in the ORDER BY of compiled SQL, in order (raw expressions are skipped). */
export function orderColumns(compiled: CompiledQuery): string[] {
  // the last ORDER BY: window measures have their own inside OVER (...) before it
  const m = /^.*\border by (.*?)(?: limit \?)?$/is.exec(compiled.sql.text);
  if (!m) return [];
  return (m[1] as string)
    .split(', ')
    .map((part) => /^`(\w+)` (?:asc|desc)$/i.exec(part.trim())?.[1])
    .filter((n): n is string => n !== undefined && compiled.columns.some((c) => c.name === n));
}

export interface NearTies {
  /** the ORDER BY columns (see orderColumns) */
  orderBy: string[];
  /** true when the limit may have cut the result inside a run of near ties */
  limited: boolean;
  /** how close two measures must be to count as tied */
  tolerance: Tolerance;
}

/**
 * Rows in order, except that runs of rows whose first numeric-measure ORDER BY key is near-equal (and whose earlier
 * keys are equal) are sorted among themselves. Across dialects a money sum is a double in SQLite and a decimal in
 * MySQL (49.98 vs 49.980000000000004), and a ratio is rounded to a few decimals in MySQL, so near-equal values
 * tie in one dialect (the tie-breaker decides) and not in the other. When the limit cut the result, the last run
 * may hold different members on each side and is left out.
 */
function orderedModuloNearTies(r: QueryResult, ties: NearTies): CellValue[][] {
  const index = (name: string) => r.columns.findIndex((c) => c.name === name);
  const keyAt = ties.orderBy.findIndex((n) => {
    const c = r.columns[index(n)];
    return c?.role === 'measure' && c.type === 'number';
  });
  if (keyAt < 0) return r.rows;
  const prefix = ties.orderBy.slice(0, keyAt).map(index);
  const key = index(ties.orderBy[keyAt] as string);
  const runs: CellValue[][][] = [];
  let prev: CellValue[] | undefined;
  for (const row of r.rows) {
    const tied =
      prev !== undefined &&
      prefix.every((i) => prev?.[i] === row[i]) &&
      cellsEqual(prev[key] ?? null, row[key] ?? null, ties.tolerance);
    if (tied) runs[runs.length - 1]?.push(row);
    else runs.push([row]);
    prev = row;
  }
  if (ties.limited && runs.length > 0) runs.pop();
  return runs.flatMap((run) =>
    run.length > 1 ? [...run].sort((x, y) => rowKey(x).localeCompare(rowKey(y))) : run,
  );
}

/** Describes the first difference between two results, or undefined when they agree. */
export function diffResults(
  a: QueryResult,
  b: QueryResult,
  options: {
    tolerance: Tolerance;
    ordered: boolean;
    labels?: [string, string];
    /** let near-equal measures order either way (cross-dialect) */
    nearTies?: NearTies;
  },
): string | undefined {
  const [la, lb] = options.labels ?? ['a', 'b'];
  const colsA = a.columns.map((c) => `${c.name}:${c.type}`).join(',');
  const colsB = b.columns.map((c) => `${c.name}:${c.type}`).join(',');
  if (colsA !== colsB) return `columns differ: ${la} [${colsA}] vs ${lb} [${colsB}]`;
  if (a.truncated !== b.truncated) return `truncated differs: ${la} ${a.truncated} vs ${lb} ${b.truncated}`;
  if (a.rows.length !== b.rows.length) {
    return `row count differs: ${la} ${a.rows.length} vs ${lb} ${b.rows.length}; first rows ${la} ${JSON.stringify(
      a.rows.slice(0, 3),
    )} ${lb} ${JSON.stringify(b.rows.slice(0, 3))}`;
  }
  const arrange = (r: QueryResult) =>
    !options.ordered
      ? [...r.rows].sort((x, y) => rowKey(x).localeCompare(rowKey(y)))
      : options.nearTies
        ? orderedModuloNearTies(r, options.nearTies)
        : r.rows;
  const rowsA = arrange(a);
  const rowsB = arrange(b);
  if (rowsA.length !== rowsB.length)
    return `rows differ after setting near ties aside: ${rowsA.length} vs ${rowsB.length}`;
  for (let i = 0; i < rowsA.length; i++) {
    const ra = rowsA[i] as CellValue[];
    const rb = rowsB[i] as CellValue[];
    for (let j = 0; j < ra.length; j++) {
      if (!cellsEqual(ra[j] ?? null, rb[j] ?? null, options.tolerance)) {
        return `row ${i} (${options.ordered ? 'in order' : 'sorted'}) differs at ${a.columns[j]?.name}: ${la} ${JSON.stringify(
          ra,
        )} vs ${lb} ${JSON.stringify(rb)}`;
      }
    }
  }
  return undefined;
}

/** True when a result holds something other than empty groups (no rows, or only zero/NULL measures). */
export function hasData(r: QueryResult): boolean {
  return r.rows.some((row) =>
    row.some((c, i) => c !== null && !(r.columns[i]?.role === 'measure' && c === 0)),
  );
}

export interface TableRef {
  table: string;
  alias: string;
  /** index of the reference in the SQL text */
  at: number;
}

/** Every `from`/`join` table reference of the SQL text (main query and subqueries). */
export function tableRefs(text: string): TableRef[] {
  const out: TableRef[] = [];
  for (const m of text.matchAll(/\b(?:from|join)\s+`(\w+)`\s+as\s+`(\w+)`/gi)) {
    out.push({ table: m[1] as string, alias: m[2] as string, at: m.index });
  }
  return out;
}

/** The binding that the `?` at text offset `at` receives (no literal in compiled SQL contains a `?`). */
function bindingAt(compiled: CompiledQuery, at: number): unknown {
  const before = compiled.sql.text.slice(0, at).split('?').length - 1;
  return compiled.sql.bindings[before];
}

/**
 * Problems with the tenant scoping of compiled SQL: a tenant value written into the text, a table reference
 * without its context filter, a context filter bound to anything but the userContext value, or a count of
 * `organisation_id` conditions different from the number of table references that filter on it.
 */
export function tenantSqlProblems(
  compiled: CompiledQuery,
  model: SemanticModel,
  userContext: Record<string, unknown>,
  tenantColumn = 'organisation_id',
): string[] {
  const text = compiled.sql.text;
  const problems: string[] = [];
  if (new RegExp(`${tenantColumn}\`?\\s*(=|in\\s*\\()\\s*'?\\d`, 'i').test(text)) {
    problems.push(`the tenant value is written into the SQL text: ${text}`);
  }
  const refs = tableRefs(text);
  if (refs.length === 0) problems.push(`no table reference found in ${text}`);
  let expectedTenantConditions = 0;
  let emptyLists = 0;
  for (const ref of refs) {
    const table = model.tables[ref.table];
    if (!table) {
      problems.push(`SQL references table ${ref.table}, which is not in the model`);
      continue;
    }
    if (table.contextFilters.length === 0)
      problems.push(`SQL references ${ref.table}, which has no context filter`);
    for (const cf of table.contextFilters) {
      const expected = userContext[cf.field];
      const list = cf.op === 'in' ? (Array.isArray(expected) ? (expected as unknown[]) : []) : undefined;
      if (list?.length === 0) {
        // an empty list is a false condition (1 = 0) and names no column
        emptyLists += 1;
        continue;
      }
      if (cf.column === tenantColumn) expectedTenantConditions += 1;
      const needle = `\`${ref.alias}\`.\`${cf.column}\``;
      const pattern = new RegExp(
        `${needle.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}\\s*(=\\s*\\?|in\\s*\\()`,
        'gi',
      );
      const hits = [...text.matchAll(pattern)];
      if (hits.length !== 1) {
        problems.push(
          `${ref.table} as ${ref.alias}: expected one context filter on ${cf.column}, found ${hits.length}`,
        );
        continue;
      }
      const hit = hits[0] as RegExpExecArray;
      if (list) {
        const first = text.slice(0, hit.index + hit[0].length).split('?').length - 1;
        const bound = compiled.sql.bindings.slice(first, first + list.length);
        const placeholders = /^\s*\?(\s*,\s*\?)*\s*\)/
          .exec(text.slice(hit.index + hit[0].length))?.[0]
          .split('?').length;
        if (placeholders !== list.length + 1 || JSON.stringify(bound) !== JSON.stringify(list)) {
          problems.push(
            `${ref.alias}.${cf.column} is bound to ${JSON.stringify(bound)}, not the list ${JSON.stringify(list)}`,
          );
        }
      } else {
        const qmark = hit.index + hit[0].length - 1;
        const bound = bindingAt(compiled, qmark);
        if (bound !== expected) {
          problems.push(
            `${ref.alias}.${cf.column} is bound to ${JSON.stringify(bound)}, not ${JSON.stringify(expected)}`,
          );
        }
      }
    }
  }
  const falses = text.match(/\b1 = 0\b/g)?.length ?? 0;
  if (falses < emptyLists)
    problems.push(`${emptyLists} empty-list context filters but ${falses} false conditions`);
  const conditions = [...text.matchAll(new RegExp(`\`${tenantColumn}\`\\s*(=\\s*\\?|in\\s*\\()`, 'gi'))]
    .length;
  if (conditions !== expectedTenantConditions) {
    problems.push(
      `${conditions} ${tenantColumn} conditions for ${expectedTenantConditions} table references that need one: ${text}`,
    );
  }
  return problems;
}
