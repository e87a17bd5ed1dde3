// Parley's records in the shapes the @inconvoai/node SDK reads. Inconvo knows three answer types (text, chart,
// table); a Parley answer of type error is a text answer with a `code`, and a clarification is a text answer whose
// message lists the readings. Parley's Vega-Lite spec is Inconvo's free-form `chart`. Extra fields (data, plan,
// sql, explanation, code, suggestions, choices, readAs, unusedWords) are passed along.
import type { z } from 'zod';
import type { Answer } from '../../answers/answer.ts';
import type { ConversationRecord, FeedbackRecord, ResponseRecord } from '../../conversations/store.ts';
import type {
  Conversation,
  ConversationListItem,
  ConversationMessage,
  Feedback,
  ResponseCreateResponse,
  ResponseRetrieveResponse,
  TraceStep,
} from './schemas.ts';

export type InconvoType = 'text' | 'chart' | 'table';

export function inconvoType(type: Answer['type']): InconvoType {
  switch (type) {
    case 'text':
    case 'table':
    case 'chart':
      return type;
    case 'error':
    case 'clarification':
      return 'text';
    default:
      throw new Error(`unknown answer type ${String(type)}`);
  }
}

/**
 * The answer's message as Inconvo's text: a clarification's readings are listed after its question, one a line
 * ("1) revenue (...)"), since an SDK client knows no clarification type and may show only the message.
 */
export function inconvoMessage(answer: Pick<Answer, 'type' | 'message' | 'choices'>): string {
  if (answer.type !== 'clarification' || !answer.choices?.length) return answer.message;
  const lines = answer.choices.map((c, i) => `${i + 1}) ${c.label}`);
  return [answer.message, ...lines].join('\n');
}

export function toResponseObject(answer: Answer): z.infer<typeof ResponseCreateResponse> {
  return {
    id: answer.id,
    conversationId: answer.conversationId,
    message: inconvoMessage(answer),
    type: inconvoType(answer.type),
    ...(answer.spec ? { chart: answer.spec } : {}),
    ...(answer.table ? { table: answer.table } : {}),
    ...(answer.data ? { data: answer.data } : {}),
    ...(answer.plan ? { plan: answer.plan as unknown as Record<string, unknown> } : {}),
    ...(answer.sql ? { sql: answer.sql } : {}),
    ...(answer.explanation ? { explanation: answer.explanation } : {}),
    ...(answer.code ? { code: answer.code } : {}),
    ...(answer.suggestions?.length ? { suggestions: answer.suggestions } : {}),
    ...(answer.choices?.length ? { choices: answer.choices } : {}),
    ...(answer.readAs?.length ? { readAs: answer.readAs } : {}),
    ...(answer.unusedWords?.length ? { unusedWords: answer.unusedWords } : {}),
  };
}

/** Questions and answers in order; a failed answer shows its error text; unfinished answers are left out. */
export function conversationMessages(
  responses: readonly ResponseRecord[],
): Array<z.infer<typeof ConversationMessage>> {
  const messages: Array<z.infer<typeof ConversationMessage>> = [];
  for (const r of responses) {
    messages.push({ role: 'user', message: r.question, type: 'text' });
    if (r.status === 'completed' && r.answer) {
      const a = r.answer;
      messages.push({
        id: r.id,
        role: 'assistant',
        message: inconvoMessage(a),
        type: inconvoType(a.type),
        ...(a.spec ? { chart: a.spec } : {}),
        ...(a.table ? { table: a.table } : {}),
      });
    } else if (r.status === 'failed' && r.error) {
      messages.push({ id: r.id, role: 'assistant', message: r.error.message, type: 'text' });
    }
  }
  return messages;
}

export function toConversation(
  c: ConversationRecord,
  responses: readonly ResponseRecord[],
): z.infer<typeof Conversation> {
  return {
    id: c.id,
    messages: conversationMessages(responses),
    userContext: { ...c.userContext },
    userIdentifier: c.userIdentifier,
    title: c.title,
    createdAt: c.createdAt,
  };
}

export function toListItem(c: ConversationRecord): z.infer<typeof ConversationListItem> {
  return {
    id: c.id,
    createdAt: c.createdAt,
    title: c.title,
    userContext: { ...c.userContext },
    userIdentifier: c.userIdentifier,
  };
}

/** How the answer was made, step by step: what the planner made of the question, the SQL, what was composed. */
export function traceOf(r: ResponseRecord): Array<z.infer<typeof TraceStep>> {
  const a = r.answer;
  const steps: Array<z.infer<typeof TraceStep>> = [];
  if (a) {
    steps.push({
      name: 'planner',
      input: { question: r.question },
      output: a.plan ?? {
        code: a.code ?? null,
        message: a.message,
        suggestions: a.suggestions ?? [],
        ...(a.choices ? { choices: a.choices } : {}),
      },
    });
    if (a.sql) {
      steps.push({
        name: 'sql',
        input: { text: a.sql.text, bindings: a.sql.bindings },
        output: a.data
          ? { columns: a.data.columns, rowCount: a.data.rows.length, truncated: a.data.truncated ?? false }
          : null,
      });
    }
    steps.push({
      name: 'composer',
      input: { rowCount: a.data?.rows.length ?? 0 },
      output: { type: a.type, message: a.message, explanation: a.explanation ?? null },
    });
  } else if (r.error) {
    steps.push({ name: 'error', input: { question: r.question }, output: r.error });
  }
  return steps;
}

export function toRetrieveResponse(
  c: ConversationRecord,
  r: ResponseRecord,
): z.infer<typeof ResponseRetrieveResponse> {
  const a = r.answer;
  const output: z.infer<typeof ResponseRetrieveResponse>['output'] = a
    ? {
        text: inconvoMessage(a),
        type: inconvoType(a.type),
        ...(a.spec ? { chart: a.spec } : {}),
        ...(a.table ? { table: a.table } : {}),
      }
    : { text: r.error?.message ?? '', type: 'text' };
  return {
    id: r.id,
    status: r.status,
    input: { message: r.question, userContext: { ...c.userContext } },
    output,
    trace: traceOf(r),
    ...(r.error ? { error: r.error } : {}),
    createdAt: r.createdAt,
    ...(r.completedAt ? { completedAt: r.completedAt } : {}),
  };
}

export function toFeedback(f: FeedbackRecord): z.infer<typeof Feedback> {
  return {
    id: f.id,
    responseId: f.responseId,
    rating: f.rating,
    ...(f.comment !== null ? { comment: f.comment } : {}),
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}
