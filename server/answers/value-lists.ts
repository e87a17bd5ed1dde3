// The tenant value lists planners match a question's words against ("Germany" -> customers.country): the distinct
// values of a string column, per agent and tenant, read through the tenant-scoped compiler like any answer.
// Kept in an LRU bounded by the values it holds, so a server with many tenants keeps its busiest ones rather than
// dropping every list at once. A list older than its time to live is served as it is while it is read again in the
// background: no question waits for a refresh. A list that comes back unchanged keeps its identity, because the
// planner's index of a list (lexicon.ts) is cached by identity and costs milliseconds to build again.
import { LRUCache } from 'lru-cache';
import type { ValueLookup } from '../planner/types.ts';

/** How one list is read: the caller compiles and runs it for its own agent and tenant. */
export type ReadValues = (field: string, limit: number) => Promise<string[]>;

export interface ValueListOptions {
  /** how long a list is fresh; older, it is served while being read again (default 10 minutes) */
  ttlMs?: number;
  /** the most values held over all lists (default 500,000: some tens of MB) */
  maxValues?: number;
  /** the clock the ages are measured with (tests); default performance.now */
  now?: () => number;
}

interface Context {
  read: ReadValues;
  field: string;
  limit: number;
}

export class ValueLists {
  private readonly cache: LRUCache<string, string[], Context>;

  constructor(options: ValueListOptions = {}) {
    this.cache = new LRUCache<string, string[], Context>({
      maxSize: options.maxValues ?? 500_000,
      sizeCalculation: (list) => list.length + 1,
      ttl: options.ttlMs ?? 10 * 60_000,
      allowStale: true,
      // a refresh that fails keeps the list it would have replaced (a database hiccup forgets nothing)
      allowStaleOnFetchRejection: true,
      ...(options.now ? { perf: { now: options.now } } : {}),
      fetchMethod: async (_key, stale, { context }) => {
        const fresh = await context.read(context.field, context.limit);
        return stale && sameList(stale, fresh) ? stale : fresh;
      },
    });
  }

  /**
   * The lists of one agent and tenant (`tenant` a stable key of both), read with `read` when not held. A read that
   * fails with no list held gives none (and is tried again next time): a question is planned without that column's
   * values, as for a column the tenant has no values in.
   */
  lookup(tenant: string, read: ReadValues): ValueLookup {
    return {
      values: async (field, limit = 5000) => {
        const list = await this.cache.fetch(`${tenant}|${field}|${limit}`, {
          context: { read, field, limit },
        });
        return list ?? [];
      },
    };
  }

  /** lists held now (tests and metrics) */
  get size(): number {
    return this.cache.size;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
