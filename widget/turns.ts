// The conversation as the widget holds it: one Turn per question, updated immutably from server events.
import type { Answer, ConversationDetail, HistoryResponse, Rating, ServerEvent, Stage } from './types.ts';

/**
 * - `queued`: not sent yet (waiting for the connection)
 * - `sent`: sent, the server has not created the response yet
 * - `streaming`: the answer is being made (progress stages, text deltas)
 * - `completed`: answered (`answer`)
 * - `failed`: refused or failed (`error`)
 * - `cancelled`: stopped by the user
 */
export type TurnStatus = 'queued' | 'sent' | 'streaming' | 'completed' | 'failed' | 'cancelled';

export interface TurnError {
  code: string;
  message: string;
  retryAfter?: number;
  /** epoch ms when a rate limit ends (received time + retryAfter), for the live countdown */
  retryAt?: number;
}

export interface Turn {
  clientId: string;
  question: string;
  status: TurnStatus;
  conversationId?: string;
  responseId?: string;
  stage?: Stage;
  stageMessage?: string;
  /** streamed text so far */
  text: string;
  answer?: Answer;
  error?: TurnError;
  feedback?: { rating: Rating; comment: string | null };
}

export interface ChatState {
  conversationId: string | null;
  turns: readonly Turn[];
}

export const EMPTY_CHAT: ChatState = { conversationId: null, turns: [] };

export function isInProgress(turn: Turn): boolean {
  switch (turn.status) {
    case 'queued':
    case 'sent':
    case 'streaming':
      return true;
    case 'completed':
    case 'failed':
    case 'cancelled':
      return false;
    default:
      throw new Error(`unknown turn status ${String(turn.status)}`);
  }
}

/** What an event did, for the element to announce and dispatch. */
export interface EventOutcome {
  state: ChatState;
  /** the turn that just completed */
  completed?: Turn;
  /** the turn that just failed or was cancelled */
  failed?: Turn;
  /** an error that belongs to no turn of this conversation */
  orphanError?: TurnError;
  /** the conversation the first question created */
  conversationCreated?: string;
}

function update(state: ChatState, index: number, patch: Partial<Turn>): ChatState {
  const turns = state.turns.map((t, i) => (i === index ? { ...t, ...patch } : t));
  return { ...state, turns };
}

function findTurn(state: ChatState, ids: { responseId?: string; clientId?: string }): number {
  return state.turns.findIndex(
    (t) =>
      (ids.responseId !== undefined && t.responseId === ids.responseId) ||
      (ids.clientId !== undefined && t.clientId === ids.clientId),
  );
}

/**
 * A final event that names no turn we know (it was delivered after a reconnect, so without our clientId) may still
 * be the answer to the one question of that conversation still waiting for its response id.
 */
function orphanMatch(state: ChatState, conversationId: string | undefined): number {
  if (conversationId === undefined) return -1;
  const waiting = state.turns
    .map((t, i) => ({ t, i }))
    .filter(
      ({ t }) =>
        isInProgress(t) &&
        t.responseId === undefined &&
        (t.conversationId ?? state.conversationId) === conversationId,
    );
  return waiting.length === 1 ? (waiting[0]?.i ?? -1) : -1;
}

/** Applies one server event. Events for turns the widget does not hold (other conversations) change nothing. */
export function applyServerEvent(state: ChatState, event: ServerEvent): EventOutcome {
  switch (event.type) {
    case 'conversation.created': {
      const i = findTurn(state, { clientId: event.clientId });
      if (i < 0) return { state };
      const next = update(state, i, { conversationId: event.conversationId });
      return {
        state: { ...next, conversationId: state.conversationId ?? event.conversationId },
        conversationCreated: state.conversationId === null ? event.conversationId : undefined,
      };
    }
    case 'response.created': {
      const i = findTurn(state, { clientId: event.clientId });
      const turn = state.turns[i];
      if (!turn) return { state };
      const next = update(state, i, {
        responseId: event.responseId,
        conversationId: event.conversationId,
        status: isInProgress(turn) ? 'streaming' : turn.status,
      });
      return { state: { ...next, conversationId: state.conversationId ?? event.conversationId } };
    }
    case 'response.progress': {
      const i = findTurn(state, { responseId: event.responseId });
      const turn = state.turns[i];
      if (!turn || !isInProgress(turn)) return { state };
      return {
        state: update(state, i, { status: 'streaming', stage: event.stage, stageMessage: event.message }),
      };
    }
    case 'response.delta': {
      const i = findTurn(state, { responseId: event.responseId });
      const turn = state.turns[i];
      if (!turn || !isInProgress(turn)) return { state };
      return { state: update(state, i, { status: 'streaming', text: turn.text + event.text }) };
    }
    case 'response.completed': {
      let i = findTurn(state, { responseId: event.responseId, clientId: event.clientId });
      if (i < 0) i = orphanMatch(state, event.conversationId);
      const turn = state.turns[i];
      // already final (a sync repeating what the live socket delivered): keep the first
      if (!turn || turn.status === 'completed') return { state };
      const next = update(state, i, {
        status: 'completed',
        responseId: event.responseId,
        conversationId: event.conversationId,
        answer: event.answer,
        text: event.answer.message,
        error: undefined,
      });
      const conversationCreated = state.conversationId === null ? event.conversationId : undefined;
      return {
        state: { ...next, conversationId: state.conversationId ?? event.conversationId },
        completed: next.turns[i],
        ...(conversationCreated ? { conversationCreated } : {}),
      };
    }
    case 'response.error': {
      const error: TurnError = {
        code: event.code,
        message: event.message,
        ...(event.retryAfter !== undefined
          ? { retryAfter: event.retryAfter, retryAt: Date.now() + event.retryAfter * 1000 }
          : {}),
      };
      let i = findTurn(state, { responseId: event.responseId, clientId: event.clientId });
      if (i < 0 && event.responseId !== undefined) i = orphanMatch(state, event.conversationId);
      const turn = state.turns[i];
      if (!turn) {
        // unknown response ids are other conversations' (or a cancel that raced the answer)
        const mine = event.responseId === undefined && event.clientId === undefined;
        return mine ? { state, orphanError: error } : { state };
      }
      if (!isInProgress(turn)) return { state };
      const next = update(state, i, {
        status: event.code === 'cancelled' ? 'cancelled' : 'failed',
        ...(event.responseId ? { responseId: event.responseId } : {}),
        error,
      });
      return { state: next, failed: next.turns[i] };
    }
    case 'sync.completed':
    case 'pong':
      return { state };
    default:
      return { state };
  }
}

function turnFromHistory(r: HistoryResponse, conversationId: string): Turn {
  const base: Turn = {
    clientId: `history-${r.id}`,
    question: r.question,
    conversationId,
    responseId: r.id,
    text: r.answer?.message ?? '',
    status: 'completed',
    ...(r.feedback ? { feedback: { rating: r.feedback.rating, comment: r.feedback.comment ?? null } } : {}),
  };
  switch (r.status) {
    case 'completed':
      return r.answer
        ? { ...base, answer: r.answer }
        : { ...base, status: 'failed', error: { code: 'internal_error', message: '' } };
    case 'in_progress':
      return { ...base, status: 'streaming' };
    case 'failed':
      return { ...base, status: 'failed', error: r.error ?? { code: 'internal_error', message: '' } };
    case 'cancelled':
      return { ...base, status: 'cancelled', error: r.error ?? { code: 'cancelled', message: '' } };
    default:
      throw new Error(`unknown response status ${String(r.status)}`);
  }
}

/** A stored conversation as turns. */
export function stateFromHistory(detail: ConversationDetail): ChatState {
  return {
    conversationId: detail.id,
    turns: (detail.responses ?? []).map((r) => turnFromHistory(r, detail.id)),
  };
}
