// Business terms a model need not name, read as what it has: "lifetime value" (LTV, CLV) is what a customer has spent
// with us to date, the model's money measure per person over all time. Written out before the question is read, so
// the grammar sees words it knows ("which customer has the highest revenue per customer"); the answer says so.
import type { ModelView } from '../../semantic/model-view.ts';
import { keptFor, moneyMeasure, personTable } from './model-helpers.ts';

const LIFETIME_VALUE = /\b(?:(?:customer|client)\s+)?(?:life\s*time\s+value|ltv|cltv|clv)\b/gi;

export interface DefinedTerms {
  question: string;
  /** how each term was read, for the answer's notes */
  notes: string[];
}

/** The question with the terms the model does not define itself written out in its own words. */
export function withBusinessTerms(question: string, view: ModelView): DefinedTerms {
  // (search ignores the pattern's global position, which test would leave behind)
  if (question.search(LIFETIME_VALUE) < 0) return { question, notes: [] };
  const money = moneyMeasure(view);
  const people = personTable(view);
  // a model that names the term itself means its own; one without money or people has nothing to read it as
  if (!money || !people || namesLifetimeValue(view)) return { question, notes: [] };
  const person = view.tables.get(people)?.segments.customer ? 'customer' : people.replace(/_/g, ' ');
  const measure = money.name.replace(/_/g, ' ');
  return {
    question: question.replace(LIFETIME_VALUE, `${measure} per ${person}`),
    notes: [`lifetime value is read as each ${person}'s ${measure} to date, over all time`],
  };
}

/** Whether a table, column or measure of the model is called a lifetime value itself. */
function namesLifetimeValue(view: ModelView): boolean {
  return keptFor(view, 'names lifetime value', () => findLifetimeValueName(view));
}

function findLifetimeValueName(view: ModelView): boolean {
  const names: string[] = [];
  for (const [name, t] of view.tables) {
    names.push(name, ...t.synonyms);
    for (const [col, def] of Object.entries(t.columns)) names.push(col, ...def.synonyms);
    for (const [measure, def] of Object.entries(t.measures)) names.push(measure, ...(def.synonyms ?? []));
  }
  return names.some((n) => /\b(?:life\s*time|ltv|cltv|clv)\b/i.test(n.replace(/_/g, ' ')));
}
