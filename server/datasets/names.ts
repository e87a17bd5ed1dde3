// Names: uploaded filenames (checked, never used as file-system paths) and the SQL identifiers derived from
// filenames and column headers (tables and columns of the query side).
import { DatasetError } from './errors.ts';

export type DatasetFormat = 'csv' | 'json';

export const MAX_FILENAME_BYTES = 255;

/** The hidden primary key column of every dataset table (row number, from 1). */
export const DATASET_ROW_KEY = '_row';

/**
 * Checks an uploaded filename and returns it NFC-normalised with its format. 400 `invalid_filename` for an empty
 * name, `.` or `..`, a path separator (`/` or `\`), NUL or another control character, a bidirectional control
 * character (U+202E makes `x\u202Evsc.exe` display as `xexe.csv`), or more than 255 UTF-8 bytes; 415 `unsupported_file_type` when it does not end in .csv or .json (any case).
 */
export function checkFilename(raw: unknown): { name: string; format: DatasetFormat } {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new DatasetError(400, 'invalid_filename', 'the file needs a name');
  }
  const name = raw.normalize('NFC');
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) {
    throw new DatasetError(
      400,
      'invalid_filename',
      `the filename is longer than ${MAX_FILENAME_BYTES} bytes`,
    );
  }
  // C0 controls (NUL included), DEL and C1 controls; also the Unicode line/paragraph separators
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    throw new DatasetError(400, 'invalid_filename', 'the filename contains control characters');
  }
  // bidi embeddings, overrides, isolates and marks, and lone surrogates: names that display as something else
  if (/[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]|\p{Cs}/u.test(name)) {
    throw new DatasetError(
      400,
      'invalid_filename',
      'the filename contains bidirectional control characters (they make a name display as another)',
    );
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new DatasetError(400, 'invalid_filename', 'the filename must not contain path separators');
  }
  if (name === '.' || name === '..' || name.trim() === '') {
    throw new DatasetError(400, 'invalid_filename', 'the filename is not a file name');
  }
  const ext = /\.([A-Za-z]+)$/.exec(name)?.[1]?.toLowerCase();
  if (ext !== 'csv' && ext !== 'json') {
    throw new DatasetError(415, 'unsupported_file_type', 'only .csv and .json files can be uploaded');
  }
  if (name.length === ext.length + 1)
    throw new DatasetError(400, 'invalid_filename', 'the filename is only an extension');
  return { name, format: ext };
}

/** Lower-case ASCII words of a text: accents dropped, camelCase and punctuation split. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

const MAX_IDENTIFIER = 56; // room for a `_NN` suffix within the model's 64-character identifiers

function identifier(text: string, fallback: string): string {
  let id = words(text).join('_');
  if (id === '') id = fallback;
  if (/^[0-9]/.test(id)) id = `${fallback.startsWith('column') ? 'c' : 't'}_${id}`;
  return id.slice(0, MAX_IDENTIFIER).replace(/_+$/, '');
}

/** The table name of an uploaded file: `targets.csv` -> `targets`, `Sales Q3 (final).csv` -> `sales_q3_final`. */
export function datasetTableName(filename: string): string {
  const stem = filename.replace(/\.(csv|json)$/i, '');
  return identifier(stem, 'dataset');
}

/** A column identifier for a header: `Total Amount` -> `total_amount`; empty or symbol-only -> `column_<n>`. */
export function columnIdentifier(header: string, index: number): string {
  return identifier(header, `column_${index + 1}`);
}

/** `name`, or `name_2`, `name_3`, ... : the first not in `used` (which it then joins). */
export function uniqueIdentifier(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate.toLowerCase()); i += 1) candidate = `${name}_${i}`;
  used.add(candidate.toLowerCase());
  return candidate;
}
