import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, sqliteUrl } from '../../test/support/demo-db.ts';
import {
  assertMysqlReachable,
  createMysqlDatabase,
  dropMysqlDatabase,
  mysqlEnabled,
  mysqlTitle,
  openMysqlRoot,
  testDatabaseName,
} from '../../test/support/mysql.ts';
import type { Owner } from '../auth/owner.ts';
import { ConversationStore } from '../conversations/store.ts';
import type { DatasetError } from './errors.ts';
import { DatasetChangedError } from './query.ts';
import { type DatasetAgentLookup, DatasetService, type DatasetServiceOptions } from './service.ts';
import type { DatasetSettingsInput } from './settings.ts';
import { DatabaseDatasetStorage, type DatasetStorage, FilesystemDatasetStorage } from './storage.ts';
import type { DatasetScope } from './types.ts';

const AGENTS: DatasetAgentLookup = (id) =>
  id === 'demo'
    ? {
        userContext: {
          organisationId: 'integer',
          region: 'string',
          teamIds: 'integer[]',
          isAdmin: 'boolean',
        },
      }
    : undefined;

const ALICE: Owner = {
  agentId: 'demo',
  userIdentifier: 'alice',
  userContext: { organisationId: 1, region: 'EU', teamIds: [1], isAdmin: false },
};
const BOB: Owner = { ...ALICE, userIdentifier: 'bob' };
const CAROL: Owner = {
  ...ALICE,
  userIdentifier: 'carol',
  userContext: { ...ALICE.userContext, organisationId: 2, region: 'US' },
};

/** A user's own scope: their identifier within their tenant (the scalar fields of their userContext). */
const userOf = (o: Owner): DatasetScope => ({
  kind: 'user',
  userIdentifier: o.userIdentifier,
  tenant: { organisationId: o.userContext.organisationId as number, region: o.userContext.region as string },
});
const ORG1: DatasetScope = { kind: 'context', contextKey: 'organisationId', contextValue: 1 };

type Driver = 'database' | 'filesystem';

interface Setup {
  service: DatasetService;
  store: ConversationStore;
  /** stored versions (database chunks' versions, or version files) plus leftovers (temp files) */
  storedVersions(): Promise<number>;
  blobRows(): Promise<number>;
  leftovers(): number;
  close(): Promise<void>;
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

async function setup(
  driver: Driver,
  options: {
    settings?: DatasetSettingsInput;
    storeUrl?: string;
    storage?: (s: ConversationStore, dir: string) => DatasetStorage;
  } & Pick<DatasetServiceOptions, 'hooks' | 'clock'> = {},
): Promise<Setup> {
  const dir = makeTempDir('parley-ds');
  const store = await ConversationStore.open(options.storeUrl ?? sqliteUrl(path.join(dir, 'store.sqlite')));
  const fsDir = path.join(dir, 'files');
  const storage =
    options.storage?.(store, fsDir) ??
    (driver === 'filesystem'
      ? new FilesystemDatasetStorage(fsDir)
      : new DatabaseDatasetStorage(store.db, { chunkBytes: options.settings?.chunkBytes ?? 1024 }));
  const service = new DatasetService({
    db: store.db,
    agents: AGENTS,
    storage,
    settings: { chunkBytes: 1024, cache: { dir }, ...options.settings },
    hooks: options.hooks,
    clock: options.clock,
  });
  const blobRows = async () =>
    Number(((await store.db('parley_dataset_blobs').count({ n: '*' }).first()) as { n: number }).n);
  return {
    service,
    store,
    blobRows,
    storedVersions: async () => (await storage.versions()).length,
    leftovers: () => listFiles(path.join(fsDir, 'tmp')).length,
    async close() {
      await service.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function versionCsv(i: number, size: number): Buffer {
  const lines = ['version,payload'];
  let n = 0;
  while (n < size) {
    const line = `${i},${String(i).repeat(40)}`;
    lines.push(line);
    n += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function refusal(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (err) {
    return err as DatasetError;
  }
  throw new Error('expected a refusal');
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

for (const driver of ['database', 'filesystem'] as const) {
  describe(`dataset service (${driver} storage)`, () => {
    let s: Setup;
    afterEach(async () => {
      await s?.close();
    });

    it('uploads, lists, reads and deletes a file of a scope', async () => {
      s = await setup(driver);
      const bytes = Buffer.from('region,target,month\nEU,100,2025-01-01\nUS,250,2025-02-01\n');
      const { record, replaced } = await s.service.upload('demo', userOf(ALICE), {
        filename: 'targets.csv',
        bytes,
        notes: ' Q1 targets ',
      });
      expect(replaced).toBe(false);
      expect(record).toMatchObject({
        name: 'targets.csv',
        path: '/default/demo/userIdentifier/alice/targets.csv',
        size: bytes.length,
        notes: 'Q1 targets',
        rowCount: 2,
        format: 'csv',
      });
      expect(record.columns.map((c) => [c.name, c.type, c.modelType])).toEqual([
        ['region', 'string', 'string'],
        ['target', 'number', 'number'],
        ['month', 'date', 'date'],
      ]);
      expect(record.columns[0]?.values).toEqual(['EU', 'US']);
      expect((await s.service.list('demo', userOf(ALICE))).map((r) => r.name)).toEqual(['targets.csv']);
      expect((await s.service.list('demo', userOf(BOB))).map((r) => r.name)).toEqual([]);
      const read = await s.service.read('demo', userOf(ALICE), 'targets.csv');
      expect(read?.bytes.equals(bytes)).toBe(true);
      expect(await s.service.remove('demo', userOf(BOB), 'targets.csv')).toBe(false);
      expect(await s.service.remove('demo', userOf(ALICE), 'targets.csv')).toBe(true);
      expect(await s.service.remove('demo', userOf(ALICE), 'targets.csv')).toBe(false);
      expect(await s.service.list('demo', userOf(ALICE))).toEqual([]);
      expect(await s.storedVersions()).toBe(0);
    });

    it('context paths name the key and value', async () => {
      s = await setup(driver);
      const { record } = await s.service.upload('demo', ORG1, {
        filename: 'shared.json',
        bytes: Buffer.from('[{"a":1}]'),
      });
      expect(record.path).toBe('/default/demo/userContext/organisationId:1/shared.json');
      const region = s.service.contextScope('demo', 'region', 'EU');
      const r2 = await s.service.upload('demo', region, { filename: 'eu.csv', bytes: Buffer.from('a\n1\n') });
      expect(r2.record.path).toBe('/default/demo/userContext/region:EU/eu.csv');
    });

    it('replacing a file keeps its id, changes its version and deletes the old bytes', async () => {
      s = await setup(driver);
      const v1 = versionCsv(1, 5000);
      const v2 = versionCsv(2, 3000);
      const first = await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v1 });
      const second = await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v2 });
      expect(second.replaced).toBe(true);
      expect(second.record.id).toBe(first.record.id);
      expect(second.record.version).not.toBe(first.record.version);
      expect(second.record.createdAt).toBe(first.record.createdAt);
      expect(await s.storedVersions()).toBe(1);
      if (driver === 'database') expect(await s.blobRows()).toBe(Math.ceil(v2.length / 1024));
      expect((await s.service.read('demo', userOf(ALICE), 'x.csv'))?.bytes.equals(v2)).toBe(true);
      await expect(s.service.readVersion(first.record)).rejects.toBeInstanceOf(DatasetChangedError);
    });

    it('atomic replace racing with reads: every read is one complete version', async () => {
      s = await setup(driver);
      const versions = Array.from({ length: 25 }, (_, i) => versionCsv(i, 2000 + ((i * 1237) % 9000)));
      const known = new Set(versions.map(sha));
      await s.service.upload('demo', userOf(ALICE), { filename: 'race.csv', bytes: versions[0] as Buffer });
      let done = false;
      let reads = 0;
      let changed = 0;
      const writer = (async () => {
        for (const v of versions.slice(1))
          await s.service.upload('demo', userOf(ALICE), { filename: 'race.csv', bytes: v });
        done = true;
      })();
      const reader = async () => {
        while (!done) {
          // each read is its own event, as requests are: the upload's worker thread answers between them (SQLite
          // store reads resolve without leaving the microtask queue, so a bare loop would starve it)
          await new Promise((r) => setImmediate(r));
          const got = await s.service.read('demo', userOf(ALICE), 'race.csv');
          expect(got).toBeDefined();
          expect(known.has(sha(got?.bytes as Buffer))).toBe(true);
          expect(sha(got?.bytes as Buffer)).toBe(got?.record.sha256);
          reads += 1;
          // the query cache's path: a listed version, loaded later, is complete or reported as changed
          const [listed] = await s.service.list('demo', userOf(ALICE));
          try {
            const bytes = await s.service.readVersion(listed as never);
            expect(known.has(sha(bytes))).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(DatasetChangedError);
            changed += 1;
          }
        }
      };
      await Promise.all([writer, reader(), reader(), reader()]);
      expect(reads + changed).toBeGreaterThan(20);
      expect(await s.storedVersions()).toBe(1);
      expect(
        (await s.service.read('demo', userOf(ALICE), 'race.csv'))?.bytes.equals(versions[24] as Buffer),
      ).toBe(true);
    });

    it('a reader that loses the race to a replacement reads again and gets the new version whole', async () => {
      s = await setup(driver);
      const [v1, v2, v3] = [versionCsv(1, 6000), versionCsv(2, 3000), versionCsv(3, 4000)];
      await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v1 });
      const storage = s.service.storage;
      const get = storage.get.bind(storage);
      const fetched: Array<'hit' | 'miss'> = [];
      let replaceFirst = true;
      storage.get = async (version) => {
        if (replaceFirst) {
          // the row said v1; v2 replaces it (and deletes v1's bytes) before the bytes are read
          replaceFirst = false;
          await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v2 });
        }
        const bytes = await get(version);
        fetched.push(bytes ? 'hit' : 'miss');
        return bytes;
      };
      const got = await s.service.read('demo', userOf(ALICE), 'x.csv');
      expect(fetched).toEqual(['miss', 'hit']);
      expect(got?.bytes.equals(v2)).toBe(true);
      expect(got?.record.sha256).toBe(sha(v2));
      const [listed] = await s.service.list('demo', userOf(ALICE));
      await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v3 });
      await expect(s.service.readVersion(listed as never)).rejects.toBeInstanceOf(DatasetChangedError);
    });

    it('a failed parse stores nothing (the bytes stored while the file was read are deleted again)', async () => {
      s = await setup(driver);
      const err = await refusal(
        s.service.upload('demo', userOf(ALICE), { filename: 'bad.csv', bytes: Buffer.from('a,b\n1,2,3\n') }),
      );
      expect(err.status).toBe(422);
      // a large refused file too: its bytes take longer to store than the refusal takes to find
      const big = Buffer.from(`a,b\n${'1,2\n'.repeat(200_000)}1,2,3\n`);
      expect(
        (await refusal(s.service.upload('demo', userOf(ALICE), { filename: 'big.csv', bytes: big }))).status,
      ).toBe(422);
      expect(await s.storedVersions()).toBe(0);
      expect(await s.blobRows()).toBe(0);
      expect(s.leftovers()).toBe(0);
      expect(await s.service.list('demo', userOf(ALICE))).toEqual([]);
      expect(fs.readdirSync(s.service.queryCache().dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('a failure after the bytes are stored (before the flip) leaves no orphans and the old version intact', async () => {
      let fail = false;
      s = await setup(driver, {
        hooks: {
          afterPut: () => {
            if (fail) throw new Error('simulated crash before the flip');
          },
        },
      });
      const v1 = versionCsv(1, 4000);
      await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: v1 });
      fail = true;
      await expect(
        s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: versionCsv(2, 6000) }),
      ).rejects.toThrow(/simulated crash/);
      await expect(
        s.service.upload('demo', userOf(ALICE), { filename: 'new.csv', bytes: versionCsv(3, 100) }),
      ).rejects.toThrow(/simulated crash/);
      expect(await s.storedVersions()).toBe(1);
      if (driver === 'database') expect(await s.blobRows()).toBe(Math.ceil(v1.length / 1024));
      expect(s.leftovers()).toBe(0);
      expect((await s.service.read('demo', userOf(ALICE), 'x.csv'))?.bytes.equals(v1)).toBe(true);
      expect((await s.service.list('demo', userOf(ALICE))).map((r) => r.name)).toEqual(['x.csv']);
    });

    it('a failure while writing the bytes leaves nothing behind', async () => {
      let fail = false;
      s = await setup(driver, {
        storage: (store, dir) =>
          driver === 'database'
            ? new DatabaseDatasetStorage(store.db, {
                chunkBytes: 1024,
                beforeChunk: (seq) => {
                  if (fail && seq === 3) throw new Error('disk full');
                },
              })
            : new FilesystemDatasetStorage(dir, {
                beforeRename: () => {
                  if (fail) throw new Error('disk full');
                },
              }),
      });
      await s.service.upload('demo', userOf(ALICE), { filename: 'ok.csv', bytes: versionCsv(1, 2000) });
      fail = true;
      await expect(
        s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes: versionCsv(2, 8000) }),
      ).rejects.toThrow(/disk full/);
      expect(await s.storedVersions()).toBe(1);
      if (driver === 'database') expect(await s.blobRows()).toBe(2);
      expect(s.leftovers()).toBe(0);
      // the table built meanwhile is gone too
      expect(fs.readdirSync(s.service.queryCache().dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('sweepOrphans deletes unreferenced versions older than the grace period', async () => {
      let now = new Date(Date.now() - 3_600_000);
      s = await setup(driver, { clock: () => now, settings: { orphanGraceMs: 60_000 } });
      await s.service.upload('demo', userOf(ALICE), { filename: 'kept.csv', bytes: versionCsv(1, 100) });
      // bytes a crashed upload left behind
      await s.service.storage.put('00000000-0000-4000-8000-000000000001', Buffer.from('orphan'));
      expect(await s.storedVersions()).toBe(2);
      expect(await s.service.sweepOrphans()).toBe(0);
      now = new Date(Date.now() + 3_600_000);
      expect(await s.service.sweepOrphans()).toBe(1);
      expect(await s.storedVersions()).toBe(1);
      expect(await s.service.read('demo', userOf(ALICE), 'kept.csv')).toBeDefined();
    });
  });
}

describe('maintenance', () => {
  it('startMaintenance sweeps orphans at once and on its interval, and stops on close', async () => {
    const s = await setup('database', { settings: { orphanGraceMs: 0 } });
    try {
      await s.service.storage.put('00000000-0000-4000-8000-000000000002', Buffer.from('orphan'));
      await new Promise((r) => setTimeout(r, 5));
      s.service.startMaintenance({ intervalMs: 20 });
      await expect.poll(() => s.storedVersions()).toBe(0);
      await s.service.storage.put('00000000-0000-4000-8000-000000000003', Buffer.from('orphan'));
      await expect.poll(() => s.storedVersions()).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('quotas and scopes', () => {
  let s: Setup;
  afterEach(async () => {
    await s?.close();
  });

  it('refuses a file past the per-scope file quota with 409 (replacing is fine)', async () => {
    s = await setup('database', { settings: { quotas: { user: { files: 2 }, context: { files: 1 } } } });
    const up = (scope: DatasetScope, name: string) =>
      s.service.upload('demo', scope, { filename: name, bytes: Buffer.from('a\n1\n') });
    await up(userOf(ALICE), 'a.csv');
    await up(userOf(ALICE), 'b.csv');
    const err = await refusal(up(userOf(ALICE), 'c.csv'));
    expect([err.status, err.code]).toEqual([409, 'quota_exceeded']);
    await up(userOf(ALICE), 'b.csv');
    await up(userOf(BOB), 'c.csv');
    await up(ORG1, 'shared.csv');
    expect((await refusal(up(ORG1, 'more.csv'))).status).toBe(409);
    expect(await s.blobRows()).toBe(4);
  });

  it('refuses a file past the per-scope byte quota with 409', async () => {
    s = await setup('database', { settings: { quotas: { user: { bytes: 1000 } } } });
    await s.service.upload('demo', userOf(ALICE), { filename: 'a.csv', bytes: versionCsv(1, 600) });
    const err = await refusal(
      s.service.upload('demo', userOf(ALICE), { filename: 'b.csv', bytes: versionCsv(2, 600) }),
    );
    expect([err.status, err.code]).toEqual([409, 'quota_exceeded']);
    // replacing a.csv by a file of the same size fits
    await s.service.upload('demo', userOf(ALICE), { filename: 'a.csv', bytes: versionCsv(3, 600) });
  });

  it('limits the number of context scopes per agent', async () => {
    s = await setup('database', { settings: { maxContextScopesPerAgent: 2 } });
    const bytes = Buffer.from('a\n1\n');
    await s.service.upload('demo', ORG1, { filename: 'x.csv', bytes });
    await s.service.upload('demo', s.service.contextScope('demo', 'region', 'EU'), {
      filename: 'x.csv',
      bytes,
    });
    await s.service.upload('demo', ORG1, { filename: 'y.csv', bytes });
    const err = await refusal(
      s.service.upload('demo', s.service.contextScope('demo', 'organisationId', '3'), {
        filename: 'x.csv',
        bytes,
      }),
    );
    expect(err.status).toBe(409);
    await s.service.upload('demo', userOf(ALICE), { filename: 'x.csv', bytes });
  });

  it('refuses files over maxFileBytes with 413 and unknown agents with 404', async () => {
    s = await setup('database', { settings: { maxFileBytes: 100 } });
    expect(
      (
        await refusal(
          s.service.upload('demo', userOf(ALICE), { filename: 'a.csv', bytes: versionCsv(1, 200) }),
        )
      ).status,
    ).toBe(413);
    expect(
      (
        await refusal(
          s.service.upload('nope', userOf(ALICE), { filename: 'a.csv', bytes: Buffer.from('a\n1\n') }),
        )
      ).status,
    ).toBe(404);
  });

  it('checks notes', async () => {
    s = await setup('database', { settings: { maxNotesLength: 10 } });
    const up = (notes: unknown) =>
      s.service.upload('demo', userOf(ALICE), { filename: 'a.csv', bytes: Buffer.from('a\n1\n'), notes });
    expect((await refusal(up('x'.repeat(11)))).status).toBe(400);
    expect((await refusal(up(42))).status).toBe(400);
    expect((await refusal(up('a\u0000b'))).status).toBe(400);
    expect((await up('line\nnext')).record.notes).toBe('line\nnext');
  });

  it('parses context scopes by the declared type; lists, booleans and undeclared keys are not scopes', async () => {
    s = await setup('database');
    const svc = s.service;
    expect(svc.contextScope('demo', 'organisationId', '7')).toEqual({
      kind: 'context',
      contextKey: 'organisationId',
      contextValue: 7,
    });
    expect(svc.contextScope('demo', 'region', 'EU')).toEqual({
      kind: 'context',
      contextKey: 'region',
      contextValue: 'EU',
    });
    for (const [key, value] of [
      ['organisationId', '7.5'],
      ['organisationId', 'abc'],
      ['organisationId', '99999999999999999'],
      ['teamIds', '1'],
      ['isAdmin', 'true'],
      ['nope', '1'],
      ['__proto__', '1'],
      ['constructor', '1'],
    ] as const) {
      expect(() => svc.contextScope('demo', key, value), `${key}=${value}`).toThrow(
        expect.objectContaining({ status: 400 }),
      );
    }
    expect(() => svc.userScope('demo', 'a\u202Eb', ALICE.userContext)).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid_scope' }),
    );
    expect(svc.widgetContextKeys('demo')).toEqual(['organisationId', 'region']);
    expect(svc.contextScopeFor(ALICE, 'organisationId')).toEqual(ORG1);
  });

  it('limits the keys end users may share to by settings.widgetContextKeys', async () => {
    s = await setup('database', { settings: { widgetContextKeys: ['organisationId'] } });
    expect(s.service.widgetContextKeys('demo')).toEqual(['organisationId']);
    expect(() => s.service.contextScopeFor(ALICE, 'region')).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  it('lists what a user can see: own files and files of each context value, with unique table names', async () => {
    s = await setup('database');
    const bytes = Buffer.from('a\n1\n');
    await s.service.upload('demo', userOf(ALICE), { filename: 'targets.csv', bytes });
    await s.service.upload('demo', userOf(ALICE), { filename: 'orders.csv', bytes });
    await s.service.upload('demo', userOf(BOB), { filename: 'bob.csv', bytes });
    await s.service.upload('demo', ORG1, { filename: 'targets.csv', bytes });
    await s.service.upload('demo', s.service.contextScope('demo', 'region', 'EU'), {
      filename: 'eu.csv',
      bytes,
    });
    await s.service.upload('demo', s.service.contextScope('demo', 'organisationId', '2'), {
      filename: 'org2.csv',
      bytes,
    });
    await s.service.upload('demo', s.service.contextScope('demo', 'region', 'US'), {
      filename: 'us.csv',
      bytes,
    });

    const alice = await s.service.listVisibleDatasets(ALICE, { reservedTables: ['orders'] });
    expect(alice.map((d) => [d.scope.kind, d.name, d.table])).toEqual([
      ['user', 'orders.csv', 'orders_2'],
      ['user', 'targets.csv', 'targets'],
      ['context', 'targets.csv', 'targets_2'],
      ['context', 'eu.csv', 'eu'],
    ]);
    const bob = await s.service.listVisibleDatasets(BOB);
    expect(bob.map((d) => d.name)).toEqual(['bob.csv', 'targets.csv', 'eu.csv']);
    const carol = await s.service.listVisibleDatasets(CAROL);
    expect(carol.map((d) => d.name)).toEqual(['org2.csv', 'us.csv']);
    // another agent sees none of it
    expect(
      await s.service
        .listVisibleDatasets({ ...ALICE, agentId: 'other' })
        .catch((e: DatasetError) => e.status),
    ).toBe(404);
  });
});

describe("a user's own files belong to the user within their tenant", () => {
  let s: Setup;
  afterEach(async () => {
    await s?.close();
  });
  const bytes = Buffer.from('plan,price\nGold,42\n');
  // "u17" of organisation 1 and "u17" of organisation 2 are two people (many host apps number users per tenant)
  const U17_ORG1: Owner = { ...ALICE, userIdentifier: 'u17' };
  const U17_ORG2: Owner = { ...CAROL, userIdentifier: 'u17' };

  it('the same userIdentifier in another tenant neither lists, reads nor deletes the file', async () => {
    s = await setup('database');
    await s.service.upload('demo', s.service.ownerScope(U17_ORG1), { filename: 'plans.csv', bytes });
    expect(await s.service.listVisibleDatasets(U17_ORG2)).toEqual([]);
    expect(await s.service.read('demo', s.service.ownerScope(U17_ORG2), 'plans.csv')).toBeUndefined();
    expect(await s.service.remove('demo', s.service.ownerScope(U17_ORG2), 'plans.csv')).toBe(false);
    expect(await s.service.runnerFor(U17_ORG2)).toBeUndefined();
    // the host API names the tenant; the owner's own view is unchanged
    const hostScope = s.service.userScope('demo', 'u17', { ...U17_ORG1.userContext });
    expect((await s.service.list('demo', hostScope)).map((d) => d.name)).toEqual(['plans.csv']);
    expect((await s.service.listVisibleDatasets(U17_ORG1)).map((d) => d.name)).toEqual(['plans.csv']);
  });

  it('the host API must say which tenant in a multi-tenant agent, and only by its declared types', async () => {
    s = await setup('database');
    const svc = s.service;
    expect(() => svc.userScope('demo', 'u17')).toThrow(
      expect.objectContaining({ status: 400, code: 'tenant_required' }),
    );
    for (const bad of [
      { organisationId: '1 OR 1=1' },
      { organisationId: null },
      { organisationId: [1, 2] },
      'x',
    ]) {
      expect(() => svc.userScope('demo', 'u17', bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ status: 400, code: 'invalid_user_context' }),
      );
    }
  });

  it('an agent without tenants keeps user files by userIdentifier alone', async () => {
    s = await setup('database');
    const single: DatasetAgentLookup = (id) =>
      id === 'solo' ? { userContext: {}, multiTenant: false } : undefined;
    const svc = new DatasetService({ db: s.store.db, agents: single, storage: s.service.storage });
    expect(svc.userScope('solo', 'u17')).toEqual({ kind: 'user', userIdentifier: 'u17' });
    expect(svc.ownerScope({ agentId: 'solo', userIdentifier: 'u17', userContext: {} })).toEqual({
      kind: 'user',
      userIdentifier: 'u17',
    });
  });

  it('files stored before tenants were part of the scope are visible to no tenant (quarantined)', async () => {
    s = await setup('database');
    // a user file as the previous release stored it: hashed by (workspace, agent, user, id) only
    await s.service.upload('demo', s.service.ownerScope(U17_ORG1), { filename: 'old.csv', bytes });
    const legacyHash = sha(Buffer.from(JSON.stringify(['default', 'demo', 'user', 'userIdentifier', 'u17'])));
    await s.store.db('parley_dataset_files').update({ scope_hash: legacyHash, scope_tenant: null });
    for (const owner of [U17_ORG1, U17_ORG2]) {
      expect(await s.service.listVisibleDatasets(owner)).toEqual([]);
      expect(await s.service.remove('demo', s.service.ownerScope(owner), 'old.csv')).toBe(false);
    }
  });
});

describe.skipIf(!mysqlEnabled)(mysqlTitle('dataset service on a shared MySQL store'), () => {
  const root = mysqlEnabled ? openMysqlRoot() : undefined;
  const name = testDatabaseName('parley_ds');
  let url = '';

  beforeAll(async () => {
    if (!root) return;
    await assertMysqlReachable(root);
    url = await createMysqlDatabase(root, name);
  });
  afterAll(async () => {
    if (!root) return;
    await dropMysqlDatabase(root, name);
    await root.destroy();
  });

  it('two instances sharing the store: replace races reads, chunks stay under 512 KB, no orphans', async () => {
    const a = await setup('database', { storeUrl: url, settings: { chunkBytes: 256 * 1024 } });
    const b = await setup('database', { storeUrl: url, settings: { chunkBytes: 256 * 1024 } });
    try {
      const versions = Array.from({ length: 8 }, (_, i) => versionCsv(i, 600_000 + i * 150_000));
      const known = new Set(versions.map(sha));
      await a.service.upload('demo', userOf(ALICE), { filename: 'big.csv', bytes: versions[0] as Buffer });
      let done = false;
      let reads = 0;
      const writer = async (svc: DatasetService, list: Buffer[]) => {
        for (const v of list) await svc.upload('demo', userOf(ALICE), { filename: 'big.csv', bytes: v });
      };
      const reader = async (svc: DatasetService) => {
        while (!done) {
          // each read is its own event, as requests are: the upload's worker thread answers between them (SQLite
          // store reads resolve without leaving the microtask queue, so a bare loop would starve it)
          await new Promise((r) => setImmediate(r));
          const got = await svc.read('demo', userOf(ALICE), 'big.csv');
          expect(known.has(sha(got?.bytes as Buffer))).toBe(true);
          reads += 1;
        }
      };
      const readers = [reader(a.service), reader(b.service)];
      await Promise.all([writer(a.service, versions.slice(1, 5)), writer(b.service, versions.slice(5))]);
      done = true;
      await Promise.all(readers);
      expect(reads).toBeGreaterThan(0);
      const max = (await a.store.db.raw('SELECT MAX(LENGTH(data)) AS m FROM parley_dataset_blobs')) as [
        Array<{ m: number }>,
      ];
      expect(Number(max[0][0]?.m)).toBeLessThanOrEqual(256 * 1024);
      expect(await a.storedVersions()).toBe(1);
      // concurrent new files in one scope from both instances respect the quota
      const up = (svc: DatasetService, i: number) =>
        svc.upload('demo', ORG1, { filename: `f${i}.csv`, bytes: Buffer.from('a\n1\n') }).then(
          () => 'ok',
          (e: DatasetError) => e.code,
        );
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => up(i % 2 ? a.service : b.service, i)),
      );
      expect(results.filter((r) => r === 'ok').length).toBe(12);
      expect(await a.service.list('demo', ORG1)).toHaveLength(12);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('file names compare exactly (case and accents) in MySQL too', async () => {
    const a = await setup('database', { storeUrl: url });
    try {
      const bytes = Buffer.from('a\n1\n');
      await a.service.upload('demo', userOf(CAROL), { filename: 'Data.csv', bytes });
      await a.service.upload('demo', userOf(CAROL), { filename: 'data.csv', bytes });
      await a.service.upload('demo', userOf(CAROL), { filename: 'dätä.csv', bytes });
      expect((await a.service.list('demo', userOf(CAROL))).map((r) => r.name).sort()).toEqual([
        'Data.csv',
        'data.csv',
        'dätä.csv',
      ]);
      expect(await a.service.remove('demo', userOf(CAROL), 'DATA.csv')).toBe(false);
    } finally {
      await a.close();
    }
  });
});
