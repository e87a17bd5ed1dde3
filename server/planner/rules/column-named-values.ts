// Values named beside their column's word: "revenue from country France", "the category Garden", "the product
// green tea", "units in the garden category". The column word says which column the value is in (a value several
// columns hold takes the named one) and is part of the value's words, not a column asked for; beside it, a part of a
// value names it ("garden" for "Home & Garden"). A part of a value on its own, with no column word, stays unknown.
import type { Match, Target, ValueIndex } from './lexicon.ts';
import type { Token } from './text.ts';

export interface ColumnWordContext {
  tokens: Token[];
  values: ValueIndex;
  /** token i is a word no match covers that could be part of a value (not a grammar word, not a number) */
  isFree: (i: number) => boolean;
  /** the text column a table's rows are named by ("the product X" -> products.name), if any */
  labelOf: (table: string) => string | undefined;
  /** the field holds text values */
  isText: (field: string) => boolean;
}

// words allowed between a column's word and its value: "country is France", "a product called X", "category = Books"
const CONNECTORS = new Set([
  'is',
  'was',
  'equals',
  'equal',
  'to',
  'of',
  'named',
  'called',
  'the',
  'a',
  'like',
]);
/** a part of a value that many values hold does not single any out ("the product Acme") */
const MAX_PARTIAL_VALUES = 20;
const MAX_PHRASE_WORDS = 4;

/** The matches with values read through the column words beside them (the input is not changed). */
export function withColumnNamedValues(matches: readonly Match[], ctx: ColumnWordContext): Match[] {
  let out = matches.map((m) => ({ ...m }));
  const words = ctx.tokens.map((t) => t.text);
  for (const word of [...out]) {
    if (!out.includes(word)) continue;
    const isColumn = word.target.kind === 'column';
    const field = namedField(word, ctx);
    if (!field) continue;
    // the value after the word: "country France", "whose country is France", "the product green tea"
    let j = word.to;
    while (j < words.length && j - word.to < 2 && CONNECTORS.has(words[j] ?? '')) j += 1;
    const after = out.find((m) => m.from === j);
    if (after?.target.kind === 'value' && sameOrRetargeted(after, field, ctx)) {
      out = isColumn ? absorb(out, word, [after]) : bridge(out, word, [after]);
      continue;
    }
    if (!after) {
      const found = partialAt(j, 1, field, ctx);
      if (found.length > 0) {
        out = insert(out, found);
        out = isColumn ? absorb(out, word, found) : bridge(out, word, found);
        continue;
      }
    }
    // the value before a column's word: "the Books category", "the garden category" (a table word before it
    // is a kind of thing: "garden products" are not the products named "garden ...")
    if (!isColumn) continue;
    const before = [...out].reverse().find((m) => m.to === word.from);
    if (before?.target.kind === 'value' && sameOrRetargeted(before, field, ctx)) {
      out = absorb(out, word, [before]);
      continue;
    }
    if (!before) {
      const found = partialAt(word.from - 1, -1, field, ctx);
      if (found.length > 0) out = absorb(insert(out, found), word, found);
    }
  }
  return out;
}

/** The text field a column's or a table's word names, if its values can be looked up. */
function namedField(m: Match, ctx: ColumnWordContext): string | undefined {
  if (m.target.kind === 'column') return ctx.isText(m.target.field) ? m.target.field : undefined;
  if (m.target.kind === 'table' || m.target.kind === 'segment') return ctx.labelOf(m.target.table);
  return undefined;
}

/** The value is in the named field, or also is and now points there ("Jordan" the country, not the name). */
function sameOrRetargeted(m: Match, field: string, ctx: ColumnWordContext): boolean {
  if (m.target.kind !== 'value') return false;
  if (m.target.field === field) return true;
  const slice = ctx.tokens.slice(m.from, m.to);
  const hit = ctx.values
    .lookup(slice.map((t) => t.text).join(' '), slice.map((t) => t.stem).join(' '))
    .find((h) => h.field === field);
  if (!hit) return false;
  m.target = { kind: 'value', field, value: hit.value, enumerated: false };
  return true;
}

/**
 * The longest run of free words from `start` (going forward, or backward with step -1) that is part of some of
 * the field's values: one match per value, so several ("garden hose" in three product names) read as any of them.
 */
function partialAt(start: number, step: 1 | -1, field: string, ctx: ColumnWordContext): Match[] {
  let n = 0;
  while (n < MAX_PHRASE_WORDS && ctx.isFree(start + step * n)) n += 1;
  for (let len = n; len >= 1; len -= 1) {
    const from = step === 1 ? start : start - len + 1;
    const slice = ctx.tokens.slice(from, from + len);
    const key = slice.map((t) => t.text).join(' ');
    const found = ctx.values.containing(field, key, slice.map((t) => t.stem).join(' '), MAX_PARTIAL_VALUES);
    if (found.length === 0) continue;
    // a shorter run is not tried once a longer one is too common: it would be more common still
    if (found.length > MAX_PARTIAL_VALUES) return [];
    return found.map((value) => ({
      target: { kind: 'value', field, value, enumerated: false } satisfies Target,
      from,
      to: from + len,
      text: key,
    }));
  }
  return [];
}

function insert(matches: Match[], added: Match[]): Match[] {
  return [...matches, ...added].sort((a, b) => a.from - b.from);
}

/** The column's word becomes part of the value's words: it names no column of its own. */
function absorb(matches: Match[], word: Match, values: Match[]): Match[] {
  for (const v of values) {
    const from = Math.min(v.from, word.from);
    const to = Math.max(v.to, word.to);
    v.text = word.from < v.from ? `${word.text} ${v.text}` : `${v.text} ${word.text}`;
    v.from = from;
    v.to = to;
  }
  return matches.filter((m) => m !== word);
}

/** A table's word stays the thing asked about; the words between it and the value ("called") are the value's. */
function bridge(matches: Match[], word: Match, values: Match[]): Match[] {
  for (const v of values) v.from = Math.min(v.from, word.to);
  return matches;
}
