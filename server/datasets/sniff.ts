// Content checks before parsing: the bytes must be UTF-8 text, not a binary format (ZIP, gzip, PDF, PNG, ...) and
// not markup (HTML, XML, SVG) that happens to be named .csv or .json.
import { isUtf8 } from 'node:buffer';
import { fileTypeFromBuffer } from 'file-type';
import { DatasetError, MalformedFileError } from './errors.ts';
import type { DatasetFormat } from './names.ts';

const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (e.g. an Excel workbook)' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'a ZIP archive' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Office document' },
  { bytes: [0x7b, 0x5c, 0x72, 0x74, 0x66], what: 'an RTF document' },
  { bytes: [0x25, 0x21, 0x50, 0x53], what: 'a PostScript document' },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function unsupported(what: string, format: DatasetFormat): DatasetError {
  return new DatasetError(
    415,
    'unsupported_media_type',
    `the file's content is ${what}, not ${format.toUpperCase()} text`,
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters text files do not contain
const BINARY_CONTROL = /[\u0000-\u0008\u000e-\u0019\u001b-\u001f]/;

/** Offset of the first NUL or C0 control byte that text files do not contain (all but \t \n \v \f \r and SUB), or -1. */
export function firstBinaryControl(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] as number;
    if (b < 0x20 && (b <= 0x08 || (b >= 0x0e && b !== 0x1a))) return i;
  }
  return -1;
}

/** Offset of the first byte that is not well-formed UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in characters) of a character offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i += 1) {
    const ch = text.charCodeAt(i);
    if (ch === 10 || (ch === 13 && text.charCodeAt(i + 1) !== 10)) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * The file's text (UTF-8, without a BOM) once its content looks like the text format its name says.
 * 415 `unsupported_media_type` for ZIP, gzip, PDF, PNG, OLE, RTF and PostScript signatures, for bytes that are not
 * text (NUL or control bytes; named by file-type when it knows the format), UTF-16, and markup (a file whose
 * first non-blank character is `<`: HTML, XML, SVG, `<script`).
 * 422 `malformed_file` for an empty file or bytes that are not UTF-8 (with the line and column).
 */
export async function checkContent(bytes: Uint8Array, format: DatasetFormat): Promise<string> {
  if (bytes.length === 0) throw new MalformedFileError(1, 1, 'the file is empty');
  for (const m of MAGIC) if (startsWith(bytes, m.bytes)) throw unsupported(m.what, format);
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    throw unsupported('UTF-16 text (save it as UTF-8)', format);
  }
  const hasBom = startsWith(bytes, [0xef, 0xbb, 0xbf]);
  const body = hasBom ? bytes.subarray(3) : bytes;
  // the usual case, clean UTF-8 text, checked natively: isUtf8, then a control character in the decoded text (in
  // UTF-8 a byte below 0x20 is that character and nothing else); the byte loops only find where a problem is
  if (isUtf8(body)) {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    if (!BINARY_CONTROL.test(text)) return checkMarkup(text, format);
  }
  const control = firstBinaryControl(body);
  const bad = firstInvalidUtf8(body);
  if (control >= 0 || bad >= 0) {
    // not clean text: name the format when file-type knows it. (Its signatures are not consulted for clean text:
    // short printable ones such as "ID3" (MP3) or "MZ" (EXE) would refuse a CSV whose header starts that way.)
    const detected = await fileTypeFromBuffer(bytes.subarray(0, 4100));
    if (detected) throw unsupported(`${detected.mime} (.${detected.ext})`, format);
    if (control >= 0) throw unsupported('binary data (it contains NUL or other control bytes)', format);
  }
  if (bad >= 0) {
    const before = Buffer.from(body.subarray(0, bad)).toString('utf8');
    const at = lineColumn(before, before.length);
    throw new MalformedFileError(at.line, at.column, 'the file is not UTF-8 text (save it as UTF-8)');
  }
  return checkMarkup(Buffer.from(body).toString('utf8'), format);
}

/** The text, unless it is empty or markup. */
function checkMarkup(text: string, format: DatasetFormat): string {
  const first = /\S/.exec(text);
  if (!first) throw new MalformedFileError(1, 1, 'the file is empty');
  if (first[0] === '<') {
    const head = text.slice(first.index, first.index + 64).toLowerCase();
    const what = /^<(!doctype html|html|head|body|script|iframe)/.test(head)
      ? 'HTML'
      : /^<\?xml|^<svg/.test(head)
        ? 'XML'
        : 'markup';
    throw unsupported(what, format);
  }
  return text;
}
