import { describe, expect, it } from 'vitest';
import {
  type Cell,
  type ExpectedResult,
  type GradableAnswer,
  type GradeSpec,
  grade,
  normaliseDate,
  numbersEqual,
  statedFigures,
  toNumber,
} from './grade.ts';

const rows: GradeSpec = { kind: 'rows' };

function answer(columns: string[], data: Cell[][], type = 'table', message = 'Here you go.'): GradableAnswer {
  return { type, message, data: { columns: columns.map((name) => ({ name })), rows: data } };
}

function expected(columns: string[], data: Cell[][]): ExpectedResult {
  return { columns, rows: data };
}

describe('values', () => {
  it('reads numbers from typed cells and formatted strings', () => {
    expect(toNumber(12)).toBe(12);
    expect(toNumber('1,234.50')).toBe(1234.5);
    expect(toNumber('$12.00')).toBe(12);
    expect(toNumber('5.9%')).toBe(5.9);
    expect(toNumber('-3')).toBe(-3);
    expect(toNumber('2026-11-01')).toBeNull();
    expect(toNumber('Q3')).toBeNull();
    expect(toNumber('')).toBeNull();
    expect(toNumber(null)).toBeNull();
    expect(toNumber(true)).toBeNull();
  });

  it('compares counts exactly and money to the cent', () => {
    expect(numbersEqual(880, 880)).toBe(true);
    expect(numbersEqual(881, 880)).toBe(false);
    expect(numbersEqual(183.93, 183.92843790012807)).toBe(true);
    expect(numbersEqual(183.95, 183.92843790012807)).toBe(false);
    expect(numbersEqual(143648.11, 143648.11000000002)).toBe(true);
    expect(numbersEqual(143648.2, 143648.11000000002)).toBe(true); // within 1e-6 relative
    expect(numbersEqual(143649.11, 143648.11000000002)).toBe(false);
  });

  it('reads rendered dates as the first day of the period they name', () => {
    expect(normaliseDate('2026-11-01')).toBe('2026-11-01');
    expect(normaliseDate('2026-11-01T00:00:00Z')).toBe('2026-11-01');
    expect(normaliseDate('2026-11-01 00:00:00')).toBe('2026-11-01');
    expect(normaliseDate('2026-11')).toBe('2026-11-01');
    expect(normaliseDate('2026-Q4')).toBe('2026-10-01');
    expect(normaliseDate('Q2 2026')).toBe('2026-04-01');
    expect(normaliseDate('2026-W48')).toBe('2026-11-23');
    expect(normaliseDate('Nov 2026')).toBe('2026-11-01');
    expect(normaliseDate('September 2025')).toBe('2025-09-01');
    expect(normaliseDate(2025)).toBe('2025-01-01');
    expect(normaliseDate('2025')).toBe('2025-01-01');
    expect(normaliseDate('Electronics')).toBeNull();
    expect(normaliseDate(880)).toBeNull();
  });
});

describe('scalars', () => {
  const want = expected(['orders'], [[880]]);

  it('passes the single figure whatever the column is called', () => {
    expect(grade(answer(['count'], [[880]]), want, rows).pass).toBe(true);
    expect(grade(answer(['n'], [['880']]), want, rows).pass).toBe(true);
  });

  it('passes a figure next to a label column', () => {
    expect(grade(answer(['status', 'orders'], [['completed', 880]]), want, rows).pass).toBe(true);
  });

  it('fails a wrong figure and says what was expected', () => {
    const g = grade(answer(['count'], [[879]]), want, rows);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('880');
    expect(g.reason).toContain('879');
  });

  it('fails several rows, no rows, no data and errors', () => {
    expect(grade(answer(['count'], [[880], [10]]), want, rows).pass).toBe(false);
    expect(grade(answer(['count'], []), want, rows).pass).toBe(false);
    expect(grade({ type: 'text', message: 'There were 880 orders.' }, want, rows).pass).toBe(false);
    expect(grade(answer(['count'], [[880]], 'error', 'failed'), want, rows).pass).toBe(false);
  });

  it('accepts money rounded to cents but not a different amount', () => {
    const aov = expected(['aov'], [[183.92843790012807]]);
    expect(grade(answer(['aov'], [[183.93]]), aov, rows).pass).toBe(true);
    expect(grade(answer(['aov'], [[183.9284379]]), aov, rows).pass).toBe(true);
    expect(grade(answer(['aov'], [[184.5]]), aov, rows).pass).toBe(false);
  });

  it('compares a date scalar by its day', () => {
    const first = expected(['first_order'], [['2024-01-01 01:58:19']]);
    expect(grade(answer(['min'], [['2024-01-01T01:58:19Z']]), first, rows).pass).toBe(true);
    expect(grade(answer(['min'], [['2024-01-02T01:58:19Z']]), first, rows).pass).toBe(false);
  });

  it('accepts a fraction or a percentage for a ratio', () => {
    const share = expected(['share'], [[0.050776255707762556]]);
    const spec: GradeSpec = { kind: 'rows', percent: true };
    expect(grade(answer(['share'], [[0.0508]]), share, spec).pass).toBe(true);
    expect(grade(answer(['pct'], [[5.08]]), share, spec).pass).toBe(true);
    expect(grade(answer(['pct'], [[5.1]]), share, spec).pass).toBe(true);
    expect(grade(answer(['pct'], [[6.2]]), share, spec).pass).toBe(false);
    expect(grade(answer(['pct'], [[5.08]]), share, rows).pass).toBe(false);
    // an expectation written as a percentage accepts the fraction too
    const pct = expected(['pct'], [[5.077625570776256]]);
    expect(grade(answer(['share'], [[0.050776]]), pct, spec).pass).toBe(true);
    expect(grade(answer(['share'], [[0.062]]), pct, spec).pass).toBe(false);
  });
});

describe('breakdowns', () => {
  const want = expected(
    ['category', 'revenue'],
    [
      ['Books', 100.5],
      ['Electronics', 900.25],
      ['Toys', 42],
    ],
  );

  it('ignores row order, column names, column order and extra columns', () => {
    const got = answer(
      ['revenue', 'share', 'product category'],
      [
        [900.25, 0.86, 'Electronics'],
        [42, 0.04, 'toys'],
        [100.5, 0.1, 'Books'],
      ],
    );
    expect(grade(got, want, rows)).toEqual({ pass: true, reason: 'values match' });
  });

  it('fails a wrong value and names the group', () => {
    const got = answer(
      ['category', 'revenue'],
      [
        ['Books', 100.5],
        ['Electronics', 901.25],
        ['Toys', 42],
      ],
    );
    const g = grade(got, want, rows);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('Electronics');
  });

  it('fails a missing or an extra group', () => {
    const missing = answer(
      ['category', 'revenue'],
      [
        ['Books', 100.5],
        ['Electronics', 900.25],
      ],
    );
    expect(grade(missing, want, rows).pass).toBe(false);
    const extra = answer(
      ['category', 'revenue'],
      [
        ['Books', 100.5],
        ['Electronics', 900.25],
        ['Toys', 42],
        ['Grocery', 7],
      ],
    );
    expect(grade(extra, want, rows).pass).toBe(false);
  });

  it('allows extra rows that only fill gaps with zeros', () => {
    const filled = answer(
      ['category', 'revenue'],
      [
        ['Books', 100.5],
        ['Electronics', 900.25],
        ['Grocery', 0],
        ['Toys', 42],
      ],
    );
    expect(grade(filled, want, rows).pass).toBe(true);
  });

  it('fails when the dimension values are wrong', () => {
    const got = answer(
      ['country', 'revenue'],
      [
        ['France', 100.5],
        ['Germany', 900.25],
        ['Spain', 42],
      ],
    );
    const g = grade(got, want, rows);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('category');
  });

  it('matches months however the answer renders them', () => {
    const months = expected(
      ['month', 'orders'],
      [
        ['2026-10-01', 880],
        ['2026-11-01', 908],
      ],
    );
    const iso = answer(
      ['month', 'orders'],
      [
        ['2026-10-01T00:00:00Z', 880],
        ['2026-11-01T00:00:00Z', 908],
      ],
    );
    const short = answer(
      ['month', 'orders'],
      [
        ['2026-11', 908],
        ['2026-10', 880],
      ],
    );
    expect(grade(iso, months, rows).pass).toBe(true);
    expect(grade(short, months, rows).pass).toBe(true);
    const shifted = answer(
      ['month', 'orders'],
      [
        ['2026-09-01', 880],
        ['2026-10-01', 908],
      ],
    );
    expect(grade(shifted, months, rows).pass).toBe(false);
  });

  it('matches quarters and years the expected SQL wrote as text against dated answers', () => {
    const quarters = expected(
      ['quarter', 'revenue'],
      [
        ['2025-Q1', 10],
        ['2025-Q2', 20],
      ],
    );
    const dated = answer(
      ['quarter', 'revenue'],
      [
        ['2025-01-01', 10],
        ['2025-04-01', 20],
      ],
    );
    expect(grade(dated, quarters, rows).pass).toBe(true);
    const years = expected(['year', 'revenue'], [['2024', 5]]);
    expect(grade(answer(['year', 'revenue'], [['2024-01-01', 5]]), years, rows).pass).toBe(true);
    expect(grade(answer(['year', 'revenue'], [['2025-01-01', 5]]), years, rows).pass).toBe(false);
  });

  it('matches two dimensions in any column order', () => {
    const want2 = expected(
      ['status', 'month', 'orders'],
      [
        ['completed', '2026-10-01', 32],
        ['completed', '2026-11-01', 24],
        ['cancelled', '2026-10-01', 4],
      ],
    );
    const got = answer(
      ['month', 'status', 'orders'],
      [
        ['2026-11-01', 'completed', 24],
        ['2026-10-01', 'cancelled', 4],
        ['2026-10-01', 'completed', 32],
      ],
    );
    expect(grade(got, want2, rows).pass).toBe(true);
    const swapped = answer(
      ['month', 'status', 'orders'],
      [
        ['2026-11-01', 'completed', 32],
        ['2026-10-01', 'cancelled', 4],
        ['2026-10-01', 'completed', 24],
      ],
    );
    expect(grade(swapped, want2, rows).pass).toBe(false);
  });

  it('tells two measures apart even when the answer swaps their columns', () => {
    const want2 = expected(
      ['country', 'orders', 'revenue'],
      [
        ['France', 10, 1000.5],
        ['Spain', 20, 2000.25],
      ],
    );
    const got = answer(
      ['country', 'revenue', 'orders'],
      [
        ['Spain', 2000.25, 20],
        ['France', 1000.5, 10],
      ],
    );
    expect(grade(got, want2, rows).pass).toBe(true);
  });
});

describe('ordered results', () => {
  const top: GradeSpec = { kind: 'rows', ordered: true };
  const want = expected(
    ['name', 'revenue'],
    [
      ['A', 300],
      ['B', 200],
      ['C', 100],
    ],
  );

  it('requires the asked-for order', () => {
    const good = answer(
      ['name', 'revenue'],
      [
        ['A', 300],
        ['B', 200],
        ['C', 100],
      ],
    );
    expect(grade(good, want, top).pass).toBe(true);
    const bad = answer(
      ['name', 'revenue'],
      [
        ['B', 200],
        ['A', 300],
        ['C', 100],
      ],
    );
    const g = grade(bad, want, top);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('out of order');
    // the same rows pass when order does not matter
    expect(grade(bad, want, rows).pass).toBe(true);
  });

  it('fails more rows than asked for', () => {
    const more = answer(
      ['name', 'revenue'],
      [
        ['A', 300],
        ['B', 200],
        ['C', 100],
        ['D', 50],
      ],
    );
    expect(grade(more, want, top).pass).toBe(false);
  });

  it('lets rows tied on the measure come in either order', () => {
    const tied = expected(
      ['name', 'units'],
      [
        ['A', 5],
        ['B', 3],
        ['C', 3],
      ],
    );
    const got = answer(
      ['name', 'units'],
      [
        ['A', 5],
        ['C', 3],
        ['B', 3],
      ],
    );
    expect(grade(got, tied, top).pass).toBe(true);
  });

  it('checks key order for listings without measures', () => {
    const listing = expected(
      ['id', 'created_at'],
      [
        [30, '2026-11-25 11:00:00'],
        [20, '2026-11-25 10:00:00'],
      ],
    );
    const spec: GradeSpec = { kind: 'rows', keys: ['id'], ignore: ['created_at'], ordered: true };
    const good = answer(
      ['id', 'status', 'total'],
      [
        [30, 'pending', 12.5],
        [20, 'completed', 99],
      ],
    );
    const bad = answer(
      ['id', 'status', 'total'],
      [
        [20, 'completed', 99],
        [30, 'pending', 12.5],
      ],
    );
    expect(grade(good, listing, spec).pass).toBe(true);
    expect(grade(bad, listing, spec).pass).toBe(false);
  });
});

describe('listings and which-questions', () => {
  const products = expected(
    ['id', 'name', 'price'],
    [
      [15, 'Acme Essential E-Reader', 686.95],
      [14, 'Acme Eco Gaming Mouse', 598.99],
    ],
  );
  const spec: GradeSpec = { kind: 'rows', anyKey: ['id', 'name'], ignore: ['price'], ordered: true };

  it('identifies the rows by any of the alternative keys', () => {
    const byName = answer(
      ['product', 'price'],
      [
        ['Acme Essential E-Reader', 686.95],
        ['Acme Eco Gaming Mouse', 598.99],
      ],
    );
    const byId = answer(['id'], [[15], [14]]);
    expect(grade(byName, products, spec).pass).toBe(true);
    expect(grade(byId, products, spec).pass).toBe(true);
    const wrong = answer(['product'], [['Acme Essential E-Reader'], ['Acme Compact Tablet']]);
    expect(grade(wrong, products, spec).pass).toBe(false);
  });

  it('does not require an ignored measure', () => {
    const which = expected(['category', 'units'], [['Clothing', 3802]]);
    const spec1: GradeSpec = { kind: 'rows', ignore: ['units'] };
    expect(grade(answer(['category'], [['Clothing']]), which, spec1).pass).toBe(true);
    expect(grade(answer(['category', 'units'], [['Clothing', 3802]]), which, spec1).pass).toBe(true);
    expect(grade(answer(['category'], [['Electronics']]), which, spec1).pass).toBe(false);
  });

  it('accepts a ranking that leads with the asked-for row, in order, for which-one questions', () => {
    const which = expected(['category', 'units'], [['Clothing', 3802]]);
    const spec1: GradeSpec = { kind: 'rows', ignore: ['units'], leading: true };
    const ranking = answer(
      ['category', 'units_sold'],
      [
        ['Clothing', 3802],
        ['Home & Garden', 3423],
        ['Sports', 2645],
      ],
    );
    expect(grade(ranking, which, spec1).pass).toBe(true);
    expect(grade(answer(['category'], [['Clothing']]), which, spec1).pass).toBe(true);
    const ascending = answer(
      ['category', 'units_sold'],
      [
        ['Sports', 2645],
        ['Home & Garden', 3423],
        ['Clothing', 3802],
      ],
    );
    expect(grade(ascending, which, spec1).pass).toBe(false);
    // without `leading`, the same ranking is too many rows
    expect(grade(ranking, which, { kind: 'rows', ignore: ['units'] }).pass).toBe(false);
  });

  it('explains a wrong scalar with the figures the answer had', () => {
    const smallest = expected(['smallest'], [[3]]);
    const got = answer(['id', 'status', 'total_amount'], [[700, 'completed', 1.5]]);
    const g = grade(got, smallest, rows);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('id=700');
    expect(g.reason).toContain('total_amount=1.5');
  });

  it('matches numeric ids rendered as text', () => {
    const ids = expected(['id'], [[21049], [21050]]);
    const spec1: GradeSpec = { kind: 'rows', keys: ['id'] };
    expect(grade(answer(['order'], [['21050'], ['21049']]), ids, spec1).pass).toBe(true);
    expect(grade(answer(['order'], [['21050'], ['21051']]), ids, spec1).pass).toBe(false);
  });
});

describe('comparisons (numbers)', () => {
  const spec: GradeSpec = { kind: 'numbers' };
  const want = expected(['this_month', 'last_month'], [[908, 880]]);

  it('passes the figures in one row or one row per period, with extras like a change', () => {
    expect(grade(answer(['a', 'b'], [[908, 880]]), want, spec).pass).toBe(true);
    expect(
      grade(
        answer(
          ['period', 'orders'],
          [
            ['last month', 880],
            ['this month', 908],
          ],
        ),
        want,
        spec,
      ).pass,
    ).toBe(true);
    expect(grade(answer(['a', 'b', 'change', 'pct'], [[908, 880, 28, 3.18]]), want, spec).pass).toBe(true);
  });

  it('fails a missing figure or a longer table', () => {
    expect(grade(answer(['a', 'b'], [[908, 881]]), want, spec).pass).toBe(false);
    expect(grade(answer(['a'], [[908], [880], [810]]), want, spec).pass).toBe(false);
  });

  it('needs two distinct cells for two equal figures', () => {
    const same = expected(['a', 'b'], [[5, 5]]);
    expect(grade(answer(['a'], [[5]]), same, spec).pass).toBe(false);
    expect(grade(answer(['a', 'b'], [[5, 5]]), same, spec).pass).toBe(true);
  });
});

describe('unanswerable questions', () => {
  const none: GradeSpec = { kind: 'none' };
  const q = 'what is our profit margin?';

  it('passes a refusal without figures', () => {
    const text = {
      type: 'text',
      message: 'I cannot answer that: the data has no costs, so no profit margin.',
    };
    expect(grade(text, null, none, q).pass).toBe(true);
    const error = { type: 'error', message: 'There is no profit data.', data: { columns: [], rows: [] } };
    expect(grade(error, null, none, q).pass).toBe(true);
    const clarification = { type: 'clarification', message: 'Do you mean gross or net margin?' };
    expect(grade(clarification, null, none, q).pass).toBe(true);
    expect(grade({ ...clarification, message: 'Gross margin was 31%, or net?' }, null, none, q).pass).toBe(
      false,
    );
  });

  it('fails a table, a chart or data rows with figures', () => {
    expect(grade(answer(['margin'], [[0.31]]), null, none, q).pass).toBe(false);
    expect(grade(answer(['margin'], [[0.31]], 'chart'), null, none, q).pass).toBe(false);
    expect(grade(answer(['margin'], [[0.31]], 'text'), null, none, q).pass).toBe(false);
    expect(grade(answer(['hint'], [['try revenue']], 'text'), null, none, q).pass).toBe(true);
  });

  it('fails a message that states a figure', () => {
    const g = grade({ type: 'text', message: 'Your profit margin is about 31%.' }, null, none, q);
    expect(g.pass).toBe(false);
    expect(g.reason).toContain('31%');
    expect(grade({ type: 'text', message: 'You had 1,204 orders.' }, null, none, q).pass).toBe(false);
  });

  it('does not count years, dates, quarters, quoted examples or numbers from the question', () => {
    expect(statedFigures('Data covers 2024-01-01 to 2026-11-25, in 2025 and Q3.')).toEqual([]);
    expect(statedFigures('Try asking "top 5 products by revenue" instead.')).toEqual([]);
    expect(statedFigures('I have no data on the 3 warehouses.', 'how full are our 3 warehouses')).toEqual([]);
    expect(statedFigures('It is 12°C in Berlin.')).toEqual(['12']);
    expect(statedFigures('Margin: $4,500.20')).toEqual(['$4,500.20']);
  });
});
