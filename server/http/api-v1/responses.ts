// Responses: ask a question in a conversation (JSON, or server-sent events with stream: true) and retrieve an
// answer with its trace. Every question is recorded in the store first (in progress), then completed, failed or
// cancelled, so history and retrieval survive a restart. A client that goes away cancels the engine call.
import type { Router } from 'express';
import type { Answer } from '../../answers/answer.ts';
import type { ProgressStage } from '../../answers/engine.ts';
import { saveOutcome } from '../../conversations/save-outcome.ts';
import { mapError } from '../errors.ts';
import { type ApiDeps, agentFor, conversationFor, responseFor } from './context.ts';
import { toResponseObject, toRetrieveResponse } from './inconvo.ts';
import { ResponseCreateBody } from './schemas.ts';
import { SseWriter } from './sse.ts';

export const PROGRESS_MESSAGES: Record<ProgressStage, string> = {
  planning: 'Working out what to look up',
  querying: 'Running the query',
  composing: 'Writing the answer',
};

const CANCELLED = { code: 'cancelled', message: 'the client went away before the answer was ready' };

export interface ResponseRouteOptions {
  /** SSE comment interval; default 15 s */
  heartbeatMs?: number;
}

export function responseRoutes(router: Router, deps: ApiDeps, options: ResponseRouteOptions = {}): void {
  router.post('/agents/:agentId/conversations/:conversationId/response', async (req, res) => {
    const agent = agentFor(deps, req);
    const agentId = agent.config.id;
    const body = ResponseCreateBody.parse(req.body ?? {});
    const conversation = await conversationFor(deps, agent, req);
    // the question is recorded from here on: an SDK retry after a failure would ask it a second time
    res.setHeader('x-should-retry', 'false');
    const record = await deps.store.startResponse(conversation.id, body.message);
    const id = record.id;

    const controller = new AbortController();
    let cancelled: Promise<void> | undefined;
    const onClose = (): void => {
      if (res.writableFinished || controller.signal.aborted) return;
      controller.abort();
      cancelled = deps.store.failResponse(id, CANCELLED, 'cancelled').then(
        () => undefined,
        (err: unknown) => {
          deps.logger.error({ err, responseId: id }, 'could not mark a response cancelled');
        },
      );
    };
    res.on('close', onClose);
    // the client may have left while the question was being recorded
    if (req.socket.destroyed) onClose();

    const sse = body.stream ? new SseWriter(res, { heartbeatMs: options.heartbeatMs }) : undefined;
    sse?.send({ type: 'response.created', id, conversationId: conversation.id });
    const stopTimer = deps.metrics.answerDuration.startTimer({ agent: agentId });
    const count = (type: string): void => {
      deps.metrics.answers.inc({ agent: agentId, type, surface: 'api' });
    };

    let answer: Answer;
    try {
      answer = await deps.engine.ask({
        agentId,
        userContext: conversation.userContext,
        userIdentifier: conversation.userIdentifier,
        question: body.message,
        conversationId: conversation.id,
        // the conversation's first question has no earlier turns to read back
        newConversation: record.seq === 1,
        signal: controller.signal,
        onProgress: (stage) =>
          sse?.send({ type: 'response.progress', id, stage, message: PROGRESS_MESSAGES[stage] }),
      });
    } catch (err) {
      res.off('close', onClose);
      if (controller.signal.aborted) {
        await cancelled;
        count('cancelled');
        sse?.end();
        return;
      }
      const mapped = mapError(err);
      // a JSON request's error goes to the error handler, which logs it; a stream's ends here
      if (sse && mapped.status >= 500) deps.logger.error({ err, responseId: id }, 'answer failed');
      await saveOutcome(
        deps.store,
        () => deps.store.failResponse(id, { code: mapped.code, message: mapped.message }),
        deps.logger,
        id,
      );
      count('failed');
      if (!sse) throw err;
      sse.send({ type: 'response.error', id, code: mapped.code, message: mapped.message });
      sse.end();
      return;
    }
    res.off('close', onClose);
    if (controller.signal.aborted) {
      // the answer arrived after the client left: the response stays cancelled
      await cancelled;
      count('cancelled');
      return;
    }

    const stored: Answer = { ...answer, id, conversationId: conversation.id };
    // the caller gets its answer even when the store is away for a while (the row follows)
    await saveOutcome(deps.store, () => deps.store.completeResponse(record, stored), deps.logger, id);
    stopTimer();
    count(stored.type);
    const payload = toResponseObject(stored);
    if (sse) {
      sse.send({ type: 'response.completed', id, response: payload });
      sse.end();
    } else {
      res.json(payload);
    }
  });

  router.get('/agents/:agentId/conversations/:conversationId/response/:responseId', async (req, res) => {
    const agent = agentFor(deps, req);
    const { conversation, response } = await responseFor(deps, agent, req);
    res.json(toRetrieveResponse(conversation, response));
  });
}
