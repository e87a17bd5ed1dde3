// Shares ("what % of our Italian accounts are customers"): where the subject ends and the predicate starts.
import type { Filter } from '../../query/plan.ts';
import type { Reading } from './reading.ts';

export const SHARE_WORDS = new Set([
  'percentage',
  'percent',
  'share',
  'proportion',
  'fraction',
  'ratio',
  'rate',
]);

export const PREDICATE_WORDS = new Set([
  'are',
  'is',
  'were',
  'was',
  'have',
  'has',
  'had',
  'did',
  'do',
  'does',
  'who',
  'that',
  'which',
  'came',
  'end',
  'ends',
  'ended',
  'got',
  'became',
  'went',
  'bought',
  'ordered',
  'placed',
  'purchased',
  'made',
]);

/** The share word that opens "<share> of <subject>", else the first share word. */
export function shareCue(r: Reading): number {
  const withOf = r.tokens.findIndex((t, i) => SHARE_WORDS.has(t.text) && r.tokens[i + 1]?.text === 'of');
  return withOf >= 0 ? withOf : r.tokens.findIndex((t) => SHARE_WORDS.has(t.text));
}

/** Where the predicate of "what share of <subject> <predicate>" starts: the first verb after the subject. */
export function predicateStart(r: Reading): number {
  const cue = shareCue(r);
  for (let i = Math.max(0, cue) + 1; i < r.tokens.length; i += 1) {
    if (PREDICATE_WORDS.has(r.tokens[i]?.text ?? '')) return i;
  }
  return Number.POSITIVE_INFINITY;
}

/** Where in the question a filter was named (every place its words stand). */
export function filterAt(r: Reading, f: Filter): number[] {
  switch (f.op) {
    case 'eq':
    case 'neq':
    case 'in':
    case 'notIn':
      return r.matches
        .filter((x) => x.target.kind === 'value' && x.target.field === f.field)
        .map((x) => x.from);
    case 'segment':
      return r.matches
        .filter((x) => x.target.kind === 'segment' && `${x.target.table}.${x.target.name}` === f.segment)
        .map((x) => x.from);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return r.comparisons.filter((c) => c.value === f.value).map((c) => c.at);
    default:
      return [];
  }
}
