// Loads and validates the evaluation's question set (test/eval/questions.yaml).
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { GradeSpec } from './grade.ts';

/** Kinds of question that the independently written set (questions-blind.yaml) adds to the original ones. */
export const BLIND_KINDS = [
  'event-time',
  'entity',
  'related-counts',
  'filters',
  'shape',
  'vocabulary',
  'prompts',
] as const;

export const CATEGORIES = [
  'count',
  'total',
  'average',
  'minmax',
  'topn',
  'breakdown',
  'grain',
  'dates',
  'comparison',
  'enum',
  'values',
  'segment',
  'listing',
  'followup',
  'unanswerable',
  'ambiguous',
  ...BLIND_KINDS,
] as const;
export type Category = (typeof CATEGORIES)[number];

const ColumnList = z.array(z.string().min(1)).min(1);

/** A question with its expected result (a standalone question, or one turn of a follow-up chain). */
const Expectation = z
  .object({
    question: z.string().min(1),
    sql: z.string().min(1).optional(),
    expect: z.enum(['rows', 'numbers', 'none']).default('rows'),
    keys: ColumnList.optional(),
    anyKey: ColumnList.optional(),
    ignore: ColumnList.optional(),
    ordered: z.boolean().default(false),
    percent: z.boolean().default(false),
    leading: z.boolean().default(false),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.expect === 'none' && e.sql !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'an unanswerable question (expect: none) has no sql' });
    }
    if (e.expect !== 'none' && e.sql === undefined) {
      ctx.addIssue({ code: 'custom', message: 'sql is required unless expect is none' });
    }
    if (e.keys && e.anyKey) ctx.addIssue({ code: 'custom', message: 'give keys or anyKey, not both' });
  });

const Item = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    category: z.enum(CATEGORIES),
    org: z.number().int().positive(),
    question: z.string().optional(),
    turns: z.array(z.unknown()).min(2).max(6).optional(),
  })
  .passthrough();

const QuestionFile = z
  .object({
    now: z.string().min(1),
    scale: z.number().int().positive().default(1),
    agent: z.string().min(1).default('demo'),
    questions: z.array(z.unknown()).min(1),
  })
  .strict();

export interface EvalTurn {
  question: string;
  sql?: string;
  spec: GradeSpec;
}

export interface EvalItem {
  id: string;
  category: Category;
  org: number;
  /** one turn for a standalone question; two or more for a follow-up chain (asked in one conversation) */
  turns: EvalTurn[];
}

export interface QuestionSet {
  file: string;
  /** the clock the expected SQL was written for */
  now: Date;
  scale: number;
  agent: string;
  items: EvalItem[];
}

export class QuestionSetError extends Error {
  override name = 'QuestionSetError';
}

function issues(error: z.ZodError, where: string): string {
  return error.issues
    .map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`)
    .join('\n');
}

function toTurn(raw: unknown, where: string): EvalTurn {
  const parsed = Expectation.safeParse(raw);
  if (!parsed.success) throw new QuestionSetError(issues(parsed.error, where));
  const e = parsed.data;
  const spec: GradeSpec = { kind: e.expect };
  if (e.keys) spec.keys = e.keys;
  if (e.anyKey) spec.anyKey = e.anyKey;
  if (e.ignore) spec.ignore = e.ignore;
  if (e.ordered) spec.ordered = true;
  if (e.percent) spec.percent = true;
  if (e.leading) spec.leading = true;
  return e.sql === undefined ? { question: e.question, spec } : { question: e.question, sql: e.sql, spec };
}

/** Parses a question set; throws QuestionSetError listing what is wrong. */
export function parseQuestionSet(text: string, file: string): QuestionSet {
  const head = QuestionFile.safeParse(parseYaml(text));
  if (!head.success) throw new QuestionSetError(issues(head.error, file));
  const now = new Date(head.data.now);
  if (Number.isNaN(now.getTime()))
    throw new QuestionSetError(`${file}: now "${head.data.now}" is not an ISO time`);
  const seen = new Set<string>();
  const items = head.data.questions.map((raw, i): EvalItem => {
    const base = Item.safeParse(raw);
    if (!base.success) throw new QuestionSetError(issues(base.error, `questions[${i}]`));
    const { id, category, org, turns, ...rest } = base.data;
    const where = `questions[${i}] (${id})`;
    if (seen.has(id)) throw new QuestionSetError(`${where}: duplicate id`);
    seen.add(id);
    if (turns) {
      if (Object.keys(rest).length > 0) {
        throw new QuestionSetError(
          `${where}: a chain has turns only (found ${Object.keys(rest).join(', ')})`,
        );
      }
      return { id, category, org, turns: turns.map((t, j) => toTurn(t, `${where}.turns[${j}]`)) };
    }
    return { id, category, org, turns: [toTurn(rest, where)] };
  });
  return { file, now, scale: head.data.scale, agent: head.data.agent, items };
}

export function loadQuestionSet(file: string): QuestionSet {
  return parseQuestionSet(fs.readFileSync(file, 'utf8'), file);
}

/** The id of one graded turn: the item id, with `#n` (1-based) for turns of a chain. */
export function turnId(item: EvalItem, index: number): string {
  return item.turns.length > 1 ? `${item.id}#${index + 1}` : item.id;
}
