// What an agent understands, for the person integrating it (`parley model show`, GET /agents/{id}): its tables,
// measures, segments, synonyms and starter questions, with one example question per measure and segment, each run
// through the embedded planner as a self-check that the planner reads it as that measure or segment.
import pluralize from 'pluralize';
import type { ResolvedAgent } from '../config/load.ts';
import type { QueryPlan } from '../query/plan.ts';
import { ModelView } from '../semantic/model-view.ts';
import { RulesPlanner } from './rules/rules-planner.ts';
import type { PlannerOutcome } from './types.ts';

/** An example question and what the embedded planner made of it. */
export interface CheckedQuestion {
  question: string;
  /** the planner read it as meant (for a starter question: it planned a query at all), and, when it was run, answered */
  pass: boolean;
  /** what the planner or the answer said instead, when it did not pass */
  why?: string;
  /** how the question was answered when it was run against the database as a tenant */
  ran?: QuestionRun;
}

/** A question asked through the answer engine as a tenant: what came back. */
export interface QuestionRun {
  /** the answer's type (text, table, chart, error, clarification) */
  type: string;
  /** rows of the query behind it */
  rows?: number;
  message: string;
}

/** Asks a question against the agent's database as a tenant (`parley model show --context`, the page's userContext). */
export type QuestionRunner = (question: string) => Promise<QuestionRun>;

const answered = (run: QuestionRun) => run.type !== 'error' && run.type !== 'clarification';

export interface GuideEntry {
  /** `table.name`, as plans write it */
  ref: string;
  description?: string;
  synonyms: string[];
  example: CheckedQuestion;
}

export interface GuideTable {
  name: string;
  access: 'queryable' | 'joinable';
  prompt?: string;
  synonyms: string[];
  columns: Array<{ name: string; type: string; description?: string; synonyms: string[] }>;
}

export interface AgentGuide {
  id: string;
  name?: string;
  multiTenant: boolean;
  userContext: Record<string, string>;
  connection?: string;
  /** whether the examples were also asked against the database as a tenant (else: planned only) */
  ranAgainstDatabase: boolean;
  tables: GuideTable[];
  measures: GuideEntry[];
  segments: GuideEntry[];
  starterQuestions: CheckedQuestion[];
}

const words = (name: string) => name.replaceAll('_', ' ');

/** Questions that ask for a measure, from its name and synonyms: the first the planner reads as the measure wins. */
function measureQuestions(name: string, synonyms: readonly string[]): string[] {
  return [words(name), ...synonyms.slice(0, 3)].flatMap((label) => [
    `${label.charAt(0).toUpperCase()}${label.slice(1)} this year`,
    `What was our ${label} this year?`,
    `${label} by month this year`,
    `Total ${label}`,
  ]);
}

function segmentQuestions(table: string, name: string, synonyms: readonly string[]): string[] {
  return [words(name), ...synonyms.slice(0, 3)].flatMap((label) => [
    `How many ${pluralize(label)} do we have?`,
    `How many ${words(table)} are ${pluralize(label)}?`,
    `Count of ${label} ${words(table)}`,
  ]);
}

/** Whether a plan uses the model's measure `ref` as what it computes. */
function computes(plan: QueryPlan, ref: string): boolean {
  return plan.measures.some((m) => m.kind === 'named' && (m.name === ref || ref.endsWith(`.${m.name}`)));
}

/** Whether a plan filters on the segment `ref` anywhere (nested filters included). */
function filtersOn(plan: QueryPlan, ref: string): boolean {
  const name = ref.slice(ref.indexOf('.') + 1);
  let found = false;
  JSON.stringify(plan, (key, value: unknown) => {
    if (key === 'segment' && (value === ref || value === name)) found = true;
    return value;
  });
  return found;
}

function outcomeWhy(outcome: PlannerOutcome, meant: string): string {
  switch (outcome.kind) {
    case 'plan':
      return `planned, but not as ${meant}`;
    case 'clarify':
      return `asked which reading: ${outcome.message}`;
    case 'unanswerable':
      return outcome.message;
    default:
      throw new Error('unknown planner outcome');
  }
}

/**
 * Builds the guide of one agent. The examples are planned by the embedded planner with no tenant values: a self-check
 * of the model's words. With `run`, each example the planner read as meant is also asked against the database as a
 * tenant, and passes only when it is answered (not an error or a question back).
 */
export async function agentGuide(agent: ResolvedAgent, now: Date, run?: QuestionRunner): Promise<AgentGuide> {
  const { config, model } = agent;
  const planner = new RulesPlanner();
  const view = new ModelView(config, model, {});
  const plan = (question: string) =>
    planner.plan({ question, view, history: [], now, values: { values: async () => [] } });

  /** Runs a question the planner read as meant, when a runner is given: it passes only when it is answered. */
  async function runIfPlanned(checked: CheckedQuestion): Promise<CheckedQuestion> {
    if (!run || !checked.pass) return checked;
    const ran = await run(checked.question);
    return answered(ran) ? { ...checked, ran } : { ...checked, ran, pass: false, why: ran.message };
  }

  /** The first candidate the planner reads as meant; else the first candidate and why it failed. */
  async function firstThatPasses(
    candidates: string[],
    meant: string,
    test: (p: QueryPlan) => boolean,
  ): Promise<CheckedQuestion> {
    let first: CheckedQuestion | undefined;
    for (const question of candidates) {
      const outcome = await plan(question);
      if (outcome.kind === 'plan' && test(outcome.plan)) return runIfPlanned({ question, pass: true });
      first ??= { question, pass: false, why: outcomeWhy(outcome, meant) };
    }
    return first ?? { question: '', pass: false, why: 'no question to try' };
  }

  const tables: GuideTable[] = [];
  const measures: GuideEntry[] = [];
  const segments: GuideEntry[] = [];
  for (const [name, table] of view.tables) {
    if (table.access === 'off') continue;
    tables.push({
      name,
      access: table.access,
      ...(table.prompt !== undefined ? { prompt: table.prompt } : {}),
      synonyms: table.synonyms,
      columns: Object.entries(table.columns).map(([column, def]) => ({
        name: column,
        type: def.type,
        ...(def.description !== undefined ? { description: def.description } : {}),
        synonyms: def.synonyms,
      })),
    });
    for (const [measure, def] of Object.entries(table.measures)) {
      const ref = `${name}.${measure}`;
      measures.push({
        ref,
        ...(def.description !== undefined ? { description: def.description } : {}),
        synonyms: def.synonyms,
        example: await firstThatPasses(measureQuestions(measure, def.synonyms), ref, (p) => computes(p, ref)),
      });
    }
    for (const [segment, def] of Object.entries(table.segments)) {
      const ref = `${name}.${segment}`;
      segments.push({
        ref,
        ...(def.description !== undefined ? { description: def.description } : {}),
        synonyms: def.synonyms,
        example: await firstThatPasses(segmentQuestions(name, segment, def.synonyms), ref, (p) =>
          filtersOn(p, ref),
        ),
      });
    }
  }
  const starterQuestions: CheckedQuestion[] = [];
  for (const question of config.starterQuestions) {
    const outcome = await plan(question);
    starterQuestions.push(
      outcome.kind === 'plan'
        ? await runIfPlanned({ question, pass: true })
        : { question, pass: false, why: outcomeWhy(outcome, 'a query') },
    );
  }
  return {
    id: config.id,
    ...(config.name !== undefined ? { name: config.name } : {}),
    multiTenant: config.multiTenant,
    userContext: { ...config.userContext },
    ...(agent.connection ? { connection: agent.connection.id } : {}),
    ranAgainstDatabase: run !== undefined,
    tables,
    measures,
    segments,
    starterQuestions,
  };
}

/** The self-check's summary line. */
export function guideSummary(guide: AgentGuide, contextHint: string): string {
  const { passed, total } = guideTally(guide);
  return guide.ranAgainstDatabase
    ? `Self-check: ${passed} of ${total} questions read as meant by the embedded planner and answered from the database.`
    : `Self-check: ${passed} of ${total} questions read as meant by the embedded planner (planned only; ${contextHint} to also run them as a tenant).`;
}

/** How many of the guide's checked questions pass, out of how many. */
export function guideTally(guide: AgentGuide): { passed: number; total: number } {
  const all = [...guide.measures, ...guide.segments].map((e) => e.example).concat(guide.starterQuestions);
  return { passed: all.filter((q) => q.pass).length, total: all.length };
}
