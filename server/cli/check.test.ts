// `parley check` says what every table prompt sentence was read as, next to the model's issues.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../test/support/demo-db.ts';
import { parseConfig } from '../config/load.ts';
import { runCheck } from './check.ts';

const SHOP = `
agents:
  - id: shop
    userContext: { organisationId: integer }
    model:
      tables:
        users:
          prompt: >-
            People who shop here. Users are also referred to as members and accounts.
            A member is considered a VIP if their country is Germany. A whale is a user whose plan is platinum.
          synonyms: [account]
          contextFilters: [{ column: organisation_id, field: organisationId }]
          columns:
            id: { type: integer }
            country: { type: string }
            plan: { type: string, values: [free, pro] }
`;

async function check(text: string, agent?: string): Promise<{ ok: boolean; lines: string[] }> {
  const loaded = parseConfig(text, '/tmp/parley.config.yaml', {});
  const lines: string[] = [];
  const ok = await runCheck(
    loaded,
    agent,
    (line) => lines.push(line),
    () => {
      throw new Error('offline');
    },
  );
  return { ok, lines };
}

describe('parley check: table prompts', () => {
  it('prints each sentence with what it was read as, and which it could not use', async () => {
    const { ok, lines } = await check(SHOP);
    expect(lines).toEqual([
      'shop: table prompts: 1 synonym and 1 segment added, 2 sentences not used',
      '  users: "People who shop here."',
      '    not used: the sentence is not one of the synonym or segment forms',
      '  users: "Users are also referred to as members and accounts."',
      '    synonym members -> table users: added',
      '    synonym accounts -> table users: already in the model',
      '  users: "A member is considered a VIP if their country is Germany."',
      '    segment vip (also vips) = country = "Germany": added',
      '  users: "A whale is a user whose plan is platinum."',
      '    not used: the sentence: segment whale: "platinum" is not one of the values of plan (free, pro)',
      'shop: warning: not linked to a connection; database checks skipped',
      'shop: ok',
    ]);
    // a sentence the reader cannot use is not an error: the LLM planner still reads the whole prompt
    expect(ok).toBe(true);
  });

  it("reads the demo config's prompts: the customer definitions agree with the YAML", async () => {
    const { lines } = await check(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), 'globex-support');
    expect(lines.slice(0, 6)).toEqual([
      'globex-support: table prompts: 0 synonyms and 0 segments added, 1 sentence not used',
      '  users: "The shop\'s accounts in the countries this support desk covers."',
      '    not used: the sentence is not one of the synonym or segment forms',
      '  users: "A customer is an account that has ordered at least once (last_order_at is not null)."',
      '    segment customer (also customers) = last_order_at is not null: not added, the YAML declares segment customer (with the same filter)',
      'globex-support/connection: cannot open connection demo-db: offline',
    ]);
  });

  it('prints nothing about prompts for a model without any', async () => {
    const { lines } = await check(SHOP.replace(/ {10}prompt: >-\n(?: {12}.*\n)+/, ''));
    expect(lines).toEqual(['shop: warning: not linked to a connection; database checks skipped', 'shop: ok']);
  });
});
