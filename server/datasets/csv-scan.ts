// The fast reading of a well-formed CSV file: one pass over the text's character codes that records where each field
// starts and ends, no string per cell (a 100,000-row file has 600,000 cells: keeping each as a string was most of
// the reading's time, in allocation and garbage collection; parse.ts slices a cell when it looks at it). It reads
// RFC 4180 as csv-parse does with the options of parse.ts (one delimiter, `"` quotes with `""` escapes, CRLF/LF/CR
// record ends, empty lines skipped), but only files it is sure of: at anything else (a stray quote, a quote not
// closed, a closing quote followed by text, a record wider or narrower than the header, more records than asked
// for) it gives up and csv-parse reads the file, which then names the line and column of the problem.
// csv-scan.test.ts checks that it agrees with csv-parse wherever it answers.

const LF = 10;
const CR = 13;
const QUOTE = 34;

export interface CsvScan {
  /** fields per record (the header's) */
  width: number;
  /** records, the header included */
  records: number;
  /** field k (record * width + column) is text.slice(bounds[2k], bounds[2k + 1]); an end of -1: see `unescaped` */
  bounds: Int32Array;
  /** the value of each quoted field that held `""` escapes, by field index */
  unescaped: Map<number, string>;
}

/**
 * Where the fields of `text` are, or undefined when the text is not plainly well-formed or holds more than
 * `maxRecords` records (read it with csv-parse then).
 */
export function scanCsv(text: string, delimiter: string, maxRecords: number): CsvScan | undefined {
  const d = delimiter.charCodeAt(0);
  const n = text.length;
  let bounds = new Int32Array(Math.min(1 << 20, Math.max(64, n >> 2)));
  const unescaped = new Map<number, string>();
  let fields = 0;
  let width = -1;
  let records = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    // an empty line is no record
    if (c === LF) {
      i += 1;
      continue;
    }
    if (c === CR) {
      i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      continue;
    }
    if (records >= maxRecords) return undefined;
    const first = fields;
    for (;;) {
      if (bounds.length < 2 * fields + 2) {
        const grown = new Int32Array(bounds.length * 2);
        grown.set(bounds);
        bounds = grown;
      }
      if (text.charCodeAt(i) === QUOTE) {
        const start = i + 1;
        let q = text.indexOf('"', start);
        if (q < 0) return undefined;
        if (text.charCodeAt(q + 1) === QUOTE) {
          // escapes: the value is built once here
          let value = '';
          let from = start;
          for (;;) {
            if (q < 0) return undefined;
            if (text.charCodeAt(q + 1) !== QUOTE) break;
            value += text.slice(from, q + 1);
            from = q + 2;
            q = text.indexOf('"', from);
          }
          unescaped.set(fields, value + text.slice(from, q));
          bounds[2 * fields] = 0;
          bounds[2 * fields + 1] = -1;
        } else {
          bounds[2 * fields] = start;
          bounds[2 * fields + 1] = q;
        }
        fields += 1;
        i = q + 1;
        c = i < n ? text.charCodeAt(i) : -1;
        if (c !== d && c !== LF && c !== CR && c !== -1) return undefined;
      } else {
        let j = i;
        c = -1;
        for (; j < n; j += 1) {
          const k = text.charCodeAt(j);
          if (k === d || k === LF || k === CR) {
            c = k;
            break;
          }
          if (k === QUOTE) return undefined;
        }
        bounds[2 * fields] = i;
        bounds[2 * fields + 1] = j;
        fields += 1;
        i = j;
      }
      if (c === d) {
        i += 1;
        continue;
      }
      if (c === CR) i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      else if (c === LF) i += 1;
      break;
    }
    if (width < 0) width = fields - first;
    else if (fields - first !== width) return undefined;
    records += 1;
  }
  return { width: Math.max(0, width), records, bounds, unescaped };
}

/** Field k of a scan as text. */
export function scannedField(text: string, scan: CsvScan, k: number): string {
  const end = scan.bounds[2 * k + 1] as number;
  return end < 0 ? (scan.unescaped.get(k) as string) : text.slice(scan.bounds[2 * k] as number, end);
}
