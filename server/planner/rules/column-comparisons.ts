// One column of a row against another of the same row: "stock qty below the reorder level", "items under their
// reorder level" (the quantity being the one number of the row that counts things), "closed after the due date".
import { comparableColumns, tableOf } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { Match } from './lexicon.ts';
import { COMPARISON_WORDS, type Reading } from './reading.ts';

export interface ColumnComparison {
  /** the column compared; absent from the question when the row's one quantity is meant ("items under ...") */
  left: Match | undefined;
  field: string;
  cmp: 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
  right: Match;
  other: string;
}

/** Verbs that may stand between a column and its comparison: "stock qty is below", "balance went over". */
const LINKS = new Set([
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'sits',
  'sit',
  'fell',
  'falls',
  'fallen',
  'went',
  'goes',
]);
/** Words that say the second column is the same row's: "their reorder level", "its limit", "the due date". */
const OWNERS = new Set(['their', 'its', 'the', 'own', 'his', 'her', 'our', 'your']);
const PHRASES: ReadonlyArray<[string[], ColumnComparison['cmp']]> = [
  ...COMPARISON_WORDS,
  [['exceeds'], 'gt'],
  [['exceed'], 'gt'],
  [['equal', 'to'], 'eq'],
  [['the', 'same', 'as'], 'eq'],
  // one date of a row against another: "returned after their due date", "shipped before the promised date"
  [['after'], 'gt'],
  [['later', 'than'], 'gt'],
  [['before'], 'lt'],
  [['earlier', 'than'], 'lt'],
];
/** A number of a row that counts things, the one an unnamed side of "items under their reorder level" means. */
const QUANTITY = /(^|_)(qty|quantity|stock|units|count|on_hand|in_stock|inventory)($|_)/;

const found = new WeakMap<Reading, ColumnComparison[]>();

/** The comparisons of one column with another in the question, once per reading. */
export function columnComparisons(r: Reading, view: ModelView): ColumnComparison[] {
  let out = found.get(r);
  if (!out) {
    out = find(r, view);
    found.set(r, out);
  }
  return out;
}

function find(r: Reading, view: ModelView): ColumnComparison[] {
  const words = r.tokens.map((t) => t.text);
  const columns = r.matches.filter((m) => m.target.kind === 'column');
  const out: ColumnComparison[] = [];
  for (const right of columns) {
    if (right.target.kind !== 'column') continue;
    const other = right.target.field;
    // read backwards from the second column: owner words, the comparison, link verbs, then maybe the first column
    let i = right.from;
    while (i > 0 && OWNERS.has(words[i - 1] ?? '')) i -= 1;
    const phrase = PHRASES.find(([p]) => p.every((w, k) => words[i - p.length + k] === w));
    if (!phrase) continue;
    i -= phrase[0].length;
    while (i > 0 && LINKS.has(words[i - 1] ?? '')) i -= 1;
    const left = columns.find((m) => m.to === i);
    const field =
      left?.target.kind === 'column' ? left.target.field : quantityOf(view, other, right.from, words);
    if (!field || field === other || tableOf(field) !== tableOf(other)) continue;
    if (!comparableColumns(view.field(field).type, view.field(other).type)) continue;
    out.push({ left, field, cmp: phrase[1], right, other });
  }
  return out;
}

/** "items under their reorder level": the row's one quantity, when "their"/"its" says the level is the row's own. */
function quantityOf(view: ModelView, other: string, at: number, words: string[]): string | undefined {
  if (!['their', 'its'].includes(words[at - 1] ?? '')) return undefined;
  const table = tableOf(other);
  const columns = Object.entries(view.tables.get(table)?.columns ?? {});
  const quantities = columns
    .filter(([name, c]) => `${table}.${name}` !== other && (c.type === 'integer' || c.type === 'number'))
    .filter(([name]) => QUANTITY.test(name.toLowerCase()));
  return quantities.length === 1 ? `${table}.${(quantities[0] as [string, unknown])[0]}` : undefined;
}
