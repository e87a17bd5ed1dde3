// The answer object of the contract: what the CLI (--json), the REST API and the final WebSocket event return.
import type { QueryPlan } from '../query/plan.ts';

export type AnswerType = 'text' | 'table' | 'chart' | 'error';

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
  };
  plan?: QueryPlan;
  /** tenant values appear only as bindings */
  sql?: { text: string; bindings: unknown[] };
  explanation?: string;
  /** for errors: a stable code (unanswerable, ambiguous, invalid_plan, query_timeout, ...) */
  code?: string;
  /** suggestions or choices offered when the question could not be answered as asked */
  suggestions?: string[];
}
