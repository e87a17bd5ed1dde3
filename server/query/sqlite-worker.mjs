// Runs read-only SQLite statements off the main thread, so a statement past its time limit can be abandoned
// by terminating this worker. Plain JS on purpose: workers do not inherit the tsx loader. Opens workerData.filename,
// or, started ahead of need (execute.ts's spare thread), the file of its first message { open, warm }.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

let db;
const formatters = new Map();

function open(filename, warm) {
  db = new Database(filename, { readonly: true, fileMustExist: true });
  // pages read through a memory map, not a read call each: a fresh connection's first statement (the first question
  // on a file just uploaded) read every page of its table one call at a time, 2-3x the time of the next one
  db.pragma('mmap_size = 268435456');
  db.function('parley_tz', { deterministic: true }, parleyTz);
  // opened ahead of its first question (a file just built at upload): every table's pages read once now, so the
  // question reads them from the connection's cache like every later one (names from the file's own schema)
  if (warm) {
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()) {
      db.prepare(`SELECT count(*) FROM "${String(name).replace(/"/g, '""')}"`).get();
    }
  }
  // the executor starts a statement's clock only now, not while the thread and the file were opening
  parentPort.postMessage({ ready: true });
}

// parley_tz(utcText, zone): the stored UTC timestamp as wall-clock text in `zone` (SQLite has no zones)
function parleyTz(value, zone) {
  if (value === null || value === undefined) return null;
  const date = new Date(`${String(value).replace(' ', 'T')}Z`);
  if (Number.isNaN(date.getTime())) return null;
  let fmt = formatters.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// statements by SQL text: an agent's questions compile to a few dozen texts, values are bound (bounded all the same)
const prepared = new Map();
function statement(sql) {
  let stmt = prepared.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (!stmt.reader) throw new Error('only statements that read are allowed');
    if (prepared.size >= 500) prepared.clear();
    prepared.set(sql, stmt);
  }
  return stmt;
}

parentPort.on('message', ({ id, sql, bindings, open: filename, warm }) => {
  if (filename !== undefined) {
    // an error opening the file ends the thread with it ('error' in the executor), as at start
    if (db === undefined) open(filename, warm === true);
    return;
  }
  try {
    const stmt = statement(sql);
    const rows = stmt.raw(true).all(...bindings);
    parentPort.postMessage({ id, rows });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
if (workerData?.filename !== undefined) open(workerData.filename);
