// The public events of <parley-chat>. Each is its own Event subclass with typed fields; all bubble and cross
// shadow boundaries (composed), so a host can listen on the element or on any ancestor:
//   chat.addEventListener('parley-answer', (e) => console.log(e.answer.message));
import type { ConnectionStatus } from '../controllers/connection-controller.ts';
import type { Answer, DatasetInfo, Rating } from '../types.ts';

const init = { bubbles: true, composed: true } as const;

/** Before a question is sent. Cancelable: `preventDefault()` keeps it from being sent. */
export class ParleySendEvent extends Event {
  static readonly eventName = 'parley-send' as const;
  readonly text: string;
  readonly clientId: string;
  readonly conversationId: string | undefined;

  constructor(text: string, clientId: string, conversationId: string | undefined) {
    super(ParleySendEvent.eventName, { ...init, cancelable: true });
    this.text = text;
    this.clientId = clientId;
    this.conversationId = conversationId;
  }
}

/** An answer completed (also for answers recovered by `sync` after a reconnect). */
export class ParleyAnswerEvent extends Event {
  static readonly eventName = 'parley-answer' as const;
  readonly answer: Answer;
  readonly question: string | undefined;

  constructor(answer: Answer, question: string | undefined) {
    super(ParleyAnswerEvent.eventName, init);
    this.answer = answer;
    this.question = question;
  }
}

/** Something failed: a refused question, a lost token, a refused upload, a closed connection. */
export class ParleyErrorEvent extends Event {
  static readonly eventName = 'parley-error' as const;
  readonly code: string;
  readonly message: string;
  readonly retryAfter: number | undefined;

  constructor(code: string, message: string, retryAfter?: number) {
    super(ParleyErrorEvent.eventName, init);
    this.code = code;
    this.message = message;
    this.retryAfter = retryAfter;
  }
}

/** The WebSocket connection changed status. */
export class ParleyConnectionEvent extends Event {
  static readonly eventName = 'parley-connection' as const;
  readonly status: ConnectionStatus;

  constructor(status: ConnectionStatus) {
    super(ParleyConnectionEvent.eventName, init);
    this.status = status;
  }
}

/** The current conversation changed (created by the first question, opened from the list, or a new one). */
export class ParleyConversationEvent extends Event {
  static readonly eventName = 'parley-conversation' as const;
  readonly conversationId: string | null;

  constructor(conversationId: string | null) {
    super(ParleyConversationEvent.eventName, init);
    this.conversationId = conversationId;
  }
}

/** Feedback on an answer was saved. */
export class ParleyFeedbackEvent extends Event {
  static readonly eventName = 'parley-feedback' as const;
  readonly responseId: string;
  readonly rating: Rating;
  readonly comment: string | null;

  constructor(responseId: string, rating: Rating, comment: string | null) {
    super(ParleyFeedbackEvent.eventName, init);
    this.responseId = responseId;
    this.rating = rating;
    this.comment = comment;
  }
}

/** A data file was uploaded. */
export class ParleyUploadEvent extends Event {
  static readonly eventName = 'parley-upload' as const;
  readonly dataset: DatasetInfo;

  constructor(dataset: DatasetInfo) {
    super(ParleyUploadEvent.eventName, init);
    this.dataset = dataset;
  }
}

/** The launcher panel opened or closed (mode="launcher"). */
export class ParleyToggleEvent extends Event {
  static readonly eventName = 'parley-toggle' as const;
  readonly open: boolean;

  constructor(open: boolean) {
    super(ParleyToggleEvent.eventName, init);
    this.open = open;
  }
}

export interface ParleyEventMap {
  'parley-send': ParleySendEvent;
  'parley-answer': ParleyAnswerEvent;
  'parley-error': ParleyErrorEvent;
  'parley-connection': ParleyConnectionEvent;
  'parley-conversation': ParleyConversationEvent;
  'parley-feedback': ParleyFeedbackEvent;
  'parley-upload': ParleyUploadEvent;
  'parley-toggle': ParleyToggleEvent;
}

declare global {
  interface GlobalEventHandlersEventMap extends ParleyEventMap {}
}
