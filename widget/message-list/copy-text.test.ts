import { describe, expect, it } from 'vitest';
import type { Answer } from '../types.ts';
import { answerCopyText } from './copy-text.ts';

const base: Answer = { id: 'r1', conversationId: 'c1', type: 'table', message: 'Top customers by revenue.' };

describe('answerCopyText', () => {
  it('copies the sentence and the table as shown, as tab-separated lines', () => {
    const text = answerCopyText(
      {
        ...base,
        table: {
          head: ['Customer', 'Revenue'],
          body: [
            ['Acme\tCorp', '$1,200'],
            ['Globex\nInc', '$900'],
          ],
        },
        data: { columns: [], rows: [] },
      },
      '',
    );
    expect(text).toBe('Top customers by revenue.\n\nCustomer\tRevenue\nAcme Corp\t$1,200\nGlobex Inc\t$900');
  });

  it('uses the raw data when there is no formatted table, and the sentence alone when there are no rows', () => {
    expect(
      answerCopyText(
        {
          ...base,
          data: {
            columns: [
              { name: 'month', type: 'date' },
              { name: 'orders', type: 'number' },
            ],
            rows: [
              ['2026-10-01', 12],
              ['2026-11-01', null],
            ],
          },
        },
        '',
      ),
    ).toBe('Top customers by revenue.\n\nmonth\torders\n2026-10-01\t12\n2026-11-01\t');
    expect(answerCopyText({ ...base, type: 'text', data: { columns: [], rows: [] } }, '')).toBe(
      'Top customers by revenue.',
    );
    expect(answerCopyText(undefined, 'Streamed text')).toBe('Streamed text');
  });
});
