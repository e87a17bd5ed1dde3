import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvScan, scanCsv, scannedField } from './csv-scan.ts';

/** The records of a scan as arrays of strings. */
function records(text: string, scan: CsvScan): string[][] {
  const out: string[][] = [];
  for (let r = 0; r < scan.records; r += 1) {
    const record: string[] = [];
    for (let i = 0; i < scan.width; i += 1) record.push(scannedField(text, scan, r * scan.width + i));
    out.push(record);
  }
  return out;
}

/** csv-parse with the options of parse.ts's precise reading, or undefined when it refuses the text. */
function csvParse(text: string, delimiter: string): string[][] | undefined {
  try {
    return parse(text, {
      delimiter,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: false,
      relax_quotes: false,
    }) as string[][];
  } catch {
    return undefined;
  }
}

const read = (text: string, delimiter = ',', max = 1000): string[][] | undefined => {
  const scan = scanCsv(text, delimiter, max);
  return scan && records(text, scan);
};

describe('scanCsv', () => {
  it('reads quoted fields, doubled quotes, embedded newlines and every line end', () => {
    expect(read('a,b\r\n"x, y","say ""hi""\nthere"\r1,\n\n2,3')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
      ['1', ''],
      ['2', '3'],
    ]);
    expect(read('a;b\n"";x\n', ';')).toEqual([
      ['a', 'b'],
      ['', 'x'],
    ]);
  });

  it('leaves to csv-parse what it is not sure of: stray or unclosed quotes, ragged records, too many records', () => {
    expect(read('a,b\nx"y,1\n')).toBeUndefined();
    expect(read('a,b\n"x"y,1\n')).toBeUndefined();
    expect(read('a,b\n"x,1\n')).toBeUndefined();
    expect(read('a,b\n1,2,3\n')).toBeUndefined();
    expect(read('a,b\n1\n')).toBeUndefined();
    expect(read('a\n1\n2\n3\n', ',', 3)).toBeUndefined();
    expect(read('a\n1\n2\n', ',', 3)).toEqual([['a'], ['1'], ['2']]);
  });

  it('agrees with csv-parse on every text it reads, and reads every plainly well-formed one', () => {
    const piece = fc.constantFrom(',', ';', '"', '""', '\n', '\r\n', '\r', 'a', 'b c', ' ', '1.5', 'é', '');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.constantFrom(',', ';', '\t'),
        (pieces, delimiter) => {
          const text = pieces.join('');
          const mine = read(text, delimiter);
          if (mine !== undefined) expect(mine).toEqual(csvParse(text, delimiter));
        },
      ),
      { numRuns: 3000 },
    );
    // well-formed files of quoted and unquoted fields are always read, as csv-parse reads them
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .é-]{0,6}$/),
      fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
    );
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((width) =>
            fc.array(fc.array(field, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }),
          ),
        fc.constantFrom('\n', '\r\n', '\r'),
        (rows, eol) => {
          // a record of one empty field is an empty line: csv-parse skips it, as the scan does
          const text = rows.map((r) => r.join(',')).join(eol);
          const expected = csvParse(text, ',');
          const mine = read(text);
          expect(mine).toBeDefined();
          expect(mine).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
