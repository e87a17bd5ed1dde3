import { describe, expect, it } from 'vitest';
import type { DisplayColumn } from './format.ts';
import {
  currencyOf,
  formatCell,
  formatChange,
  formatDate,
  formatDateTime,
  formatDay,
  formatFigure,
  formatNumber,
  formatRangeBounds,
  inferNumberStyle,
  isShareDefinition,
  listWords,
} from './format.ts';

const measure = (extra: Partial<DisplayColumn> = {}): DisplayColumn => ({
  name: 'm',
  label: 'M',
  type: 'number',
  role: 'measure',
  ...extra,
});

describe('formatNumber', () => {
  it.each([
    [1234.5, 'money', '$1,234.50'],
    [0, 'money', '$0.00'],
    [-1234.5, 'money', '-$1,234.50'],
    [1257519.9, 'money', '$1,257,519.90'],
    [1234, 'count', '1,234'],
    [1234567, 'count', '1,234,567'],
    [201.6154, 'average', '201.62'],
    [3.5, 'average', '3.50'],
    [0.125, 'percent', '12.5%'],
    [0.4, 'percent', '40%'],
    [0.03456, 'ratio', '0.0346'],
    [2.5, 'ratio', '2.5'],
    [1234.5678, 'ratio', '1,234.57'],
    [21098, 'identifier', '21098'],
    [1234.567, 'number', '1,234.57'],
    [12, 'number', '12'],
  ] as const)('%s as %s -> %s', (value, style, expected) => {
    expect(formatNumber(value, style)).toBe(expected);
  });

  it('formats other currencies with their symbol', () => {
    expect(formatNumber(1234.5, 'money', 'EUR')).toBe('€1,234.50');
  });
});

describe('currencies and styles', () => {
  it('recognises ISO currency units only', () => {
    expect(currencyOf('USD')).toBe('USD');
    expect(currencyOf('eur')).toBe('EUR');
    expect(currencyOf('units')).toBeUndefined();
    expect(currencyOf('kg')).toBeUndefined();
    expect(currencyOf(undefined)).toBeUndefined();
  });

  it.each([
    [measure({ unit: 'USD' }), [1.5], 'money'],
    [measure({ definition: 'the number of orders divided by the number of orders' }), [0.1], 'percent'],
    [measure({ definition: 'the sum of revenue divided by the number of orders' }), [12.3], 'ratio'],
    [measure({ definition: 'the number of orders' }), [3], 'count'],
    [measure({ definition: 'the average total_amount over completed orders' }), [3], 'average'],
    [measure({ unit: 'units' }), [3, 4], 'count'],
    [measure(), [3.25], 'number'],
    [{ ...measure(), role: 'field', name: 'user_id' } as DisplayColumn, [3], 'identifier'],
  ] as const)('infers the style of %o', (column, values, style) => {
    expect(inferNumberStyle(column, values)).toBe(style);
  });

  it('calls a ratio a share only when both sides count the same rows', () => {
    expect(isShareDefinition('the number of orders divided by the number of orders')).toBe(true);
    expect(isShareDefinition('the number of orders divided by the number of users')).toBe(false);
  });
});

describe('dates', () => {
  it.each([
    ['2026-11-01', 'day', '1 Nov 2026'],
    ['2026-11-23', 'week', 'Week of 23 Nov 2026'],
    ['2026-11-01', 'month', 'Nov 2026'],
    ['2026-09-01', 'month', 'Sep 2026'],
    ['2026-10-01', 'quarter', 'Q4 2026'],
    ['2026-01-01', 'quarter', 'Q1 2026'],
    ['2026-01-01', 'year', '2026'],
    ['2026-11-01', undefined, '1 Nov 2026'],
    ['2026-11-25T11:34:33Z', undefined, '25 Nov 2026, 11:34 UTC'],
  ] as const)('%s at grain %s -> %s', (value, grain, expected) => {
    expect(formatDate(value, grain)).toBe(expected);
  });

  it('formats days and date-times without the locale month quirks', () => {
    expect(formatDay('2026-09-01')).toBe('1 Sep 2026');
    expect(formatDateTime('2026-11-25T00:05:00Z')).toBe('25 Nov 2026, 00:05 UTC');
    expect(formatDateTime('2026-11-25T23:30:00Z', 'Europe/Paris')).toMatch(
      /^26 Nov 2026, 00:30 (GMT\+1|CET)$/,
    );
  });

  it('names every month as Intl does, at each grain that shows one', () => {
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    for (const [i, name] of months.entries()) {
      const day = `2025-${String(i + 1).padStart(2, '0')}-09`;
      expect(formatDate(day, 'month')).toBe(`${name} 2025`);
      expect(formatDay(day)).toBe(`9 ${name} 2025`);
    }
    expect(formatDate('2024-02-29', 'day')).toBe('29 Feb 2024');
  });

  it('leaves values that are not dates alone', () => {
    expect(formatDate('soon', 'month')).toBe('soon');
  });
});

describe('formatRangeBounds', () => {
  it('shows whole days inclusively', () => {
    expect(formatRangeBounds({ start: '2026-10-01 00:00:00', end: '2026-11-01 00:00:00' })).toBe(
      '1 Oct 2026 – 31 Oct 2026',
    );
    expect(formatRangeBounds({ start: '2026-10-01', end: '2026-10-02' })).toBe('1 Oct 2026');
  });

  it('shows a range that ends now with times and its zone', () => {
    expect(formatRangeBounds({ start: '2026-11-01 00:00:00', end: '2026-11-25 12:00:00' })).toBe(
      '1 Nov 2026, 00:00 up to 25 Nov 2026, 12:00 UTC',
    );
  });

  it('reads UTC bounds in the agent zone', () => {
    // October 2026 in Paris: 30 Sep 22:00 UTC up to 31 Oct 23:00 UTC
    expect(
      formatRangeBounds({ start: '2026-09-30 22:00:00', end: '2026-10-31 23:00:00' }, 'Europe/Paris'),
    ).toBe('1 Oct 2026 – 31 Oct 2026');
  });

  it('says when a range is empty', () => {
    expect(formatRangeBounds({ start: '2026-12-01 00:00:00', end: '2026-12-01 00:00:00' })).toBe(
      'an empty range at 1 Dec 2026',
    );
  });
});

describe('cells and figures', () => {
  const usd = measure({ unit: 'USD', currency: 'USD', style: 'money' });
  const units = measure({ unit: 'units', style: 'count' });
  const month: DisplayColumn = {
    name: 'month',
    label: 'Month',
    type: 'date',
    role: 'dimension',
    grain: 'month',
  };
  const flag: DisplayColumn = { name: 'active', label: 'Active', type: 'boolean', role: 'field' };
  const text: DisplayColumn = { name: 'status', label: 'Status', type: 'string', role: 'field' };

  it('formats table cells as strings, units kept out', () => {
    expect(formatCell(1234.5, usd)).toBe('$1,234.50');
    expect(formatCell(1234, units)).toBe('1,234');
    expect(formatCell('2026-11-01', month)).toBe('Nov 2026');
    expect(formatCell(true, flag)).toBe('Yes');
    expect(formatCell(false, flag)).toBe('No');
    expect(formatCell(null, usd)).toBe('—');
    expect(formatCell(null, text)).toBe('—');
    expect(formatCell('completed', text)).toBe('completed');
  });

  it('puts units into sentence figures', () => {
    expect(formatFigure(1234.5, usd)).toBe('$1,234.50');
    expect(formatFigure(1234, units)).toBe('1,234 units');
    expect(formatFigure(1, units)).toBe('1 unit');
    expect(formatFigure(0.125, measure({ style: 'percent' }))).toBe('12.5%');
    expect(formatFigure(12.5, measure({ unit: '%' }))).toBe('12.5%');
    expect(formatFigure(null, usd)).toBeUndefined();
  });

  it('computes relative changes', () => {
    expect(formatChange(908, 880)).toBe('+3.2%');
    expect(formatChange(800, 1000)).toBe('-20%');
    expect(formatChange(5, 0)).toBeUndefined();
  });

  it('lists words', () => {
    expect(listWords([])).toBe('');
    expect(listWords(['a'])).toBe('a');
    expect(listWords(['a', 'b'])).toBe('a and b');
    expect(listWords(['a', 'b', 'c'], 'or')).toBe('a, b or c');
  });
});
