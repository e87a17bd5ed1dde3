// Date columns of uploaded files: each format detected with its grain, cells stored as the ISO start of their
// period, ambiguous and mixed columns decided one way per column.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DATE_FORMATS, DateColumnDetector, isYearHeader, parseDateAs } from './dates.ts';
import { cellConverter, type ParseLimits, parseDataset } from './parse.ts';

const LIMITS: ParseLimits = { maxColumns: 200, maxRows: 5_000_000, maxCellBytes: 32 * 1024 };

function column(header: string, values: string[]) {
  const parsed = parseDataset(`${header},n\n${values.map((v) => `"${v}",1`).join('\n')}\n`, 'csv', LIMITS);
  const col = parsed.columns[0];
  if (!col) throw new Error('no column');
  const convert = cellConverter(col);
  return { ...col, stored: parsed.rows.map((r) => convert(r[0] ?? null)) };
}

describe('date columns', () => {
  const months = ['2026-01-01', '2026-02-01', '2026-03-01'];
  it.each([
    ['2026-01', ['2026-01', '2026-02', '2026-03'], 'month', 'yyyy-MM'],
    ['Jan 2026', ['Jan 2026', 'Feb 2026', 'Mar 2026'], 'month', 'MMM yyyy'],
    ['January 2026', ['January 2026', 'February 2026', 'March 2026'], 'month', 'MMMM yyyy'],
    ['01/2026', ['01/2026', '02/2026', '03/2026'], 'month', 'M/yyyy'],
    ['1/2026', ['1/2026', '2/2026', '3/2026'], 'month', 'M/yyyy'],
    ['jan 2026 (any case)', ['jan 2026', 'FEB 2026', 'Mar 2026'], 'month', 'MMM yyyy'],
    ['Jan. 2026', ['Jan. 2026', 'Feb 2026', 'Mar 2026'], 'month', 'MMM yyyy'],
    ['2026-01-01 (firsts of months)', months, 'month', 'yyyy-MM-dd'],
  ])('reads months written like %s', (_label, values, grain, format) => {
    const c = column('month', values);
    expect([c.type, c.grain, c.dateFormat]).toEqual(['date', grain, format]);
    expect(c.stored).toEqual(months);
  });

  it.each([
    ['Q1 2026', ['Q1 2026', 'Q2 2026', 'Q4 2026']],
    ['2026-Q1', ['2026-Q1', '2026-Q2', '2026-Q4']],
    ['2026 Q1', ['2026 Q1', '2026 Q2', '2026 Q4']],
    ['q1 2026', ['q1 2026', 'q2 2026', 'q4 2026']],
  ])('reads quarters written like %s', (_label, values) => {
    const c = column('quarter', values);
    expect([c.type, c.grain]).toEqual(['date', 'quarter']);
    expect(c.stored).toEqual(['2026-01-01', '2026-04-01', '2026-10-01']);
  });

  it('reads 4-digit integers as years only under a year header', () => {
    const years = column('Fiscal Year', ['2024', '2025', '2026']);
    expect([years.type, years.grain]).toEqual(['date', 'year']);
    expect(years.stored).toEqual(['2024-01-01', '2025-01-01', '2026-01-01']);
    expect(column('amount', ['2024', '2025']).type).toBe('number');
    expect(column('year', ['2024', '12']).type).toBe('number');
    expect(isYearHeader('FY')).toBe(true);
    expect(isYearHeader('yearly_target')).toBe(false);
  });

  it.each([
    ['2026-01-31', '2026-01-31'],
    ['31/01/2026', '2026-01-31'],
    ['1/31/2026', '2026-01-31'],
    ['31 Jan 2026', '2026-01-31'],
    ['Jan 31, 2026', '2026-01-31'],
    ['31.1.2026', '2026-01-31'],
  ])('reads days written like %s', (first, iso) => {
    const c = column('day', [first]);
    expect([c.type, c.grain]).toEqual(['date', 'day']);
    expect(c.stored).toEqual([iso]);
  });

  it('decides day-first or month-first per column, month-first when every value fits both', () => {
    expect(column('d', ['03/04/2026', '25/04/2026']).stored).toEqual(['2026-04-03', '2026-04-25']);
    expect(column('d', ['03/04/2026', '04/25/2026']).stored).toEqual(['2026-03-04', '2026-04-25']);
    expect(column('d', ['03/04/2026', '05/06/2026']).stored).toEqual(['2026-03-04', '2026-05-06']);
  });

  it('leaves mixed, impossible and non-date columns as text', () => {
    expect(column('m', ['2026-01', 'Feb 2026']).type).toBe('string');
    expect(column('m', ['2026-02-30']).type).toBe('string');
    expect(column('m', ['Q5 2026']).type).toBe('string');
    expect(column('plan', ['Enterprise', 'Team']).type).toBe('string');
    expect(column('code', ['SKU-2026', 'SKU-2027']).type).toBe('string');
  });

  it('keeps ISO date-times as date-times', () => {
    const c = column('at', ['2026-01-31T10:00:00Z', '2026-02-01']);
    expect([c.type, c.dateKind, c.grain]).toEqual(['date', 'datetime', undefined]);
  });

  it('parses each distinct value once per remaining format', () => {
    const detector = new DateColumnDetector();
    for (let i = 0; i < 50_000; i += 1) detector.feed(['Jan 2026', 'Feb 2026'][i % 2] as string);
    expect(detector.result()?.format.tokens).toBe('MMM yyyy');
    const mmm = { tokens: 'MMM yyyy', grain: 'month', example: '' } as const;
    expect(parseDateAs('Feb 2026', mmm)).toBe('2026-02-01');
    expect(parseDateAs('Sept  2026', mmm)).toBe('2026-09-01');
  });
});

describe('the fast paths before luxon', () => {
  // what parseDateAs was before them: luxon alone on the normalised text
  const luxonAlone = (text: string, tokens: string): string | undefined => {
    const value = text
      .trim()
      .replace(/\s+/g, ' ')
      .replace(/\bsept\b/i, 'Sep')
      .replace(/\b([A-Za-z]{3})\.(?=\s)/, '$1');
    if (value.length < 4 || value.length > 20 || !/\d/.test(value)) return undefined;
    const dt = DateTime.fromFormat(value, tokens, { zone: 'UTC', locale: 'en-US' });
    if (!dt.isValid || dt.year < 1000 || dt.year > 9999) return undefined;
    return dt.toISODate() ?? undefined;
  };

  it('read every text of every format exactly as luxon alone does', () => {
    const written = fc
      .tuple(
        fc.date({
          min: new Date('0900-01-01T00:00:00Z'),
          max: new Date('9999-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(...DATE_FORMATS),
      )
      .map(([d, f]) => DateTime.fromJSDate(d, { zone: 'UTC' }).setLocale('en-US').toFormat(f.tokens));
    const scrambled = fc
      .array(
        fc.constantFrom(
          '1',
          '2',
          '0',
          '9',
          '31',
          '2026',
          '-',
          '/',
          '.',
          ' ',
          ',',
          'Q',
          'q',
          'Jan',
          'Sept',
          'x',
          '.',
        ),
        {
          maxLength: 8,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(written, scrambled), fc.constantFrom(...DATE_FORMATS), (text, format) => {
        expect(parseDateAs(text, format)).toBe(luxonAlone(text, format.tokens));
      }),
      { numRuns: 8000 },
    );
    for (const f of DATE_FORMATS) expect(parseDateAs(f.example, f)).toBe(luxonAlone(f.example, f.tokens));
    expect(parseDateAs('2024-02-29', DATE_FORMATS[0] as (typeof DATE_FORMATS)[number])).toBe('2024-02-29');
    expect(parseDateAs('2026-02-29', DATE_FORMATS[0] as (typeof DATE_FORMATS)[number])).toBeUndefined();
  });
});
