// Suggested questions about a file just uploaded, built from its columns and worded the way the embedded planner
// reads questions about uploads: "in my <file> file" points it at the file, a number column is summed by month (a
// date column) or by a text column, a file without numbers is counted by a text column. The wordings are checked
// by asking them against a real upload (test/e2e/uploads.test.ts).

/** A column as the server describes it after the upload (`header` as written), or as the local preview saw it. */
export interface FileColumn {
  header?: string;
  name: string;
  type: string;
}

const MAX_QUESTIONS = 2;
/** numbers that are labels, not amounts: summing them means nothing */
const NOT_AN_AMOUNT = /\b(id|ids|code|zip|postcode|phone|year|number|no)\b/;
/** text that names one row each (an id, an address, free text): grouping by it gives one row per row */
const NOT_A_GROUP = /\b(id|ids|uuid|email|e mail|url|phone|description|notes?|comments?|address)\b/;

/**
 * The words of a header or a filename as a person says them ("target_usd" -> "target usd", "churnRate" ->
 * "churn rate"): the same split the server uses for a column's synonyms (server/datasets/names.ts `words`).
 */
export function spoken(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)
    .join(' ');
}

/** At most two questions about the file, or none when its columns give nothing to ask. */
export function fileQuestions(filename: string, columns: readonly FileColumn[]): string[] {
  const stem = spoken(filename.replace(/\.(csv|json)$/i, ''));
  if (!stem) return [];
  const named = columns
    .map((c) => ({ words: spoken(c.header ?? c.name), type: c.type }))
    .filter((c) => c.words !== '');
  const amount = named.find((c) => c.type === 'number' && !NOT_AN_AMOUNT.test(c.words));
  const group = named.find((c) => c.type === 'string' && !NOT_A_GROUP.test(c.words));
  const dated = named.some((c) => c.type === 'date' || c.type === 'datetime');
  const inFile = `in my ${stem} file`;
  const out: string[] = [];
  if (amount) {
    if (dated) out.push(`What is the total ${amount.words} by month ${inFile}?`);
    if (group) out.push(`What is the total ${amount.words} by ${group.words} ${inFile}?`);
    // an amount alone: its average reads as the amount (a bare "total <x>" can read as the file's rows)
    if (!dated && !group) out.push(`What is the average ${amount.words} ${inFile}?`);
  } else if (group) {
    out.push(`How many ${stem} are there by ${group.words} ${inFile}?`);
  }
  return out.slice(0, MAX_QUESTIONS);
}
