// The state the embedded planner's strategies share while they read one question, and the small readings of
// the question they all use (what a cue word points at, plural nouns, shared years).
import { resolveDateRange } from '../../dates/resolve.ts';
import type { DateRange, Measure } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import type { Match, Target } from './lexicon.ts';
import { keptFor } from './model-helpers.ts';
import type { Reading } from './reading.ts';

/** What the strategies of one question build together: the measures found so far, their table, notes, used words. */
export class Assembly {
  readonly view: ModelView;
  readonly notes: string[] = [];
  readonly used = new Set<Match>();
  readonly measures: Measure[] = [];
  /** the table the plan counts or sums over, once a measure is found */
  base: string | undefined;
  /** the measure a ranking orders by, when the question names it after "by" */
  rankingMeasure: Measure | undefined;

  constructor(
    readonly r: Reading,
    readonly input: PlannerInput,
  ) {
    this.view = input.view;
  }

  /** Adds a model measure (once), with a note of what it means. */
  addNamed(table: string, name: string, m?: Match): void {
    const named: Measure = { kind: 'named', name: `${table}.${name}` };
    if (m && afterBy(this.r, m) && this.r.topN) this.rankingMeasure = named;
    if (!this.measures.some((x) => JSON.stringify(x) === JSON.stringify(named))) this.measures.push(named);
    this.base ??= table;
    const def = this.view.table(table).measures[name];
    if (def?.description)
      this.notes.push(`${m ? `"${m.text}" is ` : ''}${name.replace(/_/g, ' ')}: ${def.description}`);
  }
}

/** One kind of question: decides the answer (an outcome), or adds to the assembly and lets the next one look. */
export type Strategy = (a: Assembly) => PlannerOutcome | undefined;

export type Kind = Target['kind'];

export type MatchOf<K extends Kind> = Match & { target: Extract<Target, { kind: K }> };

export function matchesOf<K extends Kind>(r: Reading, kind: K): Array<MatchOf<K>> {
  return r.matches.filter((m): m is MatchOf<K> => m.target.kind === kind);
}

/** A match within a few words after a "by/per/each" cue, with nothing but column words in between. */
export function afterBy(r: Reading, m: Match): boolean {
  // "ranked by number of completed orders": after a count cue it is what is counted, not a breakdown
  return r.byCues.some(
    (b) =>
      b < m.from &&
      m.from - b <= 3 &&
      !r.matches.some((o) => o.from > b && o.from < m.from) &&
      !(r.countCue > b && r.countCue < m.from),
  );
}

/**
 * The thing a count cue counts: named before it ("order counts"), or the first thing named within a few words
 * after it, past any values ("number of completed orders" counts orders).
 */
export function countedMatch(r: Reading): Match | undefined {
  if (r.countSubject) return r.countSubject;
  if (r.countCue < 0) return undefined;
  const near = r.matches.filter((m) => m.from > r.countCue && m.from - r.countCue <= 4);
  return near.find((m) => m.target.kind !== 'value') ?? near[0];
}

/** "the five most recent refunds": a status value stands for the rows that have it, when nothing else is named. */
export function enumeratedEntity(r: Reading, used: Set<Match>): Match | undefined {
  return r.matches.find((m) => !used.has(m) && m.target.kind === 'value' && m.target.enumerated);
}

/** Words of distinctness: "different products", "unique buyers" ask for how many, not for the rows. */
export const DISTINCT_WORDS: ReadonlySet<string> = new Set(['different', 'distinct', 'unique', 'separate']);

export function isPluralAt(r: Reading, m: Match): boolean {
  const last = r.tokens[m.to - 1];
  return last?.text.endsWith('s') === true && !last.text.endsWith('ss');
}

/** "which categories ..." asks for a ranked list, "which category ..." for the single top one. */
export function isPluralDimension(r: Reading): boolean {
  if (r.rankGrain) return r.tokens[r.rankGrain.at]?.text.endsWith('s') ?? false;
  const subject = r.matches.find((m) => m.from > r.whichAt && m.from - r.whichAt <= 3);
  return subject !== undefined && isPluralAt(r, subject);
}

/** "5 most expensive": a count written just before the superlative. */
export function numberBefore(r: Reading, at: number): number | undefined {
  for (const k of [at - 1, at - 2]) {
    const n = r.tokens[k]?.num;
    if (n !== undefined && Number.isInteger(n) && n > 0 && n <= 1000) return n;
  }
  return undefined;
}

export function cleanLabel(text: string): string {
  return (
    text
      .replace(/^(in|during|for|over|the|of)\s+/i, '')
      .trim()
      .slice(0, 64) || text.slice(0, 64)
  );
}

/**
 * A compared period's label: a named period by its full name ("Q1 vs Q2 this year" compares Q1 2026 and Q2 2026,
 * not "Q1" and "Q2 this year"); a relative one ("last month") as the question said it.
 */
export function comparedLabel(d: { text: string; range: DateRange }, input: PlannerInput): string {
  if (d.range.kind !== 'period') return cleanLabel(d.text);
  return resolveDateRange(d.range, input.now, input.view.agent.timeZone).label.slice(0, 64);
}

/** "Q2 and Q3 2025": a period without a year takes the year written on its neighbour. */
export function withSharedYear<T extends { range: DateRange }>(dates: T[]): T[] {
  const year = dates
    .map((d) => (d.range.kind === 'period' ? d.range.period.year : undefined))
    .find((y) => y !== undefined);
  if (year === undefined) return dates;
  const shared = dates.map((d) =>
    d.range.kind === 'period' && d.range.period.year === undefined
      ? { ...d, range: { kind: 'period' as const, period: { ...d.range.period, year } } }
      : d,
  );
  // "October vs October last year": the same month twice is two years, not one
  const keys = shared.map((d) => {
    const p = d.range.kind === 'period' ? d.range.period : undefined;
    return p ? `${p.year}-${p.quarter}-${p.month}-${p.day}` : JSON.stringify(d.range);
  });
  return new Set(keys).size < keys.length ? dates : shared;
}

/** The table of events: queryable, dated, and belonging to the most other tables (orders, in a shop). */
export function factTable(view: ModelView): string | undefined {
  return keptFor(view, 'facts', () => findFactTable(view));
}

function findFactTable(view: ModelView): string | undefined {
  let best: { table: string; score: number } | undefined;
  for (const [name, t] of view.tables) {
    if (t.access !== 'queryable' || !t.timeColumn) continue;
    const score = Object.values(t.relations).filter((rel) => rel.kind === 'many-to-one').length;
    if (!best || score > best.score) best = { table: name, score };
  }
  return best?.table;
}
