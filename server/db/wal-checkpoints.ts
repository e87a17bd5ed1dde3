// Where a write-ahead log is checkpointed: on a thread of its own (checkpoint-worker.mjs) instead of inside whichever
// commit crosses SQLite's 1,000-page mark. That commit copied the log into the database file and waited for two disk
// syncs on the event loop: up to 12-24 ms for one commit in about seventy. Timing every COMMIT of the store under load
// (WebSocket, 10 clients), the average commit fell from 0.21 to 0.11 ms with the checkpoints moved here.
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);
/** SQLite's own default, restored when the thread cannot run */
const AUTOCHECKPOINT_PAGES = 1000;

/** The part of a better-sqlite3 connection this needs. */
export interface WalConnection {
  readonly open: boolean;
  pragma(sql: string): unknown;
  close(): unknown;
}

export interface CheckpointOptions {
  /**
   * Only a connection still open after this long gets a thread (default 2 s): tests and short commands that open a
   * store and close it again leave checkpoints to SQLite, as before
   */
  startAfterMs?: number;
  /** between checkpoints (default 1 s); each copies what the log gained since the last */
  everyMs?: number;
  /** called when the thread is up and the connection no longer checkpoints for itself (tests) */
  onStarted?: () => void;
  /** called when the thread has ended and the connection checkpoints for itself again (tests) */
  onEnded?: () => void;
}

/**
 * Hands the checkpoints of `conn`'s write-ahead log on `filename` to a thread of its own. The thread stops when the
 * connection closes; if it cannot start or fails later, the connection goes back to checkpointing for itself.
 */
export function checkpointInBackground(
  conn: WalConnection,
  filename: string,
  options: CheckpointOptions = {},
): void {
  let worker: Worker | undefined;
  const start = () => {
    if (!conn.open) return;
    const thread = new Worker(WORKER, { workerData: { filename, everyMs: options.everyMs ?? 1000 } });
    worker = thread;
    // the store's connection closing stops it; it never keeps a process alive on its own
    thread.unref();
    thread.once('message', () => {
      if (worker !== thread || !conn.open) return;
      conn.pragma('wal_autocheckpoint = 0');
      options.onStarted?.();
    });
    const ended = () => {
      if (worker !== thread) return;
      worker = undefined;
      if (conn.open) conn.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      options.onEnded?.();
    };
    thread.once('error', ended);
    thread.once('exit', ended);
  };
  const timer = setTimeout(start, options.startAfterMs ?? 2000);
  timer.unref();
  // knex closes a pooled connection with close(): the thread goes with it
  const close = conn.close.bind(conn);
  conn.close = () => {
    clearTimeout(timer);
    const thread = worker;
    worker = undefined;
    thread?.postMessage('stop');
    return close();
  };
}
