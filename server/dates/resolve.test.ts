import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { DateRange, Grain } from '../query/plan.ts';
import { calendarDaysBetween, resolveDateRange, startOfGrain, toUtcSql, zonedNow } from './resolve.ts';

/** Wednesday 25 Nov 2026, 15:30 UTC */
const NOW = new Date('2026-11-25T15:30:00Z');

type Row = [name: string, range: DateRange, start: string, end: string, label?: string];

function check(rows: Row[], now: Date, zone: string) {
  it.each(rows)('%s', (_name, range, start, end, label) => {
    const r = resolveDateRange(range, now, zone);
    expect([toUtcSql(r.start), toUtcSql(r.end)]).toEqual([start, end]);
    if (label !== undefined) expect(r.label).toBe(label);
    expect(r.start.zoneName).toBe(zone);
    expect(r.start <= r.end).toBe(true);
  });
}

describe('resolveDateRange, UTC, Wednesday 2026-11-25 15:30', () => {
  check(
    [
      // current units: start of the unit until now; today is the whole calendar day
      [
        'today',
        { kind: 'current', unit: 'day' },
        '2026-11-25 00:00:00',
        '2026-11-26 00:00:00',
        'today (25 Nov 2026)',
      ],
      [
        'this week (ISO, Monday)',
        { kind: 'current', unit: 'week' },
        '2026-11-23 00:00:00',
        '2026-11-25 15:30:00',
        'this week (23–25 Nov 2026)',
      ],
      [
        'this month',
        { kind: 'current', unit: 'month' },
        '2026-11-01 00:00:00',
        '2026-11-25 15:30:00',
        'this month (1–25 Nov 2026)',
      ],
      [
        'this quarter',
        { kind: 'current', unit: 'quarter' },
        '2026-10-01 00:00:00',
        '2026-11-25 15:30:00',
        'this quarter (1 Oct – 25 Nov 2026)',
      ],
      [
        'this year',
        { kind: 'current', unit: 'year' },
        '2026-01-01 00:00:00',
        '2026-11-25 15:30:00',
        'this year (1 Jan – 25 Nov 2026)',
      ],
      // last: the n whole units before the current one
      [
        'yesterday',
        { kind: 'last', unit: 'day', n: 1 },
        '2026-11-24 00:00:00',
        '2026-11-25 00:00:00',
        'yesterday (24 Nov 2026)',
      ],
      [
        'last 7 days',
        { kind: 'last', unit: 'day', n: 7 },
        '2026-11-18 00:00:00',
        '2026-11-25 00:00:00',
        'the last 7 days (18–24 Nov 2026)',
      ],
      [
        'last 30 days',
        { kind: 'last', unit: 'day', n: 30 },
        '2026-10-26 00:00:00',
        '2026-11-25 00:00:00',
        'the last 30 days (26 Oct – 24 Nov 2026)',
      ],
      [
        'last week',
        { kind: 'last', unit: 'week', n: 1 },
        '2026-11-16 00:00:00',
        '2026-11-23 00:00:00',
        'last week (16–22 Nov 2026)',
      ],
      [
        'last 4 weeks',
        { kind: 'last', unit: 'week', n: 4 },
        '2026-10-26 00:00:00',
        '2026-11-23 00:00:00',
        'the last 4 weeks (26 Oct – 22 Nov 2026)',
      ],
      [
        'last month',
        { kind: 'last', unit: 'month', n: 1 },
        '2026-10-01 00:00:00',
        '2026-11-01 00:00:00',
        'last month (October 2026)',
      ],
      [
        'last 3 months',
        { kind: 'last', unit: 'month', n: 3 },
        '2026-08-01 00:00:00',
        '2026-11-01 00:00:00',
        'the last 3 months (1 Aug – 31 Oct 2026)',
      ],
      [
        'last 12 months',
        { kind: 'last', unit: 'month', n: 12 },
        '2025-11-01 00:00:00',
        '2026-11-01 00:00:00',
        'the last 12 months (1 Nov 2025 – 31 Oct 2026)',
      ],
      [
        'last quarter',
        { kind: 'last', unit: 'quarter', n: 1 },
        '2026-07-01 00:00:00',
        '2026-10-01 00:00:00',
        'last quarter (Q3 2026)',
      ],
      [
        'last 2 quarters',
        { kind: 'last', unit: 'quarter', n: 2 },
        '2026-04-01 00:00:00',
        '2026-10-01 00:00:00',
        'the last 2 quarters (1 Apr – 30 Sep 2026)',
      ],
      [
        'last year',
        { kind: 'last', unit: 'year', n: 1 },
        '2025-01-01 00:00:00',
        '2026-01-01 00:00:00',
        'last year (2025)',
      ],
      [
        'last 3 years',
        { kind: 'last', unit: 'year', n: 3 },
        '2023-01-01 00:00:00',
        '2026-01-01 00:00:00',
        'the last 3 years (2023–2025)',
      ],
      // named periods
      [
        'in 2025',
        { kind: 'period', period: { year: 2025 } },
        '2025-01-01 00:00:00',
        '2026-01-01 00:00:00',
        '2025',
      ],
      [
        'March 2026',
        { kind: 'period', period: { year: 2026, month: 3 } },
        '2026-03-01 00:00:00',
        '2026-04-01 00:00:00',
        'March 2026',
      ],
      [
        'February 2026 (28 days)',
        { kind: 'period', period: { year: 2026, month: 2 } },
        '2026-02-01 00:00:00',
        '2026-03-01 00:00:00',
        'February 2026',
      ],
      [
        'Q3 2025',
        { kind: 'period', period: { year: 2025, quarter: 3 } },
        '2025-07-01 00:00:00',
        '2025-10-01 00:00:00',
        'Q3 2025',
      ],
      [
        'Q4 2025 (crosses the year)',
        { kind: 'period', period: { year: 2025, quarter: 4 } },
        '2025-10-01 00:00:00',
        '2026-01-01 00:00:00',
        'Q4 2025',
      ],
      [
        'a day',
        { kind: 'period', period: { year: 2026, month: 11, day: 20 } },
        '2026-11-20 00:00:00',
        '2026-11-21 00:00:00',
        '20 Nov 2026',
      ],
      [
        'in 2030 (future: still resolves)',
        { kind: 'period', period: { year: 2030 } },
        '2030-01-01 00:00:00',
        '2031-01-01 00:00:00',
        '2030',
      ],
      // bare month / quarter: the latest one that has started
      [
        'in March (this year)',
        { kind: 'period', period: { month: 3 } },
        '2026-03-01 00:00:00',
        '2026-04-01 00:00:00',
        'March 2026',
      ],
      [
        'in November (the current month has started)',
        { kind: 'period', period: { month: 11 } },
        '2026-11-01 00:00:00',
        '2026-12-01 00:00:00',
        'November 2026',
      ],
      [
        'in December (not started: last year)',
        { kind: 'period', period: { month: 12 } },
        '2025-12-01 00:00:00',
        '2026-01-01 00:00:00',
        'December 2025',
      ],
      [
        'in Q4 (the current quarter)',
        { kind: 'period', period: { quarter: 4 } },
        '2026-10-01 00:00:00',
        '2027-01-01 00:00:00',
        'Q4 2026',
      ],
      [
        'in Q1',
        { kind: 'period', period: { quarter: 1 } },
        '2026-01-01 00:00:00',
        '2026-04-01 00:00:00',
        'Q1 2026',
      ],
      [
        'on 20 November (no year)',
        { kind: 'period', period: { month: 11, day: 20 } },
        '2026-11-20 00:00:00',
        '2026-11-21 00:00:00',
        '20 Nov 2026',
      ],
      [
        'on 30 November (no year, not yet)',
        { kind: 'period', period: { month: 11, day: 30 } },
        '2025-11-30 00:00:00',
        '2025-12-01 00:00:00',
        '30 Nov 2025',
      ],
      [
        'on 29 February (latest leap year)',
        { kind: 'period', period: { month: 2, day: 29 } },
        '2024-02-29 00:00:00',
        '2024-03-01 00:00:00',
        '29 Feb 2024',
      ],
      // before: everything before the current unit started ("past its due date")
      [
        'before today',
        { kind: 'before', unit: 'day' },
        '1000-01-01 00:00:00',
        '2026-11-25 00:00:00',
        'before today (25 Nov 2026)',
      ],
      ['before this month', { kind: 'before', unit: 'month' }, '1000-01-01 00:00:00', '2026-11-01 00:00:00'],
      // since: start of the period until now
      [
        'since March',
        { kind: 'since', period: { month: 3 } },
        '2026-03-01 00:00:00',
        '2026-11-25 15:30:00',
        'since March 2026 (1 Mar – 25 Nov 2026)',
      ],
      [
        'since December (last year)',
        { kind: 'since', period: { month: 12 } },
        '2025-12-01 00:00:00',
        '2026-11-25 15:30:00',
        'since December 2025 (1 Dec 2025 – 25 Nov 2026)',
      ],
      [
        'since 2025',
        { kind: 'since', period: { year: 2025 } },
        '2025-01-01 00:00:00',
        '2026-11-25 15:30:00',
        'since 2025 (1 Jan 2025 – 25 Nov 2026)',
      ],
      [
        'since Q3 2025',
        { kind: 'since', period: { year: 2025, quarter: 3 } },
        '2025-07-01 00:00:00',
        '2026-11-25 15:30:00',
      ],
      [
        'since a day',
        { kind: 'since', period: { year: 2026, month: 11, day: 20 } },
        '2026-11-20 00:00:00',
        '2026-11-25 15:30:00',
        'since 20 Nov 2026 (20–25 Nov 2026)',
      ],
      [
        'since 2030 (future: empty)',
        { kind: 'since', period: { year: 2030 } },
        '2030-01-01 00:00:00',
        '2030-01-01 00:00:00',
        'since 2030 (starts 1 Jan 2030)',
      ],
      // between: both dates inclusive
      [
        'between',
        { kind: 'between', from: '2026-11-01', to: '2026-11-24' },
        '2026-11-01 00:00:00',
        '2026-11-25 00:00:00',
        '1 Nov 2026 – 24 Nov 2026',
      ],
      [
        'between one day',
        { kind: 'between', from: '2026-11-20', to: '2026-11-20' },
        '2026-11-20 00:00:00',
        '2026-11-21 00:00:00',
        '20 Nov 2026',
      ],
      [
        'between across years',
        { kind: 'between', from: '2025-12-15', to: '2026-01-15' },
        '2025-12-15 00:00:00',
        '2026-01-16 00:00:00',
        '15 Dec 2025 – 15 Jan 2026',
      ],
      [
        'between reversed (read in order)',
        { kind: 'between', from: '2026-03-31', to: '2026-01-01' },
        '2026-01-01 00:00:00',
        '2026-04-01 00:00:00',
        '1 Jan 2026 – 31 Mar 2026',
      ],
    ],
    NOW,
    'UTC',
  );
});

describe('year boundary: Thursday 2026-01-01 00:30 UTC', () => {
  const now = new Date('2026-01-01T00:30:00Z');
  check(
    [
      ['today', { kind: 'current', unit: 'day' }, '2026-01-01 00:00:00', '2026-01-02 00:00:00'],
      [
        'this week (ISO week starts Mon 29 Dec 2025)',
        { kind: 'current', unit: 'week' },
        '2025-12-29 00:00:00',
        '2026-01-01 00:30:00',
        'this week (29 Dec 2025 – 1 Jan 2026)',
      ],
      [
        'this year',
        { kind: 'current', unit: 'year' },
        '2026-01-01 00:00:00',
        '2026-01-01 00:30:00',
        'this year (1 Jan 2026)',
      ],
      [
        'yesterday',
        { kind: 'last', unit: 'day', n: 1 },
        '2025-12-31 00:00:00',
        '2026-01-01 00:00:00',
        'yesterday (31 Dec 2025)',
      ],
      [
        'last 7 days',
        { kind: 'last', unit: 'day', n: 7 },
        '2025-12-25 00:00:00',
        '2026-01-01 00:00:00',
        'the last 7 days (25–31 Dec 2025)',
      ],
      [
        'last week',
        { kind: 'last', unit: 'week', n: 1 },
        '2025-12-22 00:00:00',
        '2025-12-29 00:00:00',
        'last week (22–28 Dec 2025)',
      ],
      ['last 2 weeks', { kind: 'last', unit: 'week', n: 2 }, '2025-12-15 00:00:00', '2025-12-29 00:00:00'],
      [
        'last month',
        { kind: 'last', unit: 'month', n: 1 },
        '2025-12-01 00:00:00',
        '2026-01-01 00:00:00',
        'last month (December 2025)',
      ],
      [
        'last quarter',
        { kind: 'last', unit: 'quarter', n: 1 },
        '2025-10-01 00:00:00',
        '2026-01-01 00:00:00',
        'last quarter (Q4 2025)',
      ],
      ['last year', { kind: 'last', unit: 'year', n: 1 }, '2025-01-01 00:00:00', '2026-01-01 00:00:00'],
      [
        'in January (started today)',
        { kind: 'period', period: { month: 1 } },
        '2026-01-01 00:00:00',
        '2026-02-01 00:00:00',
      ],
      [
        'in February (latest started: 2025)',
        { kind: 'period', period: { month: 2 } },
        '2025-02-01 00:00:00',
        '2025-03-01 00:00:00',
        'February 2025',
      ],
      ['in Q1', { kind: 'period', period: { quarter: 1 } }, '2026-01-01 00:00:00', '2026-04-01 00:00:00'],
      [
        'in Q2 (latest started: 2025)',
        { kind: 'period', period: { quarter: 2 } },
        '2025-04-01 00:00:00',
        '2025-07-01 00:00:00',
        'Q2 2025',
      ],
      ['since March', { kind: 'since', period: { month: 3 } }, '2025-03-01 00:00:00', '2026-01-01 00:30:00'],
    ],
    now,
    'UTC',
  );
});

describe('non-UTC zones: boundaries are local midnight', () => {
  const now = new Date('2026-01-01T00:30:00Z'); // New York: 31 Dec 2025 19:30; Tokyo: 1 Jan 2026 09:30
  describe('America/New_York (UTC-5 in winter)', () => {
    check(
      [
        [
          'today is still 31 Dec',
          { kind: 'current', unit: 'day' },
          '2025-12-31 05:00:00',
          '2026-01-01 05:00:00',
          'today (31 Dec 2025)',
        ],
        [
          'this year is 2025',
          { kind: 'current', unit: 'year' },
          '2025-01-01 05:00:00',
          '2026-01-01 00:30:00',
        ],
        ['yesterday', { kind: 'last', unit: 'day', n: 1 }, '2025-12-30 05:00:00', '2025-12-31 05:00:00'],
        [
          'last year is 2024',
          { kind: 'last', unit: 'year', n: 1 },
          '2024-01-01 05:00:00',
          '2025-01-01 05:00:00',
          'last year (2024)',
        ],
        [
          'in January: January 2025',
          { kind: 'period', period: { month: 1 } },
          '2025-01-01 05:00:00',
          '2025-02-01 05:00:00',
          'January 2025',
        ],
        [
          'in 2026 (future here)',
          { kind: 'period', period: { year: 2026 } },
          '2026-01-01 05:00:00',
          '2027-01-01 05:00:00',
        ],
        [
          'between',
          { kind: 'between', from: '2025-12-01', to: '2025-12-31' },
          '2025-12-01 05:00:00',
          '2026-01-01 05:00:00',
        ],
        // a summer period: daylight saving time, UTC-4
        [
          'July 2025',
          { kind: 'period', period: { year: 2025, month: 7 } },
          '2025-07-01 04:00:00',
          '2025-08-01 04:00:00',
        ],
      ],
      now,
      'America/New_York',
    );
  });
  describe('Asia/Tokyo (UTC+9)', () => {
    check(
      [
        [
          'today',
          { kind: 'current', unit: 'day' },
          '2025-12-31 15:00:00',
          '2026-01-01 15:00:00',
          'today (1 Jan 2026)',
        ],
        ['this year', { kind: 'current', unit: 'year' }, '2025-12-31 15:00:00', '2026-01-01 00:30:00'],
        [
          'last month',
          { kind: 'last', unit: 'month', n: 1 },
          '2025-11-30 15:00:00',
          '2025-12-31 15:00:00',
          'last month (December 2025)',
        ],
        ['last 7 days', { kind: 'last', unit: 'day', n: 7 }, '2025-12-24 15:00:00', '2025-12-31 15:00:00'],
        [
          'Q3 2025',
          { kind: 'period', period: { year: 2025, quarter: 3 } },
          '2025-06-30 15:00:00',
          '2025-09-30 15:00:00',
        ],
      ],
      now,
      'Asia/Tokyo',
    );
  });
  describe('New York across the spring DST change (8 Mar 2026), Sunday 2026-03-15 08:00 local', () => {
    check(
      [
        // 8 Mar starts at 00:00 EST (05:00 UTC); 15 Mar starts at 00:00 EDT (04:00 UTC)
        [
          'last 7 days',
          { kind: 'last', unit: 'day', n: 7 },
          '2026-03-08 05:00:00',
          '2026-03-15 04:00:00',
          'the last 7 days (8–14 Mar 2026)',
        ],
        [
          'this week (Sunday: the week began Monday 9 Mar)',
          { kind: 'current', unit: 'week' },
          '2026-03-09 04:00:00',
          '2026-03-15 12:00:00',
          'this week (9–15 Mar 2026)',
        ],
        [
          'last week',
          { kind: 'last', unit: 'week', n: 1 },
          '2026-03-02 05:00:00',
          '2026-03-09 04:00:00',
          'last week (2–8 Mar 2026)',
        ],
        [
          'in March (current month)',
          { kind: 'period', period: { month: 3 } },
          '2026-03-01 05:00:00',
          '2026-04-01 04:00:00',
        ],
        [
          'in April (latest started: 2025)',
          { kind: 'period', period: { month: 4 } },
          '2025-04-01 04:00:00',
          '2025-05-01 04:00:00',
        ],
      ],
      new Date('2026-03-15T12:00:00Z'),
      'America/New_York',
    );
  });
});

describe('week edges', () => {
  describe('Sunday 2026-11-22 12:00 UTC: the week is Monday 16 – Sunday 22', () => {
    check(
      [
        [
          'this week',
          { kind: 'current', unit: 'week' },
          '2026-11-16 00:00:00',
          '2026-11-22 12:00:00',
          'this week (16–22 Nov 2026)',
        ],
        ['last week', { kind: 'last', unit: 'week', n: 1 }, '2026-11-09 00:00:00', '2026-11-16 00:00:00'],
        ['last 3 weeks', { kind: 'last', unit: 'week', n: 3 }, '2026-10-26 00:00:00', '2026-11-16 00:00:00'],
      ],
      new Date('2026-11-22T12:00:00Z'),
      'UTC',
    );
  });
  describe('Monday 2026-11-23 00:00:00 UTC exactly: this week is still empty', () => {
    check(
      [
        [
          'this week',
          { kind: 'current', unit: 'week' },
          '2026-11-23 00:00:00',
          '2026-11-23 00:00:00',
          'this week (23 Nov 2026)',
        ],
        [
          'last week',
          { kind: 'last', unit: 'week', n: 1 },
          '2026-11-16 00:00:00',
          '2026-11-23 00:00:00',
          'last week (16–22 Nov 2026)',
        ],
        ['today', { kind: 'current', unit: 'day' }, '2026-11-23 00:00:00', '2026-11-24 00:00:00'],
        [
          'yesterday (Sunday)',
          { kind: 'last', unit: 'day', n: 1 },
          '2026-11-22 00:00:00',
          '2026-11-23 00:00:00',
        ],
      ],
      new Date('2026-11-23T00:00:00Z'),
      'UTC',
    );
  });
});

describe('leap day: Tuesday 2028-02-29 12:00 UTC', () => {
  check(
    [
      [
        'this month',
        { kind: 'current', unit: 'month' },
        '2028-02-01 00:00:00',
        '2028-02-29 12:00:00',
        'this month (1–29 Feb 2028)',
      ],
      [
        'February 2028',
        { kind: 'period', period: { year: 2028, month: 2 } },
        '2028-02-01 00:00:00',
        '2028-03-01 00:00:00',
      ],
      ['last 30 days', { kind: 'last', unit: 'day', n: 30 }, '2028-01-30 00:00:00', '2028-02-29 00:00:00'],
      [
        'last 4 weeks (Monday 28 Feb back)',
        { kind: 'last', unit: 'week', n: 4 },
        '2028-01-31 00:00:00',
        '2028-02-28 00:00:00',
      ],
      ['last month', { kind: 'last', unit: 'month', n: 1 }, '2028-01-01 00:00:00', '2028-02-01 00:00:00'],
      ['last year', { kind: 'last', unit: 'year', n: 1 }, '2027-01-01 00:00:00', '2028-01-01 00:00:00'],
      [
        '29 February (today)',
        { kind: 'period', period: { month: 2, day: 29 } },
        '2028-02-29 00:00:00',
        '2028-03-01 00:00:00',
      ],
      [
        'between across the leap day',
        { kind: 'between', from: '2028-02-28', to: '2028-02-29' },
        '2028-02-28 00:00:00',
        '2028-03-01 00:00:00',
      ],
    ],
    new Date('2028-02-29T12:00:00Z'),
    'UTC',
  );
});

describe('invariants over a year of clocks and zones', () => {
  const zones = ['UTC', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe', 'Asia/Kolkata'];
  const units: Grain[] = ['day', 'week', 'month', 'quarter', 'year'];
  it('last N units end at the start of the current unit, start at local midnight, and span N units', () => {
    for (const zone of zones) {
      for (let i = 0; i < 366; i += 5) {
        const now = new Date(Date.UTC(2026, 0, 1, (i * 7) % 24, (i * 13) % 60) + i * 86_400_000);
        const local = DateTime.fromJSDate(now, { zone });
        for (const unit of units) {
          for (const n of [1, 3]) {
            const r = resolveDateRange({ kind: 'last', unit, n }, now, zone);
            expect(+r.end).toBe(+startOfGrain(local, unit));
            expect(+r.start).toBe(+startOfGrain(local, unit).minus({ [unit]: n }));
            expect([r.start.hour, r.start.minute, r.end.hour, r.end.minute]).toEqual([0, 0, 0, 0]);
            if (unit === 'week') expect([r.start.weekday, r.end.weekday]).toEqual([1, 1]);
          }
          const cur = resolveDateRange({ kind: 'current', unit }, now, zone);
          expect(cur.start <= local).toBe(true);
          if (unit !== 'day') expect(+cur.end).toBe(+now);
          else expect(+cur.end).toBe(+local.startOf('day').plus({ days: 1 }));
        }
      }
    }
  });
});

describe('calendarDaysBetween', () => {
  // zones whose clocks change at midnight (Santiago, Havana), by half an hour (Lord Howe), or that skipped a day (Apia)
  const zones = [
    'UTC',
    'America/New_York',
    'America/Santiago',
    'America/Havana',
    'Australia/Lord_Howe',
    'Pacific/Apia',
  ];
  it("counts days as luxon's diff of the two days' starts does, in every zone", () => {
    for (const zone of zones) {
      // about every two and a half days across 2011 (Apia's skipped 30 December included), at all hours
      for (let i = 0; i < 150; i += 1) {
        const first = DateTime.fromMillis(Date.UTC(2011, 0, 1) + i * 61.7 * 3_600_000, { zone });
        for (const hours of [0, 1, 23, 24, 25, 24 * 31 + 5, 24 * 400]) {
          const last = first.plus({ hours });
          const luxon = Math.round(last.startOf('day').diff(first.startOf('day'), 'days').days);
          expect(calendarDaysBetween(first, last)).toBe(luxon);
          const back = Math.round(first.startOf('day').diff(last.startOf('day'), 'days').days);
          // + 0: luxon's same day backwards rounds to -0, and toBe tells -0 from 0
          expect(calendarDaysBetween(last, first) + 0).toBe(back + 0);
        }
      }
    }
  });
  it("reads years before 100 as themselves, and takes luxon's way across zones", () => {
    const a = DateTime.fromObject({ year: 99, month: 12, day: 31 }, { zone: 'UTC' });
    expect(calendarDaysBetween(a, a.plus({ days: 1 }))).toBe(1);
    const tokyo = DateTime.fromISO('2026-11-25T08:00:00', { zone: 'Asia/Tokyo' });
    const york = tokyo.setZone('America/New_York');
    expect(calendarDaysBetween(york, tokyo)).toBe(
      Math.round(tokyo.startOf('day').diff(york.startOf('day'), 'days').days),
    );
  });
});

describe('errors', () => {
  it('rejects an unknown time zone with a clear message', () => {
    expect(() => resolveDateRange({ kind: 'current', unit: 'day' }, NOW, 'Mars/Olympus')).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
    expect(() => resolveDateRange({ kind: 'current', unit: 'day' }, NOW, '')).toThrow(/unknown time zone/);
    expect(() => zonedNow(NOW, 'local')).toThrow(/unknown time zone "local"/);
  });
  it('rejects an invalid clock', () => {
    expect(() => resolveDateRange({ kind: 'current', unit: 'day' }, new Date('nope'), 'UTC')).toThrow(
      /invalid "now"/,
    );
  });
  it('rejects ranges that break the schema', () => {
    expect(() => resolveDateRange({ kind: 'last', unit: 'day', n: 0 }, NOW, 'UTC')).toThrow(
      /invalid date range/,
    );
    expect(() => resolveDateRange({ kind: 'period', period: {} }, NOW, 'UTC')).toThrow(/invalid date range/);
    expect(() =>
      resolveDateRange({ kind: 'between', from: '2025/01/01', to: '2025-01-02' }, NOW, 'UTC'),
    ).toThrow(/invalid date range/);
  });
  it('rejects dates that do not exist', () => {
    expect(() =>
      resolveDateRange({ kind: 'between', from: '2025-02-30', to: '2025-03-01' }, NOW, 'UTC'),
    ).toThrow(/not a calendar date: 2025-02-30/);
    expect(() =>
      resolveDateRange({ kind: 'period', period: { year: 2027, month: 2, day: 29 } }, NOW, 'UTC'),
    ).toThrow(/not a calendar date: 2027-02-29/);
    expect(() => resolveDateRange({ kind: 'period', period: { month: 4, day: 31 } }, NOW, 'UTC')).toThrow(
      /not a calendar date/,
    );
  });
  it('accepts other spellings luxon knows: fixed offsets and lower-case utc', () => {
    expect(toUtcSql(resolveDateRange({ kind: 'current', unit: 'day' }, NOW, 'UTC+3').start)).toBe(
      '2026-11-24 21:00:00',
    );
    expect(toUtcSql(resolveDateRange({ kind: 'current', unit: 'day' }, NOW, 'utc').start)).toBe(
      '2026-11-25 00:00:00',
    );
  });
});

describe('zonedNow', () => {
  it('gives each zone its own wall clock for the same instant, asked in turn', () => {
    const instant = new Date('2026-11-25T23:30:00Z');
    expect(zonedNow(instant, 'UTC').toISO()).toBe('2026-11-25T23:30:00.000Z');
    expect(zonedNow(instant, 'Asia/Tokyo').toISO()).toBe('2026-11-26T08:30:00.000+09:00');
    expect(zonedNow(instant, 'Asia/Tokyo').toISO()).toBe('2026-11-26T08:30:00.000+09:00');
    expect(zonedNow(new Date('2026-11-25T23:31:00Z'), 'Asia/Tokyo').minute).toBe(31);
    expect(zonedNow(instant, 'UTC').day).toBe(25);
  });
});

describe('toUtcSql', () => {
  it('formats in UTC and drops milliseconds', () => {
    expect(toUtcSql(DateTime.fromISO('2026-11-25T10:20:30.999', { zone: 'Asia/Tokyo' }))).toBe(
      '2026-11-25 01:20:30',
    );
    expect(toUtcSql(DateTime.fromISO('2026-01-01T00:00:00', { zone: 'America/New_York' }))).toBe(
      '2026-01-01 05:00:00',
    );
    expect(toUtcSql(DateTime.fromISO('0999-01-01T00:00:00Z'))).toBe('0999-01-01 00:00:00');
    // before 1970 and outside four-digit years, the same text as luxon's own formatting
    expect(toUtcSql(DateTime.fromISO('1969-12-31T23:59:59.500Z'))).toBe('1969-12-31 23:59:59');
    const far = DateTime.fromISO('+012026-03-01T00:00:00Z');
    expect(toUtcSql(far)).toBe(far.toUTC().toFormat('yyyy-MM-dd HH:mm:ss'));
  });
  it('throws on an invalid DateTime', () => {
    expect(() => toUtcSql(DateTime.invalid('test'))).toThrow(/invalid date-time/);
  });
});

describe('startOfGrain', () => {
  const dt = DateTime.fromISO('2026-11-22T18:45:12', { zone: 'Asia/Tokyo' }); // a Sunday
  it.each([
    ['day', '2026-11-22T00:00:00.000+09:00'],
    ['week', '2026-11-16T00:00:00.000+09:00'],
    ['month', '2026-11-01T00:00:00.000+09:00'],
    ['quarter', '2026-10-01T00:00:00.000+09:00'],
    ['year', '2026-01-01T00:00:00.000+09:00'],
  ] as const)('%s', (grain, iso) => {
    expect(startOfGrain(dt, grain).toISO()).toBe(iso);
  });
  it('a Monday is its own week start', () => {
    const monday = DateTime.fromISO('2026-11-23T09:00:00', { zone: 'UTC' });
    expect(startOfGrain(monday, 'week').toISODate()).toBe('2026-11-23');
  });
});

describe('span: from one local moment up to another (like-for-like windows)', () => {
  const now = new Date('2026-12-06T09:21:00Z');
  it('ends mid-day, in the agent zone, and says the times', () => {
    const r = resolveDateRange(
      { kind: 'span', from: '2026-11-01T00:00:00', until: '2026-11-06T09:21:00' },
      now,
      'Europe/Paris',
    );
    expect(r.start.toUTC().toISO()).toBe('2026-10-31T23:00:00.000Z');
    expect(r.end.toUTC().toISO()).toBe('2026-11-06T08:21:00.000Z');
    expect(r.label).toBe('1 Nov 2026, 00:00 – 6 Nov 2026, 09:21');
  });
  it('reads a span of whole days as days, and a reversed span in order', () => {
    const r = resolveDateRange(
      { kind: 'span', from: '2026-11-06T00:00:00', until: '2026-11-01T00:00:00' },
      now,
      'UTC',
    );
    expect(r.start.toISO()).toBe('2026-11-01T00:00:00.000Z');
    expect(r.label).toBe('1–5 Nov 2026');
  });
  it('refuses a moment that does not exist', () => {
    expect(() =>
      resolveDateRange(
        { kind: 'span', from: '2026-02-30T00:00:00', until: '2026-03-02T00:00:00' },
        now,
        'UTC',
      ),
    ).toThrow(/not a calendar date-time/);
  });
});
