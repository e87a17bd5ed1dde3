// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { AnswerData, AnswerTable } from '../types.ts';
import { csvFilename, escapeCsvCell, toCsv } from './csv.ts';
import { type ParleyResultTable, sortRows, tableModel } from './result-table.ts';

describe('CSV export', () => {
  it('escapes cells a spreadsheet would run as formulas', () => {
    expect(escapeCsvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(escapeCsvCell('+1')).toBe("'+1");
    expect(escapeCsvCell('-2+3')).toBe("'-2+3");
    expect(escapeCsvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(escapeCsvCell('\tcmd')).toBe("'\tcmd");
    expect(escapeCsvCell('\rcmd')).toBe(`"'\rcmd"`);
    expect(escapeCsvCell('plain')).toBe('plain');
    expect(escapeCsvCell('a=b')).toBe('a=b');
  });

  it('escapes formula cells after leading whitespace and full-width triggers', () => {
    expect(escapeCsvCell(' =1+1')).toBe("' =1+1");
    expect(escapeCsvCell('   @SUM(A1)')).toBe("'   @SUM(A1)");
    expect(escapeCsvCell('\u00a0+cmd')).toBe("'\u00a0+cmd");
    expect(escapeCsvCell('\n=cmd')).toBe(`"'\n=cmd"`);
    expect(escapeCsvCell('\uff1dcmd')).toBe("'\uff1dcmd");
    expect(escapeCsvCell(' plain = fine')).toBe(' plain = fine');
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(escapeCsvCell('Smith, John')).toBe('"Smith, John"');
    expect(escapeCsvCell('say "hi"')).toBe('"say ""hi"""');
    expect(escapeCsvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('writes numbers, booleans and nulls as they are (a negative number is not a formula)', () => {
    expect(escapeCsvCell(-5)).toBe('-5');
    expect(escapeCsvCell(1234.5)).toBe('1234.5');
    expect(escapeCsvCell(true)).toBe('true');
    expect(escapeCsvCell(null)).toBe('');
    expect(escapeCsvCell(Number.NaN)).toBe('');
  });

  it('builds a file with a header and CRLF line ends', () => {
    expect(
      toCsv(
        ['Customer', 'Revenue'],
        [
          ['=cmd|calc', 1200],
          ['Acme, Inc.', null],
        ],
      ),
    ).toBe(`Customer,Revenue\r\n'=cmd|calc,1200\r\n"Acme, Inc.",\r\n`);
    expect(csvFilename('Revenue by month (2025)')).toBe('revenue-by-month-2025.csv');
    expect(csvFilename('')).toBe('result.csv');
  });
});

function result(n: number): { table: AnswerTable; data: AnswerData } {
  const rows = Array.from({ length: n }, (_, i) => [
    `Customer ${i + 1}`,
    (i * 37) % 101,
    i % 2 === 0 ? null : i,
  ]);
  return {
    data: {
      columns: [
        { name: 'customer', type: 'string' },
        { name: 'revenue', type: 'number' },
        { name: 'orders', type: 'number' },
      ],
      rows,
    },
    table: {
      head: ['Customer', 'Revenue', 'Orders'],
      body: rows.map((r) => [
        String(r[0]),
        `$${Number(r[1]).toLocaleString('en-US')}`,
        r[2] === null ? '' : String(r[2]),
      ]),
    },
  };
}

describe('table model and sorting', () => {
  it('sorts numbers by their typed value, not their formatted text', () => {
    const table: AnswerTable = {
      head: ['Month', 'Revenue'],
      body: [
        ['Jan', '$9'],
        ['Feb', '$10'],
        ['Mar', '$1,000'],
      ],
    };
    const data: AnswerData = {
      columns: [
        { name: 'month', type: 'string' },
        { name: 'revenue', type: 'number' },
      ],
      rows: [
        ['Jan', 9],
        ['Feb', 10],
        ['Mar', 1000],
      ],
    };
    const model = tableModel(table, data);
    expect(model.types).toEqual(['string', 'number']);
    expect(sortRows(model.rows, 1, 'number', 'ascending').map((r) => r.cells[0])).toEqual([
      'Jan',
      'Feb',
      'Mar',
    ]);
    expect(sortRows(model.rows, 1, 'number', 'descending').map((r) => r.cells[0])).toEqual([
      'Mar',
      'Feb',
      'Jan',
    ]);
    expect(sortRows(model.rows, 0, 'string', 'ascending').map((r) => r.cells[0])).toEqual([
      'Feb',
      'Jan',
      'Mar',
    ]);
  });

  it('keeps empty cells last in both directions and ties in the server order', () => {
    const model = tableModel(undefined, {
      columns: [
        { name: 'k', type: 'string' },
        { name: 'v', type: 'number' },
      ],
      rows: [
        ['a', null],
        ['b', 2],
        ['c', 1],
        ['d', 2],
      ],
    });
    expect(sortRows(model.rows, 1, 'number', 'ascending').map((r) => r.cells[0])).toEqual([
      'c',
      'b',
      'd',
      'a',
    ]);
    expect(sortRows(model.rows, 1, 'number', 'descending').map((r) => r.cells[0])).toEqual([
      'b',
      'd',
      'c',
      'a',
    ]);
  });

  it('guesses numeric columns from formatted text when there is no data', () => {
    const model = tableModel(
      {
        head: ['A', 'B'],
        body: [
          ['x', '1,200'],
          ['y', '12%'],
        ],
      },
      undefined,
    );
    expect(model.types).toEqual(['string', 'number']);
  });
});

describe('<parley-result-table>', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  async function mount(n: number, pageSize = 50): Promise<ParleyResultTable> {
    const el = document.createElement('parley-result-table');
    const { table, data } = result(n);
    el.table = table;
    el.data = data;
    el.pageSize = pageSize;
    el.caption = 'Revenue by customer';
    document.body.append(el);
    await el.updateComplete;
    return el;
  }

  const bodyRows = (el: ParleyResultTable) => [...(el.shadowRoot?.querySelectorAll('tbody tr') ?? [])];
  const firstCells = (el: ParleyResultTable) => bodyRows(el).map((tr) => tr.querySelector('td')?.textContent);

  it('renders the formatted strings with numbers aligned to the end', async () => {
    const el = await mount(3);
    const headers = [...(el.shadowRoot?.querySelectorAll('th') ?? [])];
    expect(headers.map((th) => th.textContent?.trim())).toEqual(['Customer', 'Revenue', 'Orders']);
    expect(headers.map((th) => th.classList.contains('num'))).toEqual([false, true, true]);
    const cells = bodyRows(el)[1]?.querySelectorAll('td');
    expect(cells?.[1]?.textContent).toBe('$37');
    expect(cells?.[1]?.classList.contains('num')).toBe(true);
    expect(cells?.[0]?.classList.contains('num')).toBe(false);
  });

  it('pages large results 50 rows at a time', async () => {
    const el = await mount(120);
    expect(bodyRows(el)).toHaveLength(50);
    const status = () => el.shadowRoot?.querySelector('.page-status')?.textContent?.trim();
    expect(status()).toBe('Rows 1–50 of 120');
    const [prev, next] = [...(el.shadowRoot?.querySelectorAll<HTMLButtonElement>('.pager button') ?? [])];
    expect(prev?.disabled).toBe(true);
    next?.click();
    await el.updateComplete;
    expect(status()).toBe('Rows 51–100 of 120');
    expect(firstCells(el)[0]).toBe('Customer 51');
    next?.click();
    await el.updateComplete;
    expect(bodyRows(el)).toHaveLength(20);
    expect(next?.disabled).toBe(true);
  });

  it('sorts when a header is clicked (numbers largest first, then flips) and exposes aria-sort', async () => {
    const el = await mount(5);
    const button = (i: number) => el.shadowRoot?.querySelectorAll<HTMLButtonElement>('th button')[i];
    button(1)?.click();
    await el.updateComplete;
    const th = el.shadowRoot?.querySelectorAll('th')[1];
    expect(th?.getAttribute('aria-sort')).toBe('descending');
    // revenue = (i*37)%101 for i = 0..4: 0, 37, 74, 10, 47
    expect(firstCells(el)).toEqual(['Customer 3', 'Customer 5', 'Customer 2', 'Customer 4', 'Customer 1']);
    button(1)?.click();
    await el.updateComplete;
    expect(th?.getAttribute('aria-sort')).toBe('ascending');
    expect(firstCells(el)).toEqual(['Customer 1', 'Customer 4', 'Customer 2', 'Customer 5', 'Customer 3']);
    button(0)?.click();
    await el.updateComplete;
    expect(el.shadowRoot?.querySelectorAll('th')[0]?.getAttribute('aria-sort')).toBe('ascending');
  });

  it('sorting goes back to the first page', async () => {
    const el = await mount(120);
    el.goToPage(2);
    await el.updateComplete;
    el.sortBy(0);
    await el.updateComplete;
    expect(el.page).toBe(0);
  });

  it('exports the typed data (all pages, in the shown order) as escaped CSV', async () => {
    const el = document.createElement('parley-result-table');
    el.table = {
      head: ['Name', 'Amount'],
      body: [
        ['=1+1', '$5'],
        ['Bob', '-$3'],
      ],
    };
    el.data = {
      columns: [
        { name: 'name', type: 'string' },
        { name: 'amount', type: 'number' },
      ],
      rows: [
        ['=1+1', 5],
        ['Bob', -3],
      ],
    };
    document.body.append(el);
    await el.updateComplete;
    el.sortBy(1);
    expect(el.csv()).toBe("Name,Amount\r\n'=1+1,5\r\nBob,-3\r\n");
  });

  it('a result cut at the cap says how many matched and downloads them all from the server, named by the answer', async () => {
    const el = await mount(3);
    el.data = { ...(el.data as AnswerData), truncated: true, total: 1237 };
    el.filename = 'orders-october-2026';
    let asked = 0;
    el.fullExport = async () => {
      asked += 1;
      return new Blob(['ID\r\n1\r\n'], { type: 'text/csv' });
    };
    const saved: string[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      saved.push(this.download);
    };
    try {
      await el.updateComplete;
      const note = el.shadowRoot?.querySelector('.truncated');
      expect(note?.textContent).toContain('Showing the first 3 of 1,237 rows.');
      const all = el.shadowRoot?.querySelector<HTMLButtonElement>('[part="download-all"]');
      expect(all?.textContent).toContain('Download all 1,237 rows (CSV)');
      all?.click();
      await new Promise((r) => setTimeout(r, 0));
      await el.updateComplete;
      expect(asked).toBe(1);
      expect(saved).toEqual(['orders-october-2026.csv']);
      // the rows shown are a file of their own: a second download must not look like the full one
      el.shadowRoot?.querySelector<HTMLButtonElement>('[part="download"]')?.click();
      expect(saved).toEqual(['orders-october-2026.csv', 'orders-october-2026-first-3.csv']);
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
  });

  it('a whole result downloads under the answer\'s name, with no "first N" in it', async () => {
    const el = await mount(3);
    el.filename = 'orders-october-2026';
    const saved: string[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      saved.push(this.download);
    };
    try {
      await el.updateComplete;
      expect(el.shadowRoot?.querySelector('[part="download-all"]')).toBeNull();
      el.shadowRoot?.querySelector<HTMLButtonElement>('[part="download"]')?.click();
      expect(saved).toEqual(['orders-october-2026.csv']);
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
  });
});
