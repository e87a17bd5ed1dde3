// Types only: what every planner (embedded rules, LLM) takes and gives: a question in, a QueryPlan or a reasoned
// refusal out.
// Same role as datasets/types.ts: a room's types-only module is its types.ts.
import type { Grain, QueryPlan } from '../query/plan.ts';
import type { ModelView } from '../semantic/model-view.ts';

/** How the answer should be shown, when the question says so ("as a chart", "list ...") */
export type Presentation = 'auto' | 'chart' | 'table' | 'text';

/** A previous exchange of the conversation, for follow-ups ("and the month before?"). */
export interface PlannedTurn {
  question: string;
  plan?: QueryPlan;
  presentation?: Presentation;
}

/** Tenant-scoped lookup of a column's actual values ("Electronics", a customer's name): only the asking tenant's values. */
export interface ValueLookup {
  /** distinct values of a string column visible to this user, at most `limit` */
  values(field: string, limit?: number): Promise<string[]>;
}

/** The user's uploaded datasets, as planners see them: a model of their own, never the tenant's database. */
export interface DatasetPlanningContext {
  view: ModelView;
  values: ValueLookup;
  /** the files, each with its table name; empty when the user has none (questions about "my file" are refused) */
  datasets: Array<{
    table: string;
    name: string;
    notes: string;
    /** the columns as inferred at upload; a date column's grain says whether it holds days, months, ... */
    columns?: Array<{ name: string; header: string; type: string; grain?: Grain }>;
    /** how many rows the file has: a value only one row holds names that row ("the Enterprise plan") */
    rows?: number;
  }>;
}

/** One reading of an ambiguous question: a label for a button, and the question that asks it unambiguously. */
export interface ClarifyChoice {
  label: string;
  question: string;
}

export interface PlannerInput {
  question: string;
  view: ModelView;
  history: readonly PlannedTurn[];
  now: Date;
  values: ValueLookup;
  /** present when the user can see uploaded datasets */
  datasets?: DatasetPlanningContext;
  signal?: AbortSignal;
  /** called with narrative text as a model writes it (LLM planners only) */
  onDelta?: (text: string) => void;
  /** the caller reads only the outcome's plan (a reading being checked): its `words` may be left out */
  planOnly?: boolean;
}

/**
 * What a planner did with the question's words (the embedded planner says; a model planner does not): for the
 * answer's "Read as" chips, which flag the words left out and offer the other readings.
 */
export interface WordUse {
  /** meaningful words of the question the plan does not reflect ("loyal" in "revenue from loyal customers") */
  unusedWords: string[];
  /** the words that named each named measure of the plan, and other measures (`table.name`) they could name */
  measures: Array<{ measure: string; words: string; rivals: string[] }>;
  /** the words that named each table the plan is about, and the segment (`table.name`) when they named one */
  tables: Array<{ table: string; words: string; segment?: string }>;
  /** the date phrases of the question as written ("in March", "since Q2") */
  dates: string[];
}

export type PlannerOutcome =
  | {
      kind: 'plan';
      plan: QueryPlan;
      presentation: Presentation /** what the planner understood, for the explanation */;
      notes: string[];
      /** how the question's words were used; absent when the planner cannot say */
      words?: WordUse;
    }
  // several plausible readings: 2-4 choices, each a rewording the planner answers unambiguously
  | { kind: 'clarify'; message: string; choices: ClarifyChoice[] }
  | { kind: 'unanswerable'; message: string; suggestions: string[] };

export interface Planner {
  readonly name: string;
  plan(input: PlannerInput): Promise<PlannerOutcome>;
  /** reads and indexes the tenant's value lists ahead of its first question (optional: a planner may need none) */
  prepare?(input: Pick<PlannerInput, 'view' | 'values'>): Promise<void>;
}
