// A refusal's suggestions as questions a person can tap: the planners offer bare measure names ("revenue",
// "number of order items"); here they become questions ("What was revenue last month?", "How many order items
// were there last month?"), and with the embedded planner each is kept only when that planner answers it.
import type { Planner, PlannerInput } from '../planner/types.ts';

const MAX_SUGGESTIONS = 4;

/** "number of order items" -> "How many order items were there last month?", "revenue" -> "What was revenue last month?" */
export function suggestionQuestion(suggestion: string): string {
  const text = suggestion.replace(/\s+/g, ' ').trim();
  if (/\?$/.test(text)) return text;
  const count = /^(?:the )?number of (.+)$/i.exec(text);
  if (count) return `How many ${count[1]} were there last month?`;
  return `What was ${text.toLowerCase()} last month?`;
}

/**
 * The suggestions as questions. With the rules planner (cheap, deterministic) each question is planned in a fresh
 * conversation and kept only when it gives a plan; a model planner's are phrased but not re-asked (each would cost
 * a model call).
 */
export async function suggestionsAsQuestions(
  suggestions: readonly string[],
  planner: Planner,
  input: Omit<PlannerInput, 'question' | 'history' | 'onDelta'>,
): Promise<string[]> {
  const questions = [...new Set(suggestions.map(suggestionQuestion))];
  if (planner.name !== 'rules') return questions.slice(0, MAX_SUGGESTIONS);
  const kept: string[] = [];
  for (const question of questions) {
    if (kept.length >= MAX_SUGGESTIONS) break;
    const outcome = await planner.plan({ ...input, question, history: [], planOnly: true });
    if (outcome.kind === 'plan') kept.push(question);
  }
  return kept;
}
