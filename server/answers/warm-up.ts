// Warming an agent's planner, compiler and composer before the server says it is ready. In a fresh process the first
// answer took 297 ms and the same question again 74 ms (the JIT, the date patterns, knex): the first user after every
// deploy paid for it. The questions are made from the agent's own model, planned without its database (no
// values), compiled with a placeholder tenant and composed over no rows; nothing is run, stored or sent anywhere.
import type { UserContextType } from '../config/schema.ts';
import { loadEnglishWords } from '../planner/rules/english.ts';
import type { Planner, PlannerOutcome, ValueLookup } from '../planner/types.ts';
import type { ModelView } from '../semantic/model-view.ts';
import type { UserContext, UserContextValue } from '../semantic/user-context.ts';
import { humanise } from './format.ts';

/** A value of each userContext type; booleans true, so tables shown only to some tenants are warmed too. */
const PLACEHOLDER: Record<UserContextType, UserContextValue> = {
  integer: 0,
  string: 'warm-up',
  boolean: true,
  'integer[]': [0],
  'string[]': ['warm-up'],
};

/** A tenant context of the declared types that no tenant has; only ever compiled into SQL that is never run. */
export function placeholderContext(declared: Record<string, UserContextType>): UserContext {
  return Object.fromEntries(Object.entries(declared).map(([key, type]) => [key, PLACEHOLDER[type]]));
}

/**
 * Questions of the kinds people ask most (a count over a period, a series by month, a ranking, two periods side by
 * side, the latest rows, a calendar date), in the words of the view's first queryable table with a date and a
 * measure.
 */
export function warmUpQuestions(view: ModelView, now: Date): string[] {
  const tables = [...view.tables].filter(([, t]) => t.access === 'queryable');
  const [name, table] =
    tables.find(([, t]) => t.timeColumn && Object.keys(t.measures).length > 0) ??
    tables.find(([, t]) => t.timeColumn) ??
    tables[0] ??
    [];
  if (!name || !table) return [];
  const noun = humanise(name);
  const measureName = Object.keys(table.measures)[0];
  const measure = measureName ? humanise(measureName) : `number of ${noun}`;
  // a column of a few known values ("status") is what rankings are by; else any text column
  const texts = Object.entries(table.columns).filter(([, c]) => c.type === 'string');
  const column = (texts.find(([, c]) => c.values) ?? texts[0])?.[0];
  const lastYear = now.getUTCFullYear() - 1;
  return [
    `How many ${noun} did we have last month?`,
    `${measure} by month this year`,
    `top 5 ${column ? humanise(column) : noun} by ${measure}`,
    `${measure} this month vs last month`,
    `show the 10 most recent ${noun}`,
    `${noun} between 1 March ${lastYear} and 30 June ${lastYear}`,
  ];
}

/** Values are the database's; a warm-up never asks it. */
const NO_VALUES: ValueLookup = { values: async () => [] };

export interface WarmUpRun {
  planner: Planner;
  view: ModelView;
  now: Date;
  /** compiles the plan and composes its answer over no rows; throws what the compiler throws */
  prepare(outcome: Extract<PlannerOutcome, { kind: 'plan' }>, question: string): void;
  /** when to stop, whatever is left */
  deadline: number;
}

/** Plans, compiles and composes each warm-up question of one agent; how many went through and how many failed. */
export async function warmUpAgent(run: WarmUpRun): Promise<{ planned: number; failed: number }> {
  let planned = 0;
  let failed = 0;
  // the planner's word list, which no warm-up question would reach (they have no misspelt words)
  await loadEnglishWords();
  for (const question of warmUpQuestions(run.view, run.now)) {
    // a turn of the event loop between questions: a /healthz or a request that came meanwhile is answered now
    await new Promise((resolve) => setImmediate(resolve));
    if (performance.now() >= run.deadline) break;
    try {
      const outcome = await run.planner.plan({
        question,
        view: run.view,
        history: [],
        now: run.now,
        values: NO_VALUES,
      });
      if (outcome.kind === 'plan' && outcome.plan.source !== 'datasets' && !outcome.plan.blend) {
        run.prepare(outcome, question);
        planned += 1;
      }
    } catch {
      // a question the model cannot take has warmed what it reached; answers meet their own errors
      failed += 1;
    }
  }
  return { planned, failed };
}
