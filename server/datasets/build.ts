// Building the queryable table of an uploaded file: check the bytes, parse, infer the column types (once, at upload),
// profile, and write the typed rows as a SQLite file (table `data`). Also copying built tables into the one file a
// user's combination of datasets is queried from. These run in worker threads (build-worker.mjs, pool.ts); they are
// plain functions so tests can call them in-process.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { DATASET_ROW_KEY, type DatasetFormat } from './names.ts';
import { cellConverter, type ParsedColumn, type ParseLimits, parseDataset, profileDataset } from './parse.ts';
import { checkContent } from './sniff.ts';
import type { DatasetColumnInfo } from './types.ts';

// the worker thread takes toWire from here, with the functions it runs
export { toWire } from './errors.ts';

export interface BuildInput {
  bytes: Uint8Array;
  format: DatasetFormat;
  limits: ParseLimits;
  /** the agent's zone: date-times without an offset are wall-clock times there */
  timeZone: string;
  /** where to write the SQLite file (it must not exist) */
  file: string;
  /** the table's name in the file (default `data`): the file's own table name lets a user who sees only this
   * file query it as it is, without a copy */
  table?: string;
  /** the columns inferred at upload, when rebuilding a stored version (no checks, no inference) */
  columns?: readonly DatasetColumnInfo[];
}

export interface BuildOutput {
  rowCount: number;
  columns: DatasetColumnInfo[];
  /** hex SHA-256 of the bytes (hashed here: 10 MB take tens of milliseconds of the main thread otherwise) */
  sha256: string;
}

export interface CombineInput {
  file: string;
  /** each built file's table (`source`) copied in as `table` */
  parts: Array<{ table: string; source: string; columns: readonly DatasetColumnInfo[]; file: string }>;
}

function sqlType(column: Pick<ParsedColumn, 'type'>): string {
  switch (column.type) {
    case 'number':
      return 'REAL';
    case 'boolean':
      return 'INTEGER';
    case 'date':
    case 'string':
      return 'TEXT';
    default:
      throw new Error(`unknown column type ${column.type satisfies never}`);
  }
}

const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

export function tableDdl(table: string, columns: readonly Pick<ParsedColumn, 'name' | 'type'>[]): string {
  const defs = [
    `${quote(DATASET_ROW_KEY)} INTEGER PRIMARY KEY`,
    ...columns.map((c) => `${quote(c.name)} ${sqlType(c)}`),
  ];
  return `CREATE TABLE ${quote(table)} (${defs.join(', ')})`;
}

function toParsed(c: DatasetColumnInfo): ParsedColumn {
  return {
    name: c.name,
    header: c.header,
    type: c.type,
    ...(c.modelType === 'date' ? { dateKind: 'date' as const } : {}),
    ...(c.modelType === 'datetime' ? { dateKind: 'datetime' as const } : {}),
    ...(c.grain ? { grain: c.grain } : {}),
    ...(c.dateFormat ? { dateFormat: c.dateFormat } : {}),
  };
}

/** Parses (and, for a new upload, checks and types) a file and writes its SQLite table; 4xx DatasetError when refused. */
export async function buildDataset(input: BuildInput): Promise<BuildOutput> {
  const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  const text = input.columns ? bytes.toString('utf8') : await checkContent(bytes, input.format);
  const parsed = parseDataset(text, input.format, input.limits, input.columns?.map(toParsed));
  let columns: DatasetColumnInfo[];
  if (input.columns) columns = input.columns.map((c) => ({ ...c }));
  else {
    const profile = profileDataset(parsed);
    columns = profile.columns.map((c) => ({
      name: c.name,
      header: c.header,
      type: c.type,
      modelType: c.type === 'date' ? (c.dateKind === 'datetime' ? 'datetime' : 'date') : c.type,
      ...(c.grain ? { grain: c.grain } : {}),
      ...(c.dateFormat ? { dateFormat: c.dateFormat } : {}),
      ...(c.values ? { values: c.values } : {}),
      samples: c.samples,
    }));
  }
  const db = new Database(input.file);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    const table = input.table ?? 'data';
    db.exec(tableDdl(table, parsed.columns));
    // many rows per INSERT: a statement call per row was most of the build's time
    const width = parsed.columns.length + 1;
    const rowsPerInsert = Math.max(1, Math.min(200, Math.floor(30_000 / width)));
    const insertOf = (n: number) =>
      db.prepare(
        `INSERT INTO ${quote(table)} VALUES ${Array.from({ length: n }, () => `(${Array(width).fill('?').join(', ')})`).join(', ')}`,
      );
    const batch = insertOf(rowsPerInsert);
    const convert = parsed.columns.map((c) => cellConverter(c, input.timeZone));
    const values: Array<string | number | null> = [];
    db.transaction(() => {
      parsed.rows.forEach((row, r) => {
        values.push(r + 1);
        for (let i = 0; i < width - 1; i += 1)
          values.push((convert[i] as (typeof convert)[number])(row[i] ?? null));
        if (values.length === rowsPerInsert * width) {
          batch.run(values);
          values.length = 0;
        }
      });
      if (values.length > 0) insertOf(values.length / width).run(values);
    })();
  } finally {
    db.close();
  }
  return { rowCount: parsed.rows.length, columns, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Copies built dataset tables into one file, each under its table name for this combination. */
export function combineDatasets(input: CombineInput): void {
  const db = new Database(input.file);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    for (const part of input.parts) {
      db.prepare('ATTACH DATABASE ? AS src').run(part.file);
      try {
        db.exec(tableDdl(part.table, part.columns));
        db.exec(`INSERT INTO main.${quote(part.table)} SELECT * FROM src.${quote(part.source)}`);
      } finally {
        db.exec('DETACH DATABASE src');
      }
    }
  } finally {
    db.close();
  }
}
