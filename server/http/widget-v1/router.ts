// The widget REST API under /widget/v1, authenticated only by the end user's session token (Authorization: Bearer).
// Identity and tenant context come from the verified token alone; a conversation belongs to (agent, user, context)
// and anyone else gets 404 for it, its answers and their feedback.
// Same role as http/api-v1/router.ts: each API surface has one router.ts that mounts its routes.

import express, { type Router } from 'express';
import { EXPORT_MAX_ROWS, writeCsv } from '../../answers/export.ts';
import { startAnswer } from '../../answers/runs.ts';
import { type Owner, ownerKey, ownerOf } from '../../auth/owner.ts';
import type { ConversationRecord, ResponseRecord } from '../../conversations/store.ts';
import type { AppDeps } from '../../deps.ts';
import { createConversationWithinLimits } from '../../limits/conversation-creation.ts';
import { MAX_TEXT_LENGTH, PROTOCOL, TOKEN_PROTOCOL_PREFIX, WS_PATH } from '../../ws/protocol.ts';
import { HttpError, notFound } from '../errors.ts';
import {
  type Conversation,
  ConversationParams,
  CreateConversationBody,
  type Feedback,
  FeedbackBody,
  ListConversationsQuery,
  MAX_COMMENT_LENGTH,
  type ResponseItem,
  ResponseParams,
  SendMessageBody,
  type WidgetConfig,
} from './schemas.ts';
import { sessionOf, widgetAuth, widgetCors } from './session.ts';

export const CONTEXT_WRITE_PERMISSION = 'datasets:context:write';

function conversationView(c: ConversationRecord): Conversation {
  return { id: c.id, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

function responseView(r: ResponseRecord, feedback: Feedback | null): ResponseItem {
  return {
    id: r.id,
    conversationId: r.conversationId,
    question: r.question,
    status: r.status,
    ...(r.answer ? { answer: r.answer } : {}),
    ...(r.error ? { error: r.error } : {}),
    createdAt: r.createdAt,
    ...(r.completedAt ? { completedAt: r.completedAt } : {}),
    feedback,
  };
}

/** The conversation when it belongs to exactly this owner; 404 otherwise (whoever else owns it). */
async function ownConversation(deps: AppDeps, owner: Owner, id: string): Promise<ConversationRecord> {
  const conversation = await deps.store.getConversation(id, {
    agentId: owner.agentId,
    userIdentifier: owner.userIdentifier,
    userContext: owner.userContext,
  });
  if (!conversation) throw notFound('conversation not found');
  return conversation;
}

export function widgetV1Router(deps: AppDeps): Router {
  const router = express.Router();

  router.use(widgetCors(deps));
  router.use(express.json({ limit: '64kb' }));
  router.use(widgetAuth(deps));

  router.get('/config', async (_req, res) => {
    const session = sessionOf(res);
    const agent = deps.config.agents.get(session.agentId);
    if (!agent) throw notFound('agent not found');
    const body: WidgetConfig = {
      agent: {
        id: agent.config.id,
        name: agent.config.name ?? agent.config.id,
        starterQuestions: agent.config.starterQuestions,
      },
      user: {
        userIdentifier: session.userIdentifier,
        permissions: session.permissions,
        canShareWithContext: session.permissions.includes(CONTEXT_WRITE_PERMISSION),
      },
      session: { expiresAt: session.expiresAt.toISOString() },
      limits: { maxQuestionLength: MAX_TEXT_LENGTH, maxCommentLength: MAX_COMMENT_LENGTH },
      websocket: { path: WS_PATH, protocol: PROTOCOL, tokenProtocolPrefix: TOKEN_PROTOCOL_PREFIX },
      datasets: {
        formats: ['csv', 'json'],
        maxFileBytes: deps.datasets.settings.maxFileBytes,
        maxColumns: deps.datasets.settings.maxColumns,
        maxCellBytes: deps.datasets.settings.maxCellBytes,
        maxRows: deps.datasets.settings.maxRows,
        uploadsPerMinute: deps.datasets.settings.uploadsPerMinute,
        concurrentUploads: deps.datasets.settings.concurrentUploads,
        // dates.ts brings luxon, which the server does not need before a widget asks
        dateFormats: (await import('../../datasets/dates.ts')).DATE_FORMATS.map((f) => f.example),
        shareContextKeys: session.permissions.includes(CONTEXT_WRITE_PERMISSION)
          ? deps.datasets.widgetContextKeys(agent.config.id)
          : [],
      },
    };
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(body);
  });

  router.get('/conversations', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const query = ListConversationsQuery.parse(req.query);
    const page = await deps.store.listConversations({
      agentId: owner.agentId,
      userIdentifier: owner.userIdentifier,
      userContext: owner.userContext,
      cursor: query.cursor,
      limit: query.limit,
    });
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ items: page.items.map(conversationView), nextCursor: page.nextCursor });
  });

  router.post('/conversations', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const body = CreateConversationBody.parse(req.body ?? {});
    const conversation = await createConversationWithinLimits(deps, owner, body.title ?? '');
    // the user asks next: their tenant's value lists are read meanwhile (engine.prepare)
    void deps.engine.prepare?.(owner);
    res.status(201).json(conversationView(conversation));
  });

  router.get('/conversations/:id', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const { id } = ConversationParams.parse(req.params);
    const conversation = await ownConversation(deps, owner, id);
    const responses = await deps.store.responses(conversation.id);
    const items = await Promise.all(
      responses.map(async (r) => {
        const fb = await deps.store.getFeedback(r.id);
        return responseView(r, fb ? feedbackView(fb) : null);
      }),
    );
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ ...conversationView(conversation), responses: items });
  });

  router.delete('/conversations/:id', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const { id } = ConversationParams.parse(req.params);
    const deleted = await deps.store.deleteConversation(id, owner);
    if (!deleted) throw notFound('conversation not found');
    res.status(204).end();
  });

  router.post('/conversations/:id/messages', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const { id } = ConversationParams.parse(req.params);
    const body = SendMessageBody.parse(req.body);
    const conversation = await ownConversation(deps, owner, id);
    const allowed = await deps.questionLimiter.take(ownerKey(owner));
    if (!allowed.ok) {
      res.setHeader('Retry-After', String(allowed.retryAfter));
      throw new HttpError(429, 'rate_limited', `too many questions: try again in ${allowed.retryAfter} s`);
    }
    const run = await startAnswer(deps, {
      owner,
      conversationId: conversation.id,
      question: body.text,
      surface: 'widget',
    });
    const outcome = await run.done;
    if (outcome.status === 'completed') {
      res.json(outcome.answer);
      return;
    }
    if (outcome.status === 'cancelled') throw new HttpError(503, outcome.code, outcome.message);
    throw new HttpError(outcome.httpStatus, outcome.code, outcome.message);
  });

  // the full CSV of an answer: its stored plan run again under this token's context, up to EXPORT_MAX_ROWS rows
  router.get('/conversations/:id/responses/:responseId/export.csv', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const { id, responseId } = ResponseParams.parse(req.params);
    const conversation = await ownConversation(deps, owner, id);
    const response = await deps.store.getResponse(responseId, conversation.id);
    const answer = response?.answer;
    if (!response || !answer?.plan || !answer.data) throw notFound('no exportable answer');
    if (!deps.engine.exportRows) throw new HttpError(501, 'not_supported', 'exports are not available here');
    const allowed = await deps.questionLimiter.take(ownerKey(owner));
    if (!allowed.ok) {
      res.setHeader('Retry-After', String(allowed.retryAfter));
      throw new HttpError(429, 'rate_limited', `too many requests: try again in ${allowed.retryAfter} s`);
    }
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    const { result } = await deps.engine.exportRows({
      agentId: owner.agentId,
      userContext: owner.userContext,
      plan: answer.plan,
      now: new Date(answer.asOf ?? response.createdAt),
      maxRows: EXPORT_MAX_ROWS,
      signal: aborted.signal,
    });
    const head =
      answer.table?.head.length === result.columns.length
        ? answer.table.head
        : result.columns.map((c) => c.label);
    const name = `${answer.exportName ?? 'answer'}.csv`;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Parley-Export-Rows', String(result.rows.length));
    if (result.truncated) res.setHeader('Parley-Export-Truncated', String(EXPORT_MAX_ROWS));
    await writeCsv(res, head, result.rows);
  });

  router.post('/conversations/:id/responses/:responseId/feedback', async (req, res) => {
    const owner = ownerOf(sessionOf(res));
    const { id, responseId } = ResponseParams.parse(req.params);
    const body = FeedbackBody.parse(req.body);
    const conversation = await ownConversation(deps, owner, id);
    const response = await deps.store.getResponse(responseId, conversation.id);
    if (!response) throw notFound('response not found');
    const stored = await deps.store.upsertFeedback(response.id, {
      rating: body.rating,
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
    });
    res.json(feedbackView(stored));
  });

  return router;
}

function feedbackView(f: {
  responseId: string;
  rating: 'positive' | 'negative' | null;
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}): Feedback {
  return {
    responseId: f.responseId,
    rating: f.rating,
    comment: f.comment,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}
