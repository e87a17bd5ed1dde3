// The embedded planner on the repository's demo model, with a few tenant values, for planner unit tests.
import fs from 'node:fs';
import { parseConfig } from '../../server/config/load.ts';
import { RulesPlanner } from '../../server/planner/rules/rules-planner.ts';
import type { PlannedTurn, PlannerOutcome } from '../../server/planner/types.ts';
import type { QueryPlan } from '../../server/query/plan.ts';
import { ModelView } from '../../server/semantic/model-view.ts';

const FILE = new URL('../../parley.config.yaml', import.meta.url);
const loaded = parseConfig(fs.readFileSync(FILE, 'utf8'), FILE.pathname, {});
const demo = loaded.agents.get('demo');
if (!demo) throw new Error('no demo agent');

export const DEMO_NOW = new Date('2026-11-25T12:00:00Z');
export const DEMO_VALUES: Record<string, string[]> = {
  'users.country': ['Germany', 'France', 'United States', 'Canada', 'Netherlands', 'Japan'],
  'users.name': ['Emma Taylor', 'Benjamin Lee', 'Noah Martin'],
  'users.email': ['emma.taylor@acme.example', 'noah.martin@acme.example'],
  'products.category': ['Electronics', 'Books', 'Toys', 'Home & Garden', 'Beauty'],
  'products.name': ['Acme Compact Tablet', 'Acme Classic Pyjamas'],
};
export const demoView = new ModelView(demo.config, demo.model, { organisationId: 1 });
export const demoPlanner = new RulesPlanner();
const planner = demoPlanner;

/** `values`: the tenant's values the planner may match, by field (the demo's few by default). */
export async function planDemo(
  question: string,
  history: PlannedTurn[] = [],
  values: Record<string, string[]> = DEMO_VALUES,
): Promise<PlannerOutcome> {
  return planner.plan({
    question,
    view: demoView,
    history,
    now: DEMO_NOW,
    values: { values: async (field) => values[field] ?? [] },
  });
}

/** The plan of a question; throws with the planner's message when it was not planned. */
export async function demoPlanOf(
  question: string,
  history: PlannedTurn[] = [],
  values: Record<string, string[]> = DEMO_VALUES,
): Promise<QueryPlan> {
  const out = await planDemo(question, history, values);
  if (out.kind !== 'plan') throw new Error(`"${question}" was not planned: ${out.kind} ${out.message}`);
  return out.plan;
}
