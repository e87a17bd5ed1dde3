import { describe, expect, it } from 'vitest';
import { DateRange, type Grain } from '../query/plan.ts';
import { findDateRanges, findGrain } from './phrases.ts';
import { resolveDateRange, toUtcSql } from './resolve.ts';

/** Wednesday 25 Nov 2026, 15:30 UTC */
const NOW = new Date('2026-11-25T15:30:00Z');

const cur = (unit: Grain): DateRange => ({ kind: 'current', unit });
const last = (unit: Grain, n = 1): DateRange => ({ kind: 'last', unit, n });
const period = (p: { year?: number; quarter?: number; month?: number; day?: number }): DateRange => ({
  kind: 'period',
  period: p,
});
const since = (p: { year?: number; quarter?: number; month?: number; day?: number }): DateRange => ({
  kind: 'since',
  period: p,
});
const btw = (from: string, to: string): DateRange => ({ kind: 'between', from, to });

type Row = [question: string, matches: Array<[text: string, range: DateRange]>];

const ROWS: Row[] = [
  // today / yesterday
  ['How many orders today?', [['today', cur('day')]]],
  ["today's revenue", [['today', cur('day')]]],
  ['orders so far today', [['so far today', cur('day')]]],
  ['revenue yesterday', [['yesterday', last('day')]]],
  ['signups for yesterday', [['for yesterday', last('day')]]],
  ['orders the day before yesterday', [['the day before yesterday', btw('2026-11-23', '2026-11-23')]]],
  // this / current unit
  ['revenue this week', [['this week', cur('week')]]],
  ['orders in the current month', [['in the current month', cur('month')]]],
  ['sales This Quarter', [['This Quarter', cur('quarter')]]],
  ['revenue this year so far', [['this year so far', cur('year')]]],
  ['so far this year', [['so far this year', cur('year')]]],
  ['current year signups', [['current year', cur('year')]]],
  // to date
  ['revenue year to date', [['year to date', cur('year')]]],
  ['YTD revenue by region', [['YTD', cur('year')]]],
  ['year-to-date orders', [['year-to-date', cur('year')]]],
  ['month to date sales', [['month to date', cur('month')]]],
  ['MTD signups', [['MTD', cur('month')]]],
  ['QTD bookings', [['QTD', cur('quarter')]]],
  // last / previous / past unit
  ['orders last week', [['last week', last('week')]]],
  ['revenue for the previous month', [['for the previous month', last('month')]]],
  ['churn over the past quarter', [['over the past quarter', last('quarter')]]],
  ['last year', [['last year', last('year')]]],
  ["last year's revenue", [['last year', last('year')]]],
  ['orders this past week', [['this past week', last('week')]]],
  ['revenue in the last full month', [['in the last full month', last('month')]]],
  ['the prior day', [['the prior day', last('day')]]],
  // last N units
  ['orders in the last 7 days', [['in the last 7 days', last('day', 7)]]],
  ['the last 30 days', [['the last 30 days', last('day', 30)]]],
  ['signups past 14 days', [['past 14 days', last('day', 14)]]],
  ['revenue over the last 12 months', [['over the last 12 months', last('month', 12)]]],
  ['last three months', [['last three months', last('month', 3)]]],
  ['in the past two weeks', [['in the past two weeks', last('week', 2)]]],
  ['the previous 4 quarters', [['the previous 4 quarters', last('quarter', 4)]]],
  ['last 5 years', [['last 5 years', last('year', 5)]]],
  ['trailing twelve months revenue', [['trailing twelve months', last('month', 12)]]],
  ['the last twenty-four months', [['the last twenty-four months', last('month', 24)]]],
  ['last couple of weeks', [['last couple of weeks', last('week', 2)]]],
  ['last 1 day', [['last 1 day', last('day', 1)]]],
  // N units ago: absolute
  ['orders 3 days ago', [['3 days ago', btw('2026-11-22', '2026-11-22')]]],
  ['a week ago', [['a week ago', btw('2026-11-16', '2026-11-22')]]],
  ['revenue two months ago', [['two months ago', period({ year: 2026, month: 9 })]]],
  ['a year ago', [['a year ago', period({ year: 2025 })]]],
  ['last Monday', [['last Monday', btw('2026-11-23', '2026-11-23')]]],
  ['orders last Wednesday', [['last Wednesday', btw('2026-11-18', '2026-11-18')]]],
  // years
  ['orders in 2025', [['in 2025', period({ year: 2025 })]]],
  ['revenue during 2024', [['during 2024', period({ year: 2024 })]]],
  ['totals for 2025', [['for 2025', period({ year: 2025 })]]],
  ['in the year 2023', [['in the year 2023', period({ year: 2023 })]]],
  ['calendar year 2022 revenue', [['calendar year 2022', period({ year: 2022 })]]],
  ['orders in 2030', [['in 2030', period({ year: 2030 })]]],
  // months
  ['in March 2026', [['in March 2026', period({ year: 2026, month: 3 })]]],
  ['March 2026 revenue', [['March 2026', period({ year: 2026, month: 3 })]]],
  ['Mar 2026', [['Mar 2026', period({ year: 2026, month: 3 })]]],
  ['sales in Sept, 2025', [['in Sept, 2025', period({ year: 2025, month: 9 })]]],
  ["orders in Mar '25", [["in Mar '25", period({ year: 2025, month: 3 })]]],
  ['orders in March', [['in March', period({ month: 3 })]]],
  ['revenue in may', [['in may', period({ month: 5 })]]],
  ['during the month of June', [['during the month of June', period({ month: 6 })]]],
  ['January revenue', [['January', period({ month: 1 })]]],
  ['March of last year', [['March of last year', period({ year: 2025, month: 3 })]]],
  ['in May this year', [['in May this year', period({ year: 2026, month: 5 })]]],
  ['last March', [['last March', period({ year: 2026, month: 3 })]]],
  ['last December', [['last December', period({ year: 2025, month: 12 })]]],
  ['this month last year', [['this month last year', period({ year: 2025, month: 11 })]]],
  // quarters and halves
  ['in Q3', [['in Q3', period({ quarter: 3 })]]],
  ['q1 revenue', [['q1', period({ quarter: 1 })]]],
  ['Q3 2025', [['Q3 2025', period({ year: 2025, quarter: 3 })]]],
  ['Q3 of 2025', [['Q3 of 2025', period({ year: 2025, quarter: 3 })]]],
  [
    'during the third quarter of 2025',
    [['during the third quarter of 2025', period({ year: 2025, quarter: 3 })]],
  ],
  ['2025-Q4 bookings', [['2025-Q4', period({ year: 2025, quarter: 4 })]]],
  ['in the 2nd quarter', [['in the 2nd quarter', period({ quarter: 2 })]]],
  ['Q2 last year', [['Q2 last year', period({ year: 2025, quarter: 2 })]]],
  ['in H1 2025', [['in H1 2025', btw('2025-01-01', '2025-06-30')]]],
  ['the second half of 2024', [['the second half of 2024', btw('2024-07-01', '2024-12-31')]]],
  // a half without its year takes the year the other half names
  [
    'takings for H2 against H1 2024',
    [
      ['for H2', btw('2024-07-01', '2024-12-31')],
      ['H1 2024', btw('2024-01-01', '2024-06-30')],
    ],
  ],
  [
    'checkouts during the 2nd half of 2024 and the 1st half',
    [
      ['during the 2nd half of 2024', btw('2024-07-01', '2024-12-31')],
      ['the 1st half', btw('2024-01-01', '2024-06-30')],
    ],
  ],
  ['gmv in the second half', [['in the second half', btw('2026-07-01', '2026-12-31')]]],
  // a month after "or"/"and" and another month; "this <unit> vs last": the unit said once
  [
    'members joining in sep or oct',
    [
      ['in sep', period({ month: 9 })],
      ['oct', period({ month: 10 })],
    ],
  ],
  [
    'checkouts this quarter against the previous one',
    [
      ['this quarter', cur('quarter')],
      ['the previous one', last('quarter')],
    ],
  ],
  [
    'gmv this week or last',
    [
      ['this week', cur('week')],
      ['last', last('week')],
    ],
  ],
  ['checkouts in the first half of the month', []],
  ['in H2', [['in H2', btw('2026-07-01', '2026-12-31')]]],
  // since
  ['since March', [['since March', since({ month: 3 })]]],
  ['since March 2025', [['since March 2025', since({ year: 2025, month: 3 })]]],
  ['since 2025', [['since 2025', since({ year: 2025 })]]],
  ['since Q3', [['since Q3', since({ quarter: 3 })]]],
  ['since 1 March 2025', [['since 1 March 2025', btw('2025-03-01', '2026-11-25')]]],
  ['since 2025-03-01', [['since 2025-03-01', btw('2025-03-01', '2026-11-25')]]],
  ['since last month', [['since last month', since({ year: 2026, month: 10 })]]],
  ['since last week', [['since last week', btw('2026-11-16', '2026-11-25')]]],
  ['since the start of the year', [['since the start of the year', cur('year')]]],
  ['from March onwards', [['from March onwards', since({ month: 3 })]]],
  ['from 2024 until now', [['from 2024 until now', since({ year: 2024 })]]],
  ['starting April 2025', [['starting April 2025', since({ year: 2025, month: 4 })]]],
  // between / from-to
  [
    'between 2025-01-01 and 2025-03-31',
    [['between 2025-01-01 and 2025-03-31', btw('2025-01-01', '2025-03-31')]],
  ],
  ['from January to March 2025', [['from January to March 2025', btw('2025-01-01', '2025-03-31')]]],
  ['from 1 Jan 2025 to 15 Feb 2025', [['from 1 Jan 2025 to 15 Feb 2025', btw('2025-01-01', '2025-02-15')]]],
  ['from Jan 1 to Feb 15, 2025', [['from Jan 1 to Feb 15, 2025', btw('2025-01-01', '2025-02-15')]]],
  ['between March and May', [['between March and May', btw('2026-03-01', '2026-05-31')]]],
  ['from November to February 2026', [['from November to February 2026', btw('2025-11-01', '2026-02-28')]]],
  ['Jan-Mar 2025', [['Jan-Mar 2025', btw('2025-01-01', '2025-03-31')]]],
  ['from 2023 to 2025', [['from 2023 to 2025', btw('2023-01-01', '2025-12-31')]]],
  ['between Q1 and Q3 2025', [['between Q1 and Q3 2025', btw('2025-01-01', '2025-09-30')]]],
  ['October through December 2025', [['October through December 2025', btw('2025-10-01', '2025-12-31')]]],
  // day spans inside one month
  ['orders between 1 and 5 March', [['between 1 and 5 March', btw('2026-03-01', '2026-03-05')]]],
  ['March 1-5', [['March 1-5', btw('2026-03-01', '2026-03-05')]]],
  ['1–5 March 2025', [['1–5 March 2025', btw('2025-03-01', '2025-03-05')]]],
  ['from the 3rd to the 10th of May', [['from the 3rd to the 10th of May', btw('2026-05-03', '2026-05-10')]]],
  ['Dec 28 - Jan 3', [['Dec 28 - Jan 3', btw('2025-12-28', '2026-01-03')]]],
  // single days
  ['orders on 2026-11-20', [['on 2026-11-20', period({ year: 2026, month: 11, day: 20 })]]],
  ['on November 20, 2026', [['on November 20, 2026', period({ year: 2026, month: 11, day: 20 })]]],
  ['revenue March 3rd 2025', [['March 3rd 2025', period({ year: 2025, month: 3, day: 3 })]]],
  ['on the 3rd of March', [['on the 3rd of March', period({ month: 3, day: 3 })]]],
  ['Nov 20 orders', [['Nov 20', period({ month: 11, day: 20 })]]],
  ['12/25/2025 sales', [['12/25/2025', period({ year: 2025, month: 12, day: 25 })]]],
  ['25/12/2025 sales', [['25/12/2025', period({ year: 2025, month: 12, day: 25 })]]],
  // chrono-node fallback for other absolute formats
  [
    'orders on Friday, Nov. 20th 2026',
    [['on Friday, Nov. 20th 2026', period({ year: 2026, month: 11, day: 20 })]],
  ],
  ['orders 20-Nov-2026', [['20-Nov-2026', period({ year: 2026, month: 11, day: 20 })]]],
  ['orders on 2026.11.20', [['2026.11.20', period({ year: 2026, month: 11, day: 20 })]]],
  ['revenue 11/20/26', [['11/20/26', period({ year: 2026, month: 11, day: 20 })]]],
  ['revenue 20.11.2026', [['20.11.2026', period({ year: 2026, month: 11, day: 20 })]]],
  // several phrases: comparisons are the planner's job, we just find both periods in order
  [
    'revenue this month vs last month',
    [
      ['this month', cur('month')],
      ['last month', last('month')],
    ],
  ],
  ['signups compared to last year', [['last year', last('year')]]],
  [
    '2024 vs 2025',
    [
      ['2024', period({ year: 2024 })],
      ['2025', period({ year: 2025 })],
    ],
  ],
  [
    'compare 2024 and 2025',
    [
      ['2024', period({ year: 2024 })],
      ['2025', period({ year: 2025 })],
    ],
  ],
  [
    'orders in 2024 and 2025',
    [
      ['in 2024', period({ year: 2024 })],
      ['2025', period({ year: 2025 })],
    ],
  ],
  [
    'Q3 vs Q4',
    [
      ['Q3', period({ quarter: 3 })],
      ['Q4', period({ quarter: 4 })],
    ],
  ],
  [
    'March vs April revenue',
    [
      ['March', period({ month: 3 })],
      ['April', period({ month: 4 })],
    ],
  ],
  [
    'top products last week and the week before? no: last month and in 2025',
    [
      ['last week', last('week')],
      ['last month', last('month')],
      ['in 2025', period({ year: 2025 })],
    ],
  ],
  // negatives
  ['top 3 products', []],
  ['top 2025 customers', []],
  ['show 10 orders', []],
  ['may I see revenue by region', []],
  ['I may want the march report', []],
  ['march madness promo', []],
  ['sales of march madness merch', []],
  ['the best of may', []],
  ['sales in the month of may', [['in the month of may', period({ month: 5 })]]],
  ['sales of August', [['of August', period({ month: 8 })]]],
  ['this may take a while', []],
  ['orders over 2000', []],
  ['customers with more than 2025 points', []],
  ['customers for 1950 orders', []],
  ['the last 5 orders', []],
  ['first order date per customer', []],
  ['sales on the last day of the month', []],
  ['revenue by quarter', []],
  ['monthly revenue', []],
  ['orders over time', []],
  ['FAQ3 product', []],
  ['model Q3-X sales', []],
  ['last 0 days', []],
  ['last 5000 days', []],
  ['in 1850', []],
  ['revenue in the past 24 hours', []],
  ['on 2025-02-30', []],
  ['what can you do?', []],
  // open-ended bounds and points in time have no DateRange form: nothing rather than a wrong whole period
  ['customers who joined before 2024', []],
  ['orders after March 1', []],
  ['revenue until June', []],
  ['orders through June', []],
  ['total customers as of today', []],
  ['customers as of March 2025', []],
  ['balance as at 31 March 2025', []],
  ['orders up to yesterday', []],
  ['orders prior to Q3 2025', []],
  ['Feb 1-30', []],
  // a day after today, since: an empty range, not an inverted one
  ['since 2030-01-01', [['since 2030-01-01', since({ year: 2030, month: 1, day: 1 })]]],
];

describe('findDateRanges (UTC, Wednesday 2026-11-25 15:30)', () => {
  it.each(ROWS)('%s', (question, expected) => {
    const found = findDateRanges(question, NOW, 'UTC');
    expect(found.map((m) => [m.text, m.range])).toEqual(expected);
    for (const m of found) {
      expect(question.slice(m.start, m.end)).toBe(m.text);
      expect(DateRange.safeParse(m.range).success).toBe(true);
      // every match resolves
      expect(() => resolveDateRange(m.range, NOW, 'UTC')).not.toThrow();
    }
  });

  it('offsets point at the phrase', () => {
    const q = 'revenue this month vs last month';
    const [a, b] = findDateRanges(q, NOW, 'UTC');
    expect([a?.start, a?.end, b?.start, b?.end]).toEqual([8, 18, 22, 32]);
  });

  it('matches are in text order and do not overlap', () => {
    const q = 'since March 2025 vs between 2024-01-01 and 2024-02-01, yesterday and in Q3 2025';
    const found = findDateRanges(q, NOW, 'UTC');
    expect(found.map((m) => m.text)).toEqual([
      'since March 2025',
      'between 2024-01-01 and 2024-02-01',
      'yesterday',
      'in Q3 2025',
    ]);
    for (let i = 1; i < found.length; i++) expect(found[i]!.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
  });

  it('"for each of the last N units" also gives a grain', () => {
    const [m] = findDateRanges('revenue for each of the last 6 months', NOW, 'UTC');
    expect(m).toMatchObject({
      text: 'for each of the last 6 months',
      range: last('month', 6),
      grain: 'month',
    });
    expect(findDateRanges('revenue in the last 6 months', NOW, 'UTC')[0]?.grain).toBeUndefined();
  });

  it('rejects an unknown time zone', () => {
    expect(() => findDateRanges('today', NOW, 'Nowhere/Special')).toThrow(/unknown time zone/);
  });
});

describe('phrases that depend on the clock use the agent zone', () => {
  // 2026-01-01 00:30 UTC is still 31 Dec 2025 in New York, and already 1 Jan 2026 09:30 in Tokyo
  const now = new Date('2026-01-01T00:30:00Z');
  it.each([
    ['3 days ago', 'UTC', btw('2025-12-29', '2025-12-29')],
    ['3 days ago', 'America/New_York', btw('2025-12-28', '2025-12-28')],
    ['3 days ago', 'Asia/Tokyo', btw('2025-12-29', '2025-12-29')],
    ['two months ago', 'UTC', period({ year: 2025, month: 11 })],
    ['two months ago', 'America/New_York', period({ year: 2025, month: 10 })],
    ['this month last year', 'UTC', period({ year: 2025, month: 1 })],
    ['this month last year', 'America/New_York', period({ year: 2024, month: 12 })],
    ['last March', 'UTC', period({ year: 2025, month: 3 })],
    ['since last month', 'America/New_York', since({ year: 2025, month: 11 })],
    ['since 1 December', 'Asia/Tokyo', btw('2025-12-01', '2026-01-01')],
    ['since 1 December', 'America/New_York', btw('2025-12-01', '2025-12-31')],
    ['between March and May', 'UTC', btw('2025-03-01', '2025-05-31')],
    ['from March to January', 'UTC', btw('2025-03-01', '2026-01-31')],
    ['in H2', 'UTC', btw('2025-07-01', '2025-12-31')],
    ['in H1', 'Asia/Tokyo', btw('2026-01-01', '2026-06-30')],
  ] as const)('%s in %s', (q, zone, range) => {
    expect(findDateRanges(q, now, zone).map((m) => m.range)).toEqual([range]);
  });

  it('relative phrases stay relative; resolving them gives local midnights', () => {
    const [m] = findDateRanges('orders in the last 7 days', now, 'Asia/Tokyo');
    expect(m?.range).toEqual(last('day', 7));
    const r = resolveDateRange(m!.range, now, 'Asia/Tokyo');
    expect([toUtcSql(r.start), toUtcSql(r.end)]).toEqual(['2025-12-24 15:00:00', '2025-12-31 15:00:00']);
  });

  it('a bare month resolves to the latest March that has started', () => {
    const [m] = findDateRanges('orders in March', new Date('2026-02-10T12:00:00Z'), 'UTC');
    expect(m?.range).toEqual(period({ month: 3 }));
    const r = resolveDateRange(m!.range, new Date('2026-02-10T12:00:00Z'), 'UTC');
    expect(r.label).toBe('March 2025');
    expect(resolveDateRange(m!.range, new Date('2026-03-01T00:00:00Z'), 'UTC').label).toBe('March 2026');
  });

  it('last Monday on a Monday is a week ago; on a Sunday it is six days ago', () => {
    expect(findDateRanges('last Monday', new Date('2026-11-23T10:00:00Z'), 'UTC')[0]?.range).toEqual(
      btw('2026-11-16', '2026-11-16'),
    );
    expect(findDateRanges('last Monday', new Date('2026-11-22T10:00:00Z'), 'UTC')[0]?.range).toEqual(
      btw('2026-11-16', '2026-11-16'),
    );
  });

  it('leap days: 29 February only where it exists', () => {
    const leap = new Date('2028-02-29T12:00:00Z');
    expect(findDateRanges('on 2028-02-29', leap, 'UTC')[0]?.range).toEqual(
      period({ year: 2028, month: 2, day: 29 }),
    );
    expect(findDateRanges('on 2027-02-29', leap, 'UTC')).toEqual([]);
    expect(findDateRanges('on February 29th', leap, 'UTC')[0]?.range).toEqual(period({ month: 2, day: 29 }));
    expect(findDateRanges('from February to March', leap, 'UTC')[0]?.range).toEqual(
      btw('2028-02-01', '2028-03-31'),
    );
    expect(findDateRanges('a year ago', leap, 'UTC')[0]?.range).toEqual(period({ year: 2027 }));
  });
});

describe('findGrain', () => {
  it.each([
    ['monthly revenue', 'month', 'monthly'],
    ['revenue per month', 'month', 'per month'],
    ['orders by month for 2025', 'month', 'by month'],
    ['signups each week', 'week', 'each week'],
    ['daily orders', 'day', 'daily'],
    ['orders per day', 'day', 'per day'],
    ['orders by date', 'day', 'by date'],
    ['weekly signups', 'week', 'weekly'],
    ['quarterly bookings', 'quarter', 'quarterly'],
    ['revenue by quarter', 'quarter', 'by quarter'],
    ['yearly revenue', 'year', 'yearly'],
    ['revenue, annually', 'year', 'annually'],
    ['revenue per year', 'year', 'per year'],
    ['revenue month by month', 'month', 'month by month'],
    ['month over month growth', 'month', 'month over month'],
    ['month-over-month growth', 'month', 'month-over-month'],
    ['YoY revenue', 'year', 'YoY'],
    ['every quarter', 'quarter', 'every quarter'],
    ['Revenue By Week', 'week', 'By Week'],
  ] as const)('%s -> %s', (q, grain, text) => {
    const g = findGrain(q);
    expect(g?.grain).toBe(grain);
    expect(q.slice(g!.start, g!.end)).toBe(text);
  });

  it.each([
    'revenue over time',
    'revenue trend',
    'customers on the monthly plan',
    'annual subscriptions',
    'monthly recurring revenue',
    'weekly active users',
    'orders sorted by date',
    'order by month',
    'orders by day of week',
    'revenue last month',
    'top 5 products',
  ])('%s -> no grain', (q) => {
    expect(findGrain(q)).toBeUndefined();
  });

  it('returns the leftmost grain phrase', () => {
    expect(findGrain('weekly and monthly revenue')?.grain).toBe('week');
  });
});

describe('the same period again', () => {
  it('"in that same month", "the same year" repeat the period named before', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    for (const text of [
      'members who registered in march 2025 and ordered during the same month',
      'signups in 2024 that bought something that very same year',
    ]) {
      const found = findDateRanges(text, now, 'UTC');
      expect(found.length, text).toBe(2);
      expect(found[1]?.range, text).toEqual(found[0]?.range);
    }
  });

  it('needs a period before it to repeat', () => {
    expect(findDateRanges('orders placed at the same time', new Date('2026-11-25T12:00:00Z'), 'UTC')).toEqual(
      [],
    );
  });
});
