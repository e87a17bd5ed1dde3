// What the embedded planner did with a question's words, read off the finished plan (it changes no reading): the
// meaningful words the plan does not reflect, the words that named each measure with the other measures they could
// name, the words that named the tables, and the date phrases. The answer's "Read as" chips show the first and
// build alternatives from the rest (server/answers/read-as-alternatives.ts). Over a user's files, only the columns
// the plan left out (fileWordUse).
import type { QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { DatasetPlanningContext, WordUse } from '../types.ts';
import type { Lexicon, Match, Target } from './lexicon.ts';
import { measureAlternatives } from './model-helpers.ts';
import { AGGREGATE_WORDS, GRAIN_NOUNS, GRAMMAR_WORDS, type Reading } from './reading.ts';
import { FILLER } from './text.ts';

// words of the stop list that may stand before a noun without narrowing it ("several orders", "become customers")
const NOT_NARROWING = new Set(
  `several various certain own both either neither such whole entire actual really very quite still become became
  already ever just`.split(/\s+/),
);

export function wordUse(r: Reading, plan: QueryPlan, view: ModelView, lex: Lexicon): WordUse {
  const json = JSON.stringify(plan);
  // "total amount spent" named the column revenue sums: the model's measures over a column use it
  const measuredColumns = new Set<string>();
  for (const [, name] of json.matchAll(/"kind":"named","name":"([^"]+)"/g)) {
    const m = view.measure(name as string);
    if (m.definition.column) measuredColumns.add(`${m.table}.${m.definition.column}`);
  }
  // a measure the plan rebased onto another table ("revenue" by product is product revenue) is still the one named
  const measureInPlan = (t: Extract<Target, { kind: 'measure' }>): string | undefined =>
    [
      `${t.table}.${t.name}`,
      ...measureAlternatives(view, `${t.table}.${t.name}`).map((a) => `${a.table}.${a.name}`),
    ].find((name) => json.includes(`"${name}"`));
  const reflected = (t: Target): boolean => {
    switch (t.kind) {
      case 'measure':
        return measureInPlan(t) !== undefined;
      case 'table':
        return json.includes(`"${t.table}"`) || json.includes(`"${t.table}.`);
      case 'column':
        return json.includes(`"${t.field}"`) || measuredColumns.has(t.field);
      case 'segment':
        // "top 5 customers": the people of the segment, ranked, whether or not the segment filters them
        return json.includes(`"${t.table}.${t.name}"`) || reflected({ kind: 'table', table: t.table });
      case 'value':
        return json.includes(`"${t.field}"`) && json.includes(JSON.stringify(t.value));
      default:
        return false;
    }
  };
  const used = r.matches.filter((m) => reflected(m.target));
  const covered = new Set<number>();
  for (const m of used) for (let k = m.from; k < m.to; k += 1) covered.add(k);
  const startsNoun = new Set(r.matches.filter((m) => m.target.kind !== 'value').map((m) => m.from));
  const words = r.tokens.map((t) => t.text);
  const unused: string[] = [];
  for (const [i, w] of words.entries()) {
    if (covered.has(i) || r.tokens[i]?.num !== undefined || w.length <= 2 || /['’]/.test(w)) continue;
    if (GRAMMAR_WORDS.has(w) || GRAIN_NOUNS[w] || words[i - 1] === 'we') continue;
    const matched = r.matches.some((m) => m.from <= i && i < m.to);
    // a word of a longer phrase the plan did not take ("avg orders" the measure) may on its own name what it did
    if (lex.at(r.tokens, i).some((h) => h.length === 1 && h.exact && reflected(h.target))) continue;
    // the stop list holds adjectives too ("young", "important"): one that narrows a thing named is meaningful
    const narrows = startsNoun.has(i + 1) && !NOT_NARROWING.has(w);
    if (FILLER.has(w) && !matched && !narrows) continue;
    if (!unused.includes(w)) unused.push(w);
  }
  for (const w of r.unknownWords) if (!unused.includes(w)) unused.push(w);
  return {
    unusedWords: unused,
    measures: used.flatMap((m) =>
      m.target.kind === 'measure' ? [measureWords(m, measureInPlan(m.target) ?? '', r, view, lex)] : [],
    ),
    dates: r.dates.map((d) => d.text),
    tables: used.flatMap((m) => {
      if (m.target.kind === 'table') return [{ table: m.target.table, words: m.text }];
      if (m.target.kind === 'segment')
        return [{ table: m.target.table, words: m.text, segment: `${m.target.table}.${m.target.name}` }];
      return [];
    }),
  };
}

/** The words of a measure's match, and the other measures that the same words (or similar ones) name. */
function measureWords(
  m: Match,
  measure: string,
  r: Reading,
  view: ModelView,
  lex: Lexicon,
): WordUse['measures'][number] {
  const rivals: string[] = [];
  const add = (name: string): void => {
    if (name !== measure && !rivals.includes(name)) rivals.push(name);
  };
  if (m.target.kind === 'measure') add(`${m.target.table}.${m.target.name}`);
  for (const t of m.alternatives ?? []) if (t.kind === 'measure') add(`${t.table}.${t.name}`);
  for (const hit of lex.at(r.tokens, m.from))
    if (hit.target.kind === 'measure') add(`${hit.target.table}.${hit.target.name}`);
  for (const alt of measureAlternatives(view, measure)) add(`${alt.table}.${alt.name}`);
  return { measure, words: m.text, rivals };
}

/**
 * What a plan over a user's files did with the question's words, as far as it is sure: the columns the question
 * named, as the user spelt them, that the plan does not read ("after their due back time" when two dates cannot be
 * compared), so the answer says it left them out instead of dropping them without a word. Loose words are not
 * listed (over a file's words they gave false alarms), nor a column named by an aggregate word ("total discount")
 * or one a computed figure of the plan reads ("revenue" of units times price).
 */
export function fileWordUse(r: Reading, plan: QueryPlan, context: DatasetPlanningContext): WordUse {
  const json = JSON.stringify(plan);
  const computed = Object.values(context.view.tables.get(plan.table)?.computed ?? {}).flatMap((c) =>
    c.expression.split(/[^A-Za-z0-9_]+/),
  );
  const unusedWords = r.matches.flatMap((m) => {
    if (m.target.kind !== 'column' || json.includes(`"${m.target.field}"`)) return [];
    const spelt = r.question.slice(r.tokens[m.from]?.start ?? 0, r.tokens[m.to - 1]?.end ?? 0).toLowerCase();
    const column = m.target.field.slice(plan.table.length + 1);
    if (spelt !== m.text || AGGREGATE_WORDS.has(m.text) || computed.includes(column)) return [];
    return [m.text];
  });
  return { unusedWords: [...new Set(unusedWords)], measures: [], tables: [], dates: [] };
}
