// The outcomes the embedded planner gives: a plan, a clarification with choices, or a refusal with suggestions.
import type { QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { PlannerOutcome } from '../types.ts';
import type { Match } from './lexicon.ts';
import type { Reading } from './reading.ts';

/** Plans are assembled for the database; the datasets path re-labels its plans afterwards. */
export function planOutcome(plan: Omit<QueryPlan, 'source'>, r: Reading, notes: string[]): PlannerOutcome {
  return { kind: 'plan', plan: { ...plan, source: 'database' }, presentation: r.presentation, notes };
}

export function clarify(view: ModelView, m: Match, question: string): PlannerOutcome {
  const choices = [m.target, ...(m.alternatives ?? [])].flatMap((t) => {
    if (t.kind !== 'measure') return [];
    const def = view.table(t.table).measures[t.name];
    const name = t.name.replace(/_/g, ' ');
    return [
      {
        label: def?.description ? `${name} (${def.description})` : name,
        question: replaceWords(question, m.text, name),
      },
    ];
  });
  return {
    kind: 'clarify',
    message: `"${m.text}" could mean more than one thing here. Which did you mean?`,
    choices,
  };
}

/** The question with the words that matched replaced, however they were cased. */
export function replaceWords(question: string, words: string, by: string): string {
  const pattern = wordsPattern(words);
  return pattern.test(question) ? question.replace(pattern, by) : `${question} (${by})`;
}

/** The words as written in a question: whole words, any spacing, any case. */
export function wordsPattern(words: string): RegExp {
  return new RegExp(`\\b${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}\\b`, 'i');
}

export function unanswerable(view: ModelView, message: string): PlannerOutcome {
  const suggestions: string[] = [];
  for (const [name, table] of view.tables) {
    for (const m of Object.keys(table.measures)) suggestions.push(m.replace(/_/g, ' '));
    if (table.access === 'queryable') suggestions.push(`number of ${name.replace(/_/g, ' ')}`);
  }
  const list = suggestions.slice(0, 8).join(', ');
  return {
    kind: 'unanswerable',
    message: `${message} I can answer questions about ${list}.`,
    suggestions: suggestions.slice(0, 8),
  };
}
