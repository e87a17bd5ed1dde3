// Where a write-ahead log is checkpointed: on a thread of its own (checkpoint-worker.mjs) instead of inside whichever
// commit crosses SQLite's 1,000-page mark. That commit copied the log into the database file and waited for two disk
// syncs on the event loop: up to 12-24 ms for one commit in about seventy. Timing every COMMIT of the store under load
// (WebSocket, 10 clients), the average commit fell from 0.21 to 0.11 ms with the checkpoints moved here.
//
// The log starts over (and stops growing) only at a write that finds every frame of it copied. Under steady writes
// the thread never gets there: frames arrive while it copies, and the log grew by about 30 MB a second under load
// (565 MB in 22 s). So once the log is long the thread says so, and the connection copies the last few frames itself,
// between two of its own writes: its next write then starts the log over.
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);
/** SQLite's own default, restored when the thread cannot run */
const AUTOCHECKPOINT_PAGES = 1000;
/** a log this long (in pages, about 16 MB) is finished by the connection itself */
const FINISH_AT_PAGES = 4000;
/** a log past this is cut back to it when it starts over, so a burst's disk space is given back (bytes) */
const KEEP_LOG_BYTES = 32 * 1024 * 1024;

/** The part of a better-sqlite3 connection this needs. */
export interface WalConnection {
  readonly open: boolean;
  readonly inTransaction: boolean;
  pragma(sql: string): unknown;
  close(): unknown;
}

export interface CheckpointOptions {
  /**
   * Only a connection still open after this long gets a thread (default 2 s): tests and short commands that open a
   * store and close it again leave checkpoints to SQLite, as before
   */
  startAfterMs?: number;
  /** between checkpoints (default 250 ms); each copies what the log gained since the last */
  everyMs?: number;
  /** a log of at least this many pages is finished by the connection itself (default 4,000) */
  finishAtPages?: number;
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
    const thread = new Worker(WORKER, {
      workerData: {
        filename,
        everyMs: options.everyMs ?? 250,
        finishAtPages: options.finishAtPages ?? FINISH_AT_PAGES,
      },
    });
    worker = thread;
    // the store's connection closing stops it; it never keeps a process alive on its own
    thread.unref();
    thread.on('message', (message: 'ready' | 'finish') => {
      if (worker !== thread || !conn.open) return;
      if (message === 'ready') {
        conn.pragma(`journal_size_limit = ${KEEP_LOG_BYTES}`);
        conn.pragma('wal_autocheckpoint = 0');
        options.onStarted?.();
      } else if (!conn.inTransaction) {
        // the frames written since the thread's round: a few, as the thread has just copied the rest
        conn.pragma('wal_checkpoint(PASSIVE)');
      }
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
    // the thread's connection may outlive this one, and a process that exits next ends the thread before it closes:
    // the log is copied into the file here, so the file alone holds everything once the server has stopped. PASSIVE:
    // TRUNCATE would wait out the busy timeout (5 s) on a reader of another process; frames a reader still needs
    // stay in the log, which SQLite reads at the next open
    if (thread && conn.open && !conn.inTransaction) {
      try {
        conn.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // the log stays beside the file, as above
      }
    }
    return close();
  };
}
