// Runs the question set's hand-written expected SQL on a SQLite copy of the demo data, and sanity-checks it
// (`--check-sql`): every query runs, returns rows without empty figures, names existing columns, has unique
// keys, and an ordered top/bottom N has no tie at its cut-off (which would make the expected set ambiguous).
import Database from 'better-sqlite3';
import type { Cell, ExpectedResult, GradeSpec } from './grade.ts';
import type { EvalItem, EvalTurn } from './questions.ts';

export interface ExpectedTurn {
  result?: ExpectedResult;
  /** the SQL failed */
  error?: string;
}

export interface SqlIssue {
  id: string;
  level: 'error' | 'warning';
  message: string;
}

export type SqliteDb = InstanceType<typeof Database>;

export function openExpectationDb(file: string): SqliteDb {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Runs one expected query with `:org` bound to the organisation id. */
export function runExpectedSql(db: SqliteDb, sql: string, org: number): ExpectedResult {
  const stmt = db.prepare(sql);
  if (!stmt.reader) throw new Error('expected SQL must be a query that returns rows');
  const params = sql.includes(':org') ? { org } : {};
  const columns = stmt.columns().map((c) => c.name);
  const rows = (stmt.raw(true).all(params) as unknown[][]).map((row) =>
    row.map((v): Cell => (typeof v === 'bigint' ? Number(v) : (v as Cell))),
  );
  return { columns, rows };
}

export function computeExpected(db: SqliteDb, item: EvalItem): ExpectedTurn[] {
  return item.turns.map((turn) => {
    if (turn.sql === undefined) return {};
    try {
      return { result: runExpectedSql(db, turn.sql, item.org) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
}

function gradedColumns(result: ExpectedResult, spec: GradeSpec): { keys: number[]; measures: number[] } {
  const ignore = new Set([...(spec.ignore ?? []), ...(spec.anyKey ?? [])]);
  const keys: number[] = [];
  const measures: number[] = [];
  result.columns.forEach((name, i) => {
    if (spec.anyKey?.includes(name)) keys.push(i);
    if (ignore.has(name)) return;
    const isKey = spec.keys
      ? spec.keys.includes(name)
      : result.rows.some((r) => r[i] !== null && r[i] !== undefined && typeof r[i] !== 'number');
    (isKey ? keys : measures).push(i);
  });
  return { keys, measures };
}

const LIMIT = /\blimit\s+(\d+)\s*;?\s*$/i;

/** Problems with one turn's expected query and result (empty when it is fine). */
export function checkTurn(
  db: SqliteDb,
  id: string,
  org: number,
  turn: EvalTurn,
  expected: ExpectedTurn,
): SqlIssue[] {
  const out: SqlIssue[] = [];
  const error = (message: string) => out.push({ id, level: 'error', message });
  const warn = (message: string) => out.push({ id, level: 'warning', message });
  const { spec } = turn;
  if (spec.kind === 'none') {
    if (turn.sql !== undefined) error('an unanswerable question must not have expected SQL');
    return out;
  }
  if (expected.error !== undefined) {
    error(`SQL failed: ${expected.error}`);
    return out;
  }
  const result = expected.result;
  if (!result) {
    error('no expected SQL');
    return out;
  }
  if (!/:org\b/.test(turn.sql ?? '')) error('the SQL is not scoped by :org');
  for (const name of [...(spec.keys ?? []), ...(spec.anyKey ?? []), ...(spec.ignore ?? [])]) {
    if (!result.columns.includes(name)) error(`grading option names column "${name}", not in the result`);
  }
  if (new Set(result.columns).size !== result.columns.length) error('duplicate column names in the result');
  if (result.rows.length === 0) {
    error('the expected query returned no rows');
    return out;
  }
  const { keys, measures } = gradedColumns(result, spec);
  if (spec.kind === 'numbers') {
    if (result.rows.length !== 1)
      warn(`a comparison usually has one row of figures, got ${result.rows.length}`);
    const figures = result.rows.flat().filter((v) => typeof v === 'number');
    if (figures.length < 2) error('a comparison needs at least two figures');
  }
  for (const row of result.rows) {
    for (const i of [...keys, ...measures]) {
      if (row[i] === null || row[i] === undefined) {
        error(`NULL in column "${result.columns[i]}" (row ${row.map(String).join(' | ')})`);
        return out;
      }
    }
  }
  if (keys.length === 0 && result.rows.length > 1 && spec.kind === 'rows') {
    error(`${result.rows.length} rows but no key columns to tell them apart`);
  }
  if (keys.length === 0 && result.rows.length === 1 && measures.length > 0) {
    if (measures.every((i) => result.rows[0]![i] === 0)) warn('the expected figure is 0');
  }
  if (spec.kind === 'rows' && keys.length > 0) {
    // every key column the grader may align on must identify the rows on its own (anyKey), or together (keys)
    const groups = spec.anyKey ? keys.map((k) => [k]) : [keys];
    for (const group of groups) {
      const tuples = result.rows.map((r) => JSON.stringify(group.map((i) => normaliseText(r[i]))));
      if (new Set(tuples).size !== tuples.length) {
        error(`duplicate key values in ${group.map((i) => `"${result.columns[i]}"`).join(', ')}`);
      }
    }
  }
  if (spec.ordered || spec.leading) out.push(...checkTies(db, id, org, turn, result, measures));
  return out;
}

function normaliseText(v: Cell | undefined): string {
  return typeof v === 'string' ? v.trim().toLowerCase() : String(v);
}

/** An ordered result must not depend on how ties are broken: not at the LIMIT cut-off, nor between listed keys. */
function checkTies(
  db: SqliteDb,
  id: string,
  org: number,
  turn: EvalTurn,
  result: ExpectedResult,
  measures: number[],
): SqlIssue[] {
  const out: SqlIssue[] = [];
  const ignored = (turn.spec.ignore ?? []).map((n) => result.columns.indexOf(n)).filter((i) => i >= 0);
  const sortColumn = measures[0] ?? ignored[0];
  if (sortColumn === undefined) {
    out.push({ id, level: 'warning', message: 'ordered, but no measure or ignored column to check ties on' });
    return out;
  }
  const values = result.rows.map((r) => r[sortColumn]);
  if (measures.length === 0) {
    // a listing graded on the order of its keys: keys tied on the sort value could come in any order
    for (let i = 1; i < values.length; i++) {
      if (values[i] === values[i - 1]) {
        out.push({
          id,
          level: 'error',
          message: `rows ${i} and ${i + 1} tie on "${result.columns[sortColumn]}"`,
        });
      }
    }
  }
  const m = LIMIT.exec(turn.sql ?? '');
  if (m) {
    const n = Number(m[1]);
    const wider = runExpectedSql(db, turn.sql!.replace(LIMIT, `LIMIT ${n + 1}`), org);
    const last = wider.rows[n - 1]?.[sortColumn];
    const next = wider.rows[n]?.[sortColumn];
    if (next !== undefined && last === next) {
      out.push({
        id,
        level: 'error',
        message: `tie at the LIMIT ${n} cut-off on "${result.columns[sortColumn]}" (${String(last)})`,
      });
    }
  }
  return out;
}
