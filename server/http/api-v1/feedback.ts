// Feedback on a response: create (a second create replaces the response's feedback) and update by feedback id.
import type { Router } from 'express';
import { notFound } from '../errors.ts';
import { type ApiDeps, agentFor, param, responseFor } from './context.ts';
import { toFeedback } from './inconvo.ts';
import { FeedbackCreateBody, FeedbackUpdateBody } from './schemas.ts';

export function feedbackRoutes(router: Router, deps: ApiDeps): void {
  router.post(
    '/agents/:agentId/conversations/:conversationId/response/:responseId/feedback',
    async (req, res) => {
      const agent = agentFor(deps, req);
      const body = FeedbackCreateBody.parse(req.body ?? {});
      const { response } = await responseFor(deps, agent, req);
      const feedback = await deps.store.upsertFeedback(response.id, {
        rating: body.rating,
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
      });
      res.json(toFeedback(feedback));
    },
  );

  router.patch(
    '/agents/:agentId/conversations/:conversationId/response/:responseId/feedback/:feedbackId',
    async (req, res) => {
      const agent = agentFor(deps, req);
      const body = FeedbackUpdateBody.parse(req.body ?? {});
      const { response } = await responseFor(deps, agent, req);
      const existing = await deps.store.getFeedback(response.id);
      if (!existing || existing.id !== param(req, 'feedbackId')) throw notFound('feedback not found');
      const feedback = await deps.store.upsertFeedback(response.id, {
        ...(body.rating !== undefined ? { rating: body.rating } : {}),
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
      });
      res.json(toFeedback(feedback));
    },
  );
}
