// Recording an answer's outcome survives a store hiccup: a few quick retries while the client waits; if the store
// is still away, the client gets its answer anyway and the save goes on retrying in the background (with backoff)
// until the row reaches its final state, the process shuts down (its lease then runs out and another instance
// marks the answer interrupted), or a long bound passes.
import pRetry from 'p-retry';

export interface SaveLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Saves still retrying in the background, per store (one per server), for shutdown. */
const background = new WeakMap<object, { saves: Set<Promise<void>>; stop: AbortController }>();

function registry(store: object): { saves: Set<Promise<void>>; stop: AbortController } {
  let entry = background.get(store);
  if (!entry) {
    entry = { saves: new Set(), stop: new AbortController() };
    background.set(store, entry);
  }
  return entry;
}

/**
 * Runs `save` (an idempotent write of a final state) with retries; true when it is recorded now, false when it goes
 * on in the background.
 */
export async function saveOutcome(
  store: object,
  save: () => Promise<unknown>,
  log: SaveLog,
  responseId: string,
): Promise<boolean> {
  const entry = registry(store);
  const onFailedAttempt = ({ error, attemptNumber }: { error: Error; attemptNumber: number }) =>
    log.warn({ err: error, responseId, attempt: attemptNumber }, 'could not record an answer: retrying');
  try {
    // about a second in all: the client is waiting
    await pRetry(save, { retries: 3, minTimeout: 100, factor: 2.5, onFailedAttempt, unref: true });
    return true;
  } catch (err) {
    if (entry.stop.signal.aborted) throw err;
    const later = pRetry(save, {
      retries: 60,
      minTimeout: 1000,
      maxTimeout: 10_000,
      factor: 2,
      onFailedAttempt,
      signal: entry.stop.signal,
      unref: true,
    }).then(
      () => {},
      (last: unknown) => log.error({ err: last, responseId }, 'gave up recording an answer'),
    );
    entry.saves.add(later);
    void later.finally(() => entry.saves.delete(later));
    return false;
  }
}

/** On shutdown, before the store closes: lets background saves finish for up to `ms`, then stops them. */
export async function flushSaves(store: object, ms: number): Promise<void> {
  const entry = registry(store);
  if (entry.saves.size > 0) {
    await Promise.race([
      Promise.allSettled([...entry.saves]),
      new Promise((resolve) => setTimeout(resolve, ms).unref()),
    ]);
  }
  entry.stop.abort();
}
