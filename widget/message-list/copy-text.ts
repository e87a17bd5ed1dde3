// What "Copy" puts on the clipboard for an answer: its sentence, then its data as tab-separated lines (a header
// line, one line per row), which a spreadsheet pastes into cells and a text editor shows as columns. The table as
// shown (formatted values) when there is one, else the raw data.
import type { Answer, CellValue } from '../types.ts';

/** A cell on one line without tabs: the separators of the pasted table stay separators. */
function tsvCell(value: CellValue | string | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[\t\r\n]+/g, ' ');
}

function tsv(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<CellValue | string>>): string {
  return [head, ...rows].map((row) => head.map((_, i) => tsvCell(row[i])).join('\t')).join('\n');
}

/** The sentence, and when the answer carries rows, a blank line and the rows as TSV. */
export function answerCopyText(answer: Answer | undefined, fallback: string): string {
  const sentence = answer?.message ?? fallback;
  const table = answer?.table;
  if (table && table.head.length > 0 && table.body.length > 0)
    return `${sentence}\n\n${tsv(table.head, table.body)}`;
  const data = answer?.data;
  if (data && data.columns.length > 0 && data.rows.length > 0)
    return `${sentence}\n\n${tsv(
      data.columns.map((c) => c.name),
      data.rows,
    )}`;
  return sentence;
}
