// The answer-run lifecycle, transport-neutral (the widget's WebSocket and its REST routes both start runs here): record
// the question, run the engine with an AbortSignal, record the outcome. A run settles exactly once: completed, failed,
// or cancelled; a cancelled run never completes.

import type { Logger } from 'pino';
import type { Owner } from '../auth/owner.ts';
import { saveOutcome } from '../conversations/save-outcome.ts';
import type { ConversationStore, ResponseRecord } from '../conversations/store.ts';
import { mapError } from '../http/errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Answer } from './answer.ts';
import type { AnswerEngine } from './engine.ts';
import { UnknownConversationError } from './engine-errors.ts';

export type Stage = 'planning' | 'querying' | 'composing';
export type Surface = 'ws' | 'widget';

export type RunOutcome =
  | { status: 'completed'; answer: Answer; completedAt: string }
  | { status: 'failed'; code: string; message: string; httpStatus: number }
  | { status: 'cancelled'; code: string; message: string };

export interface RunHooks {
  onProgress?(stage: Stage): void;
  onDelta?(text: string): void;
}

export interface CancelReason {
  code: string;
  message: string;
}

export const CANCELLED: CancelReason = { code: 'cancelled', message: 'the answer was cancelled' };

/** The runs of one server whose engine call has not ended yet (both surfaces), for graceful shutdown. */
export type ActiveRuns = Set<AnswerRun>;

/** What a run needs of its server (AppDeps has all of it; named here so this module does not import the deps). */
export interface RunDeps {
  engine: AnswerEngine;
  store: ConversationStore;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  /** the server's registry, created once by createAppDeps */
  runs: ActiveRuns;
}

type State = 'running' | 'finishing' | 'cancelling' | 'settled';

export class AnswerRun {
  private state: State = 'running';
  private readonly controller = new AbortController();
  private resolveDone!: (outcome: RunOutcome) => void;
  /** the outcome, once; never rejects */
  readonly done: Promise<RunOutcome>;
  /** resolves when the engine call has ended (after a cancel it may end a little later); never rejects */
  readonly settled: Promise<void>;

  constructor(
    private readonly deps: RunDeps,
    readonly response: ResponseRecord,
    readonly owner: Owner,
    private readonly surface: Surface,
    private readonly hooks: RunHooks = {},
    /** the conversation was started with this question: it has no earlier turns to read */
    private readonly newConversation = false,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const runs = deps.runs;
    runs.add(this);
    this.settled = this.execute().then(
      () => {
        runs.delete(this);
      },
      (err: unknown) => {
        runs.delete(this);
        deps.logger.error({ err, responseId: response.id }, 'answer run failed unexpectedly');
        this.settle({
          status: 'failed',
          code: 'internal_error',
          message: 'something went wrong on our side',
          httpStatus: 500,
        });
      },
    );
  }

  get id(): string {
    return this.response.id;
  }

  get conversationId(): string {
    return this.response.conversationId;
  }

  /** still making the answer (a cancel can still stop it) */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Stops the answer: aborts the engine (which kills the running SQL statement), records the response as
   * cancelled and settles the run as cancelled. False when it has already finished or is recording its answer.
   */
  async cancel(reason: CancelReason = CANCELLED): Promise<boolean> {
    if (this.state !== 'running') return false;
    this.state = 'cancelling';
    this.controller.abort(new Error(reason.message));
    try {
      await this.deps.store.failResponse(
        this.response.id,
        { code: reason.code, message: reason.message },
        'cancelled',
      );
    } catch (err) {
      this.deps.logger.error({ err, responseId: this.response.id }, 'could not record a cancelled answer');
    }
    this.count('cancelled');
    this.settle({ status: 'cancelled', code: reason.code, message: reason.message });
    return true;
  }

  private settle(outcome: RunOutcome): void {
    this.state = 'settled';
    this.resolveDone(outcome);
  }

  private count(type: string): void {
    this.deps.metrics.answers.inc({ agent: this.owner.agentId, type, surface: this.surface });
  }

  private async execute(): Promise<void> {
    const { deps, response, owner } = this;
    const endTimer = deps.metrics.answerDuration.startTimer({ agent: owner.agentId });
    let answer: Answer | undefined;
    let failure: unknown;
    try {
      answer = await deps.engine.ask({
        agentId: owner.agentId,
        userContext: owner.userContext,
        userIdentifier: owner.userIdentifier,
        question: response.question,
        conversationId: response.conversationId,
        newConversation: this.newConversation,
        signal: this.controller.signal,
        onProgress: (stage) => {
          if (this.state === 'running') this.hooks.onProgress?.(stage);
        },
        onDelta: (text) => {
          if (this.state === 'running') this.hooks.onDelta?.(text);
        },
      });
    } catch (err) {
      failure = err;
    }
    // cancelled meanwhile: cancel() has recorded and settled it; whatever the engine gave is dropped
    if (this.state !== 'running') return;
    this.state = 'finishing';
    let outcome: RunOutcome;
    try {
      if (answer) {
        const final: Answer = { ...answer, id: response.id, conversationId: response.conversationId };
        // the client gets its answer even when the store is away for a while (the row follows); the completion
        // time is the store's own, not read back
        let completedAt: string | undefined;
        await saveOutcome(
          deps.store,
          async () => {
            completedAt = await deps.store.completeResponse(response, final);
          },
          deps.logger,
          response.id,
        );
        outcome = {
          status: 'completed',
          answer: final,
          completedAt: completedAt ?? deps.clock().toISOString(),
        };
        this.count(final.type);
        endTimer();
      } else {
        const described = describeFailure(failure);
        if (described.httpStatus >= 500)
          deps.logger.error({ err: failure, responseId: response.id }, 'answer failed');
        await saveOutcome(
          deps.store,
          () => deps.store.failResponse(response.id, { code: described.code, message: described.message }),
          deps.logger,
          response.id,
        );
        outcome = { status: 'failed', ...described };
        this.count('failed');
      }
    } catch (err) {
      deps.logger.error({ err, responseId: response.id }, 'could not record an answer');
      outcome = {
        status: 'failed',
        code: 'internal_error',
        message: 'something went wrong on our side',
        httpStatus: 500,
      };
    }
    this.settle(outcome);
  }
}

/** An engine error as a code and a message a user may see (never internals). */
export function describeFailure(err: unknown): { code: string; message: string; httpStatus: number } {
  if (err instanceof UnknownConversationError) {
    return { code: 'not_found', message: 'conversation not found', httpStatus: 404 };
  }
  const mapped = mapError(err);
  // 503/504 are timeouts with messages written for users; other 5xx may carry internals
  if (mapped.status >= 500 && mapped.status !== 503 && mapped.status !== 504) {
    return { code: 'internal_error', message: 'something went wrong on our side', httpStatus: mapped.status };
  }
  return { code: mapped.code, message: mapped.message, httpStatus: mapped.status };
}

export interface StartAnswerInput {
  owner: Owner;
  /** a conversation already checked to belong to `owner`; absent = a new conversation started with this question */
  conversationId?: string;
  /** called with a new conversation's id before `onCreated` */
  onConversation?(conversationId: string): void;
  question: string;
  surface: Surface;
  /** called with the recorded response before the engine starts (so `response.created` precedes progress) */
  onCreated?(response: ResponseRecord): void;
  hooks?: RunHooks;
}

export async function startAnswer(deps: RunDeps, input: StartAnswerInput): Promise<AnswerRun> {
  let response: ResponseRecord;
  if (input.conversationId === undefined) {
    // one transaction for the conversation and its first question
    ({ response } = await deps.store.startConversation(input.owner, input.question));
    input.onConversation?.(response.conversationId);
  } else response = await deps.store.startResponse(input.conversationId, input.question);
  input.onCreated?.(response);
  return new AnswerRun(
    deps,
    response,
    input.owner,
    input.surface,
    input.hooks,
    input.conversationId === undefined,
  );
}
