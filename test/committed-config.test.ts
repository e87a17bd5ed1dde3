// The repository's parley.config.yaml as `parley serve` reads it: every agent in it starts (the server checks each
// one against its database and refuses to start otherwise) and answers its own starter questions over /api/v1.
import Inconvo from '@inconvoai/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { DEMO_CONFIG_FILE } from './support/demo-db.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let client: Inconvo;
beforeAll(async () => {
  server = await startTestServer();
  client = new Inconvo({ apiKey: server.apiKey, baseURL: `${server.url}/api/v1`, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

/** A userContext that fits what the agent declares, for organisation 1 (the countries every org has users in). */
function contextFor(declared: Record<string, string>): Record<string, string | number> {
  // the SDK types values as string | number; a list field is sent as JSON all the same
  const out: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(declared)) {
    if (field === 'organisationId') out[field] = 1;
    else if (type === 'string[]') out[field] = ['Germany', 'France'];
    else throw new Error(`no test value for userContext.${field} (${type})`);
  }
  return out as Record<string, string | number>;
}

describe('the committed parley.config.yaml', () => {
  it('every agent is linked to a connection and answers its starter questions', async () => {
    const agents = [...loadConfig(DEMO_CONFIG_FILE, {}).agents.values()];
    expect(agents.map((a) => a.config.id)).toEqual(['demo', 'acme-sales', 'globex-support', 'initech']);
    for (const agent of agents) {
      expect(agent.connection?.id, agent.config.id).toBeDefined();
      const userContext = contextFor(agent.config.userContext);
      const { id } = await client.agents.conversations.create(agent.config.id, {
        userIdentifier: 'integrator',
        ...(Object.keys(userContext).length > 0 ? { userContext } : {}),
      });
      for (const question of agent.config.starterQuestions) {
        const answer = await client.agents.conversations.response.create(id as string, {
          agentId: agent.config.id,
          message: question,
        });
        expect(answer.type, `${agent.config.id}: ${question}: ${answer.message}`).not.toBe('error');
        expect(answer.message.length).toBeGreaterThan(0);
      }
    }
  }, 60_000);
});
