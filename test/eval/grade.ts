// Grades one Parley answer against the rows of a hand-written expected SQL query, on VALUES only:
// column names, row order (unless the question asks for an order), number formatting, date rendering and
// extra columns in the answer do not matter; a wrong figure, a missing or extra group, a wrong order does.

/** A cell of an answer's typed rows or of an expected query's rows. */
export type Cell = number | string | boolean | null;

/** The rows an expected SQL query returned, with the query's column names. */
export interface ExpectedResult {
  columns: string[];
  rows: Cell[][];
}

/**
 * How to compare:
 * - `rows`: a result table. Key columns (dimensions) identify rows; the other columns are measures. Rows are
 *   matched by key values, each expected column to an answer column with equal values. Scalars are the case
 *   of one row without keys.
 * - `numbers`: only the figures matter, e.g. a comparison "this month vs last month": every expected number
 *   must appear in a distinct cell of the answer, which may not have more rows than there are figures.
 * - `none`: an unanswerable question: no data rows with numbers, no figure in the message.
 */
export type GradeKind = 'rows' | 'numbers' | 'none';

export interface GradeSpec {
  kind: GradeKind;
  /** key (dimension) columns of the expected rows; default: the columns whose values are not numbers */
  keys?: string[];
  /**
   * listings: alternative identifying columns (e.g. `[id, email]`); the answer passes when it can be matched
   * on any one of them (the others are then not graded)
   */
  anyKey?: string[];
  /** expected columns that are not graded (kept in the SQL for tie checks and for people reading failures) */
  ignore?: string[];
  /** the question asks for an order (top/bottom N, "most recent"): the answer's row order must match */
  ordered?: boolean;
  /** measures are ratios: a fraction (0.059) or a percentage (5.9) both pass */
  percent?: boolean;
  /**
   * "which one ..." questions: the answer may rank more rows than asked for, as long as it leads with the
   * expected row(s), in order (a ranked chart headed by the right category answers "which category sold most")
   */
  leading?: boolean;
}

/** The parts of an answer object that grading looks at. */
export interface GradableAnswer {
  type: string;
  message?: string;
  table?: { head: string[]; body: string[][] };
  data?: { columns: Array<{ name: string; type?: string }>; rows: Cell[][] };
}

export interface Grade {
  pass: boolean;
  /** why it failed (or a short note when it passed) */
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const NUMERIC_TEXT =
  /^[-+]?(?:\$|€|£|USD\s*)?\s*[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s*%?(?:\s*USD)?$/i;

/** A cell as a number: numbers, and strings that are plain or formatted numbers ("1,234.50", "$12.00", "5.9%"). */
export function toNumber(value: Cell | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '' || !/\d/.test(text) || !NUMERIC_TEXT.test(text)) return null;
  const n = Number(text.replace(/[$€£,%\s]|USD/gi, ''));
  return Number.isFinite(n) ? n : null;
}

/** Equal figures: relative tolerance 1e-6; non-integer expectations (money, averages) also to 0.01 absolute. */
export function numbersEqual(got: number, expected: number): boolean {
  const tolerance = Math.max(Math.abs(expected) * 1e-6, Number.isInteger(expected) ? 1e-9 : 0.01);
  return Math.abs(got - expected) <= tolerance + 1e-12;
}

function measureEqual(got: Cell | undefined, expected: Cell, percent: boolean): boolean {
  const e = toNumber(expected);
  if (e === null) {
    // an expected NULL aggregate (nothing to add up): the answer may say null or 0
    if (expected === null) return got === null || got === undefined || toNumber(got) === 0;
    return keyEqual(got, expected);
  }
  const g = toNumber(got);
  if (g === null) return false;
  if (numbersEqual(g, e)) return true;
  if (percent) {
    if (Math.abs(g - e) <= Math.max(Math.abs(e) * 1e-6, 5e-4)) return true;
    if (Math.abs(g - e * 100) <= Math.max(Math.abs(e * 100) * 1e-6, 0.05)) return true;
    // the expectation written as a percentage (5.08), the answer as a fraction (0.0508)
    if (Math.abs(g * 100 - e) <= Math.max(Math.abs(e) * 1e-6, 0.05)) return true;
  }
  return false;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Monday of ISO week `week` of ISO year `year`, as YYYY-MM-DD. */
function isoWeekMonday(year: number, week: number): string {
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000);
  return new Date(monday.getTime() + (week - 1) * 7 * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A rendered date as YYYY-MM-DD (the start of the period it names), or null when it is not a date:
 * '2026-11-01', '2026-11-01T00:00:00Z', '2026-11-01 00:00:00', '2026-11', '2026-Q4', 'Q4 2026', '2026-W48',
 * 'Nov 2026', 'November 2026', 2026 / '2026' (a year).
 */
export function normaliseDate(value: Cell | undefined): string | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 1900 && value <= 2200 ? `${value}-01-01` : null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  let m = ISO_DAY.exec(text);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  m = /^(\d{4})-(\d{2})$/.exec(text);
  if (m) return `${m[1]}-${m[2]}-01`;
  m = /^(\d{4})[- ]?Q([1-4])$/i.exec(text) ?? /^Q([1-4])[- ,]+(\d{4})$/i.exec(text);
  if (m) {
    const [year, quarter] = /^\d{4}$/.test(m[1]!) ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    return `${year}-${pad((Number(quarter) - 1) * 3 + 1)}-01`;
  }
  m = /^(\d{4})-?W(\d{2})$/i.exec(text);
  if (m) return isoWeekMonday(Number(m[1]), Number(m[2]));
  m = /^([a-z]{3})[a-z]*\.?,?\s+(\d{4})$/i.exec(text);
  if (m) {
    const month = MONTHS.indexOf(m[1]!.toLowerCase());
    if (month >= 0) return `${m[2]}-${pad(month + 1)}-01`;
  }
  m = /^(\d{4})$/.exec(text);
  if (m) return `${m[1]}-01-01`;
  return null;
}

type KeyMode = 'date' | 'number' | 'text';

function keyModeOf(values: Cell[]): KeyMode {
  const present = values.filter((v) => v !== null);
  // dates in any rendering the grader knows ('2025-01-01', '2025-Q1', '2025-01', '2025'), as the expected SQL wrote them
  if (present.length > 0 && present.every((v) => typeof v === 'string' && normaliseDate(v) !== null))
    return 'date';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return 'number';
  return 'text';
}

/** A key cell in a comparable form for the expected column's mode; null when it cannot be one. */
function normaliseKey(value: Cell | undefined, mode: KeyMode): string | null {
  if (value === null || value === undefined) return '\u0000null';
  if (mode === 'date') return normaliseDate(value);
  if (mode === 'number') {
    const n = toNumber(value);
    return n === null ? null : String(Math.round(n * 1e6) / 1e6);
  }
  return String(value).trim().replace(/\s+/g, ' ').toLowerCase();
}

function keyEqual(got: Cell | undefined, expected: Cell): boolean {
  const mode = keyModeOf([expected]);
  return normaliseKey(got, mode) === normaliseKey(expected, mode);
}

function show(value: Cell | undefined): string {
  if (value === undefined) return '(missing)';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Grading

/** Grades an answer against the expected rows (null for unanswerable questions). */
export function grade(
  answer: GradableAnswer,
  expected: ExpectedResult | null,
  spec: GradeSpec,
  question = '',
): Grade {
  if (spec.kind === 'none') return gradeUnanswerable(answer, question);
  if (!expected) return { pass: false, reason: 'no expected result to grade against' };
  if (answer.type === 'error') {
    return { pass: false, reason: `answered with an error: ${truncate(answer.message ?? '', 160)}` };
  }
  const rows = answer.data?.rows;
  if (!rows || rows.length === 0) {
    return { pass: false, reason: `the answer has no data rows (type ${answer.type})` };
  }
  if (spec.kind === 'numbers') return gradeNumbers(rows, expected, spec);
  const names = answer.data?.columns.map((c) => c.name) ?? [];
  // "which one": only the leading rows of a ranking count, and they must come in order
  const graded = spec.leading ? rows.slice(0, expected.rows.length) : rows;
  const base: GradeSpec = spec.leading ? { ...spec, ordered: true } : spec;
  if (base.anyKey && base.anyKey.length > 0) {
    // listings: pass when the rows can be identified by any one of the alternative key columns
    const others = base.anyKey;
    let first: Grade | undefined;
    for (const key of others) {
      const ignore = [...(base.ignore ?? []), ...others.filter((k) => k !== key)];
      const result = gradeRows(graded, names, expected, { ...base, keys: [key], ignore });
      if (result.pass) return result;
      first ??= result;
    }
    return first!;
  }
  return gradeRows(graded, names, expected, base);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

interface Column {
  name: string;
  index: number;
  values: Cell[];
}

function gradeRows(
  answerRows: Cell[][],
  answerNames: string[],
  expected: ExpectedResult,
  spec: GradeSpec,
): Grade {
  const ignore = new Set(spec.ignore ?? []);
  const graded: Column[] = expected.columns
    .map((name, index) => ({ name, index, values: expected.rows.map((r) => r[index] ?? null) }))
    .filter((c) => !ignore.has(c.name));
  for (const name of [...(spec.keys ?? []), ...ignore]) {
    if (!expected.columns.includes(name))
      return { pass: false, reason: `spec names unknown column "${name}"` };
  }
  const isKey = (c: Column) =>
    spec.keys ? spec.keys.includes(c.name) : c.values.some((v) => v !== null && typeof v !== 'number');
  const keys = graded.filter(isKey);
  const measures = graded.filter((c) => !isKey(c));
  const width = Math.max(0, ...answerRows.map((r) => r.length));
  const answerColumns: Column[] = Array.from({ length: width }, (_, index) => ({
    name: answerNames[index] ?? `#${index}`,
    index,
    values: answerRows.map((r) => r[index] ?? null),
  }));
  const nExpected = expected.rows.length;
  const nAnswer = answerRows.length;

  if (nAnswer < nExpected) return { pass: false, reason: `${nAnswer} row(s), expected ${nExpected}` };
  if (nAnswer > nExpected && (keys.length === 0 || spec.ordered)) {
    return { pass: false, reason: `${nAnswer} row(s), expected ${nExpected}` };
  }

  // 1. align rows: by key values when there are keys, else by position
  let alignments: Array<{ keyColumns: number[]; rowOf: number[] }>;
  if (keys.length === 0) {
    alignments = [{ keyColumns: [], rowOf: expected.rows.map((_, i) => i) }];
  } else {
    alignments = alignByKeys(keys, answerColumns, nExpected);
    if (alignments.length === 0) {
      const missing = keys.find((k) => candidateKeyColumns(k, answerColumns).length === 0) ?? keys[0]!;
      const sample = missing.values.slice(0, 5).map(show).join(', ');
      return {
        pass: false,
        reason:
          keys.length === 1 || missing !== keys[0]
            ? `no answer column holds the expected values of "${missing.name}" (${sample}${nExpected > 5 ? ', …' : ''})`
            : `no combination of answer columns holds the expected key values of ${keys.map((k) => `"${k.name}"`).join(', ')}`,
      };
    }
  }

  // 2. match every measure to a distinct answer column with equal values on the aligned rows
  let lastFailure = '';
  for (const { keyColumns, rowOf } of alignments) {
    const used = new Set(keyColumns);
    const assignment = assignMeasures(measures, answerColumns, rowOf, used, spec.percent ?? false);
    if (!assignment) {
      lastFailure = describeMeasureFailure(measures, answerColumns, rowOf, used, expected, keys, spec);
      continue;
    }
    // 3. rows of the answer that match no expected row: only as gap filling (all measures zero or empty)
    const matched = new Set(rowOf);
    for (let r = 0; r < nAnswer; r++) {
      if (matched.has(r)) continue;
      const extra = assignment.every((col) => {
        const v = answerRows[r]![col];
        return v === null || v === undefined || toNumber(v) === 0;
      });
      if (!extra || assignment.length === 0) {
        return {
          pass: false,
          reason: `${nAnswer} row(s), expected ${nExpected}; extra row ${show(answerRows[r]!.join(' | '))}`,
        };
      }
    }
    // 4. order, when the question asks for one
    if (spec.ordered) {
      const failure = checkOrder(rowOf, keys, measures, keyColumns, assignment, answerRows, expected, spec);
      if (failure) {
        lastFailure = failure;
        continue;
      }
    }
    return { pass: true, reason: 'values match' };
  }
  return { pass: false, reason: lastFailure };
}

function candidateKeyColumns(key: Column, answerColumns: Column[]): number[] {
  const mode = keyModeOf(key.values);
  const out: number[] = [];
  for (const col of answerColumns) {
    const available = new Map<string, number>();
    for (const v of col.values) {
      const k = normaliseKey(v, mode);
      if (k !== null) available.set(k, (available.get(k) ?? 0) + 1);
    }
    let ok = true;
    for (const v of key.values) {
      const k = normaliseKey(v, mode);
      const n = k === null ? 0 : (available.get(k) ?? 0);
      if (n === 0) {
        ok = false;
        break;
      }
      available.set(k!, n - 1);
    }
    if (ok) out.push(col.index);
  }
  return out;
}

/** Every assignment of key columns to distinct answer columns under which each expected row finds its own answer row. */
function alignByKeys(
  keys: Column[],
  answerColumns: Column[],
  nExpected: number,
): Array<{ keyColumns: number[]; rowOf: number[] }> {
  const candidates = keys.map((k) => candidateKeyColumns(k, answerColumns));
  const modes = keys.map((k) => keyModeOf(k.values));
  const results: Array<{ keyColumns: number[]; rowOf: number[] }> = [];
  const chosen: number[] = [];
  const visit = (i: number) => {
    if (results.length >= 24) return;
    if (i === keys.length) {
      const byKey = new Map<string, number[]>();
      const nAnswer = answerColumns[0]?.values.length ?? 0;
      for (let r = 0; r < nAnswer; r++) {
        const tuple = JSON.stringify(
          chosen.map((c, j) => normaliseKey(answerColumns[c]!.values[r], modes[j]!)),
        );
        const list = byKey.get(tuple) ?? [];
        list.push(r);
        byKey.set(tuple, list);
      }
      const rowOf: number[] = [];
      for (let e = 0; e < nExpected; e++) {
        const tuple = JSON.stringify(keys.map((k, j) => normaliseKey(k.values[e], modes[j]!)));
        const list = byKey.get(tuple);
        if (!list || list.length === 0) return;
        rowOf.push(list.shift()!);
      }
      results.push({ keyColumns: [...chosen], rowOf });
      return;
    }
    for (const c of candidates[i]!) {
      if (chosen.includes(c)) continue;
      chosen.push(c);
      visit(i + 1);
      chosen.pop();
    }
  };
  visit(0);
  return results;
}

function columnMatches(measure: Column, answer: Column, rowOf: number[], percent: boolean): boolean {
  return measure.values.every((v, e) => measureEqual(answer.values[rowOf[e]!], v, percent));
}

/** Answer column index for each measure (distinct, not a key column), or null when impossible. */
function assignMeasures(
  measures: Column[],
  answerColumns: Column[],
  rowOf: number[],
  used: Set<number>,
  percent: boolean,
): number[] | null {
  const options = measures.map((m) =>
    answerColumns
      .filter((c) => !used.has(c.index) && columnMatches(m, c, rowOf, percent))
      .map((c) => c.index),
  );
  const chosen: number[] = [];
  const visit = (i: number): boolean => {
    if (i === measures.length) return true;
    for (const c of options[i]!) {
      if (chosen.includes(c)) continue;
      chosen.push(c);
      if (visit(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  return visit(0) ? chosen : null;
}

function describeMeasureFailure(
  measures: Column[],
  answerColumns: Column[],
  rowOf: number[],
  used: Set<number>,
  expected: ExpectedResult,
  keys: Column[],
  spec: GradeSpec,
): string {
  const percent = spec.percent ?? false;
  for (const m of measures) {
    if (answerColumns.some((c) => !used.has(c.index) && columnMatches(m, c, rowOf, percent))) continue;
    // the closest column: the one agreeing on most rows
    let best: { col: Column; agree: number } | undefined;
    for (const c of answerColumns) {
      if (used.has(c.index)) continue;
      const agree = m.values.filter((v, e) => measureEqual(c.values[rowOf[e]!], v, percent)).length;
      const numeric = m.values.some((_, e) => toNumber(c.values[rowOf[e]!]) !== null);
      if (numeric && (!best || agree > best.agree)) best = { col: c, agree };
    }
    if (!best) return `no numeric answer column for "${m.name}"`;
    if (rowOf.length === 1) {
      // a single row: show every figure the answer has, so the failure explains itself
      const row = rowOf[0]!;
      const figures = answerColumns
        .filter((c) => !used.has(c.index) && toNumber(c.values[row]) !== null)
        .slice(0, 6)
        .map((c) => `${c.name}=${show(c.values[row])}`);
      const where =
        keys.length > 0 ? ` for ${keys.map((k) => show(expected.rows[0]![k.index] ?? null)).join(', ')}` : '';
      return `"${m.name}"${where}: expected ${show(m.values[0] ?? null)}, the answer has ${figures.join(', ')}`;
    }
    const e = m.values.findIndex((v, i) => !measureEqual(best!.col.values[rowOf[i]!], v, percent));
    const where =
      keys.length > 0 ? ` for ${keys.map((k) => show(expected.rows[e]![k.index] ?? null)).join(', ')}` : '';
    return `"${m.name}"${where}: expected ${show(m.values[e] ?? null)}, got ${show(best.col.values[rowOf[e]!])}`;
  }
  return 'measures match no distinct answer columns';
}

function checkOrder(
  rowOf: number[],
  keys: Column[],
  measures: Column[],
  keyColumns: number[],
  assignment: number[],
  answerRows: Cell[][],
  expected: ExpectedResult,
  spec: GradeSpec,
): string | null {
  // the answer's rows, in the answer's order, must carry the expected sequence: of the first measure when there
  // is one (rows tied on it may come in any order), else of the keys
  const order = [...rowOf].sort((a, b) => a - b);
  for (let i = 0; i < order.length; i++) {
    const row = answerRows[order[i]!]!;
    if (measures.length > 0) {
      const got = row[assignment[0]!];
      const want = measures[0]!.values[i] ?? null;
      if (!measureEqual(got, want, spec.percent ?? false)) {
        return `row ${i + 1} out of order: expected "${measures[0]!.name}" ${show(want)}, got ${show(got)}`;
      }
    } else {
      const ok = keys.every((k, j) => keyEqual(row[keyColumns[j]!], expected.rows[i]![k.index] ?? null));
      if (!ok) {
        const want = keys.map((k) => show(expected.rows[i]![k.index] ?? null)).join(', ');
        const got = keyColumns.map((c) => show(row[c])).join(', ');
        return `row ${i + 1} out of order: expected ${want}, got ${got}`;
      }
    }
  }
  return null;
}

function gradeNumbers(answerRows: Cell[][], expected: ExpectedResult, spec: GradeSpec): Grade {
  const ignore = new Set(spec.ignore ?? []);
  const wanted: number[] = [];
  for (const row of expected.rows) {
    row.forEach((v, i) => {
      const n = toNumber(v);
      if (n !== null && !ignore.has(expected.columns[i]!)) wanted.push(n);
    });
  }
  if (answerRows.length > wanted.length) {
    return { pass: false, reason: `${answerRows.length} row(s) for ${wanted.length} expected figure(s)` };
  }
  const cells: Array<{ value: number; used: boolean }> = [];
  for (const row of answerRows) {
    for (const v of row) {
      const n = toNumber(v);
      if (n !== null) cells.push({ value: n, used: false });
    }
  }
  for (const want of wanted) {
    const percent = spec.percent ?? false;
    const hit = cells.find((c) => !c.used && measureEqual(c.value, want, percent));
    if (!hit) {
      const got = cells.map((c) => c.value).slice(0, 8);
      return {
        pass: false,
        reason: `figure ${want} not in the answer (answer figures: ${got.join(', ') || 'none'})`,
      };
    }
    hit.used = true;
  }
  return { pass: true, reason: 'figures match' };
}

// ---------------------------------------------------------------------------------------------------------------
// Unanswerable questions

/**
 * The figures a message states: digit-bearing tokens, leaving out what does not count as an invented figure:
 * quoted text (example questions), years (1900-2199), ISO dates and times, quarter names (Q3), ordinals (1st),
 * and numbers the question itself contains.
 */
export function statedFigures(message: string, question = ''): string[] {
  const fromQuestion = new Set((question.match(/\d+(?:[.,]\d+)*/g) ?? []).map((n) => n.replace(/,/g, '')));
  const text = message
    // quoted text is an example or a suggestion ("try 'top 5 products by revenue'"), not a stated figure
    .replace(/"[^"]*"|“[^”]*”|‘[^’]*’|(?<![A-Za-z])'[^']*'(?![A-Za-z])/g, ' ')
    .replace(/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?)?\b/g, ' ')
    .replace(/\b\d{1,2}:\d{2}(?::\d{2})?\b/g, ' ')
    .replace(/\bQ[1-4]\b/gi, ' ')
    .replace(/\b\d+(?:st|nd|rd|th)\b/gi, ' ')
    .replace(/\b(?:19|20|21)\d{2}\b/g, ' ');
  const tokens = text.match(/[$€£]?\d+(?:[.,]\d+)*%?/g) ?? [];
  return tokens.filter((t) => !fromQuestion.has(t.replace(/[$€£%,]/g, '')));
}

function hasNumber(cell: Cell | undefined): boolean {
  return toNumber(cell ?? null) !== null;
}

function gradeUnanswerable(answer: GradableAnswer, question: string): Grade {
  // a clarification ("which did you mean?") runs no query: like a refusal it gives no figure
  if (answer.type !== 'error' && answer.type !== 'text' && answer.type !== 'clarification') {
    return { pass: false, reason: `answered with a ${answer.type} instead of declining` };
  }
  const numericRow = answer.data?.rows.find((row) => row.some(hasNumber));
  if (numericRow)
    return { pass: false, reason: `gave data rows with figures: ${numericRow.map(show).join(' | ')}` };
  const numericCell = answer.table?.body.flat().find((cell) => statedFigures(cell, question).length > 0);
  if (numericCell !== undefined)
    return { pass: false, reason: `gave a table with figures: ${show(numericCell)}` };
  const figures = statedFigures(answer.message ?? '', question);
  if (figures.length > 0) {
    return {
      pass: false,
      reason: `the message states figures (${figures.join(', ')}): ${truncate(answer.message ?? '', 160)}`,
    };
  }
  return { pass: true, reason: `declined (${answer.type})` };
}
