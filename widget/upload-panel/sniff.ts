// What a file really is, from its first bytes, before anything is previewed: a program or an archive renamed
// ".csv" is refused in plain words ("This file is a Windows program, not a CSV or JSON file") instead of being shown
// as a table of garbage. Text (any encoding the server may still refuse) passes; the server checks again.

/** How many leading bytes are read to decide. */
export const SNIFF_BYTES = 4096;

const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x4d, 0x5a], what: 'a Windows program' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'a Linux program' },
  { bytes: [0xcf, 0xfa, 0xed, 0xfe], what: 'a Mac program' },
  { bytes: [0xca, 0xfe, 0xba, 0xbe], what: 'a Mac program' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel workbook is one)' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'a ZIP archive' },
  { bytes: [0x1f, 0x8b], what: 'a compressed (gzip) file' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Office document' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database' },
];

/** A plain description of a binary file ("a Windows program"), or undefined when the bytes look like text. */
export function sniffBinary(bytes: Uint8Array): string | undefined {
  const known = MAGIC.find((m) => m.bytes.every((b, i) => bytes[i] === b));
  if (known) return known.what;
  // text files have no NUL and almost no C0 control bytes (tab, line ends, form feed and SUB aside)
  for (const b of bytes) if (b < 0x20 && (b <= 0x08 || (b >= 0x0e && b !== 0x1a))) return 'a binary file';
  return undefined;
}

export async function sniffFile(file: Blob): Promise<string | undefined> {
  return sniffBinary(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
}
