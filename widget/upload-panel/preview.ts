// A local preview of a file before it is uploaded: the first rows and the columns with a guessed type.
// CSV is read with a tiny RFC 4180 parser over the first bytes only; JSON takes the first objects of an array.

import type { UploadKind } from '../controllers/uploads-controller.ts';
import type { ColumnType } from '../types.ts';

export const PREVIEW_ROWS = 20;
const CSV_PREVIEW_BYTES = 64 * 1024;

export interface PreviewColumn {
  name: string;
  type: ColumnType;
}

export interface FilePreview {
  columns: PreviewColumn[];
  /** up to PREVIEW_ROWS rows, every cell as text */
  rows: string[][];
}

/** The delimiter of a CSV: the most frequent of , ; tab (outside quotes) on its first line. */
export function detectDelimiter(firstLine: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ]);
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [d, n] of counts) {
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * Parses CSV text into at most `maxRows` records (quotes, doubled quotes, CRLF, line breaks inside quotes).
 * A record cut off at the end of the text (a partial read) is dropped unless it is the whole text.
 */
export function parseCsv(text: string, maxRows = PREVIEW_ROWS + 1, complete = true): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = detectDelimiter(src.split(/\r?\n/, 1)[0] ?? '');
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    field = '';
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  while (i < src.length && records.length < maxRows) {
    const ch = src[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 1;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i += 1;
      endRecord();
    } else field += ch;
    i += 1;
  }
  if (records.length < maxRows && (field !== '' || record.length > 0) && complete && !quoted) endRecord();
  return records;
}

const NUMBER = /^[-+]?(\d+([.,]\d+)?|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const BOOLEAN = /^(true|false)$/i;

/** The type that fits every non-empty value: number, date, boolean, else string. */
export function guessType(values: readonly string[]): ColumnType {
  const present = values.map((v) => v.trim()).filter((v) => v !== '');
  if (present.length === 0) return 'string';
  if (present.every((v) => NUMBER.test(v))) return 'number';
  if (present.every((v) => DATE.test(v))) return 'date';
  if (present.every((v) => BOOLEAN.test(v))) return 'boolean';
  return 'string';
}

export function previewCsv(text: string, complete = true): FilePreview {
  const records = parseCsv(text, PREVIEW_ROWS + 1, complete);
  const header = records[0] ?? [];
  const rows = records.slice(1, PREVIEW_ROWS + 1);
  const width = Math.max(header.length, ...rows.map((r) => r.length));
  const columns: PreviewColumn[] = [];
  for (let c = 0; c < width; c += 1) {
    const name = header[c]?.trim() || `column ${c + 1}`;
    columns.push({ name, type: guessType(rows.map((r) => r[c] ?? '')) });
  }
  return { columns, rows: rows.map((r) => columns.map((_, c) => r[c] ?? '')) };
}

function jsonType(values: unknown[]): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'string';
  if (present.every((v) => typeof v === 'number')) return 'number';
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  if (present.every((v) => typeof v === 'string' && DATE.test(v))) return 'date';
  return 'string';
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A JSON array of objects (or `{ rows|data|items: [...] }`); throws with a readable reason otherwise. */
export function previewJson(text: string): FilePreview {
  const parsed: unknown = JSON.parse(text);
  let list: unknown = parsed;
  if (!Array.isArray(list) && list !== null && typeof list === 'object') {
    const o = list as Record<string, unknown>;
    list = o.rows ?? o.data ?? o.items;
  }
  if (!Array.isArray(list)) throw new Error('expected an array of objects');
  const objects = list
    .slice(0, PREVIEW_ROWS)
    .filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
  if (objects.length === 0) throw new Error('expected an array of objects');
  const names: string[] = [];
  for (const o of objects) for (const k of Object.keys(o)) if (!names.includes(k)) names.push(k);
  return {
    columns: names.map((name) => ({ name, type: jsonType(objects.map((o) => o[name])) })),
    rows: objects.map((o) => names.map((n) => cellText(o[n]))),
  };
}

/** Reads what the preview needs: the first 64 KB of a CSV, the whole of a JSON file (at most 10 MB). */
export async function readPreview(file: Blob, kind: UploadKind): Promise<FilePreview> {
  switch (kind) {
    case 'csv': {
      const complete = file.size <= CSV_PREVIEW_BYTES;
      return previewCsv(await file.slice(0, CSV_PREVIEW_BYTES).text(), complete);
    }
    case 'json':
      return previewJson(await file.text());
    default:
      throw new Error(`unknown file kind ${String(kind)}`);
  }
}
