// Building the queryable table of an uploaded file: check the bytes, parse, infer the column types (once, at upload),
// profile, and write the typed rows as a SQLite file (table `data`). Also copying built tables into the one file a
// user's combination of datasets is queried from. These run in worker threads (build-worker.mjs, pool.ts); they are
// plain functions so tests can call them in-process.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { DATASET_ROW_KEY, type DatasetFormat } from './names.ts';
import { ColumnProfiler, cellConverter, type ParsedColumn, type ParseLimits, readDataset } from './parse.ts';
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

/**
 * Reads (and, for a new upload, checks and types) a file and writes its SQLite table; 4xx DatasetError when refused.
 * Each cell is looked at twice at most: by type inference (which stops early in a text column), then converted,
 * profiled and inserted in one pass; no row is kept as an array of strings.
 */
export async function buildDataset(input: BuildInput): Promise<BuildOutput> {
  const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  const text = input.columns ? bytes.toString('utf8') : await checkContent(bytes, input.format);
  const read = readDataset(text, input.format, input.limits, input.columns?.map(toParsed));
  const { table: cells } = read;
  const width = read.columns.length;
  const profilers = input.columns ? undefined : read.columns.map((c) => new ColumnProfiler(c));
  const db = new Database(input.file);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    const table = input.table ?? 'data';
    db.exec(tableDdl(table, read.columns));
    // many rows per INSERT: a statement call per row was most of the build's time
    const rowsPerInsert = Math.max(1, Math.min(200, Math.floor(30_000 / (width + 1))));
    const insertOf = (n: number) =>
      db.prepare(
        `INSERT INTO ${quote(table)} VALUES ${Array.from(
          { length: n },
          () =>
            `(${Array(width + 1)
              .fill('?')
              .join(', ')})`,
        ).join(', ')}`,
      );
    const batch = insertOf(rowsPerInsert);
    const convert = read.columns.map((c) => cellConverter(c, input.timeZone));
    const values: Array<string | number | null> = [];
    db.transaction(() => {
      for (let r = 0; r < cells.rowCount; r += 1) {
        values.push(r + 1);
        for (let i = 0; i < width; i += 1) {
          const cell = cells.cell(r, i);
          profilers?.[i]?.feed(cell);
          values.push((convert[i] as (typeof convert)[number])(cell));
        }
        if (values.length === rowsPerInsert * (width + 1)) {
          batch.run(values);
          values.length = 0;
        }
      }
      if (values.length > 0) insertOf(values.length / (width + 1)).run(values);
    })();
  } finally {
    db.close();
  }
  const columns: DatasetColumnInfo[] = profilers
    ? profilers.map((p) => {
        const c = p.result();
        return {
          name: c.name,
          header: c.header,
          type: c.type,
          modelType: c.type === 'date' ? (c.dateKind === 'datetime' ? 'datetime' : 'date') : c.type,
          ...(c.grain ? { grain: c.grain } : {}),
          ...(c.dateFormat ? { dateFormat: c.dateFormat } : {}),
          ...(c.values ? { values: c.values } : {}),
          samples: c.samples,
        };
      })
    : (input.columns ?? []).map((c) => ({ ...c }));
  return { rowCount: cells.rowCount, columns, sha256: createHash('sha256').update(bytes).digest('hex') };
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
