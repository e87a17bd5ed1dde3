// The answer object of the contract: what the CLI (--json), the REST API and the final WebSocket event return.
import type { QueryPlan } from '../query/plan.ts';
import type { AccountLine, ReadableSql } from './account.ts';
import type { PartialPeriod } from './periods.ts';
import type { ReadAsChip } from './read-as.ts';

export type AnswerType = 'text' | 'table' | 'chart' | 'error' | 'clarification';

/** One reading of an ambiguous question: a label for a button, and the question that asks it unambiguously. */
export interface AnswerChoice {
  label: string;
  question: string;
}

/** A clarification offers at least two readings and at most four. */
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 4;

export interface AnswerColumn {
  name: string;
  type: 'number' | 'string' | 'date' | 'boolean';
}

export interface Answer {
  id: string;
  conversationId: string;
  type: AnswerType;
  /** one or two sentences for a person */
  message: string;
  /** Inconvo-compatible: every cell a formatted string */
  table?: { head: string[]; body: string[][] };
  /** Vega-Lite v6, when type is chart */
  spec?: Record<string, unknown>;
  /** the typed rows the answer was computed from; present whenever a query ran */
  data?: {
    columns: AnswerColumn[];
    rows: Array<Array<number | string | boolean | null>>;
    truncated?: boolean;
    /** when truncated: how many rows matched in all (counted under the same plan and filters) */
    total?: number;
  };
  plan?: QueryPlan;
  /** time buckets the data cannot fill yet (the running month) or the range only partly covers */
  partialPeriods?: PartialPeriod[];
  /**
   * a comparison with a running period, also run over the same number of elapsed days: the rows of that query
   * (shaped as `data.rows`) and the days each earlier period was cut to
   */
  likeForLike?: {
    days: number;
    /** the running period so far ("this month", "1 Dec 2026, 00:00 – 6 Dec 2026, 09:21") */
    window: { label: string; span: string };
    periods: Array<{ label: string; span: string }>;
    rows: Array<Array<number | string | boolean | null>>;
    /** the query that produced `rows`, as run and for reading (the answer's own `sql` is the whole periods') */
    sql?: { text: string; bindings: unknown[] };
    readableSql?: ReadableSql;
  };
  /** ISO instant the answer's relative dates were resolved at ("last month" of that moment); exports reuse it */
  asOf?: string;
  /** what the answer is about ("Revenue by month, this year"); the conversation's title adds it to the question */
  subject?: string;
  /** the file name of the answer's CSV export, without ".csv": what was measured, then the period */
  exportName?: string;
  /** tenant values appear only as bindings */
  sql?: { text: string; bindings: unknown[] };
  explanation?: string;
  /** "How was this answered?" in words, line by line from the plan: what was counted, which rows and dates, whose data */
  account?: AccountLine[];
  /** the reading the planner took, as chips: measure, period, filters, grouping; a chip may offer `alternatives` */
  readAs?: ReadAsChip[];
  /** meaningful words of the question the plan does not reflect (embedded planner only; absent when none) */
  unusedWords?: string[];
  /** the SQL for reading: tables named instead of aliased, every bound value labelled (what ran is `sql`) */
  readableSql?: ReadableSql;
  /** for errors and clarifications: a stable code (unanswerable, ambiguous, invalid_plan, query_timeout, ...) */
  code?: string;
  /** answerable questions offered when the question could not be answered as asked */
  suggestions?: string[];
  /** the question asked for something outside the caller's scope, or named an id the answer could not filter by */
  notice?: { code: 'outside_scope' | 'filter_not_applied'; message: string };
  /** type clarification: the readings to choose from; asking a choice's `question` gets that reading's answer */
  choices?: AnswerChoice[];
}
