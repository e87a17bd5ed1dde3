import { describe, expect, it } from 'vitest';
import { ValueLists } from './value-lists.ts';

/** A reader that counts its reads and answers from `lists`, or throws when told to. */
function reader(lists: Record<string, string[]>) {
  const state = { reads: 0, fail: false };
  return {
    state,
    read: async (field: string) => {
      state.reads += 1;
      if (state.fail) throw new Error('database away');
      return [...(lists[field] ?? [])];
    },
  };
}

/** a background refresh done (a few promise hops), and lru-cache's cached clock reading (1 ms) expired */
const settled = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ValueLists', () => {
  it('reads a tenant list once and serves it to later lookups', async () => {
    const lists = new ValueLists();
    const r = reader({ 'customers.country': ['Germany', 'France'] });
    const lookup = lists.lookup('demo|org1', r.read);
    const [a, b] = await Promise.all([
      lookup.values('customers.country'),
      lookup.values('customers.country'),
    ]);
    expect(a).toEqual(['Germany', 'France']);
    expect(b).toBe(a);
    expect(await lists.lookup('demo|org1', r.read).values('customers.country')).toBe(a);
    expect(r.state.reads).toBe(1);
  });

  it('keeps tenants apart', async () => {
    const lists = new ValueLists();
    const one = reader({ 'customers.country': ['Germany'] });
    const two = reader({ 'customers.country': ['Japan'] });
    expect(await lists.lookup('demo|org1', one.read).values('customers.country')).toEqual(['Germany']);
    expect(await lists.lookup('demo|org2', two.read).values('customers.country')).toEqual(['Japan']);
  });

  it('serves an old list at once while reading it again, keeping its identity when unchanged', async () => {
    let clock = 1; // lru-cache reads a start time of 0 as no time to live
    const lists = new ValueLists({ ttlMs: 1000, now: () => clock });
    const data = { 'customers.country': ['Germany'] };
    const r = reader(data);
    const lookup = lists.lookup('t', r.read);
    const first = await lookup.values('customers.country');
    clock = 5000;
    // stale: answered with the list held, the refresh runs behind it
    expect(await lookup.values('customers.country')).toBe(first);
    expect(r.state.reads).toBe(2);
    await settled();
    expect(await lookup.values('customers.country')).toBe(first);
    // a changed list replaces it once read
    await settled();
    data['customers.country'] = ['Germany', 'Spain'];
    clock = 10_000;
    expect(await lookup.values('customers.country')).toBe(first);
    await settled();
    expect(await lookup.values('customers.country')).toEqual(['Germany', 'Spain']);
  });

  it('does not keep what a failed read gave, and keeps the old list when a refresh fails', async () => {
    let clock = 1; // lru-cache reads a start time of 0 as no time to live
    const lists = new ValueLists({ ttlMs: 1000, now: () => clock });
    const r = reader({ f: ['a'] });
    const lookup = lists.lookup('t', r.read);
    r.state.fail = true;
    // nothing known yet: no values, as for a column the tenant has none in
    expect(await lookup.values('f')).toEqual([]);
    r.state.fail = false;
    const list = await lookup.values('f');
    expect(list).toEqual(['a']);
    expect(r.state.reads).toBe(2);
    r.state.fail = true;
    clock = 5000;
    expect(await lookup.values('f')).toBe(list);
    await settled();
    expect(await lookup.values('f')).toBe(list);
  });

  it('holds at most maxValues, dropping the least recently used lists', async () => {
    const lists = new ValueLists({ maxValues: 25 });
    const ten = Array.from({ length: 10 }, (_, i) => `v${i}`);
    const r = reader({ f: ten });
    await lists.lookup('org1', r.read).values('f');
    await lists.lookup('org2', r.read).values('f');
    await lists.lookup('org1', r.read).values('f');
    // a third list of 11 does not fit beside two: org2's, used least recently, goes
    await lists.lookup('org3', r.read).values('f');
    expect(lists.size).toBe(2);
    const reads = r.state.reads;
    await lists.lookup('org1', r.read).values('f');
    expect(r.state.reads).toBe(reads);
    await lists.lookup('org2', r.read).values('f');
    expect(r.state.reads).toBe(reads + 1);
  });
});
