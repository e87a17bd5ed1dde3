import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DatasetError, MalformedFileError } from './errors.ts';
import { checkFilename, columnIdentifier, datasetTableName } from './names.ts';
import {
  dateTextKind,
  detectDelimiter,
  isNumberText,
  type ParseLimits,
  parseDataset,
  profileDataset,
  sqlValue,
  utcDateTimeText,
} from './parse.ts';
import { checkContent, firstInvalidUtf8 } from './sniff.ts';

const LIMITS: ParseLimits = { maxColumns: 200, maxRows: 200_000, maxCellBytes: 32 * 1024 };

const csv = (text: string, limits = LIMITS) => parseDataset(text, 'csv', limits);
const json = (text: string, limits = LIMITS) => parseDataset(text, 'json', limits);

function malformed(fn: () => unknown): MalformedFileError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedFileError);
    return err as MalformedFileError;
  }
  throw new Error('expected a MalformedFileError');
}

async function refused(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('CSV (RFC 4180)', () => {
  it('reads quoted fields with delimiters, doubled quotes and embedded newlines, CRLF line ends', () => {
    const parsed = csv(
      'name,comment,amount\r\n"Smith, Jane","said ""hi""\r\nthen left",12.5\r\nBob,plain,3\r\n',
    );
    expect(parsed.columns.map((c) => c.name)).toEqual(['name', 'comment', 'amount']);
    expect(parsed.rows).toEqual([
      ['Smith, Jane', 'said "hi"\r\nthen left', '12.5'],
      ['Bob', 'plain', '3'],
    ]);
    expect(parsed.columns[2]?.type).toBe('number');
  });

  it('strips a byte order mark from the header', () => {
    const parsed = csv('\uFEFFid,region\n1,EU\n');
    expect(parsed.columns.map((c) => c.header)).toEqual(['id', 'region']);
    expect(parsed.columns[0]?.name).toBe('id');
  });

  it('accepts LF, CRLF and CR line ends mixed, skips blank lines and rows of empty cells', () => {
    const parsed = csv('a,b\n1,2\r\n\n3,4\r5,6\n,\n');
    expect(parsed.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('detects ; and tab delimiters from the header line (outside quotes)', () => {
    expect(detectDelimiter('a;b;c\n1,5;2;3')).toBe(';');
    expect(detectDelimiter('a\tb\tc\n')).toBe('\t');
    expect(detectDelimiter('"x;y;z",b\n')).toBe(',');
    expect(detectDelimiter('single\n1\n')).toBe(',');
    const semi = csv('region;amount\nEU;"1,5"\nUS;2\n');
    expect(semi.rows).toEqual([
      ['EU', '1,5'],
      ['US', '2'],
    ]);
    const tab = csv('region\tamount\nEU\t1\n');
    expect(tab.rows).toEqual([['EU', '1']]);
  });

  it('refuses a row with the wrong number of fields with its line and the first extra or missing field', () => {
    const extra = malformed(() => csv('a,b,c\n1,2,3\n4,5,6,7\n'));
    expect(extra.status).toBe(422);
    expect(extra.code).toBe('malformed_file');
    expect(extra.message).toBe('line 3, column 4: expected 3 fields like the header, found 4');
    const missing = malformed(() => csv('a,b,c\n1,2,3\n4,5\n'));
    expect(missing.message).toMatch(/^line 3, column 3: /);
  });

  it('counts physical lines: embedded newlines and blank lines move the reported line', () => {
    const err = malformed(() => csv('a,b\n"multi\nline",1\n\n\n2,3,4\n'));
    expect(err.line).toBe(6);
    expect(err.column).toBe(3);
  });

  it('refuses stray and unclosed quotes with line and field', () => {
    const stray = malformed(() => csv('a,b\n1,2\nx"y,3\n'));
    expect(stray.message).toMatch(/^line 3, column 1: /);
    const closing = malformed(() => csv('a,b\n1,"x"y\n'));
    expect(closing.message).toMatch(/^line 2, column 2: /);
    const unclosed = malformed(() => csv('a,b\n1,2\n3,"never closed\n4,5\n'));
    expect(unclosed.message).toMatch(/^line 3, column 2: a quoted field is never closed/);
  });

  it('keeps duplicate and empty headers as distinct columns', () => {
    const parsed = csv('amount,Amount,,amount\n1,2,3,4\n');
    expect(parsed.columns.map((c) => c.name)).toEqual(['amount', 'amount_2', 'column_3', 'amount_3']);
  });

  it('enforces column, cell and row limits (422 dataset_too_large with the position)', () => {
    const small: ParseLimits = { maxColumns: 3, maxRows: 2, maxCellBytes: 10 };
    const cols = malformed(() => csv('a,b,c,d\n1,2,3,4\n', small));
    expect(cols.code).toBe('dataset_too_large');
    expect(cols.message).toMatch(/^line 1, column 4: more than 3 columns/);
    const cell = malformed(() => csv('a,b\n1,2\n3,"€€€€"\n', small));
    expect(cell.message).toMatch(/^line 3, column 2: a cell is larger than 10 bytes/);
    const rows = malformed(() => csv('a\n1\n2\n3\n', small));
    expect(rows.message).toMatch(/^line 4, column 1: more than 2 rows/);
    expect(csv('a\n1\n2\n', small).rows).toHaveLength(2);
  });

  it('refuses an empty file', () => {
    expect(malformed(() => csv('')).message).toMatch(/^line 1, column 1/);
  });
});

describe('JSON', () => {
  it('reads an array of objects and { rows: [...] }, with the union of keys in first-seen order', () => {
    const a = json('[{"region":"EU","target":10},{"target":20,"note":null,"extra":{"x":1}}]');
    expect(a.columns.map((c) => c.name)).toEqual(['region', 'target', 'note', 'extra']);
    expect(a.rows).toEqual([
      ['EU', '10', null, null],
      [null, '20', null, '{"x":1}'],
    ]);
    const b = json('{"rows":[{"a":true},{"a":false}], "meta": 1}');
    expect(b.rows).toEqual([['true'], ['false']]);
    expect(b.columns[0]?.type).toBe('boolean');
  });

  it('reports syntax errors with line and column', () => {
    const err = malformed(() => json('[\n  {"a": 1},\n  {"a": 2,}\n]'));
    expect(err.message).toBe('line 3, column 11: expected a double-quoted property name');
    const trunc = malformed(() => json('[{"a": 1}'));
    expect(trunc.message).toMatch(/^line 1, column 10: unexpected end of the file/);
    const ctrl = malformed(() => json('[{"a": "x\ny"}]'));
    expect(ctrl.message).toMatch(/^line 1, column 10: control character/);
  });

  it('refuses other shapes, and rows that are not objects at their position', () => {
    expect(malformed(() => json('{"data": []}')).message).toMatch(
      /^line 1, column 1: expected an array of objects/,
    );
    expect(malformed(() => json('42')).message).toMatch(/expected an array/);
    const row = malformed(() => json('[\n {"a":1},\n  [1,2]\n]'));
    expect(row.message).toBe('line 3, column 3: row 2 is not an object');
    const rows = malformed(() => json('{"rows": [{"a": 1}, "x"]}'));
    expect(rows.message).toBe('line 1, column 21: row 2 is not an object');
  });

  it('enforces column and row limits', () => {
    const small: ParseLimits = { maxColumns: 2, maxRows: 1, maxCellBytes: 100 };
    expect(malformed(() => json('[{"a":1,"b":2,"c":3}]', small)).code).toBe('dataset_too_large');
    expect(malformed(() => json('[{"a":1},\n{"a":2}]', small)).message).toBe(
      'line 2, column 1: more than 1 rows',
    );
  });
});

describe('prototype keys are data', () => {
  it('JSON keys __proto__, constructor and prototype become ordinary columns', () => {
    const parsed = json(
      '[{"__proto__": {"polluted": true}, "constructor": "c1", "prototype": "p1", "toString": "t"}]',
    );
    expect(parsed.columns.map((c) => c.header)).toEqual([
      '__proto__',
      'constructor',
      'prototype',
      'toString',
    ]);
    expect(parsed.columns.map((c) => c.name)).toEqual(['proto', 'constructor', 'prototype', 'to_string']);
    expect(parsed.rows).toEqual([['{"polluted":true}', 'c1', 'p1', 't']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.rows[0])).toBe(Array.prototype);
  });

  it('CSV headers __proto__, constructor and prototype become ordinary columns', () => {
    const parsed = csv('__proto__,constructor,prototype,hasOwnProperty\nx,y,z,w\n');
    expect(parsed.columns.map((c) => c.header)).toEqual([
      '__proto__',
      'constructor',
      'prototype',
      'hasOwnProperty',
    ]);
    expect(parsed.rows).toEqual([['x', 'y', 'z', 'w']]);
    const profile = profileDataset(parsed);
    expect(profile.columns.map((c) => c.values)).toEqual([['x'], ['y'], ['z'], ['w']]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a JSON row object that names a key only in the prototype chain gives no value', () => {
    const parsed = json('[{"a": 1}, {"constructor": 2}]');
    expect(parsed.rows).toEqual([
      ['1', null],
      [null, '2'],
    ]);
  });
});

describe('type inference', () => {
  it('infers number, boolean, date, datetime and string; empty cells do not count', () => {
    const parsed = csv(
      [
        'n,b,d,dt,s,codes,ids,mixed,empty,bad_date',
        '1,true,2025-01-31,2025-01-31T10:00:00Z,x,007,12345678901234567,1,,2025-02-30',
        '-2.5e3,FALSE,2024-12-01,2025-02-01 09:30,y,010,22345678901234567,a,,2025-03-01',
        ',,,2025-03-01,,,,,,',
      ].join('\n'),
    );
    const types = Object.fromEntries(parsed.columns.map((c) => [c.name, [c.type, c.dateKind]]));
    expect(types).toEqual({
      n: ['number', undefined],
      b: ['boolean', undefined],
      d: ['date', 'date'],
      dt: ['date', 'datetime'],
      s: ['string', undefined],
      codes: ['string', undefined],
      ids: ['string', undefined],
      mixed: ['string', undefined],
      empty: ['string', undefined],
      bad_date: ['string', undefined],
    });
  });

  it('stores values as REAL, 0/1, YYYY-MM-DD and UTC YYYY-MM-DD HH:MM:SS', () => {
    expect(sqlValue(' 12.5 ', { name: 'n', header: 'n', type: 'number' })).toBe(12.5);
    expect(sqlValue('TRUE', { name: 'b', header: 'b', type: 'boolean' })).toBe(1);
    expect(sqlValue('false', { name: 'b', header: 'b', type: 'boolean' })).toBe(0);
    expect(sqlValue('2025-01-31', { name: 'd', header: 'd', type: 'date', dateKind: 'date' })).toBe(
      '2025-01-31',
    );
    const dt = { name: 'dt', header: 'dt', type: 'date', dateKind: 'datetime' } as const;
    expect(sqlValue('2025-01-31T10:00:00+02:00', dt)).toBe('2025-01-31 08:00:00');
    expect(sqlValue('2025-01-31 10:00', dt)).toBe('2025-01-31 10:00:00');
    expect(sqlValue('2025-01-31 10:00', dt, 'Europe/Paris')).toBe('2025-01-31 09:00:00');
    expect(sqlValue('2025-01-31', dt)).toBe('2025-01-31 00:00:00');
    // text is stored trimmed: an export's stray spaces would make "Sam " and "Sam" two values
    expect(sqlValue('  spaced ', { name: 's', header: 's', type: 'string' })).toBe('spaced');
    expect(sqlValue('   ', { name: 's', header: 's', type: 'string' })).toBeNull();
    expect(sqlValue('abc', { name: 'n', header: 'n', type: 'number' })).toBeNull();
  });

  it('reads numbers as exports write money and thousands, and leaves other commas as text', () => {
    const parsed = csv(
      [
        'amount,price,balance,code,decimal_comma,european,list',
        '"1,500.00",£12.50,"-$1,250",007,"1,5","1.500,00","1,2"',
        '25,"€1,234,567.89",$-3.20,"012","2,25","2.000,50","3,45"',
        '9.84,£0.99,+£5,100,"3,0","1.000","7,8"',
      ].join('\n'),
    );
    const types = Object.fromEntries(parsed.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      amount: 'number',
      price: 'number',
      balance: 'number',
      code: 'string',
      decimal_comma: 'string',
      european: 'string',
      list: 'string',
    });
    const number = { name: 'n', header: 'n', type: 'number' } as const;
    expect(
      ['1,500.00', '£12.50', '€1,234,567.89', '-$1,250', '$-3.20', '+£5', '12,345'].map((v) =>
        sqlValue(v, number),
      ),
    ).toEqual([1500, 12.5, 1234567.89, -1250, -3.2, 5, 12345]);
    // grouping that is not by thousands, a sign twice, a sign alone: not numbers
    for (const v of ['1,50', '12,3456', '-£-5', '£', '$,100', '£007']) expect(sqlValue(v, number)).toBeNull();
  });

  it('reads numbers by the one-pass check exactly as by the expressions', () => {
    const byExpressions = (v: string): boolean =>
      /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(v) &&
      !/^[+-]?0\d/.test(v) &&
      !/^[+-]?\d{16,}$/.test(v) &&
      Number.isFinite(Number(v));
    const text = fc
      .array(fc.constantFrom('0', '1', '7', '9', '.', '+', '-', 'e', 'E', ' ', 'x', '00'), { maxLength: 18 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (v) => {
        expect(isNumberText(v)).toBe(byExpressions(v));
      }),
      { numRuns: 20_000 },
    );
    for (const v of [
      '0',
      '-0',
      '0.5',
      '.5',
      '5.',
      '007',
      '+',
      '.',
      '123456789012345',
      '1234567890123456',
      '1e999',
    ])
      expect(isNumberText(v)).toBe(byExpressions(v));
  });

  it('profiles string columns with at most 50 distinct values for value matching', () => {
    const lines = ['region,code'];
    for (let i = 0; i < 120; i += 1) lines.push(`R${i % 5},C${i}`);
    const profile = profileDataset(csv(lines.join('\n')));
    expect(profile.rowCount).toBe(120);
    expect(profile.columns[0]?.values).toEqual(['R0', 'R1', 'R2', 'R3', 'R4']);
    expect(profile.columns[1]?.samples).toEqual(['C0', 'C1', 'C2']);
  });

  it('keeps up to 2,000 short names for matching, but no free text and no long values past 50', () => {
    const lines = ['customer,notes,address'];
    for (let i = 0; i < 2100; i += 1)
      lines.push(`Name ${i % 300},note ${i % 80},${i % 80} Long Street Name With Many Words In It`);
    const profile = profileDataset(csv(lines.join('\n')));
    // 300 names of two words: kept, so a question can name one
    expect(profile.columns[0]?.values).toHaveLength(300);
    // a notes column's 80 values are free text, not names; 80 addresses of ten words are not names either
    expect(profile.columns[1]?.values).toBeUndefined();
    expect(profile.columns[2]?.values).toBeUndefined();
    const many = ['customer'];
    for (let i = 0; i < 2100; i += 1) many.push(`Name ${i}`);
    expect(profileDataset(csv(many.join('\n'))).columns[0]?.values).toBeUndefined();
  });
});

describe('content sniffing', () => {
  const text = (s: string) => Buffer.from(s, 'utf8');

  it('refuses binary formats named .csv or .json with 415', async () => {
    const zip = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]),
      Buffer.alloc(100, 1),
    ]);
    const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
    const pdf = text('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n');
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    for (const bytes of [zip, gzip, pdf, png]) {
      const err = await refused(checkContent(bytes, 'csv'));
      expect(err.status).toBe(415);
      expect(err.code).toBe('unsupported_media_type');
    }
  });

  it('refuses HTML and other markup, NUL bytes and UTF-16', async () => {
    for (const s of [
      '<!DOCTYPE html><html></html>',
      '  \n<html><body>',
      '<script>alert(1)</script>',
      '<?xml version="1.0"?>',
    ]) {
      expect((await refused(checkContent(text(s), 'csv'))).status).toBe(415);
    }
    expect((await refused(checkContent(text('a,b\n1,\u0000\n'), 'csv'))).status).toBe(415);
    expect((await refused(checkContent(Buffer.from([0xff, 0xfe, 0x61, 0]), 'csv'))).status).toBe(415);
  });

  it('refuses bytes that are not UTF-8 with 422 and their position', async () => {
    const bytes = Buffer.concat([text('a,b\n1,caf'), Buffer.from([0xe9]), text('\n')]);
    const err = await refused(checkContent(bytes, 'csv'));
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/^line 2, column 6: /);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(text('ok €'))).toBe(-1);
  });

  it('names other binary formats (file-type) but never refuses clean text for a short signature', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    expect((await refused(checkContent(jpeg, 'csv'))).message).toMatch(/image\/jpeg/);
    const exe = Buffer.concat([text('MZ'), Buffer.from([0x90, 0x00, 0x03, 0x00])]);
    expect((await refused(checkContent(exe, 'csv'))).status).toBe(415);
    expect((await refused(checkContent(text('a,b\n1,\u0007\n'), 'csv'))).status).toBe(415);
    // "ID3" is MP3's signature and "MZ" an executable's: as the start of a text header they are just names
    expect(await checkContent(text('ID3,score\n1,2\n'), 'csv')).toBe('ID3,score\n1,2\n');
    expect(await checkContent(text('MZ,x\n1,2\n'), 'csv')).toBe('MZ,x\n1,2\n');
    expect(await checkContent(text('a\tb\f\n1\t2\n'), 'csv')).toBe('a\tb\f\n1\t2\n');
  });

  it('returns the text without its BOM; a cell mentioning <script> later on is data', async () => {
    expect(await checkContent(text('\uFEFFa,b\n1,<script>\n'), 'csv')).toBe('a,b\n1,<script>\n');
    expect((await refused(checkContent(Buffer.alloc(0), 'csv'))).status).toBe(422);
    expect((await refused(checkContent(text(' \n '), 'json'))).status).toBe(422);
  });
});

describe('names', () => {
  it('accepts .csv and .json names, NFC-normalised', () => {
    expect(checkFilename('targets.csv')).toEqual({ name: 'targets.csv', format: 'csv' });
    expect(checkFilename('Data.JSON')).toEqual({ name: 'Data.JSON', format: 'json' });
    expect(checkFilename('cafe\u0301.csv').name).toBe('caf\u00e9.csv');
  });

  it('refuses path separators, control characters, dot names and long names with 400', () => {
    for (const bad of [
      '../x.csv',
      'a/b.csv',
      'a\\b.csv',
      'a\u0000.csv',
      'a\nb.csv',
      'a\u007f.csv',
      'evil\u202Egnp.csv',
      'a\u2066b\u2069.csv',
      'a\u200Fb.json',
      'a\ud800.csv',
      '.',
      '..',
      '',
      ' ',
      `${'a'.repeat(252)}.csv`,
      '.csv',
    ]) {
      let status = 0;
      try {
        checkFilename(bad);
      } catch (err) {
        status = (err as DatasetError).status;
      }
      expect(status, JSON.stringify(bad)).toBe(400);
    }
    expect(() => checkFilename(`${'a'.repeat(251)}.csv`)).not.toThrow();
    // 3-byte characters: 85 * 3 + 4 = 259 bytes
    expect(() => checkFilename(`${'€'.repeat(85)}.csv`)).toThrow(/255 bytes/);
  });

  it('refuses other extensions with 415', () => {
    for (const bad of ['x.xlsx', 'x.txt', 'x.csv.zip', 'x']) {
      expect(() => checkFilename(bad)).toThrow(expect.objectContaining({ status: 415 }));
    }
  });

  it('derives safe identifiers', () => {
    expect(datasetTableName('targets.csv')).toBe('targets');
    expect(datasetTableName('Sales Q3 (final).CSV')).toBe('sales_q3_final');
    expect(datasetTableName('2025 plan.json')).toBe('t_2025_plan');
    expect(datasetTableName('Données été.csv')).toBe('donnees_ete');
    expect(datasetTableName('数据.csv')).toBe('dataset');
    expect(datasetTableName(`${'x'.repeat(300)}.csv`)).toHaveLength(56);
    expect(columnIdentifier('Total Amount (€)', 0)).toBe('total_amount');
    expect(columnIdentifier('orderDate', 0)).toBe('order_date');
    expect(columnIdentifier('2024', 3)).toBe('c_2024');
    expect(columnIdentifier('%%', 3)).toBe('column_4');
  });
});

describe('ISO dates read without luxon where arithmetic settles them', () => {
  // what luxon alone said before the fast path: the fast path must never disagree with it
  const luxonKind = (v: string): 'date' | 'datetime' | undefined => {
    const valid = DateTime.fromISO(v.replace(' ', 'T'), { zone: 'UTC' }).isValid;
    if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return valid ? 'date' : undefined;
    return valid ? 'datetime' : undefined;
  };
  const luxonUtc = (v: string, zone: string): string | null => {
    const dt = DateTime.fromISO(v.replace(' ', 'T'), { zone });
    return dt.isValid ? dt.toUTC().toFormat('yyyy-MM-dd HH:mm:ss') : null;
  };
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  const isoText = fc
    .record({
      year: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
      month: two(13),
      day: two(32),
      time: fc.option(
        fc.record({ h: two(25), m: two(61), s: fc.option(two(61)), sep: fc.constantFrom('T', ' ') }),
      ),
      zone: fc.option(
        fc.oneof(
          fc.constant('Z'),
          fc.tuple(fc.constantFrom('+', '-'), two(14), two(59)).map(([sign, h, m]) => `${sign}${h}:${m}`),
        ),
      ),
    })
    .map(({ year, month, day, time, zone }) =>
      time
        ? `${year}-${month}-${day}${time.sep}${time.h}:${time.m}${time.s ? `:${time.s}` : ''}${zone ?? ''}`
        : `${year}-${month}-${day}`,
    );

  it('tells dates, date-times and impossible dates apart exactly as luxon does', () => {
    fc.assert(
      fc.property(isoText, (v) => {
        expect(dateTextKind(v)).toBe(luxonKind(v));
      }),
      { numRuns: 3000 },
    );
    expect(dateTextKind('2024-02-29')).toBe('date');
    expect(dateTextKind('2023-02-29')).toBeUndefined();
    expect(dateTextKind('2026-13-01')).toBeUndefined();
    expect(dateTextKind('2026-01-31 23:59:59')).toBe('datetime');
    expect(dateTextKind('2026-01-31T24:00')).toBe(luxonKind('2026-01-31T24:00'));
  });

  it('stores a date-time as the same UTC text as luxon, with or without an offset, in UTC and other zones', () => {
    fc.assert(
      fc.property(isoText, fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'), (v, zone) => {
        if (dateTextKind(v) !== 'datetime') return;
        expect(utcDateTimeText(v, zone)).toBe(luxonUtc(v, zone));
      }),
      { numRuns: 3000 },
    );
    expect(utcDateTimeText('2026-03-01T00:30:00+02:00', 'UTC')).toBe('2026-02-28 22:30:00');
    expect(utcDateTimeText('2026-07-01 12:00', 'Europe/Berlin')).toBe('2026-07-01 10:00:00');
  });
});
