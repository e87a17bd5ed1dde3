// Checkpoints a SQLite write-ahead log (wal-checkpoints.ts) on a thread of its own, so the copy into the database
// file and its disk syncs never stop the event loop. Plain JS on purpose: workers do not inherit the tsx loader.
// PASSIVE never waits for the writer or for readers: it copies what it can and the next round takes the rest. Any
// error ends the thread, and the owner then lets its connection checkpoint for itself again. A log still long after a
// round (frames keep arriving while it copies) is reported: the owner's connection finishes it (wal-checkpoints.ts).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.filename, { fileMustExist: true });
const timer = setInterval(() => {
  const [round] = db.pragma('wal_checkpoint(PASSIVE)');
  if (round.log >= workerData.finishAtPages) parentPort.postMessage('finish');
}, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
