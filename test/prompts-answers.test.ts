// Table prompts change answers without an LLM: a model whose YAML declares no synonyms or segments for users, only
// a prompt, answered by the embedded planner on the seeded demo database; every figure comes from hand-written SQL.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../server/answers/answer.ts';
import { type AnswerEngine, createAnswerEngine } from '../server/answers/engine.ts';
import { parseConfig } from '../server/config/load.ts';
import { makeTempDir, seedDemo, sqliteUrl } from './support/demo-db.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const dir = makeTempDir('parley-prompts');
const dbFile = path.join(dir, 'demo.sqlite');

const PROMPT =
  'Users are also referred to as members. A member is considered a VIP if their country is Germany.';

/** A config on the demo tables whose users table has no synonyms and no segments in the YAML. */
function configText(prompt: string): string {
  return `
connections:
  - { id: shop, url: "sqlite://${dbFile}", owner: shop }
agents:
  - id: shop
    connection: shop
    userContext: { organisationId: integer }
    model:
      tables:
        users:
          prompt: ${JSON.stringify(prompt)}
          labelColumn: name
          timeColumn: created_at
          contextFilters: [{ column: organisation_id, field: organisationId }]
          columns:
            id: { type: integer }
            name: { type: string }
            country: { type: string }
            created_at: { type: datetime }
            last_order_at: { type: datetime }
          relations:
            orders: { table: orders, kind: one-to-many, on: { id: user_id } }
        orders:
          timeColumn: created_at
          contextFilters: [{ column: organisation_id, field: organisationId }]
          columns:
            id: { type: integer }
            status: { type: string, values: [pending, completed, cancelled, refunded] }
            total_amount: { type: number }
            created_at: { type: datetime }
`;
}

function engineFor(prompt: string): AnswerEngine {
  const config = parseConfig(configText(prompt), path.join(dir, 'parley.config.yaml'), {});
  return createAnswerEngine({ config, now: () => NOW });
}

function count(sql: string, org: number): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare(sql).get(org) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function ask(engine: AnswerEngine, question: string, org: number): Promise<Answer> {
  return engine.ask({ agentId: 'shop', userContext: { organisationId: org }, question, now: NOW });
}

let withPrompt: AnswerEngine;
let without: AnswerEngine;

beforeAll(async () => {
  await seedDemo(sqliteUrl(dbFile), { anchor: NOW });
  withPrompt = engineFor(PROMPT);
  without = engineFor('People with an account in the shop.');
}, 60_000);

afterAll(async () => {
  await withPrompt?.close();
  await without?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a table prompt read by the embedded planner', () => {
  it('answers "how many members" through the synonym the prompt gives, per tenant', async () => {
    for (const org of [1, 3]) {
      const answer = await ask(withPrompt, 'How many members do we have?', org);
      expect(answer.data?.rows).toEqual([
        [count('SELECT COUNT(*) AS n FROM users WHERE organisation_id = ?', org)],
      ]);
    }
  });

  it('answers "how many VIPs" through the segment the prompt defines, per tenant', async () => {
    const vips = (org: number) =>
      count("SELECT COUNT(*) AS n FROM users WHERE organisation_id = ? AND country = 'Germany'", org);
    for (const org of [1, 3]) {
      const answer = await ask(withPrompt, 'How many VIPs?', org);
      expect(answer.data?.rows).toEqual([[vips(org)]]);
      expect(answer.plan?.filters).toEqual([{ op: 'segment', segment: 'users.vip' }]);
    }
    expect(vips(1)).toBeGreaterThan(0);
    expect(vips(1)).not.toBe(vips(3));
  });

  it('combines the two with the rest of the question', async () => {
    const answer = await ask(withPrompt, 'How many VIP members signed up last month?', 2);
    const expected = count(
      "SELECT COUNT(*) AS n FROM users WHERE organisation_id = ? AND country = 'Germany' AND created_at >= '2026-10-01 00:00:00' AND created_at < '2026-11-01 00:00:00'",
      2,
    );
    expect(answer.data?.rows).toEqual([[expected]]);
  });

  it('is what makes the difference: without the prompt neither question is answered', async () => {
    for (const question of ['How many members do we have?', 'How many VIPs?']) {
      const answer = await ask(without, question, 1);
      expect(answer.type, question).toBe('error');
      expect(answer.data).toBeUndefined();
    }
  });
});
