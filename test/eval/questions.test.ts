// The question set itself: well-formed, broad enough, and every expected query runs on the demo data
// (the same checks as `npm run eval -- --check-sql`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/connect.ts';
import { seedDemoData } from '../../server/seed/demo-data.ts';
import { checkTurn, computeExpected, openExpectationDb } from './expected.ts';
import { CATEGORIES, loadQuestionSet, parseQuestionSet, turnId } from './questions.ts';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'questions.yaml');
const set = loadQuestionSet(file);
const turns = set.items.flatMap((item) => item.turns.map((turn) => ({ item, turn })));

describe('question set', () => {
  it('is pinned to the documented clock', () => {
    expect(set.now.toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(set.scale).toBe(1);
    expect(set.agent).toBe('demo');
  });

  it('has at least 220 graded questions over organisations 1 and 3, and some for 2', () => {
    expect(turns.length).toBeGreaterThanOrEqual(220);
    const orgs = new Set(set.items.map((i) => i.org));
    expect([...orgs].sort()).toEqual([1, 2, 3]);
    for (const org of [1, 3])
      expect(turns.filter((t) => t.item.org === org).length).toBeGreaterThanOrEqual(60);
  });

  it('covers every kind of question', () => {
    const used = new Set(set.items.map((i) => i.category));
    for (const c of CATEGORIES.filter((c) => c !== 'ambiguous')) expect(used, c).toContain(c);
    const chains = set.items.filter((i) => i.turns.length > 1);
    expect(chains.length).toBeGreaterThanOrEqual(8);
    expect(chains.every((c) => c.category === 'followup')).toBe(true);
    expect(
      set.items.filter((i) => i.category === 'unanswerable').every((i) => i.turns[0]!.spec.kind === 'none'),
    ).toBe(true);
  });

  it('rejects malformed items', () => {
    const head = "now: '2026-11-25T12:00:00Z'\nquestions:\n";
    expect(() =>
      parseQuestionSet(`${head}  - { id: a, category: count, org: 1, question: q }\n`, 'x.yaml'),
    ).toThrow(/sql is required/);
    expect(() =>
      parseQuestionSet(
        `${head}  - { id: a, category: nope, org: 1, question: q, sql: 'SELECT 1' }\n`,
        'x.yaml',
      ),
    ).toThrow(/category/);
    expect(() =>
      parseQuestionSet(
        `${head}  - { id: a, category: count, org: 1, question: q, sql: 'SELECT 1' }\n  - { id: a, category: count, org: 1, question: q, sql: 'SELECT 1' }\n`,
        'x.yaml',
      ),
    ).toThrow(/duplicate id/);
    expect(() =>
      parseQuestionSet(
        `${head}  - { id: a, category: unanswerable, org: 1, question: q, expect: none, sql: 'SELECT 1' }\n`,
        'x.yaml',
      ),
    ).toThrow(/no sql/);
  });
});

describe('expected SQL on the seeded demo data', () => {
  let dir: string;
  let dbFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-eval-test-'));
    dbFile = path.join(dir, 'demo.sqlite');
    const db = openDatabase(`sqlite://${dbFile}`, { create: true });
    try {
      await seedDemoData(db, { anchor: set.now, scale: set.scale });
    } finally {
      await db.destroy();
    }
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every query and gets sensible, unambiguous results', () => {
    const db = openExpectationDb(dbFile);
    try {
      const errors: string[] = [];
      for (const item of set.items) {
        const expected = computeExpected(db, item);
        item.turns.forEach((turn, i) => {
          for (const issue of checkTurn(db, turnId(item, i), item.org, turn, expected[i]!)) {
            if (issue.level === 'error') errors.push(`${issue.id}: ${issue.message}`);
          }
        });
      }
      expect(errors).toEqual([]);
    } finally {
      db.close();
    }
  });
});
