// The store database: conversations, their messages, responses and feedback, through knex migrations.
// SQLite by default, MySQL in production; several server instances can share one MySQL store.
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Answer } from '../answers/answer.ts';
import type { ConversationMemory } from '../answers/engine.ts';
import type { Owner } from '../auth/owner.ts';
import { openDatabase, parseDatabaseUrl } from '../db/connect.ts';
import { fewestCommits, inTransaction, once, type UnitOfWork } from '../db/unit-of-work.ts';
import { ParleyError } from '../errors.ts';
import type { PlannedTurn, Presentation } from '../planner/types.ts';
import { contextKey, type UserContext } from '../semantic/user-context.ts';
import { migrateStore } from './migrate.ts';

export interface ConversationRecord {
  id: string;
  agentId: string;
  userIdentifier: string;
  userContext: UserContext;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'failed' | 'cancelled';

export interface ResponseRecord {
  id: string;
  conversationId: string;
  /** its place in the conversation, from 1 */
  seq: number;
  question: string;
  status: ResponseStatus;
  answer?: Answer;
  error?: { code: string; message: string };
  createdAt: string;
  completedAt?: string;
}

export interface FeedbackRecord {
  id: string;
  responseId: string;
  rating: 'positive' | 'negative' | null;
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ListQuery {
  agentId: string;
  userIdentifier?: string;
  userContext?: Record<string, unknown>;
  cursor?: string;
  limit?: number;
}

function contextHash(userContext: Record<string, unknown>): string {
  return createHash('sha256').update(contextKey(userContext)).digest('hex');
}

export class CursorError extends ParleyError {
  override name = 'CursorError';
  constructor(message: string) {
    super(400, 'invalid_cursor', message);
  }
}

interface ConversationRow {
  id: string;
  agent_id: string;
  user_identifier: string;
  user_context: string;
  context_hash: string;
  title: string;
  created_at: string;
  updated_at: string;
}

interface ResponseRow {
  id: string;
  conversation_id: string;
  seq: number;
  question: string;
  status: ResponseStatus;
  answer: string | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
  /** the server instance making the answer (leases.ts); null for rows of the CLI or of older versions */
  instance_id?: string | null;
}

/** below the default statement limit of the analytics databases (15 s): a store call never outwaits a query */
export const DEFAULT_STORE_QUERY_TIMEOUT_MS = 5000;

export class ConversationStore {
  private constructor(
    readonly db: Knex,
    private readonly clock: () => Date,
    /** stamped on the responses this process makes, so only its lease running out fails them */
    readonly instanceId?: string,
  ) {}

  static async open(
    url: string,
    options: {
      clock?: () => Date;
      instanceId?: string;
      migrationLockWaitMs?: number;
      /** MySQL: client-side deadline of one statement, and of getting a connection (default 5 s) */
      queryTimeoutMs?: number;
    } = {},
  ): Promise<ConversationStore> {
    const queryMs = options.queryTimeoutMs ?? DEFAULT_STORE_QUERY_TIMEOUT_MS;
    const db = openDatabase(url, {
      create: true,
      pool: { min: 0, max: 10 },
      writeAheadLog: true,
      deadlines: { connectMs: queryMs, acquireMs: queryMs, queryMs },
    });
    // migrations run on connections of their own without the statement deadline: DDL on a big table takes its time
    const migrator =
      parseDatabaseUrl(url).dialect === 'mysql'
        ? openDatabase(url, { pool: { min: 0, max: 2 }, deadlines: { connectMs: Math.max(queryMs, 5000) } })
        : db;
    try {
      await migrateStore(migrator, { waitMs: options.migrationLockWaitMs });
    } catch (err) {
      await db.destroy();
      throw err;
    } finally {
      if (migrator !== db) await migrator.destroy();
    }
    return new ConversationStore(db, options.clock ?? strictlyIncreasingClock(), options.instanceId);
  }

  private now(): string {
    return this.clock().toISOString();
  }

  async ping(): Promise<void> {
    await this.db.raw('SELECT 1');
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  // ---- conversations ------------------------------------------------------------------------

  async createConversation(owner: Owner, title = ''): Promise<ConversationRecord> {
    const row = this.conversationRow(owner, title, this.now());
    await once(this.db, (unit) => unit.write(this.db('parley_conversations').insert(row)));
    return toConversation(row);
  }

  private conversationRow(owner: Owner, title: string, now: string): ConversationRow {
    return {
      id: randomUUID(),
      agent_id: owner.agentId,
      user_identifier: owner.userIdentifier,
      user_context: contextKey(owner.userContext),
      context_hash: contextHash(owner.userContext),
      title: title.slice(0, 200),
      created_at: now,
      updated_at: now,
    };
  }

  /** A new conversation with its first question recorded as an in-progress response, in one transaction. */
  async startConversation(
    owner: Owner,
    question: string,
  ): Promise<{ conversation: ConversationRecord; response: ResponseRecord }> {
    const now = this.now();
    const conversation = this.conversationRow(owner, question, now);
    return inTransaction(this.db, async (unit) => {
      await unit.write(this.db('parley_conversations').insert(conversation));
      const response = await this.insertResponse(unit, conversation.id, question, now, 1);
      return { conversation: toConversation(conversation), response };
    });
  }

  /** The conversation of this agent, optionally only when it belongs to exactly this user and context. */
  async getConversation(
    id: string,
    scope: { agentId: string; userIdentifier?: string; userContext?: Record<string, unknown> },
  ): Promise<ConversationRecord | undefined> {
    const q = this.db<ConversationRow>('parley_conversations').where({ id, agent_id: scope.agentId });
    if (scope.userIdentifier !== undefined) q.andWhere('user_identifier', scope.userIdentifier);
    if (scope.userContext !== undefined) q.andWhere('context_hash', contextHash(scope.userContext));
    const [row] = await once(this.db, (unit) => unit.rows<ConversationRow>(q.first()));
    return row ? toConversation(row) : undefined;
  }

  async listConversations(
    query: ListQuery,
  ): Promise<{ items: ConversationRecord[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const q = this.db<ConversationRow>('parley_conversations').where('agent_id', query.agentId);
    if (query.userIdentifier !== undefined) q.andWhere('user_identifier', query.userIdentifier);
    if (query.userContext !== undefined) q.andWhere('context_hash', contextHash(query.userContext));
    if (query.cursor) {
      const { createdAt, id } = decodeCursor(query.cursor);
      q.andWhere((w) => {
        w.where('created_at', '<', createdAt).orWhere((x) =>
          x.where('created_at', '=', createdAt).andWhere('id', '<', id),
        );
      });
    }
    const rows = await q
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toConversation),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** How many conversations this user (in this tenant) keeps; the owner index answers it. */
  async countConversations(owner: Owner): Promise<number> {
    const [row] = await once(this.db, (unit) =>
      unit.rows<{ n: number | string }>(
        this.db('parley_conversations')
          .where({
            agent_id: owner.agentId,
            user_identifier: owner.userIdentifier,
            context_hash: contextHash(owner.userContext),
          })
          .count({ n: '*' })
          .first(),
      ),
    );
    return Number(row?.n ?? 0);
  }

  async deleteConversation(id: string, owner: Owner): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const found = await trx<ConversationRow>('parley_conversations')
        .where({
          id,
          agent_id: owner.agentId,
          user_identifier: owner.userIdentifier,
          context_hash: contextHash(owner.userContext),
        })
        .first();
      if (!found) return false;
      const responseIds = trx('parley_responses').select('id').where('conversation_id', id);
      await trx('parley_feedback').whereIn('response_id', responseIds).delete();
      await trx('parley_responses').where('conversation_id', id).delete();
      await trx('parley_conversations').where('id', id).delete();
      return true;
    });
  }

  // ---- responses ----------------------------------------------------------------------------

  /** Records a question as an in-progress response; the first question also titles the conversation. */
  async startResponse(conversationId: string, question: string): Promise<ResponseRecord> {
    const now = this.now();
    return inTransaction(this.db, async (unit) => {
      const [last] = await unit.rows<{ seq?: number | null }>(
        this.db('parley_responses').where('conversation_id', conversationId).max({ seq: 'seq' }).first(),
      );
      const seq = Number(last?.seq ?? 0) + 1;
      const update: Partial<ConversationRow> = { updated_at: now };
      if (seq === 1) update.title = question.slice(0, 200);
      // the response first, then its conversation, in the order deleteConversation takes them (no lock-order deadlock)
      const response = await this.insertResponse(unit, conversationId, question, now, seq);
      await unit.write(this.db('parley_conversations').where('id', conversationId).update(update));
      return response;
    });
  }

  private async insertResponse(
    unit: UnitOfWork,
    conversationId: string,
    question: string,
    now: string,
    seq: number,
  ): Promise<ResponseRecord> {
    const row: ResponseRow = {
      id: randomUUID(),
      conversation_id: conversationId,
      seq,
      question,
      status: 'in_progress',
      answer: null,
      error: null,
      created_at: now,
      completed_at: null,
      // whose lease covers it: only when that instance's lease runs out is it interrupted
      ...(this.instanceId ? { instance_id: this.instanceId } : {}),
    };
    await unit.write(this.db('parley_responses').insert(row));
    return toResponse(row);
  }

  /**
   * Records the answer; its completion time, or undefined when the response was no longer in progress. The first
   * answer's subject joins the conversation's title ("How many orders? · Orders, October 2026"), so that
   * conversations asked alike are told apart in the list; a title someone set (not the question) is kept. One unit
   * of work on SQLite (one commit); on MySQL the title follows in its own statement. Takes the response as it was
   * recorded, which already says where it stands in its conversation (nothing is read back).
   */
  async completeResponse(
    response: Pick<ResponseRecord, 'id' | 'conversationId' | 'seq' | 'question'>,
    answer: Answer,
  ): Promise<string | undefined> {
    const completedAt = this.now();
    const subject = answer.subject;
    const question = response.question.slice(0, 200);
    const retitle =
      subject !== undefined && response.seq === 1 && !question.toLowerCase().includes(subject.toLowerCase());
    return fewestCommits(this.db, async (unit) => {
      const changed = await unit.write(
        this.db('parley_responses')
          .where({ id: response.id, status: 'in_progress' })
          .update({ status: 'completed', answer: JSON.stringify(answer), completed_at: completedAt }),
      );
      if (changed === 0) return undefined;
      if (retitle) {
        await unit.write(
          this.db('parley_conversations')
            .where({ id: response.conversationId, title: question })
            .update({ title: `${question} · ${subject}`.slice(0, 200) }),
        );
      }
      return completedAt;
    });
  }

  async failResponse(
    id: string,
    error: { code: string; message: string },
    status: 'failed' | 'cancelled' = 'failed',
  ): Promise<string | undefined> {
    return this.finish(id, { status, error: JSON.stringify(error) });
  }

  private async finish(id: string, patch: Partial<ResponseRow>): Promise<string | undefined> {
    // only an in-progress response can finish, so a late result never overwrites a cancellation
    const completedAt = this.now();
    const changed = await once(this.db, (unit) =>
      unit.write(
        this.db('parley_responses')
          .where({ id, status: 'in_progress' })
          .update({ ...patch, completed_at: completedAt }),
      ),
    );
    return changed > 0 ? completedAt : undefined;
  }

  async getResponse(id: string, conversationId: string): Promise<ResponseRecord | undefined> {
    const row = await this.db<ResponseRow>('parley_responses')
      .where({ id, conversation_id: conversationId })
      .first();
    return row ? toResponse(row) : undefined;
  }

  /** A conversation's responses in order; `afterSeq` lets a reconnecting client fetch only what it missed. */
  async responses(conversationId: string): Promise<ResponseRecord[]> {
    const rows = await this.db<ResponseRow>('parley_responses')
      .where('conversation_id', conversationId)
      .orderBy('seq', 'asc');
    return rows.map(toResponse);
  }

  /** Responses of one owner that finished after a time, for clients that were disconnected. */
  async completedSince(owner: Owner, since: string): Promise<ResponseRecord[]> {
    const rows = await this.db<ResponseRow>('parley_responses as r')
      .join('parley_conversations as c', 'c.id', 'r.conversation_id')
      .where('c.agent_id', owner.agentId)
      .andWhere('c.user_identifier', owner.userIdentifier)
      .andWhere('c.context_hash', contextHash(owner.userContext))
      .andWhere('r.completed_at', '>', since)
      .orderBy('r.completed_at', 'asc')
      .select('r.*')
      .limit(100);
    return rows.map(toResponse);
  }

  // ---- feedback -----------------------------------------------------------------------------

  async upsertFeedback(
    responseId: string,
    input: { rating?: 'positive' | 'negative' | null; comment?: string | null },
  ): Promise<FeedbackRecord> {
    const now = this.now();
    return this.db.transaction(async (trx) => {
      const existing = await trx('parley_feedback').where('response_id', responseId).first();
      if (existing) {
        const patch: Record<string, unknown> = { updated_at: now };
        if (input.rating !== undefined) patch.rating = input.rating;
        if (input.comment !== undefined) patch.comment = input.comment;
        await trx('parley_feedback').where('id', existing.id).update(patch);
        return toFeedback({ ...existing, ...patch });
      }
      const row = {
        id: randomUUID(),
        response_id: responseId,
        rating: input.rating ?? null,
        comment: input.comment ?? null,
        created_at: now,
        updated_at: now,
      };
      await trx('parley_feedback').insert(row);
      return toFeedback(row);
    });
  }

  async getFeedback(responseId: string): Promise<FeedbackRecord | undefined> {
    const row = await this.db('parley_feedback').where('response_id', responseId).first();
    return row ? toFeedback(row) : undefined;
  }

  // ---- the engine's view: earlier turns for follow-ups ---------------------------------------

  memory(): ConversationMemory {
    return {
      turns: async (
        conversationId: string,
        owner: Pick<Owner, 'agentId' | 'userContext'>,
      ): Promise<PlannedTurn[] | undefined> => {
        const found = await once(this.db, async (unit) => {
          const [conv] = await unit.rows<ConversationRow>(
            this.db('parley_conversations')
              .where({
                id: conversationId,
                agent_id: owner.agentId,
                context_hash: contextHash(owner.userContext),
              })
              .first(),
          );
          if (!conv) return undefined;
          return unit.rows<ResponseRow>(
            this.db('parley_responses')
              .where({ conversation_id: conversationId, status: 'completed' })
              .orderBy('seq', 'desc')
              .limit(10),
          );
        });
        if (!found) return undefined;
        return found.reverse().map((r) => {
          const answer = r.answer
            ? (JSON.parse(r.answer) as Answer & { presentation?: Presentation })
            : undefined;
          return { question: r.question, plan: answer?.plan };
        });
      },
      // the BFF records responses itself (startResponse/completeResponse); nothing more to keep here
      append: async () => undefined,
    };
  }
}

function toConversation(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    agentId: row.agent_id,
    userIdentifier: row.user_identifier,
    userContext: JSON.parse(row.user_context) as UserContext,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toResponse(row: ResponseRow): ResponseRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    question: row.question,
    status: row.status,
    answer: row.answer ? (JSON.parse(row.answer) as Answer) : undefined,
    error: row.error ? (JSON.parse(row.error) as { code: string; message: string }) : undefined,
    createdAt: row.created_at,
    completedAt: row.completed_at ?? undefined,
  };
}

function toFeedback(row: Record<string, unknown>): FeedbackRecord {
  return {
    id: String(row.id),
    responseId: String(row.response_id),
    rating: (row.rating as FeedbackRecord['rating']) ?? null,
    comment: (row.comment as string | null) ?? null,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new CursorError('the cursor is not one this server gave out');
}

/**
 * The wall clock, never giving the same millisecond twice: answers that finish within one millisecond still have an
 * order, so a sync from `until` (`completed_at > since`) never skips one and replays them in the order they finished.
 */
export function strictlyIncreasingClock(wall: () => number = Date.now): () => Date {
  let last = 0;
  return () => {
    last = Math.max(wall(), last + 1);
    return new Date(last);
  };
}
