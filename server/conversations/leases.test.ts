import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onScratchMysql } from '../../test/support/mysql.ts';
import type { Owner } from '../auth/owner.ts';
import { failOrphaned, INTERRUPTED, InstanceLease, renewLease } from './leases.ts';
import { ConversationStore } from './store.ts';

const alice: Owner = { agentId: 'demo', userIdentifier: 'alice', userContext: { organisationId: 1 } };

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

function leaseContract(name: string, makeUrl: () => Promise<string>, cleanup: () => Promise<void>) {
  describe(name, () => {
    let url: string;
    const stores: ConversationStore[] = [];
    const open = async (instanceId?: string) => {
      const store = await ConversationStore.open(url, { instanceId });
      stores.push(store);
      return store;
    };

    beforeAll(async () => {
      url = await makeUrl();
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await cleanup();
    });

    it("fails an in-progress answer only when its own instance's lease has run out", async () => {
      const a = await open('instance-a');
      const b = await open('instance-b');
      const now = new Date();
      await renewLease(a.db, 'instance-a', now, 30_000);
      // b's lease ran out a minute ago: b crashed
      await renewLease(b.db, 'instance-b', new Date(now.getTime() - 90_000), 30_000);
      const conv = await a.createConversation(alice);
      const live = await a.startResponse(conv.id, 'asked on a');
      const orphan = await b.startResponse(conv.id, 'asked on b');

      await failOrphaned(a.db, now);
      expect((await a.getResponse(live.id, conv.id))?.status).toBe('in_progress');
      expect(await a.getResponse(orphan.id, conv.id)).toMatchObject({ status: 'failed', error: INTERRUPTED });

      // a's answer still completes after another instance looked
      await a.completeResponse(live, {
        id: live.id,
        conversationId: conv.id,
        type: 'text',
        message: 'ok',
      });
      expect((await a.getResponse(live.id, conv.id))?.status).toBe('completed');
    });

    it('leaves answers of the CLI (no instance) alone until they are long stale', async () => {
      const cli = await open();
      const conv = await cli.createConversation(alice);
      const r = await cli.startResponse(conv.id, 'from the cli');
      await failOrphaned(cli.db, new Date());
      expect((await cli.getResponse(r.id, conv.id))?.status).toBe('in_progress');
      await failOrphaned(cli.db, new Date(Date.now() + 16 * 60_000));
      expect((await cli.getResponse(r.id, conv.id))?.error).toEqual(INTERRUPTED);
    });

    it('looks again periodically, not only at start, and gives up its own answers and lease on stop', async () => {
      const a = await open('instance-c');
      const lease = new InstanceLease(a.db, 'instance-c', { ttlMs: 600 });
      await lease.start();
      const crashed = await open('instance-d');
      await renewLease(crashed.db, 'instance-d', new Date(), 600);
      const conv = await a.createConversation(alice);
      const orphan = await crashed.startResponse(conv.id, 'asked on d, which then died');
      const mine = await a.startResponse(conv.id, 'asked on c');
      // d never renews: some tick of c's lease fails d's answer after d's lease ran out
      expect(
        await until(async () => (await a.getResponse(orphan.id, conv.id))?.status === 'failed', 5000),
      ).toBe(true);
      expect((await a.getResponse(mine.id, conv.id))?.status).toBe('in_progress');
      await lease.stop();
      expect((await a.getResponse(mine.id, conv.id))?.error).toEqual(INTERRUPTED);
      expect(await a.db('parley_instances').where('id', 'instance-c').first()).toBeUndefined();
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-leases-'));
leaseContract(
  'answer leases (SQLite)',
  async () => `sqlite://${path.join(tmp, 'store.sqlite')}`,
  async () => fs.rmSync(tmp, { recursive: true, force: true }),
);

onScratchMysql('answer leases', 'parley_leases', leaseContract);
