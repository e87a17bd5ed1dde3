import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckpointOptions, checkpointInBackground } from './wal-checkpoints.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function walDatabase(): { db: Database.Database; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-wal-'));
  dirs.push(dir);
  const file = path.join(dir, 'store.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  return { db, file };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** This process's open handles on a database file, its log and shared memory (Linux: /proc/self/fd). */
function openHandles(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
    } catch {
      return false; // the descriptor of the directory listing itself, closed by now
    }
  }).length;
}

/** A WAL database whose checkpoint thread is up (options as checkpointInBackground's, starting at once). */
async function withThread(options: CheckpointOptions): Promise<{ db: Database.Database; file: string }> {
  const { db, file } = walDatabase();
  let started = false;
  checkpointInBackground(db, file, { startAfterMs: 0, ...options, onStarted: () => (started = true) });
  await until(() => started);
  return { db, file };
}

/** A database whose thread copies nothing yet (its first round is a minute away), with `count` notes written. */
async function idleThreadWithNotes(count: number) {
  const { db, file } = await withThread({ everyMs: 60_000 });
  const insert = db.prepare('INSERT INTO notes (text) VALUES (?)');
  for (let i = 0; i < count; i += 1) insert.run(`note ${i}`);
  return { db, file, insert };
}

describe('checkpointInBackground', () => {
  it('takes the checkpoints off the connection: its commits only append, the thread copies them into the file', async () => {
    const { db, file } = await withThread({ everyMs: 50 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // past SQLite's 1,000-page mark, where a commit would otherwise checkpoint for itself
    const insert = db.prepare('INSERT INTO notes (text) VALUES (?)');
    for (let i = 0; i < 1500; i += 1) insert.run('x'.repeat(3000));
    // the commits only appended to the log; the thread copies it into the database file. Watched by the file's
    // size: a checkpoint run here to look would itself copy the log.
    await until(() => fs.statSync(file).size > 1500 * 3000);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 1500 });
    reader.close();
    db.close();
    // the thread goes with the connection: nothing holds the file or its log open. (Whether the log is also removed
    // depends on which of the two closed last: closing at the same moment, neither may, and the next open reads it.
    // The file itself holds everything either way, as a test below shows.)
    await until(() => openHandles(file) === 0);
  });

  it('keeps the log short under steady writes: the connection finishes what the thread could not', async () => {
    const { db, file } = await withThread({ everyMs: 20, finishAtPages: 250 });
    // a write every millisecond or so, as a busy server's: frames arrive while the thread copies, so it never catches
    // up, and a log that only starts over when a write finds it all copied grows by nearly all that is written
    // (~48 MB; 71 MB of log seen without the connection's part)
    const insert = db.prepare('INSERT INTO notes (text) VALUES (?)');
    for (let i = 0; i < 400; i += 1) {
      db.transaction(() => {
        for (let k = 0; k < 40; k += 1) insert.run('x'.repeat(3000));
      })();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(fs.statSync(file).size).toBeGreaterThan(400 * 40 * 3000 * 0.5);
    // started over near the 250-page mark (~1 MB) each time: 2.5 MB seen, 4.4-5.3 MB with both cores kept busy
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(20 * 1024 * 1024);
    db.close();
  });

  it("leaves everything in the database file itself when the connection closes before the thread's", async () => {
    // a thread that has not copied anything yet when the connection closes
    const { db, file } = await idleThreadWithNotes(200);
    // another connection still open, as the thread's is until it has handled its stop (or the process has exited
    // first): the connection closing is then not the last, and SQLite's own checkpoint at the last close never runs
    const other = new Database(file);
    other.prepare('SELECT count(*) FROM notes').get();
    db.close();
    // the file copied alone (a backup taken once the server has stopped) has every row
    const copy = path.join(path.dirname(file), 'copy.sqlite');
    fs.copyFileSync(file, copy);
    const reader = new Database(copy, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 200 });
    reader.close();
    other.close();
  });

  it('closes without waiting for a reader in the middle of a statement', async () => {
    const { db, file, insert } = await idleThreadWithNotes(100);
    // another process's reader, half-way through its rows
    const other = new Database(file);
    const rows = other.prepare('SELECT text FROM notes').iterate();
    rows.next();
    for (let i = 0; i < 100; i += 1) insert.run(`later ${i}`);
    const t0 = performance.now();
    db.close();
    // a checkpoint that waited for the reader would take the connection's busy timeout (5 s) here
    expect(performance.now() - t0).toBeLessThan(1000);
    rows.return?.();
    other.close();
  });

  it('gives the checkpoints back to the connection when its thread fails', async () => {
    const { db, file } = walDatabase();
    // as if an earlier thread had taken them
    db.pragma('wal_autocheckpoint = 0');
    let ended = false;
    // a file the thread cannot open ends it at once
    checkpointInBackground(db, `${file}.missing`, { startAfterMs: 0, onEnded: () => (ended = true) });
    await until(() => ended);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('starts no thread for a connection closed before its start time', async () => {
    const { db, file } = walDatabase();
    let started = false;
    checkpointInBackground(db, file, { startAfterMs: 30, onStarted: () => (started = true) });
    db.close();
    await new Promise((r) => setTimeout(r, 120));
    expect(started).toBe(false);
  });
});
