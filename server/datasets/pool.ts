// The bounded pool of worker threads that parse uploads and build dataset tables, so a 10 MB file never stalls the
// server's main thread (questions of other users keep being answered while it is read).
//
// piscina (Node.js's own worker-pool project): a fixed thread cap, a bounded queue that refuses when full, threads
// that end after an idle time (so the thread count returns to where it was), and a clean close. A hand-made pool
// would need all of that and its tests.
import os from 'node:os';
import { Piscina } from 'piscina';
import type { BuildInput, BuildOutput, CombineInput } from './build.ts';
import { DatasetError, fromWire, type WireError } from './errors.ts';

export interface DatasetWorkersOptions {
  /** most threads at once (default: cores - 1, at least 1, at most 4) */
  maxThreads?: number;
  /** threads kept when idle, started with the first task (default 1: a thread takes a second or two to start) */
  minThreads?: number;
  /** most tasks waiting for a thread; beyond it 503 busy with Retry-After (default 64) */
  maxQueue?: number;
  /** a thread with nothing to do ends after this long (default 30 s) */
  idleTimeoutMs?: number;
  /** how much lower the threads' scheduling priority is than the server's (default 10) */
  niceIncrement?: number;
}

export interface DatasetWorkers {
  build(input: BuildInput): Promise<BuildOutput>;
  combine(input: CombineInput): Promise<void>;
  /** live threads (for tests and metrics) */
  readonly threads: number;
  close(): Promise<void>;
}

type Settled<T> = { ok: T; error?: undefined } | { error: WireError; ok?: undefined };

export function defaultWorkerThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

const shared = new Map<string, DatasetWorkers>();

/**
 * The process's pool for these options, made on first use and shared by every dataset service of the process
 * (threads are a process resource: two services must not each take `maxThreads`). Its idle threads do not keep the
 * process alive; closing a service leaves it.
 */
export function sharedDatasetWorkers(options: DatasetWorkersOptions = {}): DatasetWorkers {
  const key = JSON.stringify([
    options.maxThreads,
    options.minThreads,
    options.maxQueue,
    options.idleTimeoutMs,
  ]);
  let workers = shared.get(key);
  if (!workers) {
    const created = lazyWorkers(options);
    shared.set(key, created);
    workers = created;
  }
  return workers;
}

/** A pool whose threads start with the first task, not with the service (tests make many services). */
function lazyWorkers(options: DatasetWorkersOptions): DatasetWorkers {
  let pool: DatasetWorkers | undefined;
  const get = (): DatasetWorkers => {
    pool ??= createDatasetWorkers(options);
    return pool;
  };
  return {
    build: (input) => get().build(input),
    combine: (input) => get().combine(input),
    get threads() {
      return pool?.threads ?? 0;
    },
    async close() {
      // shared: never closed by one user of it
    },
  };
}

/**
 * The bytes in memory the worker reads where they are: copying 9 MB into shared memory takes about a millisecond of
 * this thread, posting them as they are (a structured clone) took 20-30 ms, a stall every other request waited for.
 */
function inSharedMemory(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

export function createDatasetWorkers(options: DatasetWorkersOptions = {}): DatasetWorkers {
  const pool = new Piscina({
    filename: new URL('./build-worker.mjs', import.meta.url).href,
    minThreads: Math.min(options.minThreads ?? 1, options.maxThreads ?? defaultWorkerThreads()),
    maxThreads: options.maxThreads ?? defaultWorkerThreads(),
    maxQueue: options.maxQueue ?? 64,
    idleTimeout: options.idleTimeoutMs ?? 30_000,
    // reading a file is background work: on a busy machine, questions (the main thread, the query threads) go
    // first (Linux nice of the worker threads; @napi-rs/nice comes with piscina)
    niceIncrement: options.niceIncrement ?? 10,
  });
  let closed = false;
  const run = async <T>(name: string, input: unknown, transfer?: ArrayBuffer[]): Promise<T> => {
    if (closed) throw new Error('the dataset workers are closed');
    let settled: Settled<T>;
    try {
      settled = (await pool.run(input, {
        name,
        ...(transfer ? { transferList: transfer } : {}),
      })) as Settled<T>;
    } catch (err) {
      if (err instanceof Error && /queue is at limit/i.test(err.message)) {
        throw new DatasetError(503, 'busy', 'too many files are being read right now: try again shortly', 5);
      }
      throw err;
    }
    if (settled.error) throw fromWire(settled.error);
    return settled.ok as T;
  };
  return {
    build: (input) => run<BuildOutput>('build', { ...input, bytes: inSharedMemory(input.bytes) }),
    combine: (input) => run<void>('combine', input),
    get threads() {
      return pool.threads.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.close({ force: true });
    },
  };
}
